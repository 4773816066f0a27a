// Bundles the `bramble` command (tsc's dist/cmd/bramble.js and everything it
// imports, npm packages included) into dist/bundle/, which is what the bin
// runs. An agent on a 1 GB Pi keeps the source text of every module it loaded
// in its heap for as long as it runs: minified and without the comments and
// license headers of hundreds of files, that is about a quarter of it
// (docs/benchmarks.md, `bench pods`). It also reads a dozen files at start
// instead of hundreds from an SD card. Each command still loads only its own
// code: dynamic imports become chunks of their own.
//
// Stack traces name minified functions; the .map files beside the chunks
// give them back with BRAMBLE_NODE_ARGS=--enable-source-maps.
import { build } from 'esbuild';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../common/package-root.js';

const DIST = join(PACKAGE_ROOT, 'dist');

await build({
  entryPoints: [join(DIST, 'cmd', 'bramble.js')],
  // Two folders below the package, as dist/common/ is: see common/package-root.ts.
  outdir: join(DIST, 'bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // classic-level finds its native addon beside its own files; grpc-js loads
  // proto-loader only for reflection services Bramble does not serve.
  external: ['classic-level', '@grpc/proto-loader'],
  // The CommonJS packages inside call require(), which an ES module lacks.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});

// Bundles the `bramble` command (tsc's dist/cmd/*.js and everything they
// import, npm packages included) into dist/bundle/, which is what the bin
// runs. An agent on a 1 GB Pi keeps the source text of every module it loaded
// in its heap for as long as it runs: minified, and without the comments and
// license headers of hundreds of files, that is 0.3 MB instead of 2.5 MB
// (docs/benchmarks.md, `bench pods`). It also reads a handful of files at start
// instead of hundreds from an SD card.
//
// CommonJS, not ES modules: Node's ES module loader alone costs a process
// about 1 MB of RSS. bramble.cjs is the command line; each command is a
// bundle of its own (agent.cjs, server.cjs, token.cjs), required only when
// it runs, so an agent never loads the server's code.
//
// Stack traces name minified functions; the .map files beside the bundles
// give them back with BRAMBLE_NODE_ARGS=--enable-source-maps.
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../common/package-root.js';

const CMD = join(PACKAGE_ROOT, 'dist', 'cmd');
const COMMANDS = ['agent', 'server', 'token'];

const options: BuildOptions = {
  // Two folders below the package, as dist/common/ is: see common/package-root.ts.
  outdir: join(PACKAGE_ROOT, 'dist', 'bundle'),
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // classic-level finds its native addon beside its own files; grpc-js loads
  // proto-loader only for reflection services Bramble does not serve.
  external: ['classic-level', '@grpc/proto-loader'],
  // A CommonJS file has no import.meta: its URL comes from __filename.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // import() would bring in the ES module loader: lazily loaded code (the agent's streams) becomes a lazy require.
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
};

/** bramble.js's import('./agent.js') and the others: the command's own bundle. */
const commandBundles: Plugin = {
  name: 'command-bundles',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^\\./(${COMMANDS.join('|')})\\.js$`) }, (args) => ({ path: args.path.replace(/\.js$/, '.cjs'), external: true }));
  },
};

await build({ ...options, entryPoints: { bramble: join(CMD, 'bramble.js') }, plugins: [commandBundles] });
await build({ ...options, entryPoints: Object.fromEntries(COMMANDS.map((c) => [c, join(CMD, `${c}.js`)])) });

// Versions both the server and the agent report: Bramble's own (package.json)
// and the Kubernetes release whose API it serves (/version, a Node's
// kubeletVersion), plus Go's names for this platform, which clients expect.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

export const BRAMBLE_VERSION: string = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** The upstream release whose API the catalogue mirrors. */
export const KUBERNETES_VERSION: { readonly major: string; readonly minor: string; readonly gitVersion: string } = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0+bramble',
};

const GO_OS: Readonly<Record<string, string>> = { win32: 'windows' };
const GO_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386' };

/** GOOS for this process: "linux". */
export const goOs = (): string => GO_OS[process.platform] ?? process.platform;

/** GOARCH for this process: "amd64", "arm64", "arm". */
export const goArch = (): string => GO_ARCH[process.arch] ?? process.arch;

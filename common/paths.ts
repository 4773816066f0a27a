// Default locations a user meets: system-wide as root, under the home
// directory otherwise (so a non-root trial run needs no sudo).
import { homedir } from 'node:os';
import { join } from 'node:path';

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

export function defaultDataDir(): string {
  return isRoot() ? '/var/lib/bramble' : join(homedir(), '.bramble');
}

/** Where the server keeps its own state inside a data dir. */
export function serverDir(dataDir: string): string {
  return join(dataDir, 'server');
}

export function storeDir(dataDir: string): string {
  return join(serverDir(dataDir), 'db');
}

export function pkiDir(dataDir: string): string {
  return join(serverDir(dataDir), 'tls');
}

export function defaultKubeconfigPath(): string {
  return isRoot() ? '/etc/bramble/bramble.yaml' : join(homedir(), '.bramble', 'bramble.yaml');
}

/** The admin socket: root-only local control channel of a running server. */
export function adminSocketPath(dataDir: string): string {
  return join(serverDir(dataDir), 'admin.sock');
}

/** The server's own join token (K10… format), readable by root only. */
export function serverTokenPath(dataDir: string): string {
  return join(serverDir(dataDir), 'token');
}

/** An agent's state (credentials, later its pod cache) inside a data dir. */
export function agentDir(dataDir: string): string {
  return join(dataDir, 'agent');
}

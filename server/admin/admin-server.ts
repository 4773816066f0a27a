// The admin socket: a local HTTP endpoint on a unix socket in the data dir,
// reachable only by the user that runs the server (mode 0600). Commands that
// act on a running server (`bramble server backup`) use it, so they need no
// network port and no credentials beyond file permissions.
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../common/log.js';
import { pkiBackupFiles } from '../pki/backup-files.js';
import { backupChunks } from '../store/backup.js';
import type { LevelStore } from '../store/level-store.js';

export interface AdminServer {
  close(): Promise<void>;
}

/** `pkiDir`: the server's TLS folder, which backups carry beside the store. */
export async function startAdminServer(socketPath: string, store: LevelStore, pkiDir: string, log: Logger): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/backup') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const entries = store.snapshotEntries();
      pipeline(async function* () {
        yield* backupChunks(entries, await pkiBackupFiles(pkiDir));
      }, res).then(
        () => log.info('backup sent', { revision: store.revision }),
        // The client sees a truncated stream, which its checksum check refuses.
        (err: Error) => log.warn('backup failed', { error: err }),
      );
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  // The store's lock already guarantees no other server uses this data dir, so a socket file here is stale.
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

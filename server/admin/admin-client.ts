// The client side of the admin socket, for commands run next to a server.
import { type IncomingMessage, request } from 'node:http';
import { type BackupSummary, saveBackup } from '../store/backup.js';

/** Thrown when no server answers on the socket (none is running). */
export class NoServerError extends Error {
  override readonly name = 'NoServerError';
}

/** Streams a backup from the running server into `file`. */
export async function backupFromServer(socketPath: string, file: string): Promise<BackupSummary> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    request({ socketPath, path: '/backup', method: 'GET' }, resolve)
      .on('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? new NoServerError(err.message) : err),
      )
      .end();
  });
  if (res.statusCode !== 200) {
    res.resume();
    throw new Error(`the server refused the backup (HTTP ${res.statusCode})`);
  }
  return saveBackup(res, file);
}

// The client side of the admin socket, for commands run next to a server.
import { type IncomingMessage, request } from 'node:http';
import { type BackupSummary, saveBackup } from '../store/backup.js';

/** Thrown when no server answers on the socket (none is running). */
export class NoServerError extends Error {
  override readonly name = 'NoServerError';
}

/** One request to the admin socket; NoServerError when no server answers. */
function adminRequest(socketPath: string, method: string, path: string, body?: unknown): Promise<IncomingMessage> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<IncomingMessage>((resolve, reject) => {
    request({ socketPath, path, method, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, resolve)
      .on('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? new NoServerError(err.message) : err),
      )
      .end(payload);
  });
}

/** A JSON request to the admin socket; an error answer becomes an Error with the server's message. */
export async function callAdmin<T>(socketPath: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await adminRequest(socketPath, method, path, body);
  let text = '';
  for await (const chunk of res.setEncoding('utf8')) text += chunk as string;
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new Error(`the server answered ${method} ${path} with HTTP ${res.statusCode} and no JSON (is it an older version?)`);
  }
  if (res.statusCode === undefined || res.statusCode >= 300) {
    const message = (answer as { error?: unknown } | null)?.error;
    throw new Error(typeof message === 'string' ? message : `the server answered ${method} ${path} with HTTP ${res.statusCode}`);
  }
  return answer as T;
}

/** Streams a backup from the running server into `file`. */
export async function backupFromServer(socketPath: string, file: string): Promise<BackupSummary> {
  const res = await adminRequest(socketPath, 'GET', '/backup');
  if (res.statusCode !== 200) {
    res.resume();
    throw new Error(`the server refused the backup (HTTP ${res.statusCode})`);
  }
  return saveBackup(res, file);
}

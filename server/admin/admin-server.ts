// The admin socket: a local HTTP endpoint on a unix socket in the data dir,
// reachable only by the user that runs the server (mode 0600). Commands that
// act on a running server (`bramble server backup`, `bramble token`) use it,
// so they need no network port and no credentials beyond file permissions.
import { chmod, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../common/log.js';
import { BootstrapTokenError, type BootstrapTokens, type CreateTokenOptions } from '../agents/bootstrap-tokens.js';
import { pkiBackupFiles } from '../pki/backup-files.js';
import { backupChunks } from '../store/backup.js';
import type { LevelStore } from '../store/level-store.js';

export interface AdminServer {
  close(): Promise<void>;
}

/** Far above any token request; bounds what a request body can cost in memory. */
const MAX_BODY_BYTES = 4096;
const TOKENS = '/tokens';

/** A refusal with its HTTP status, answered as JSON `{ "error": … }`. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** `pkiDir`: the server's TLS folder, which backups carry beside the store. */
export async function startAdminServer(socketPath: string, store: LevelStore, pkiDir: string, tokens: BootstrapTokens, log: Logger): Promise<AdminServer> {
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
    const path = req.url ?? '';
    if (path === TOKENS || path.startsWith(`${TOKENS}/`)) {
      serveTokens(req, path, tokens, log).then(
        ({ status, body }) => sendJson(res, status, body),
        (err: Error) => {
          const status = statusOf(err);
          if (status === 500) log.warn('token request failed', { method: req.method, error: err });
          sendJson(res, status, { error: err.message });
        },
      );
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

/** `POST /tokens`, `GET /tokens`, `DELETE /tokens/<id>`. Logs token IDs only: the secret is in the answer to POST and nowhere else. */
async function serveTokens(req: IncomingMessage, path: string, tokens: BootstrapTokens, log: Logger): Promise<{ status: number; body: unknown }> {
  if (path === TOKENS) {
    if (req.method === 'GET') return { status: 200, body: { tokens: await tokens.list() } };
    if (req.method === 'POST') {
      const created = await tokens.create(createOptionsOf(await readJsonBody(req)));
      log.info('bootstrap token created', { id: created.id, expires: created.expires ?? 'never' });
      return { status: 201, body: created };
    }
    throw new HttpError(405, `${TOKENS} takes GET or POST, not ${req.method}`);
  }
  if (req.method !== 'DELETE') throw new HttpError(405, `${path} takes DELETE, not ${req.method}`);
  const id = path.slice(TOKENS.length + 1);
  await tokens.delete(id);
  log.info('bootstrap token deleted', { id });
  return { status: 200, body: { deleted: id } };
}

function createOptionsOf(body: unknown): CreateTokenOptions {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object');
  const { ttlSeconds, description, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new HttpError(400, `unknown field "${unknown[0]}" (known: ttlSeconds, description)`);
  if (ttlSeconds !== undefined && typeof ttlSeconds !== 'number') throw new HttpError(400, 'ttlSeconds must be a number');
  if (description !== undefined && typeof description !== 'string') throw new HttpError(400, 'description must be a string');
  return { ttlSeconds, description };
}

/**
 * Reads the whole body, but keeps at most MAX_BODY_BYTES of it: a larger one
 * is drained (ending the request early would reset the connection before the
 * 413 reaches the client) and refused.
 */
function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new HttpError(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'the request body is not valid JSON'));
      }
    });
  });
}

function statusOf(err: Error): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof BootstrapTokenError) return err.code === 'NotFound' ? 404 : 400;
  return 500;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

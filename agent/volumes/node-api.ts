// The few Kubernetes API calls the agent makes itself, as kubelet does, over
// HTTPS with the node's client certificate (system:node:NAME): service
// account tokens for pods, the claims and volumes its pods use, its own Node.
// The certificate is read from the data dir on each call, so a renewed one
// is used at once; answers are bounded in size and never logged.
import { request } from 'node:https';
import { loadCredentials } from '../join/credentials.js';

/** Answers above this size are refused (a token, a claim or a volume is a few KiB). */
const MAX_BODY_BYTES = 1024 * 1024;
const TIMEOUT_MS = 15_000;

/** A non-2xx answer: its HTTP code and the Status message. */
export class ApiRequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export interface NodeApiOptions {
  readonly serverUrl: URL;
  /** The agent's data dir, where its credentials are. */
  readonly dir: string;
}

export class NodeApi {
  constructor(private readonly opts: NodeApiOptions) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** A JSON merge patch. */
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body, 'application/merge-patch+json');
  }

  async call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const credentials = await loadCredentials(this.opts.dir);
    if (credentials === undefined) throw new Error('this node has no credentials yet');
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = request(
        new URL(path, this.opts.serverUrl),
        {
          method,
          ca: credentials.caPem,
          cert: credentials.certPem,
          key: credentials.keyPem,
          timeout: TIMEOUT_MS,
          headers: { accept: 'application/json', ...(payload !== undefined ? { 'content-type': contentType, 'content-length': payload.length } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) req.destroy(new Error(`the server's answer to ${method} ${path} is larger than ${MAX_BODY_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              reject(new ApiRequestError(res.statusCode ?? 0, `${method} ${path}: the server answered ${res.statusCode} with a body that is not JSON`));
              return;
            }
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve(parsed as T);
            else reject(new ApiRequestError(code, String((parsed as { message?: unknown } | null)?.message ?? `${method} ${path}: HTTP ${code}`)));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

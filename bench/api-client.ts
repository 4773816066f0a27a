// The bench's Kubernetes client: the server URL and credentials of the
// kubeconfig `bramble server` wrote, plain REST with JSON bodies over one
// keep-alive HTTPS agent, as client-go talks to an API server.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

export interface ApiResponse {
  readonly status: number;
  /** The whole body as received (no content encoding is asked for). */
  readonly body: Buffer;
  /** From just before the request is sent until the last byte of the response has arrived. */
  readonly ms: number;
}

export interface RequestOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly accept?: string;
}

/** A request still unanswered by then fails the run rather than hang it. */
const REQUEST_TIMEOUT_MS = 60_000;

export class ApiClient {
  private constructor(
    private readonly server: URL,
    private readonly agent: Agent,
  ) {}

  /** A client for the kubeconfig's first cluster and user; at most `connections` connections at once, kept alive. */
  static async fromKubeconfig(path: string, connections: number): Promise<ApiClient> {
    const config = parse(await readFile(path, 'utf8')) as Kubeconfig | null;
    const cluster = config?.clusters?.[0]?.cluster;
    const user = config?.users?.[0]?.user;
    const field = (value: string | undefined, name: string): string => {
      if (typeof value !== 'string' || value === '') throw new Error(`${path} has no ${name}`);
      return value;
    };
    const server = new URL(field(cluster?.server, 'clusters[0].cluster.server'));
    // The bench talks to its own server on loopback and nowhere else.
    if (server.protocol !== 'https:' || server.hostname !== '127.0.0.1') throw new Error(`${path} names ${server.href}, not an https://127.0.0.1 server`);
    const pem = (value: string | undefined, name: string) => Buffer.from(field(value, name), 'base64');
    const agent = new Agent({
      keepAlive: true,
      maxSockets: connections,
      ca: pem(cluster?.['certificate-authority-data'], 'clusters[0].cluster.certificate-authority-data'),
      cert: pem(user?.['client-certificate-data'], 'users[0].user.client-certificate-data'),
      key: pem(user?.['client-key-data'], 'users[0].user.client-key-data'),
    });
    return new ApiClient(server, agent);
  }

  request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json', 'user-agent': 'bramble-bench' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(new URL(path, this.server), { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - started }));
        res.on('error', reject);
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** `request`, failing unless the server answers with `status`. */
  async expect(status: number, method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const res = await this.request(method, path, opts);
    if (res.status !== status) {
      throw new Error(`${method} ${path} answered ${res.status}, not ${status}: ${res.body.toString('utf8', 0, 500)}`);
    }
    return res;
  }

  /**
   * A GET whose answer is a stream of JSON lines (a watch): `onLine` gets each
   * line as it arrives. Resolves when the server ends the stream or `signal`
   * aborts; rejects on a status other than 200.
   */
  stream(path: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.server), { headers: { accept: 'application/json', 'user-agent': 'bramble-bench' }, agent: this.agent, signal }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`GET ${path} answered ${res.statusCode ?? 0}, not 200`));
          return;
        }
        let partial = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop()!;
          for (const line of lines) if (line !== '') onLine(line);
        });
        res.on('end', resolve);
        res.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      });
      req.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      req.end();
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

interface Kubeconfig {
  clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
  users?: { user?: { 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
}

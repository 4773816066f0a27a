// The bench's Kubernetes client: the server URL and credentials of the
// kubeconfig `bramble server` wrote, plain REST with JSON bodies over kept-alive
// HTTP/1.1 connections with the client certificate, as client-go talks to an
// API server. Requests go over the bench's own connections (http1-connection),
// watches over node:https.
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import { parse } from 'yaml';
import { Http1Connection, type Http1Target } from './http1-connection.js';

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
  private readonly target: Http1Target;
  /** For watches. */
  private readonly agent: Agent;
  /** Connections open and free, most recently used last. */
  private readonly idle: Http1Connection[] = [];
  /** Requests waiting for a connection, when `connections` are busy. */
  private readonly waiting: ((conn: Promise<Http1Connection>) => void)[] = [];
  private opened = 0;
  private closed = false;

  private constructor(
    server: URL,
    secureContext: SecureContext,
    private readonly connections: number,
  ) {
    this.target = { host: server.hostname, port: Number(server.port), secureContext };
    this.agent = new Agent({ keepAlive: true, secureContext });
  }

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
    const secureContext = createSecureContext({
      ca: pem(cluster?.['certificate-authority-data'], 'clusters[0].cluster.certificate-authority-data'),
      cert: pem(user?.['client-certificate-data'], 'users[0].user.client-certificate-data'),
      key: pem(user?.['client-key-data'], 'users[0].user.client-key-data'),
    });
    return new ApiClient(server, secureContext, connections);
  }

  /** The same credentials against another server of this machine's loopback (bench api's reference server). */
  atPort(port: number): ApiClient {
    return new ApiClient(new URL(`https://127.0.0.1:${port}`), this.target.secureContext, this.connections);
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', 'User-Agent': 'bramble-bench' };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const conn = await this.acquire();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.close();
    }, REQUEST_TIMEOUT_MS);
    try {
      return await conn.send(method, path, headers, payload);
    } catch (err) {
      throw new Error(`${method} ${path}: ${timedOut ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : (err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
      this.release(conn);
    }
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
      const req = request({ host: this.target.host, port: this.target.port, agent: this.agent, path, headers: { accept: 'application/json', 'user-agent': 'bramble-bench' }, signal }, (res) => {
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

  /** Closes the kept-alive connections; requests waiting for one fail. */
  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.close();
    for (const give of this.waiting.splice(0)) give(Promise.reject(new Error('the client was closed')));
    this.agent.destroy();
  }

  /** A free connection: an idle one, a new one while fewer than `connections` are open, or the next one released. */
  private acquire(): Promise<Http1Connection> {
    if (this.closed) return Promise.reject(new Error('the client was closed'));
    const conn = this.idle.pop();
    if (conn !== undefined) return Promise.resolve(conn);
    if (this.opened < this.connections) return this.open();
    return new Promise<Promise<Http1Connection>>((resolve) => this.waiting.push(resolve)).then((next) => next);
  }

  private open(): Promise<Http1Connection> {
    this.opened++;
    const conn = Http1Connection.open(this.target);
    conn.catch(() => this.opened--);
    return conn;
  }

  /** Back to the idle ones, or to a waiting request; one that failed or was closed is replaced. */
  private release(conn: Http1Connection): void {
    if (!conn.usable) {
      this.opened--;
      const give = this.waiting.shift();
      if (give !== undefined) give(this.open());
      return;
    }
    if (this.closed) return conn.close();
    const give = this.waiting.shift();
    if (give !== undefined) give(Promise.resolve(conn));
    else this.idle.push(conn);
  }
}

interface Kubeconfig {
  clusters?: { cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
  users?: { user?: { 'client-certificate-data'?: string; 'client-key-data'?: string } }[];
}

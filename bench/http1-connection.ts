// One kept-alive HTTP/1.1 connection over TLS, one request at a time, as a Go
// client's persistent connection works: the request line, headers and body
// go out in one write; the response is read by its Content-Length or its
// chunked encoding. The bench's 50 clients ran on node:https before, whose
// per-request machinery (agent bookkeeping, request and response streams,
// timers) cost the bench process about 2.5 times the CPU of this: CPU the
// server then did not get on a 2-core machine.
import { connect, type SecureContext, type TLSSocket } from 'node:tls';

export interface Http1Response {
  readonly status: number;
  /** Header names lower-cased; a repeated header's values joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** From just before the request is written until the last byte of the response has arrived. */
  readonly ms: number;
}

export interface Http1Target {
  readonly host: string;
  readonly port: number;
  /** The CA to check the server against, and the client certificate. */
  readonly secureContext: SecureContext;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
/** More header bytes than this without their end is not an HTTP response. */
const MAX_HEADER_BYTES = 64 * 1024;

interface Pending {
  readonly head: boolean;
  readonly started: number;
  readonly resolve: (res: Http1Response) => void;
  readonly reject: (err: Error) => void;
}

/** What is known of the response being read. */
interface Reading {
  readonly status: number;
  readonly headers: Map<string, string>;
  /** Content-Length: the body is this long. */
  readonly length?: number;
  readonly chunked: boolean;
  readonly closes: boolean;
  /** The body so far. */
  readonly parts: Buffer[];
  got: number;
}

export class Http1Connection {
  private buffered: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  private reading: Reading | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: TLSSocket,
    /** The Host header: "127.0.0.1:6443". */
    private readonly authority: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  /** Connects and completes the TLS handshake (the server's certificate checked against the context's CA and the host). */
  static open(target: Http1Target): Promise<Http1Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port, secureContext: target.secureContext, ALPNProtocols: ['http/1.1'] }, () => {
        socket.off('error', reject);
        resolve(new Http1Connection(socket, `${target.host}:${target.port}`));
      });
      socket.once('error', reject);
    });
  }

  /** Whether it can take another request: no failure, no close announced. */
  get usable(): boolean {
    return this.failure === undefined;
  }

  /** Sends one request; `headers` are written as given, after Host (and Content-Length when there is a body). */
  send(method: string, path: string, headers: Readonly<Record<string, string>>, body: string | undefined): Promise<Http1Response> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.pending !== undefined) return Promise.reject(new Error('a request is already under way on this connection'));
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.authority}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    if (body !== undefined) head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    head += '\r\n';
    return new Promise((resolve, reject) => {
      this.pending = { head: method === 'HEAD', started: performance.now(), resolve, reject };
      this.socket.write(body === undefined ? head : head + body);
    });
  }

  close(): void {
    this.fail(new Error('the connection was closed'));
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    try {
      while (this.pending !== undefined && this.step());
    } catch (err) {
      this.fail(err as Error);
      this.socket.destroy();
    }
  }

  /** Reads what it can of the response; true when a step was completed and there may be more to do. */
  private step(): boolean {
    const pending = this.pending!;
    if (this.reading === undefined) {
      const end = this.buffered.indexOf(HEADER_END);
      if (end < 0) {
        if (this.buffered.length > MAX_HEADER_BYTES) throw new Error(`no end of the response's headers in ${this.buffered.length} bytes`);
        return false;
      }
      this.reading = parseHead(this.buffered.toString('latin1', 0, end), pending.head);
      this.buffered = this.buffered.subarray(end + HEADER_END.length);
      return true;
    }
    const reading = this.reading;
    if (reading.chunked) return this.chunk(reading);
    const want = (reading.length ?? 0) - reading.got;
    const take = Math.min(want, this.buffered.length);
    if (take > 0) {
      reading.parts.push(this.buffered.subarray(0, take));
      reading.got += take;
      this.buffered = this.buffered.subarray(take);
    }
    if (reading.got < (reading.length ?? 0)) return false;
    this.finish(reading);
    return false;
  }

  /** One chunk of a chunked body (size line, data, CRLF), or its last chunk and trailers. */
  private chunk(reading: Reading): boolean {
    const line = this.buffered.indexOf(CRLF);
    if (line < 0) return false;
    const size = Number.parseInt(this.buffered.toString('latin1', 0, line).split(';')[0]!.trim(), 16);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`bad chunk size line: ${JSON.stringify(this.buffered.toString('latin1', 0, line))}`);
    if (size === 0) {
      // Trailers, if any, end with an empty line.
      const end = this.buffered.indexOf(HEADER_END, line);
      const bare = this.buffered.length >= line + 4 && this.buffered[line + 2] === 0x0d && this.buffered[line + 3] === 0x0a;
      if (!bare && end < 0) return false;
      this.buffered = this.buffered.subarray(bare ? line + 4 : end + HEADER_END.length);
      this.finish(reading);
      return false;
    }
    const start = line + CRLF.length;
    if (this.buffered.length < start + size + CRLF.length) return false;
    reading.parts.push(this.buffered.subarray(start, start + size));
    reading.got += size;
    this.buffered = this.buffered.subarray(start + size + CRLF.length);
    return true;
  }

  private finish(reading: Reading): void {
    if (this.buffered.length > 0) throw new Error(`${this.buffered.length} bytes after the response, none asked for`);
    const pending = this.pending!;
    this.pending = undefined;
    this.reading = undefined;
    const body = reading.parts.length === 1 ? reading.parts[0]! : Buffer.concat(reading.parts, reading.got);
    if (reading.closes) this.close();
    pending.resolve({ status: reading.status, headers: reading.headers, body, ms: performance.now() - pending.started });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }
}

function parseHead(text: string, head: boolean): Reading {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]!);
  if (statusLine === null) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(lines[0])}`);
  const status = Number(statusLine[1]);
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`bad header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  const closes = headers.get('connection')?.toLowerCase() === 'close';
  // No body: answers to HEAD, 1xx, 204 and 304.
  if (head || status < 200 || status === 204 || status === 304) return { status, headers, length: 0, chunked: false, closes, parts: [], got: 0 };
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') return { status, headers, chunked: true, closes, parts: [], got: 0 };
  const length = headers.get('content-length');
  // A body that ends with the connection is HTTP/1.0's way; the API never answers so.
  if (length === undefined || !/^\d+$/.test(length)) throw new Error(`a ${status} response with neither Content-Length nor chunked encoding`);
  return { status, headers, length: Number(length), chunked: false, closes, parts: [], got: 0 };
}

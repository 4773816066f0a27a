// A gRPC client on Node's own http2, for the agent's two peers: containerd's
// CRI socket and the server's AgentService. grpc-js does all this and much the
// agent never uses (name resolution, load balancing, retries, channelz); its
// code cost an agent about 2 MB of RSS (docs/benchmarks.md, `bench pods`).
// The server keeps grpc-js, and the tests hold this client to it.
//
// A channel is one HTTP/2 connection, opened by the first call and again by
// the first call after it broke. Calls are bidirectional streams of messages
// (grpc/doc/PROTOCOL-HTTP2.md): each one a 5-byte prefix (not compressed, its
// length) and its protobuf bytes; the outcome is grpc-status and grpc-message
// in the trailers.
import { type ClientHttp2Session, type ClientHttp2Stream, connect, constants, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { GrpcError, GrpcStatus, statusOfHttp } from './status.js';

/** What a call needs of a method: grpc-js's MethodDefinition fits. */
export interface GrpcMethod<Req, Res> {
  /** "/runtime.v1.RuntimeService/Version" */
  readonly path: string;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(bytes: Buffer): Res;
}

export type GrpcTarget =
  /** A server over TLS: its CA, and the client's certificate when it has one. */
  | { readonly url: URL; readonly tls: { readonly ca: string; readonly cert?: string; readonly key?: string } }
  /** A local runtime on a unix socket, in cleartext. */
  | { readonly socketPath: string };

export interface GrpcChannelOptions {
  /** Pings the peer this often while connected; a ping not answered within keepaliveTimeoutMs breaks the connection and its calls. */
  readonly keepaliveMs?: number;
  readonly keepaliveTimeoutMs?: number;
  /** A larger incoming message fails its call with RESOURCE_EXHAUSTED; default 4 MiB, as gRPC's. */
  readonly maxReceiveBytes?: number;
}

export interface GrpcCallOptions {
  /** Epoch ms: the call fails with DEADLINE_EXCEEDED if it has not ended by then. */
  readonly deadline?: number;
  /** Request metadata, as headers ("authorization"). */
  readonly metadata?: Readonly<Record<string, string>>;
}

const PREFIX_BYTES = 5;
const DEFAULT_MAX_RECEIVE_BYTES = 4 << 20;
const USER_AGENT = 'bramble-agent';

export class GrpcChannel {
  #session: ClientHttp2Session | undefined;
  #closed = false;

  constructor(
    private readonly target: GrpcTarget,
    private readonly opts: GrpcChannelOptions = {},
  ) {}

  /** One request, one response. */
  unary<Req, Res>(method: GrpcMethod<Req, Res>, request: Req, opts: GrpcCallOptions = {}): Promise<Res> {
    return new Promise((resolve, reject) => {
      const call = this.call(method, opts);
      let response: { value: Res } | undefined;
      call.on('data', (value: Res) => (response ??= { value }));
      call.on('error', reject);
      call.on('end', () => (response === undefined ? reject(new GrpcError(GrpcStatus.INTERNAL, 'the server sent no response message')) : resolve(response.value)));
      call.end(request);
    });
  }

  /** A call with streams both ways: write requests, read responses; it ends (or fails with a GrpcError) when the server sends its status. */
  call<Req, Res>(method: GrpcMethod<Req, Res>, opts: GrpcCallOptions = {}): GrpcCall<Req, Res> {
    const headers: Record<string, string> = {
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: method.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': USER_AGENT,
      ...opts.metadata,
    };
    // Whole milliseconds, at most 8 digits: gRPC's Timeout header.
    if (opts.deadline !== undefined) headers['grpc-timeout'] = `${Math.min(99_999_999, Math.max(0, Math.ceil(opts.deadline - Date.now())))}m`;
    let stream: ClientHttp2Stream;
    try {
      stream = this.#connected().request(headers);
    } catch (err) {
      if (err instanceof GrpcError) throw err;
      // The connection was closing (a GOAWAY just in): a new one.
      this.#session = undefined;
      stream = this.#connected().request(headers);
    }
    return new GrpcCall(stream, method, this.opts.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES, opts.deadline);
  }

  /** Closes the connection once its calls have ended; calls made after this fail at once, as a closed process's would. */
  close(): void {
    this.#closed = true;
    // One still connecting (a server gone silent mid-handshake) has no calls worth waiting for.
    if (this.#session?.connecting === true) this.#session.destroy();
    else this.#session?.close();
    this.#session = undefined;
  }

  #connected(): ClientHttp2Session {
    if (this.#closed) throw new GrpcError(GrpcStatus.UNAVAILABLE, 'the channel was closed');
    const current = this.#session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    const target = this.target;
    const session =
      'socketPath' in target
        ? connect('http://localhost', { createConnection: () => netConnect(target.socketPath) })
        : connect(`https://${target.url.host}`, { ca: target.tls.ca, cert: target.tls.cert, key: target.tls.key });
    // Its calls fail with the error; the session itself has no one else to tell.
    session.on('error', () => undefined);
    const keepalive = this.#keepalive(session);
    session.on('close', () => {
      clearInterval(keepalive);
      if (this.#session === session) this.#session = undefined;
    });
    this.#session = session;
    return session;
  }

  #keepalive(session: ClientHttp2Session): NodeJS.Timeout | undefined {
    const { keepaliveMs, keepaliveTimeoutMs = 20_000 } = this.opts;
    if (keepaliveMs === undefined) return undefined;
    const timer = setInterval(() => {
      if (!session.connecting && !session.destroyed) {
        const unanswered = setTimeout(() => session.destroy(new Error(`the server did not answer a keepalive ping within ${keepaliveTimeoutMs / 1000} s`)), keepaliveTimeoutMs);
        unanswered.unref();
        // An error here is the session's own end, which its calls already see.
        if (!session.ping(() => clearTimeout(unanswered))) clearTimeout(unanswered);
      }
    }, keepaliveMs);
    timer.unref();
    return timer;
  }
}

/**
 * One call, as an object-mode Duplex: write requests (end() half-closes),
 * read responses. Backpressure goes both ways: a write's callback waits for
 * HTTP/2's flow control, and a paused reader pauses the HTTP/2 stream.
 */
export class GrpcCall<Req, Res> extends Duplex {
  /** Bytes received and not yet a whole message. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes the next message needs before it can be read. */
  #needed = PREFIX_BYTES;
  /** The status the server sent (trailers, or headers alone), once it has. */
  #status: GrpcError | null | undefined;
  /** Every message of the response has been read. */
  #bodyEnded = false;
  /** Ended or failed: what the HTTP/2 stream does next changes nothing. */
  #settled = false;
  #deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: ClientHttp2Stream,
    private readonly method: GrpcMethod<Req, Res>,
    private readonly maxReceiveBytes: number,
    deadline: number | undefined,
  ) {
    super({ objectMode: true });
    // The body's end and the trailers come as separate events, in either order: the call ends once it has both.
    stream.on('response', (headers) => {
      const httpStatus = Number(headers[constants.HTTP2_HEADER_STATUS]);
      if (headers['grpc-status'] !== undefined) this.#statusIs(statusOf(headers));
      else if (httpStatus !== 200) this.#statusIs(new GrpcError(statusOfHttp(httpStatus), `the server answered HTTP ${httpStatus}`));
    });
    stream.on('trailers', (trailers) => this.#statusIs(statusOf(trailers)));
    stream.on('data', (chunk: Buffer) => this.#receive(chunk));
    stream.on('end', () => {
      this.#bodyEnded = true;
      if (this.#status !== undefined) this.#end(this.#status);
    });
    stream.on('error', (err: Error) => this.#fail(new GrpcError(GrpcStatus.UNAVAILABLE, transportError(err).message, err)));
    stream.on('close', () => this.#end(this.#status ?? new GrpcError(...closedStatus(stream.rstCode))));
    if (deadline !== undefined) {
      this.#deadlineTimer = setTimeout(() => this.#fail(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded')), Math.max(0, deadline - Date.now()));
    }
  }

  /** Ends the call from this side: it fails with CANCELLED unless it had already ended. */
  cancel(): void {
    this.#fail(new GrpcError(GrpcStatus.CANCELLED, 'Cancelled on client'));
    // Also after the server's status: the request side may still be open.
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  override _write(request: Req, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    let bytes: Buffer;
    try {
      bytes = this.method.requestSerialize(request);
    } catch (err) {
      return done(new GrpcError(GrpcStatus.INTERNAL, `could not encode the request: ${(err as Error).message}`, err));
    }
    const prefix = Buffer.alloc(PREFIX_BYTES);
    prefix.writeUInt32BE(bytes.length, 1);
    // A call the server has already ended takes no more: the status tells why.
    if (this.stream.writableEnded || this.stream.destroyed) return done();
    this.stream.write(Buffer.concat([prefix, bytes]), () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    if (this.stream.writableEnded || this.stream.destroyed) return done();
    this.stream.end(() => done());
  }

  override _read(): void {
    if (this.stream.isPaused()) this.stream.resume();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    clearTimeout(this.#deadlineTimer);
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
    done(err);
  }

  #receive(chunk: Buffer): void {
    if (this.#settled) return;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    // Joined only once the next message is all here: a 1 MiB message comes in many small chunks.
    while (this.#pendingBytes >= this.#needed) {
      const bytes = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
      const length = bytes.readUInt32BE(1);
      if (length > this.maxReceiveBytes) {
        return this.#fail(new GrpcError(GrpcStatus.RESOURCE_EXHAUSTED, `received a message of ${length} bytes, more than the ${this.maxReceiveBytes} allowed`));
      }
      if (bytes[0] !== 0) return this.#fail(new GrpcError(GrpcStatus.INTERNAL, 'received a compressed message, which was not asked for'));
      const end = PREFIX_BYTES + length;
      if (bytes.length < end) {
        this.#pending = [bytes];
        this.#needed = end;
        return;
      }
      const rest = bytes.subarray(end);
      this.#pending = rest.length > 0 ? [rest] : [];
      this.#pendingBytes = rest.length;
      this.#needed = PREFIX_BYTES;
      let response: Res;
      try {
        response = this.method.responseDeserialize(bytes.subarray(PREFIX_BYTES, end));
      } catch (err) {
        return this.#fail(new GrpcError(GrpcStatus.INTERNAL, `could not decode the response: ${(err as Error).message}`, err));
      }
      if (!this.push(response)) this.stream.pause();
    }
  }

  #statusIs(status: GrpcError | null): void {
    this.#status ??= status;
    if (this.#bodyEnded) this.#end(this.#status);
  }

  #end(status: GrpcError | null): void {
    if (status === null && this.#pendingBytes > 0) status = new GrpcError(GrpcStatus.INTERNAL, 'the server ended the call inside a message');
    if (status !== null) return this.#fail(status);
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#deadlineTimer);
    this.push(null);
  }

  #fail(err: GrpcError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.destroy(err);
  }
}

/** A call made before its connection failed is cancelled by Node: the connection's error is the cause worth telling. */
function transportError(err: Error): Error {
  const { code } = err as NodeJS.ErrnoException;
  return code === 'ERR_HTTP2_STREAM_CANCEL' && err.cause instanceof Error ? err.cause : err;
}

function statusOf(headers: IncomingHttpHeaders): GrpcError | null {
  const code = Number(headers['grpc-status']);
  if (code === GrpcStatus.OK) return null;
  const raw = headers['grpc-message'];
  return new GrpcError(Number.isInteger(code) && code > 0 && code <= 16 ? code : GrpcStatus.UNKNOWN, decodeMessage(typeof raw === 'string' ? raw : ''));
}

/** grpc-message is percent-encoded UTF-8; a malformed one is shown as sent. */
function decodeMessage(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** A stream that closed before its status, by its RST_STREAM code (as grpc-js maps them). */
function closedStatus(rstCode: number | undefined): [GrpcStatus, string] {
  switch (rstCode) {
    case constants.NGHTTP2_REFUSED_STREAM:
      return [GrpcStatus.UNAVAILABLE, 'the server refused the stream'];
    case constants.NGHTTP2_CANCEL:
      return [GrpcStatus.CANCELLED, 'the server cancelled the call'];
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return [GrpcStatus.RESOURCE_EXHAUSTED, 'the server is overloaded (ENHANCE_YOUR_CALM)'];
    case constants.NGHTTP2_INADEQUATE_SECURITY:
      return [GrpcStatus.PERMISSION_DENIED, 'the connection is not secure enough (INADEQUATE_SECURITY)'];
    default:
      return [GrpcStatus.INTERNAL, `the call closed without a status (HTTP/2 code ${rstCode ?? 'none'})`];
  }
}

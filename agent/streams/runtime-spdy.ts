// The runtime's stream server (the URLs CRI Exec, Attach and PortForward
// hand out) over SPDY/3.1, as kubectl reaches it through kubelet: one
// stream per purpose named by its `streamtype` header. Unlike WebSocket v4,
// SPDY can say "stdin ended" (a FIN on the stdin stream) and half-close a
// forwarded connection.
//
// The runtime starts the process once every stream it expects is open,
// writes its Status on the error stream when it ends, then resets all
// streams and closes the connection; what was read before the reset still
// counts.
import { request } from 'node:http';
import { Duplex } from 'node:stream';
import { SpdySession, type SpdyStream } from '../../common/spdy/session.js';
import type { SpdyHeaders } from '../../common/spdy/header-block.js';
import { ERROR, type Frame, type PodStream, RESIZE, STDERR, STDIN, STDOUT } from '../../common/pod-streams.js';
import { refuse } from './stream-request.js';

/** Which of the process's streams the CRI request asked for (the runtime expects exactly these). */
export interface ProcessStreams {
  readonly stdin: boolean;
  readonly stdout: boolean;
  /** Not with a terminal: its output is all on stdout. */
  readonly stderr: boolean;
  readonly tty: boolean;
}

const EXEC_PROTOCOL = 'v4.channel.k8s.io';
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** How long the runtime may take to answer the upgrade. */
const UPGRADE_TIMEOUT_MS = 10_000;
/** The error stream carries one Status or message; more than this is cut. */
const MAX_ERROR_BYTES = 64 * 1024;

/** An exec or attach URL: STDIN (its end closes the process's stdin) and RESIZE in; STDOUT, STDERR, then the final Status on ERROR out. */
export async function execSpdy(url: string, streams: ProcessStreams): Promise<PodStream> {
  const session = await upgrade(url, EXEC_PROTOCOL);
  return opened(session, async (open) => {
    // In kubectl's order, each waiting for its reply.
    const error = await open({ streamtype: 'error' });
    const stdin = streams.stdin ? await open({ streamtype: 'stdin' }) : undefined;
    const stdout = streams.stdout ? await open({ streamtype: 'stdout' }) : undefined;
    const stderr = streams.stderr && !streams.tty ? await open({ streamtype: 'stderr' }) : undefined;
    const resize = streams.tty ? await open({ streamtype: 'resize' }) : undefined;
    const to = new Map<number, SpdyStream>();
    if (stdin !== undefined) to.set(STDIN, stdin);
    if (resize !== undefined) to.set(RESIZE, resize);
    const from = new Map<number, SpdyStream>();
    if (stdout !== undefined) from.set(STDOUT, stdout);
    if (stderr !== undefined) from.set(STDERR, stderr);
    return relay(session, to, from, error);
  });
}

/** A port-forward URL: one connection to `port`; STDIN in (its end half-closes), STDOUT out, a failure as text on ERROR. */
export async function portForwardSpdy(url: string, port: number): Promise<PodStream> {
  const session = await upgrade(url, PORT_FORWARD_PROTOCOL);
  return opened(session, async (open) => {
    const pair = { port: String(port), requestid: '0' };
    const error = await open({ streamtype: 'error', ...pair });
    // Only the runtime writes on it (kubectl closes its side at once too).
    error.end();
    const data = await open({ streamtype: 'data', ...pair });
    return relay(session, new Map([[STDIN, data]]), new Map([[STDOUT, data]]), error);
  });
}

type OpenStream = (headers: SpdyHeaders) => Promise<SpdyStream>;

/** Runs `setup` on the session; if the runtime refuses a stream, the session is dropped and the client told. */
async function opened(session: SpdySession, setup: (open: OpenStream) => Promise<PodStream>): Promise<PodStream> {
  const open: OpenStream = async (headers) => {
    const stream = await session.openStream(headers);
    stream.on('error', () => undefined);
    return stream;
  };
  try {
    return await setup(open);
  } catch (err) {
    session.destroy();
    throw refuse.failed(`the container runtime's stream server refused the streams: ${(err as Error).message}`);
  }
}

/** POSTs the upgrade to SPDY/3.1 and starts a client session on the connection. */
function upgrade(url: string, protocol: string): Promise<SpdySession> {
  return new Promise((resolve, reject) => {
    const failed = (why: string) => reject(refuse.failed(`unable to reach the container runtime's stream server: ${why}`));
    const req = request(url, { method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocol } });
    req.setTimeout(UPGRADE_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${UPGRADE_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => failed(err.message));
    // Not upgraded: the runtime's reason is a short text body.
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1024) body += chunk;
      });
      res.on('end', () => failed(`it answered HTTP ${res.statusCode}: ${body.trim().slice(0, 1024)}`));
    });
    req.on('upgrade', (_res, socket, head) => {
      socket.setTimeout(0);
      socket.setNoDelay(true);
      if (head.length > 0) socket.unshift(head);
      resolve(new SpdySession(socket, { role: 'client' }));
    });
    req.end();
  });
}

/**
 * Frames to and from the streams: each frame on a channel of `to` is
 * written to its stream (an `end` frame ends it: FIN), what `from`'s
 * streams read comes out on their channels, and once all of them and the
 * error stream are done, what the error stream said comes out last on
 * ERROR. A full reader pauses the streams; destroying it drops the session.
 */
function relay(session: SpdySession, to: ReadonlyMap<number, SpdyStream>, from: ReadonlyMap<number, SpdyStream>, error: SpdyStream): PodStream {
  const readers = [...from.values()];
  const said: Buffer[] = [];
  let saidBytes = 0;
  const stream = new Duplex({
    objectMode: true,
    allowHalfOpen: true,
    read() {
      for (const reader of readers) reader.resume();
    },
    write(frame: Frame, _encoding, done) {
      const target = to.get(frame.channel);
      if (target === undefined || target.destroyed || target.writableEnded) return done();
      if (frame.end === true) {
        target.end(frame.data);
        return done();
      }
      // A reset stream's write fails: the process is gone, and the end says so.
      target.write(frame.data, () => done());
    },
    destroy(err, done) {
      session.destroy();
      done(err);
    },
  });
  for (const [channel, reader] of from) {
    reader.on('data', (data: Buffer) => {
      if (!stream.push({ channel, data } satisfies Frame)) for (const r of readers) r.pause();
    });
  }
  error.on('data', (data: Buffer) => {
    if (saidBytes >= MAX_ERROR_BYTES) return;
    said.push(data);
    saidBytes += data.length;
  });
  void Promise.all([error, ...new Set(readers)].map(done)).then(() => {
    if (stream.destroyed) return;
    if (saidBytes > 0) stream.push({ channel: ERROR, data: Buffer.concat(said).subarray(0, MAX_ERROR_BYTES) } satisfies Frame);
    stream.push(null);
    session.close();
  });
  return stream;
}

/** Resolves once nothing more will be read from the stream (its end, or a reset with nothing left). */
function done(stream: SpdyStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
  });
}

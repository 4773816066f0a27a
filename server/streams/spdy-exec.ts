// exec and attach over SPDY/3.1 (kubectl before 1.30, and its fallback
// after): the client opens one stream per purpose, named by its
// `streamtype` header; once all it should open are there, they are wired
// to the node's channels. The Status goes on the error stream, then the
// session ends as kubelet ends it.
import type { Duplex } from 'node:stream';
import { SpdySession, type SpdyStream } from '../../common/spdy/session.js';
import { type ChannelVersion, errorStreamPayload, streamLostStatus, TerminalSizes } from './exec-status.js';
import { pumpFromNode, pumpToNode, toNode, writableSink } from './node-pump.js';
import { ERROR, type Frame, type PodStream, RESIZE, STDERR, STDIN, STDOUT } from '../../common/pod-streams.js';
import type { ProcessOptions } from './stream-options.js';

/** Kubelet's default --streaming-connection... creation timeout for the client's streams. */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

export function serveSpdyExec(socket: Duplex, version: ChannelVersion, opts: ProcessOptions, node: PodStream): void {
  const expected = new Set<StreamType>(['error']);
  if (opts.stdin) expected.add('stdin');
  if (opts.stdout) expected.add('stdout');
  if (opts.stderr) expected.add('stderr');
  if (opts.tty && version >= 3) expected.add('resize');
  const streams = new Map<StreamType, SpdyStream>();
  let started = false;

  const session = new SpdySession(socket, {
    role: 'server',
    onStream: (stream) => {
      const type = stream.headers['streamtype'] as StreamType | undefined;
      if (started || type === undefined || !expected.has(type) || streams.has(type)) return stream.reset();
      stream.reply();
      stream.on('error', () => undefined);
      streams.set(type, stream);
      if (streams.size === expected.size) start();
    },
  });
  const timer = setTimeout(() => session.close(), STREAM_CREATION_TIMEOUT_MS);
  void session.closed.then(() => {
    clearTimeout(timer);
    node.destroy();
  });
  node.on('error', () => undefined);

  function start(): void {
    started = true;
    clearTimeout(timer);
    // It broke while the client was still opening its streams: its events are past, say so now.
    if (node.destroyed) return void finish(streamLostStatus('the stream to the node closed before the client was ready'));
    const stdin = streams.get('stdin');
    if (stdin !== undefined) pumpToNode(stdin, STDIN, node, true);
    const resize = streams.get('resize');
    if (resize !== undefined) {
      const sizes = new TerminalSizes((data) => toNode(node, { channel: RESIZE, data }, resize));
      resize.on('data', (chunk: Buffer) => sizes.push(chunk));
    }
    // The client never writes on these; reading lets their end through.
    for (const type of ['error', 'stdout', 'stderr'] as const) streams.get(type)?.resume();
    const stdout = streams.get('stdout');
    const stderr = streams.get('stderr');
    const sinks = { [STDOUT]: stdout && writableSink(stdout), [STDERR]: stderr && writableSink(stderr) };
    let status: Buffer | undefined;
    pumpFromNode(node, (frame: Frame) => {
      if (frame.channel === ERROR) {
        status = Buffer.concat([status ?? Buffer.alloc(0), frame.data]);
        return undefined;
      }
      return frame.channel === STDOUT || frame.channel === STDERR ? sinks[frame.channel] : undefined;
    });
    node.once('end', () => void finish(status ?? streamLostStatus('no status from the node')));
    node.once('error', (err: Error) => void finish(status ?? streamLostStatus(err.message)));
  }

  let finishing = false;
  async function finish(status: Buffer): Promise<void> {
    if (finishing) return;
    finishing = true;
    const error = streams.get('error')!;
    const payload = errorStreamPayload(status, version);
    if (payload.length > 0 && !error.destroyed) error.write(payload);
    const ours = (['stdout', 'stderr', 'error'] as const).map((t) => streams.get(t)).filter((s): s is SpdyStream => s !== undefined);
    await Promise.all(ours.map((s) => ended(s)));
    session.close();
  }
}

/** Ends a stream and resolves once its FIN is written (or it is gone). */
function ended(stream: SpdyStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableFinished) return resolve();
    stream.once('finish', () => resolve());
    stream.once('close', () => resolve());
    stream.end();
  });
}

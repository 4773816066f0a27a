// The agent's end of one pod stream: it calls Tunnel (naming the server's
// session), opens the stream on this node, says whether that worked, then
// relays frames both ways. Each side waits for the other: a full gRPC
// buffer pauses the node's stream, and a node stream that cannot take more
// pauses the call. The server ending the call cancels the node's stream.
import type { OpenStream, TunnelFrame } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import type { GrpcCall } from '../grpc/channel.js';
import { writeFrames } from '../../common/tunnel-frames.js';
import { ERROR, type Frame, type PodStream, type PodStreamRequest } from '../../common/pod-streams.js';
import { fromWireRequest, StreamRefusal } from './stream-request.js';

export type TunnelCallStream = GrpcCall<Partial<TunnelFrame>, TunnelFrame>;

/** Opens a stream on this node, or rejects (with a StreamRefusal to say why to the client). */
export type OpenNodeStream = (request: PodStreamRequest) => Promise<PodStream>;

export async function serveTunnel(open: OpenStream, call: TunnelCallStream, openNodeStream: OpenNodeStream, log: Logger): Promise<void> {
  call.on('error', () => undefined);
  call.write({ sessionId: open.sessionId });
  let stream: PodStream;
  let request: PodStreamRequest | undefined;
  try {
    request = fromWireRequest(open.request);
    stream = await openNodeStream(request);
  } catch (err) {
    const failure = err instanceof StreamRefusal ? { code: err.code, reason: err.reason, message: err.message } : { code: 500, reason: 'InternalError', message: (err as Error).message };
    if (!(err instanceof StreamRefusal)) log.warn('pod stream failed to open', { kind: open.request.kind, pod: `${open.request.namespace}/${open.request.name}`, error: err });
    call.end({ failure });
    return;
  }
  call.write({ opened: true });
  const kind = request.kind;
  const what = { kind, pod: `${request.pod.namespace}/${request.pod.name}` };
  log.debug('pod stream opened', what);
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stream.destroy();
      resolve();
    };
    call.on('data', (frame: TunnelFrame) => {
      const out: Frame = frame.end ? { channel: frame.channel, data: frame.data, end: true } : { channel: frame.channel, data: frame.data };
      if (!stream.write(out)) {
        call.pause();
        stream.once('drain', () => call.resume());
      }
    });
    // The server ended its side (the client went away) or the call broke: the node's stream stops.
    call.on('end', finish);
    call.on('close', finish);
    call.on('error', finish);
    stream.on('data', (frame: Frame) => {
      stream.pause();
      writeFrames(call, frame.channel, frame.data, frame.end === true, () => stream.resume());
    });
    stream.on('end', () => {
      call.end();
      finish();
    });
    stream.on('error', (err: Error) => {
      log.debug('pod stream failed', { ...what, error: err.message });
      writeFrames(call, ERROR, Buffer.from(finalError(kind, err.message)), true, () => undefined);
      call.end();
      finish();
    });
  });
}

/** What the ERROR channel says when the node's stream breaks: a Status for exec and attach, the text otherwise. */
function finalError(kind: PodStreamRequest['kind'], message: string): string {
  if (kind !== 'exec' && kind !== 'attach') return message;
  return JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 });
}

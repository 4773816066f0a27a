// The runtime's stream server (the URL CRI Exec, Attach and PortForward hand
// out) over WebSocket, v4.channel.k8s.io: byte 0 of each message is the
// channel. Exec and attach use the channels as they are (0 stdin, 1 stdout,
// 2 stderr, 3 the final Status JSON, 4 resize); port-forward has data on 0
// and errors on 1, each channel's first message starting with the port.
// v4 cannot say "stdin ended": a STDIN end frame closes nothing here.
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { ERROR, type Frame, type PodStream, RESIZE, STDIN, STDOUT } from '../../server/streams/pod-streams.js';
import { refuse } from './stream-request.js';

const PROTOCOL = 'v4.channel.k8s.io';

/** A stream to an exec or attach URL. */
export function execWebSocket(url: string): Promise<PodStream> {
  return connect(url, (message) => ({ channel: message[0]!, data: message.subarray(1) }), (frame) => frame.channel === STDIN || frame.channel === RESIZE ? frame.channel : undefined);
}

/** A stream to a port-forward URL: one connection to `port`, data on STDIN/STDOUT, a failure on ERROR. */
export function portForwardWebSocket(url: string, port: number): Promise<PodStream> {
  const seen = new Set<number>();
  const withPort = new URL(url);
  withPort.searchParams.set('ports', String(port));
  return connect(
    withPort.toString(),
    (message) => {
      const channel = message[0]!;
      let data = message.subarray(1);
      // The first message of each channel is the port (uint16, little-endian).
      if (!seen.has(channel)) {
        seen.add(channel);
        data = data.subarray(2);
        if (data.length === 0) return undefined;
      }
      return { channel: channel === 0 ? STDOUT : ERROR, data };
    },
    (frame) => (frame.channel === STDIN ? 0 : undefined),
  );
}

function connect(url: string, incoming: (message: Buffer) => Frame | undefined, outgoing: (frame: Frame) => number | undefined): Promise<PodStream> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [PROTOCOL]);
    const failed = (err: Error) => reject(refuse.failed(`unable to reach the container runtime's stream server: ${err.message}`));
    ws.once('error', failed);
    ws.once('unexpected-response', (_req: unknown, res: { statusCode?: number }) => failed(new Error(`it answered HTTP ${res.statusCode}`)));
    ws.once('open', () => {
      ws.off('error', failed);
      const stream = new Duplex({
        objectMode: true,
        allowHalfOpen: true,
        read() {
          ws.resume();
        },
        write(frame: Frame, _encoding, done) {
          const channel = outgoing(frame);
          if (channel === undefined || (frame.data.length === 0 && frame.end === true)) return done();
          ws.send(Buffer.concat([Buffer.from([channel]), frame.data]), (err) => done(err));
        },
        destroy(err, done) {
          ws.close(1000);
          done(err);
        },
      });
      ws.on('message', (message: Buffer) => {
        const frame = incoming(message);
        if (frame !== undefined && !stream.push(frame)) ws.pause();
      });
      ws.on('close', () => stream.push(null));
      ws.on('error', (err: Error) => stream.destroy(err));
      resolve(stream);
    });
  });
}

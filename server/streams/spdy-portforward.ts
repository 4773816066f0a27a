// port-forward over SPDY/3.1 (kubectl, directly or inside a WebSocket from
// 1.31): every local connection is a pair of streams with the same
// `requestid`, an error stream and a data stream naming the `port`. Each
// pair becomes one stream to the node; the session lives as long as the
// client keeps it.
import type { Duplex } from 'node:stream';
import { SpdySession, type SpdyStream } from '../../common/spdy/session.js';
import type { Logger } from '../../common/log.js';
import { ApiError } from '../api/status.js';
import { pumpFromNode, pumpToNode, writableSink } from './node-pump.js';
import { ERROR, type Frame, NodeStreamError, type PodRef, type PodStream, type PodStreams, STDIN, STDOUT } from '../../common/pod-streams.js';

/** How long the second stream of a pair may keep the first waiting (kubelet's stream creation timeout). */
const PAIR_TIMEOUT_MS = 30_000;

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

export function serveSpdyPortForward(socket: Duplex, pod: PodRef, podStreams: PodStreams, log: Logger): SpdySession {
  const pairs = new Map<string, Pair>();
  const session = new SpdySession(socket, {
    role: 'server',
    onStream: (stream) => {
      const type = stream.headers['streamtype'];
      if (type !== 'error' && type !== 'data') return stream.reset();
      stream.reply();
      stream.on('error', () => undefined);
      // Clients before requestid paired streams by id: the data stream is the error stream's id + 2.
      const id = stream.headers['requestid'] ?? String(type === 'error' ? stream.id : stream.id - 2);
      let pair = pairs.get(id);
      if (pair === undefined) {
        const timer = setTimeout(() => {
          pairs.delete(id);
          pair?.error?.reset();
          pair?.data?.reset();
        }, PAIR_TIMEOUT_MS);
        pair = { timer };
        pairs.set(id, pair);
      }
      if (pair[type] !== undefined) return stream.reset();
      pair[type] = stream;
      if (pair.error !== undefined && pair.data !== undefined) {
        clearTimeout(pair.timer);
        pairs.delete(id);
        void forward(pair.error, pair.data);
      }
    },
  });
  void session.closed.then(() => {
    for (const pair of pairs.values()) clearTimeout(pair.timer);
    pairs.clear();
  });

  async function forward(error: SpdyStream, data: SpdyStream): Promise<void> {
    // The client writes nothing on the error stream: reading lets its end through.
    error.resume();
    const fail = (message: string) => {
      error.end(message);
      data.end();
    };
    const portText = data.headers['port'] ?? '';
    const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) return fail(`unable to parse "${portText}" as a port: not a port number between 1 and 65535`);
    let node: PodStream;
    try {
      node = await podStreams.open({ kind: 'portforward', pod, port });
    } catch (err) {
      log.debug('port-forward refused', { pod: `${pod.namespace}/${pod.name}`, port, error: err });
      return fail(err instanceof ApiError || err instanceof NodeStreamError ? err.message : `error forwarding port ${port} to pod ${pod.uid}: ${String(err)}`);
    }
    if (data.destroyed) return void node.destroy();
    node.on('error', () => undefined);
    data.once('close', () => node.destroy());
    pumpToNode(data, STDIN, node, true);
    const sinks = { [STDOUT]: writableSink(data), [ERROR]: writableSink(error) };
    pumpFromNode(node, (frame: Frame) => (frame.channel === STDOUT || frame.channel === ERROR ? sinks[frame.channel] : undefined));
    node.once('end', () => {
      data.end();
      error.end();
    });
    node.once('error', (err: Error) => {
      if (!error.destroyed) error.end(`error forwarding port ${port} to pod ${pod.uid}: ${err.message}`);
      data.end();
    });
  }

  return session;
}

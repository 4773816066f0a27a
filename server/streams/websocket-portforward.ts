// port-forward over a v4.channel.k8s.io WebSocket, as @kubernetes/client-node
// speaks it: `?ports=` names the ports, port i has data on channel 2i and
// errors on channel 2i+1, and the first message on each channel is its port
// (uint16, little-endian). One connection to the node per port; the
// WebSocket closes when all of them have ended.
import type { WebSocket } from 'ws';
import type { Logger } from '../../common/log.js';
import { ApiError, errors } from '../api/status.js';
import { pumpFromNode, toNode } from './node-pump.js';
import { ERROR, type Frame, NodeStreamError, type PodRef, type PodStream, type PodStreams, STDIN, STDOUT } from '../../common/pod-streams.js';
import { ChannelSender } from './websocket-channels.js';

export const PORT_FORWARD_WEBSOCKET_PROTOCOLS = ['v4.channel.k8s.io'];

/** The ports of `?ports=80,8080` (repeatable), checked as kubelet checks them. */
export function forwardedPorts(query: URLSearchParams): number[] {
  const texts = query.getAll('ports');
  if (texts.length === 0) throw errors.badRequest('query parameter "port" is required');
  const ports: number[] = [];
  for (const text of texts) {
    if (text === '') throw errors.badRequest('query parameter "port" cannot be empty');
    for (const p of text.split(',')) {
      const port = /^\d+$/.test(p) ? Number(p) : NaN;
      if (!(port <= 65535)) throw errors.badRequest(`unable to parse "${text}" as a port`);
      if (port < 1) throw errors.badRequest(`port "${text}" must be > 0`);
      ports.push(port);
    }
  }
  return ports;
}

export function serveWebSocketPortForward(ws: WebSocket, pod: PodRef, ports: readonly number[], podStreams: PodStreams, log: Logger): void {
  const sender = new ChannelSender(ws);
  const nodes: (PodStream | undefined)[] = ports.map(() => undefined);
  let running = ports.length;
  ws.on('error', () => undefined);
  ws.on('close', () => nodes.forEach((n) => n?.destroy()));
  ws.on('message', (message: Buffer) => {
    const channel = message[0];
    if (channel === undefined || channel % 2 !== 0) return;
    const node = nodes[channel / 2];
    if (node !== undefined && message.length > 1) toNode(node, { channel: STDIN, data: message.subarray(1) }, ws);
  });
  const done = () => {
    if (--running === 0) ws.close(1000);
  };
  ports.forEach((port, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port);
    sender.send(2 * i, portBytes);
    sender.send(2 * i + 1, portBytes);
    podStreams.open({ kind: 'portforward', pod, port }).then(
      (node) => {
        if (ws.readyState !== 1) return void node.destroy();
        nodes[i] = node;
        node.on('error', (err: Error) => {
          sender.send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${pod.uid}: ${err.message}`));
          done();
        });
        const sinks = { [STDOUT]: sender.channel(2 * i), [ERROR]: sender.channel(2 * i + 1) };
        pumpFromNode(node, (frame: Frame) => (frame.channel === STDOUT || frame.channel === ERROR ? sinks[frame.channel] : undefined));
        node.once('end', done);
      },
      (err: unknown) => {
        log.debug('port-forward refused', { pod: `${pod.namespace}/${pod.name}`, port, error: err });
        const message = err instanceof ApiError || err instanceof NodeStreamError ? err.message : String(err);
        sender.send(2 * i + 1, Buffer.from(message));
        done();
      },
    );
  });
}

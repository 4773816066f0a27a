// exec and attach over a *.channel.k8s.io WebSocket (kubectl 1.30+ and
// @kubernetes/client-node): channel 0 stdin, 1 stdout, 2 stderr, 3 the
// final Status, 4 terminal sizes; in v5 the client's [255, channel] closes
// that channel (stdin's end, which `kubectl cp` waits on).
import type { WebSocket } from 'ws';
import { type ChannelVersion, errorStreamPayload, streamLostStatus, TerminalSizes } from './exec-status.js';
import { pumpFromNode, toNode } from './node-pump.js';
import { ERROR, type Frame, type PodStream, RESIZE, STDERR, STDIN, STDOUT } from '../../common/pod-streams.js';
import type { ProcessOptions } from './stream-options.js';
import { ChannelSender } from './websocket-channels.js';

/** The protocols served, best first, with their versions. */
export const CHANNEL_PROTOCOLS: Readonly<Record<string, ChannelVersion>> = {
  'v5.channel.k8s.io': 5,
  'v4.channel.k8s.io': 4,
  'v3.channel.k8s.io': 3,
  'v2.channel.k8s.io': 2,
  'channel.k8s.io': 1,
};

const CLOSE_CHANNEL = 255;

export function serveWebSocketExec(ws: WebSocket, version: ChannelVersion, opts: ProcessOptions, node: PodStream): void {
  const sender = new ChannelSender(ws);
  node.on('error', () => undefined);
  let stdinOpen = opts.stdin;
  const sizes = new TerminalSizes((data) => toNode(node, { channel: RESIZE, data }, ws));
  ws.on('message', (message: Buffer) => {
    if (message.length === 0) return;
    const channel = message[0]!;
    if (version >= 5 && channel === CLOSE_CHANNEL) {
      if (message.length === 2 && message[1] === STDIN && stdinOpen) {
        stdinOpen = false;
        toNode(node, { channel: STDIN, data: Buffer.alloc(0), end: true }, ws);
      }
      return;
    }
    const data = message.subarray(1);
    if (channel === STDIN && stdinOpen && data.length > 0) toNode(node, { channel: STDIN, data }, ws);
    else if (channel === RESIZE && opts.tty && version >= 3) sizes.push(data);
  });
  ws.on('close', () => node.destroy());
  ws.on('error', () => undefined);

  // As kubelet: an empty message on the first channel the client reads tells it the stream is up.
  sender.send(opts.stdout ? STDOUT : opts.stderr ? STDERR : ERROR, Buffer.alloc(0));
  let status: Buffer | undefined;
  const sinks = { [STDOUT]: sender.channel(STDOUT), [STDERR]: sender.channel(opts.tty ? STDOUT : STDERR) };
  pumpFromNode(node, (frame: Frame) => {
    if (frame.channel === ERROR) {
      status = Buffer.concat([status ?? Buffer.alloc(0), frame.data]);
      return undefined;
    }
    return frame.channel === STDOUT || frame.channel === STDERR ? sinks[frame.channel] : undefined;
  });
  const finish = (why: string) => {
    const payload = errorStreamPayload(status ?? streamLostStatus(why), version);
    if (payload.length > 0) sender.send(ERROR, payload);
    ws.close(1000);
  };
  node.once('end', () => finish('no status from the node'));
  node.once('error', (err: Error) => finish(err.message));
}

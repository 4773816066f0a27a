// The channel framing of *.channel.k8s.io WebSockets: every binary message
// starts with its channel number. Sending says when the connection is full
// (more than HIGH_WATER bytes not yet on the wire), so the node's stream
// can wait instead of piling up here.
import type { WebSocket } from 'ws';
import type { Sink } from './node-pump.js';

const HIGH_WATER = 256 * 1024;

export class ChannelSender {
  private waiters: (() => void)[] = [];

  constructor(private readonly ws: WebSocket) {
    ws.on('close', () => this.wake());
  }

  send(channel: number, data: Buffer): boolean {
    if (this.ws.readyState !== 1) return true;
    this.ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true }, () => {
      if (this.ws.bufferedAmount < HIGH_WATER) this.wake();
    });
    return this.ws.bufferedAmount < HIGH_WATER;
  }

  /** A Sink for one channel. */
  channel(channel: number): Sink {
    return { write: (data) => this.send(channel, data), onceDrained: (resume) => this.waiters.push(resume) };
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resume of waiters) resume();
  }
}

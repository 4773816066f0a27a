// Moving bytes between a client's streams and the node's frames, with
// backpressure both ways: a full side pauses the other, so a slow kubectl
// slows the node's stream instead of having it buffered here.
import type { Readable, Writable } from 'node:stream';
import type { Frame, PodStream } from '../../common/pod-streams.js';

/** A client-side sink that says when it is full and when it has room again. */
export interface Sink {
  write(data: Buffer): boolean;
  onceDrained(resume: () => void): void;
}

/** Sends what `source` reads to the node as frames on `channel`; its end closes that channel on the node when `endFrame`. */
export function pumpToNode(source: Readable, channel: number, node: PodStream, endFrame: boolean): void {
  source.on('data', (data: Buffer) => {
    if (node.destroyed || data.length === 0) return;
    if (!node.write({ channel, data } satisfies Frame)) {
      source.pause();
      node.once('drain', () => source.resume());
    }
  });
  source.on('end', () => {
    if (endFrame && !node.destroyed && node.writable) node.write({ channel, data: Buffer.alloc(0), end: true } satisfies Frame);
  });
}

/** Writes one message to the node; pauses `pause` (the client side) until the node has room. */
export function toNode(node: PodStream, frame: Frame, pause: { pause(): void; resume(): void }): void {
  if (node.destroyed || !node.writable) return;
  if (!node.write(frame)) {
    pause.pause();
    node.once('drain', () => pause.resume());
  }
}

/** Hands every frame from the node to `deliver`; while the sink it went to is full, the node's stream waits. */
export function pumpFromNode(node: PodStream, deliver: (frame: Frame) => Sink | undefined): void {
  node.on('data', (frame: Frame) => {
    const sink = deliver(frame);
    if (sink === undefined || frame.data.length === 0) return;
    if (!sink.write(frame.data)) {
      node.pause();
      sink.onceDrained(() => node.resume());
    }
  });
}

/** A Writable (a SPDY stream, an HTTP response) as a Sink. */
export function writableSink(target: Writable): Sink {
  return {
    write: (data) => (target.destroyed ? true : target.write(data)),
    onceDrained: (resume) => {
      const done = () => {
        target.off('drain', done);
        target.off('close', done);
        resume();
      };
      target.on('drain', done);
      target.on('close', done);
    },
  };
}

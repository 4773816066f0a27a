// A node stream that only sends: bytes pulled from a source as the reader
// wants them (one piece at a time, so a slow client slows the source), sent
// on one channel; what the client writes is ignored; destroying it aborts the source.
import { Duplex } from 'node:stream';
import type { Frame, PodStream } from '../../common/pod-streams.js';

export function readOnlyStream(channel: number, source: (signal: AbortSignal) => AsyncIterable<Buffer>): PodStream {
  const abort = new AbortController();
  const pieces = source(abort.signal)[Symbol.asyncIterator]();
  return new Duplex({
    objectMode: true,
    allowHalfOpen: true,
    read() {
      pieces.next().then(
        (next) => {
          if (next.done) this.push(null);
          else this.push({ channel, data: next.value } satisfies Frame);
        },
        (err: Error) => this.destroy(err),
      );
    },
    write(_frame: Frame, _encoding, done) {
      done();
    },
    destroy(err, done) {
      abort.abort();
      void pieces.return?.(undefined)?.catch(() => undefined);
      done(err);
    },
  });
}

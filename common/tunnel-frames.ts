// Writing a pod stream's bytes as TunnelFrames (both sides of a Tunnel call):
// small frames, and the caller's next write waits while gRPC's buffer is full,
// so a slow reader slows the writer instead of filling memory.
import type { Writable } from 'node:stream';
import { type TunnelFrame, TUNNEL_FRAME_BYTES } from './agent-protocol.js';

/** Writes `data` on `channel` in frames of at most 32 KiB; `done` when the call can take more. */
export function writeFrames(call: Writable, channel: number, data: Buffer, end: boolean, done: (err?: Error | null) => void): void {
  if (call.destroyed || call.writableEnded) return done();
  let room = true;
  let at = 0;
  do {
    const piece = data.subarray(at, at + TUNNEL_FRAME_BYTES);
    at += piece.length;
    const frame: Partial<TunnelFrame> = { channel, data: piece, end: end && at >= data.length };
    room = call.write(frame);
  } while (at < data.length);
  if (room) done();
  else call.once('drain', () => done());
}

// The end of an exec or attach as each protocol version reports it, and
// the terminal sizes clients send, read one at a time.
import type { Status } from '../api/status.js';

export type ChannelVersion = 1 | 2 | 3 | 4 | 5;

/**
 * What goes on the error stream or channel for the node's final Status:
 * v4 and later carry the Status JSON (kubectl reads the exit code from its
 * causes); earlier versions carry only a failure's message.
 */
export function errorStreamPayload(statusJson: Buffer, version: ChannelVersion): Buffer {
  if (version >= 4) return statusJson;
  const status = parseStatus(statusJson);
  return status?.status === 'Success' ? Buffer.alloc(0) : Buffer.from(status?.message ?? statusJson.toString('utf8'));
}

/** The Status when the node's stream ended (or failed) without one. */
export function streamLostStatus(why: string): Buffer {
  return Buffer.from(JSON.stringify({ metadata: {}, status: 'Failure', message: `error: the stream to the node ended without an exit status: ${why}`, reason: 'InternalError', code: 500 }));
}

function parseStatus(json: Buffer): Partial<Status> | undefined {
  try {
    const value = JSON.parse(json.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as Partial<Status>) : undefined;
  } catch {
    return undefined;
  }
}

/** Longest size message kept while waiting for its end: a size is ~30 bytes, anything longer is dropped. */
const MAX_SIZE_MESSAGE = 1024;

/**
 * Terminal sizes as kubectl writes them on the resize stream: JSON objects
 * one after another ({"Width":80,"Height":24}). Each complete one is handed
 * on in the node's form; malformed ones are skipped.
 */
export class TerminalSizes {
  private pending = '';

  constructor(private readonly onSize: (json: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending += chunk.toString('utf8');
    let end: number;
    while ((end = this.pending.indexOf('}')) >= 0) {
      const text = this.pending.slice(0, end + 1).trim();
      this.pending = this.pending.slice(end + 1);
      const size = parseSize(text);
      if (size !== undefined) this.onSize(Buffer.from(JSON.stringify(size)));
    }
    if (this.pending.length > MAX_SIZE_MESSAGE) this.pending = '';
  }
}

function parseSize(text: string): { Width: number; Height: number } | undefined {
  try {
    const value = JSON.parse(text) as { Width?: unknown; Height?: unknown };
    const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff;
    return ok(value.Width) && ok(value.Height) ? { Width: value.Width, Height: value.Height } : undefined;
  } catch {
    return undefined;
  }
}

// SPDY/3.1 frames on the wire: encoders for each frame a session sends, and
// an incremental parser for what arrives. Control frames: a set high bit,
// version 3, a 16-bit type, 8-bit flags and a 24-bit length; data frames: a
// 31-bit stream id, flags and length. Header blocks stay compressed here
// (header-block.ts inflates them in session order).

export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
const SETTINGS_CLEAR = 0x01;

export const TYPE = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;

/** RST_STREAM status codes. */
export const RST = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  unsupportedVersion: 4,
  cancel: 5,
  internalError: 6,
  flowControlError: 7,
  streamInUse: 8,
  streamAlreadyClosed: 9,
  frameTooLarge: 11,
} as const;

/** GOAWAY status codes. */
export const GOAWAY = { ok: 0, protocolError: 1, internalError: 2 } as const;

export const SETTINGS_INITIAL_WINDOW_SIZE = 7;

export interface SettingsEntry {
  readonly flags: number;
  readonly id: number;
  readonly value: number;
}

export type SpdyFrame =
  | { readonly type: 'data'; readonly streamId: number; readonly fin: boolean; readonly data: Buffer }
  | {
      readonly type: 'syn_stream';
      readonly streamId: number;
      readonly associatedId: number;
      readonly priority: number;
      readonly fin: boolean;
      readonly unidirectional: boolean;
      readonly headerBlock: Buffer;
    }
  | { readonly type: 'syn_reply'; readonly streamId: number; readonly fin: boolean; readonly headerBlock: Buffer }
  | { readonly type: 'rst_stream'; readonly streamId: number; readonly status: number }
  | { readonly type: 'settings'; readonly clear: boolean; readonly entries: readonly SettingsEntry[] }
  | { readonly type: 'ping'; readonly id: number }
  | { readonly type: 'goaway'; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly type: 'headers'; readonly streamId: number; readonly fin: boolean; readonly headerBlock: Buffer }
  | { readonly type: 'window_update'; readonly streamId: number; readonly delta: number }
  /** A control frame type this version does not know: the spec says to ignore it. */
  | { readonly type: 'unknown'; readonly controlType: number };

const HEADER = 8;
const MAX_LENGTH = 0xffffff;
const STREAM_ID = 0x7fffffff;

export function encodeData(streamId: number, data: Buffer, fin: boolean): Buffer {
  if (data.length > MAX_LENGTH) throw new RangeError(`a data frame holds at most ${MAX_LENGTH} bytes`);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(streamId & STREAM_ID, 0);
  head.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.length, 4);
  return data.length === 0 ? head : Buffer.concat([head, data]);
}

export function encodeSynStream(streamId: number, headerBlock: Buffer, opts: { fin?: boolean; unidirectional?: boolean; associatedId?: number; priority?: number } = {}): Buffer {
  const body = Buffer.alloc(10);
  body.writeUInt32BE(streamId & STREAM_ID, 0);
  body.writeUInt32BE((opts.associatedId ?? 0) & STREAM_ID, 4);
  body[8] = ((opts.priority ?? 0) & 0x7) << 5;
  return control(TYPE.synStream, (opts.fin ? FLAG_FIN : 0) | (opts.unidirectional ? FLAG_UNIDIRECTIONAL : 0), Buffer.concat([body, headerBlock]));
}

export function encodeSynReply(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  return control(TYPE.synReply, fin ? FLAG_FIN : 0, Buffer.concat([u32(streamId & STREAM_ID), headerBlock]));
}

export function encodeHeaders(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  return control(TYPE.headers, fin ? FLAG_FIN : 0, Buffer.concat([u32(streamId & STREAM_ID), headerBlock]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  return control(TYPE.rstStream, 0, Buffer.concat([u32(streamId & STREAM_ID), u32(status)]));
}

export function encodeSettings(entries: readonly SettingsEntry[], clear = false): Buffer {
  const body = Buffer.alloc(4 + entries.length * 8);
  body.writeUInt32BE(entries.length, 0);
  entries.forEach((e, i) => {
    body.writeUInt32BE(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 4 + i * 8);
    body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
  });
  return control(TYPE.settings, clear ? SETTINGS_CLEAR : 0, body);
}

export function encodePing(id: number): Buffer {
  return control(TYPE.ping, 0, u32(id >>> 0));
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  return control(TYPE.goAway, 0, Buffer.concat([u32(lastGoodStreamId & STREAM_ID), u32(status)]));
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  return control(TYPE.windowUpdate, 0, Buffer.concat([u32(streamId & STREAM_ID), u32(delta & STREAM_ID)]));
}

/**
 * Splits bytes into frames as they arrive. A frame longer than `maxFrameLength`
 * is a protocol error rather than a buffer that grows with whatever the peer claims.
 */
export class FrameParser {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  constructor(private readonly maxFrameLength: number) {}

  /** The frames completed by `chunk`, in order; throws SpdyProtocolError on a malformed one. */
  push(chunk: Buffer): SpdyFrame[] {
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
    }
    const frames: SpdyFrame[] = [];
    while (this.pendingLength >= HEADER) {
      const head = this.peek(HEADER);
      const length = head.readUInt32BE(4) & MAX_LENGTH;
      if (length > this.maxFrameLength) throw new SpdyProtocolError(`a frame of ${length} bytes, more than the ${this.maxFrameLength} allowed`);
      if (this.pendingLength < HEADER + length) break;
      const frame = this.take(HEADER + length);
      frames.push(parseFrame(frame.subarray(0, HEADER), frame.subarray(HEADER)));
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.pending[0]!.length < n) this.pending = [Buffer.concat(this.pending)];
    return this.pending[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.peek(n);
    const whole = this.pending[0]!;
    if (whole.length === n) this.pending.shift();
    else this.pending[0] = whole.subarray(n);
    this.pendingLength -= n;
    return first;
  }
}

function parseFrame(head: Buffer, body: Buffer): SpdyFrame {
  const flags = head[4]!;
  if ((head[0]! & 0x80) === 0) {
    const streamId = head.readUInt32BE(0) & STREAM_ID;
    if (streamId === 0) throw new SpdyProtocolError('a data frame on stream 0');
    return { type: 'data', streamId, fin: (flags & FLAG_FIN) !== 0, data: body };
  }
  const version = head.readUInt16BE(0) & 0x7fff;
  if (version !== 3) throw new SpdyProtocolError(`SPDY version ${version}; only 3 is spoken`);
  const type = head.readUInt16BE(2);
  const need = (n: number, what: string) => {
    if (body.length < n) throw new SpdyProtocolError(`${what} frame of ${body.length} bytes is too short`);
  };
  switch (type) {
    case TYPE.synStream:
      need(10, 'SYN_STREAM');
      return {
        type: 'syn_stream',
        streamId: nonZero(body.readUInt32BE(0) & STREAM_ID, 'SYN_STREAM'),
        associatedId: body.readUInt32BE(4) & STREAM_ID,
        priority: body[8]! >> 5,
        fin: (flags & FLAG_FIN) !== 0,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: body.subarray(10),
      };
    case TYPE.synReply:
      need(4, 'SYN_REPLY');
      return { type: 'syn_reply', streamId: nonZero(body.readUInt32BE(0) & STREAM_ID, 'SYN_REPLY'), fin: (flags & FLAG_FIN) !== 0, headerBlock: body.subarray(4) };
    case TYPE.headers:
      need(4, 'HEADERS');
      return { type: 'headers', streamId: nonZero(body.readUInt32BE(0) & STREAM_ID, 'HEADERS'), fin: (flags & FLAG_FIN) !== 0, headerBlock: body.subarray(4) };
    case TYPE.rstStream:
      exact(body, 8, 'RST_STREAM');
      return { type: 'rst_stream', streamId: nonZero(body.readUInt32BE(0) & STREAM_ID, 'RST_STREAM'), status: body.readUInt32BE(4) };
    case TYPE.settings: {
      need(4, 'SETTINGS');
      const count = body.readUInt32BE(0);
      if (body.length !== 4 + count * 8) throw new SpdyProtocolError(`SETTINGS frame of ${body.length} bytes for ${count} entries`);
      const entries: SettingsEntry[] = [];
      for (let i = 0; i < count; i++) {
        const word = body.readUInt32BE(4 + i * 8);
        entries.push({ flags: word >>> 24, id: word & 0xffffff, value: body.readUInt32BE(8 + i * 8) });
      }
      return { type: 'settings', clear: (flags & SETTINGS_CLEAR) !== 0, entries };
    }
    case TYPE.ping:
      exact(body, 4, 'PING');
      return { type: 'ping', id: body.readUInt32BE(0) };
    case TYPE.goAway:
      exact(body, 8, 'GOAWAY');
      return { type: 'goaway', lastGoodStreamId: body.readUInt32BE(0) & STREAM_ID, status: body.readUInt32BE(4) };
    case TYPE.windowUpdate:
      exact(body, 8, 'WINDOW_UPDATE');
      return { type: 'window_update', streamId: body.readUInt32BE(0) & STREAM_ID, delta: body.readUInt32BE(4) & STREAM_ID };
    default:
      return { type: 'unknown', controlType: type };
  }
}

function control(type: number, flags: number, body: Buffer): Buffer {
  if (body.length > MAX_LENGTH) throw new RangeError(`a control frame holds at most ${MAX_LENGTH} bytes`);
  const head = Buffer.alloc(HEADER);
  head.writeUInt16BE(0x8000 | 3, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags << 24) | body.length) >>> 0, 4);
  return Buffer.concat([head, body]);
}

function exact(body: Buffer, n: number, what: string): void {
  if (body.length !== n) throw new SpdyProtocolError(`${what} frame of ${body.length} bytes, not ${n}`);
}

function nonZero(streamId: number, what: string): number {
  if (streamId === 0) throw new SpdyProtocolError(`${what} on stream 0`);
  return streamId;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

// SPDY/3 header blocks: name/value pairs (32-bit lengths, lower-case names,
// several values of one name joined by NUL), compressed with one zlib
// context per direction for the whole session, primed with the SPDY/3
// dictionary and flushed after every block.
import { constants, createInflate, deflateRawSync, type Inflate } from 'node:zlib';
import { HEADER_DICTIONARY } from './header-dictionary.js';
import { SpdyProtocolError } from './frames.js';

/** Lower-case names; a name with several values has them joined by "\0". */
export type SpdyHeaders = Readonly<Record<string, string>>;

/** A header block may not grow past this once inflated (a zlib bomb is refused, not buffered). */
const MAX_HEADER_BLOCK = 64 * 1024;

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    if (name === '' || name !== name.toLowerCase()) throw new RangeError(`SPDY header names are lower case and not empty: ${JSON.stringify(name)}`);
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let at = 0;
  const take = (what: string): Buffer => {
    if (at + 4 > block.length) throw new SpdyProtocolError(`header block ends inside the length of ${what}`);
    const length = block.readUInt32BE(at);
    at += 4;
    if (at + length > block.length) throw new SpdyProtocolError(`header block ends inside ${what}`);
    const bytes = block.subarray(at, at + length);
    at += length;
    return bytes;
  };
  if (block.length < 4) throw new SpdyProtocolError('header block too short');
  const count = block.readUInt32BE(0);
  at = 4;
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < count; i++) {
    const name = take('a header name').toString('utf8');
    const value = take('a header value').toString('utf8');
    if (name === '' || name !== name.toLowerCase()) throw new SpdyProtocolError(`header name ${JSON.stringify(name)} is not lower case`);
    if (Object.hasOwn(headers, name)) throw new SpdyProtocolError(`header ${name} appears twice`);
    headers[name] = value;
  }
  if (at !== block.length) throw new SpdyProtocolError('header block has bytes after its last header');
  return { ...headers };
}

/**
 * Compresses header blocks for one direction of a session. Each block is
 * deflated on its own (no back-references into earlier blocks or the
 * dictionary) and sync-flushed, as one continuous zlib stream: every
 * inflater reads it in the shared context like any other, and it can be
 * written synchronously, so frames go out in order.
 */
export class HeaderCompressor {
  private started = false;

  compress(headers: SpdyHeaders): Buffer {
    const block = deflateRawSync(encodeHeaderBlock(headers), { finishFlush: constants.Z_SYNC_FLUSH });
    if (this.started) return block;
    this.started = true;
    return Buffer.concat([zlibHeaderWithDictionary(), block]);
  }
}

/** Inflates the header blocks of one direction of a session, in order (callers await each before the next). */
export class HeaderDecompressor {
  private readonly inflate: Inflate = createInflate({ dictionary: HEADER_DICTIONARY });
  private output: Buffer[] = [];
  private size = 0;
  private failure: Error | undefined;

  constructor() {
    this.inflate.on('data', (chunk: Buffer) => {
      this.size += chunk.length;
      if (this.size <= MAX_HEADER_BLOCK) this.output.push(chunk);
    });
    this.inflate.on('error', (err: Error) => (this.failure = err));
  }

  async decompress(compressed: Buffer): Promise<SpdyHeaders> {
    if (this.failure !== undefined) throw new SpdyProtocolError(`header compression: ${this.failure.message}`);
    await new Promise<void>((resolve, reject) => {
      this.inflate.write(compressed);
      this.inflate.flush(constants.Z_SYNC_FLUSH, () => (this.failure === undefined ? resolve() : reject(this.failure)));
    }).catch((err: Error) => {
      throw new SpdyProtocolError(`header compression: ${err.message}`);
    });
    const block = Buffer.concat(this.output);
    const size = this.size;
    this.output = [];
    this.size = 0;
    if (size > MAX_HEADER_BLOCK) throw new SpdyProtocolError(`a header block larger than ${MAX_HEADER_BLOCK} bytes`);
    return decodeHeaderBlock(block);
  }

  close(): void {
    this.inflate.close();
  }
}

function zlibHeaderWithDictionary(): Buffer {
  const head = Buffer.alloc(6);
  head[0] = 0x78; // deflate, 32 KiB window
  head[1] = 0x20; // FDICT, FLEVEL 0; 0x7820 is a multiple of 31, so FCHECK is 0
  head.writeUInt32BE(adler32(HEADER_DICTIONARY), 2);
  return head;
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

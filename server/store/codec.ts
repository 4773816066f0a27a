// The on-disk layout of the LevelDB backend (docs/store-format.md describes it
// for people). Three kinds of LevelDB keys:
//   "m" + name            metadata: format version, current and compacted revision
//   "r" + u64 BE revision one record per write: the event log and the values
// The in-memory index is rebuilt from the records at open, so a write touches
// exactly one record (plus the 8-byte current revision): few bytes per update
// on an SD card. Records carry a CRC32 because LevelDB does not verify block
// checksums on read.
import { crc32 } from 'node:zlib';
import { StoreError } from './errors.js';

/** Bump when the layout changes; a store of another version is refused. */
export const FORMAT_VERSION = 1;

export const META_FORMAT = Buffer.from('mformat');
export const META_REVISION = Buffer.from('mrev');
export const META_COMPACTED = Buffer.from('mcompact');
const RECORD_PREFIX = 0x72; // "r"

export const enum RecordType {
  Put = 1,
  Delete = 2,
}

export interface RecordHeader {
  readonly type: RecordType;
  readonly key: string;
  readonly createRevision: number;
  /** modRevision of the previous write to the key in this incarnation; 0 for a create. */
  readonly prevRevision: number;
  readonly version: number;
  /** Unix ms; 0 when the key has no TTL. */
  readonly expiresAt: number;
}

export interface StoredRecord extends RecordHeader {
  readonly value: Uint8Array;
}

const HEADER_SIZE = 4 + 1 + 8 + 8 + 8 + 8 + 4;

export function revisionKey(revision: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = RECORD_PREFIX;
  writeU64(b, 1, revision);
  return b;
}

export function isRevisionKey(key: Uint8Array): boolean {
  return key.length === 9 && key[0] === RECORD_PREFIX;
}

export function revisionOfKey(key: Uint8Array): number {
  return readU64(Buffer.from(key.buffer, key.byteOffset, key.byteLength), 1);
}

/** LevelDB range bounds covering records with revision in [from, to]. */
export function revisionRange(from: number, to: number): { gte: Buffer; lte: Buffer } {
  return { gte: revisionKey(from), lte: revisionKey(to) };
}

export function encodeU64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeU64(b, 0, n);
  return b;
}

export function decodeU64(b: Uint8Array, what: string): number {
  if (b.length !== 8) throw new StoreError('Corrupt', `store metadata "${what}" is damaged (length ${b.length})`);
  return readU64(Buffer.from(b.buffer, b.byteOffset, 8), 0);
}

export function encodeRecord(r: StoredRecord): Buffer {
  const key = Buffer.from(r.key, 'utf8');
  const b = Buffer.allocUnsafe(HEADER_SIZE + key.length + r.value.length);
  b[4] = r.type;
  writeU64(b, 5, r.createRevision);
  writeU64(b, 13, r.prevRevision);
  writeU64(b, 21, r.version);
  writeU64(b, 29, r.expiresAt);
  b.writeUInt32BE(key.length, 37);
  key.copy(b, HEADER_SIZE);
  b.set(r.value, HEADER_SIZE + key.length);
  b.writeUInt32BE(crc32(b.subarray(4)), 0);
  return b;
}

export function decodeRecord(raw: Uint8Array, revision: number): StoredRecord {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const damaged = (why: string) =>
    new StoreError('Corrupt', `store record at revision ${revision} is damaged (${why}); restore from a backup`);
  if (b.length < HEADER_SIZE) throw damaged('truncated');
  if (b.readUInt32BE(0) !== crc32(b.subarray(4))) throw damaged('checksum mismatch');
  const type = b[4];
  if (type !== RecordType.Put && type !== RecordType.Delete) throw damaged(`unknown type ${type}`);
  const keyLength = b.readUInt32BE(37);
  if (HEADER_SIZE + keyLength > b.length) throw damaged('key overruns record');
  return {
    type,
    createRevision: readU64(b, 5),
    prevRevision: readU64(b, 13),
    version: readU64(b, 21),
    expiresAt: readU64(b, 29),
    key: b.toString('utf8', HEADER_SIZE, HEADER_SIZE + keyLength),
    value: b.subarray(HEADER_SIZE + keyLength),
  };
}

// Revisions stay below 2^53, so two 32-bit halves avoid BigInt on the hot path.
function writeU64(b: Buffer, at: number, n: number): void {
  b.writeUInt32BE(Math.floor(n / 0x1_0000_0000), at);
  b.writeUInt32BE(n >>> 0, at + 4);
}

function readU64(b: Buffer, at: number): number {
  return b.readUInt32BE(at) * 0x1_0000_0000 + b.readUInt32BE(at + 4);
}

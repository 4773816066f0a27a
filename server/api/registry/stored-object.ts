// How the registry keeps objects in the store: JSON without apiVersion and
// kind (the resource type says them), and with resourceVersion first in
// metadata and empty (the record's revision is the truth). That layout lets
// a read splice the revision into the stored bytes and send them as they
// are, without a parse and a serialize per object (lists of many objects).
import type { KeyValue } from '../../store/types.js';
import { apiVersionOf, type KubeObject, type ObjectMeta } from '../objects.js';
import type { ResourceType } from '../resources.js';

const PREFIX = Buffer.from('{"metadata":{"resourceVersion":""');
/** Where the metadata object starts in the stored bytes: its "{". */
const METADATA_AT = '{"metadata":'.length;
const EMPTY = Buffer.alloc(0);
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

export function encodeObject(obj: KubeObject): Uint8Array {
  const { apiVersion: _a, kind: _k, metadata, ...rest } = obj;
  const { resourceVersion: _r, ...meta } = metadata;
  return Buffer.from(JSON.stringify({ metadata: { resourceVersion: '', ...meta }, ...rest }));
}

export function decodeObject(type: ResourceType, kv: KeyValue): KubeObject {
  const stored = JSON.parse(storedBytes(kv).toString('utf8')) as { metadata: ObjectMeta; [field: string]: unknown };
  stored.metadata.resourceVersion = String(kv.modRevision);
  // apiVersion and kind first, where upstream writes them.
  return { apiVersion: apiVersionOf(type.group, type.version), kind: type.kind, ...stored };
}

/**
 * The object with its metadata alone (apiVersion, kind, metadata), as
 * upstream's metadata-only watches give the garbage collector: only the
 * metadata's bytes are parsed, not the whole object.
 */
export function decodeMetadata(type: ResourceType, kv: KeyValue): KubeObject {
  const value = storedBytes(kv);
  const end = hasPrefix(value) ? objectEnd(value, METADATA_AT) : -1;
  if (end < 0) {
    const { apiVersion, kind, metadata } = decodeObject(type, kv);
    return { apiVersion, kind, metadata };
  }
  const metadata = JSON.parse(value.toString('utf8', METADATA_AT, end)) as ObjectMeta;
  metadata.resourceVersion = String(kv.modRevision);
  return { apiVersion: apiVersionOf(type.group, type.version), kind: type.kind, metadata };
}

/**
 * The object's JSON as a response carries it, from the stored bytes: with
 * apiVersion and kind (single objects, custom resources' list items) or
 * without (built-in list items, as upstream sends them).
 */
export function objectJson(type: ResourceType, kv: KeyValue, typeMeta: boolean): Buffer {
  return objectsJson('', type, [kv], typeMeta, '');
}

/**
 * `before`, the objects' JSON (as objectJson makes it) separated by commas,
 * then `after`: a list response in one allocation and one copy of each
 * stored value.
 */
export function objectsJson(before: string, type: ResourceType, kvs: readonly KeyValue[], typeMeta: boolean, after: string): Buffer {
  const typeHead = typeMeta ? `{"apiVersion":${JSON.stringify(apiVersionOf(type.group, type.version))},"kind":${JSON.stringify(type.kind)},` : '{';
  const heads: string[] = new Array<string>(kvs.length);
  const rests: Buffer[] = new Array<Buffer>(kvs.length);
  let size = Buffer.byteLength(before) + Buffer.byteLength(after) + Math.max(0, kvs.length - 1);
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i]!;
    const value = storedBytes(kv);
    if (hasPrefix(value)) {
      heads[i] = `${typeHead}"metadata":{"resourceVersion":"${kv.modRevision}"`;
      rests[i] = value.subarray(PREFIX.length);
    } else {
      // Not in the layout above (never written by the registry): the slow, general way.
      const { apiVersion, kind, ...rest } = decodeObject(type, kv);
      heads[i] = JSON.stringify(typeMeta ? { apiVersion, kind, ...rest } : rest);
      rests[i] = EMPTY;
    }
    size += Buffer.byteLength(heads[i]!) + rests[i]!.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.write(before, 0);
  for (let i = 0; i < kvs.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += out.write(heads[i]!, at);
    at += rests[i]!.copy(out, at);
  }
  out.write(after, at);
  return out;
}

/** Whether the stored bytes start with PREFIX; a loop, as a native compare costs more than it saves on 34 bytes. */
function hasPrefix(value: Buffer): boolean {
  if (value.length < PREFIX.length) return false;
  for (let i = 0; i < PREFIX.length; i++) if (value[i] !== PREFIX[i]) return false;
  return true;
}

/**
 * The index just past the JSON object that starts at `start` (a "{"), or -1
 * if it does not end: braces and brackets counted outside strings. Bytes of
 * multi-byte UTF-8 characters are all 0x80 or more, so none is taken for one.
 */
function objectEnd(value: Buffer, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < value.length; i++) {
    const c = value[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  return -1;
}

/** The stored value as a Buffer, without a copy. */
export function storedBytes(kv: KeyValue): Buffer {
  const { value } = kv;
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

// Protobuf request bodies, as kubectl 1.32+ sends them for typed commands
// (create namespace|deployment|…, create token, auth can-i): the `k8s\0`
// magic, a runtime.Unknown envelope, and in it the object's k8s.io/api
// message. Decoded into the plain JSON object the same request would carry as
// JSON, so everything after body decoding stays JSON-only.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROTO_ROOT } from '../../../common/proto.js';
import { type FieldBase, MapField, Reader, Root, Type, util } from 'protobufjs';
import { metaTime } from '../objects.js';

export class ProtobufDecodeError extends Error {
  override readonly name = 'ProtobufDecodeError';
}

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject {
  [key: string]: Json;
}

/** The envelope as protobufjs decodes it (proto2 defaults for absent fields). */
interface UnknownEnvelope {
  typeMeta: { apiVersion: string; kind: string } | null;
  raw: Uint8Array;
  contentEncoding: string;
}

const MAGIC = Buffer.from('k8s\0', 'latin1');


/** apiVersion → the proto package of its types (the Go package under k8s.io/api). */
const PACKAGES: Readonly<Record<string, string>> = {
  v1: 'k8s.io.api.core.v1',
  'apps/v1': 'k8s.io.api.apps.v1',
  'batch/v1': 'k8s.io.api.batch.v1',
  'autoscaling/v1': 'k8s.io.api.autoscaling.v1',
  'autoscaling/v2': 'k8s.io.api.autoscaling.v2',
  'rbac.authorization.k8s.io/v1': 'k8s.io.api.rbac.v1',
  'policy/v1': 'k8s.io.api.policy.v1',
  'networking.k8s.io/v1': 'k8s.io.api.networking.v1',
  'scheduling.k8s.io/v1': 'k8s.io.api.scheduling.v1',
  'authentication.k8s.io/v1': 'k8s.io.api.authentication.v1',
  'authorization.k8s.io/v1': 'k8s.io.api.authorization.v1',
  'certificates.k8s.io/v1': 'k8s.io.api.certificates.v1',
};

// Messages whose JSON is not an object (custom MarshalJSON in Go).
const TIME = '.k8s.io.apimachinery.pkg.apis.meta.v1.Time';
const INT_OR_STRING = '.k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = '.k8s.io.apimachinery.pkg.api.resource.Quantity';
const EXTRA_VALUE = '.k8s.io.api.certificates.v1.ExtraValue';

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

let loaded: Root | undefined;

/** Decodes a kubectl protobuf body into the plain JSON object the same request would have had as JSON. */
export function decodeProtobufObject(body: Buffer): unknown {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new ProtobufDecodeError('the protobuf body does not start with the Kubernetes magic prefix "k8s\\x00"');
  }
  // Outside the try: a broken proto/ folder is our bug, not a bad request.
  const root = protoRoot();
  try {
    const envelope = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown').decode(body.subarray(MAGIC.length)) as unknown as UnknownEnvelope;
    if (envelope.contentEncoding !== '') {
      throw new ProtobufDecodeError(`content encoding ${JSON.stringify(envelope.contentEncoding)} is not supported`);
    }
    const apiVersion = envelope.typeMeta?.apiVersion ?? '';
    const kind = envelope.typeMeta?.kind ?? '';
    const object = decodeMessage(objectType(root, apiVersion, kind), envelope.raw);
    return { apiVersion, kind, ...object };
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw err;
    throw new ProtobufDecodeError(`malformed protobuf body: ${(err as Error).message}`);
  }
}

/** All of proto/k8s/, parsed on the first protobuf request. */
function protoRoot(): Root {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  const root = new Root();
  // Imports are relative to proto/; options.proto's descriptor.proto ships with protobufjs.
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') ? require.resolve(`protobufjs/${target}`) : join(PROTO_ROOT, target);
  const files = readdirSync(join(PROTO_ROOT, 'k8s')).filter((f) => f.endsWith('.proto'));
  root.loadSync(
    files.map((f) => `k8s/${f}`),
    { keepCase: true },
  );
  root.resolveAll();
  loaded = root;
  return root;
}

/** The message of a top-level object kind: one in the group's package whose field 1 is its ObjectMeta. */
function objectType(root: Root, apiVersion: string, kind: string): Type {
  const pkg = PACKAGES[apiVersion];
  const found = pkg === undefined || !/^[A-Z]\w*$/.test(kind) ? null : root.lookup(`${pkg}.${kind}`);
  if (!(found instanceof Type) || found.fieldsById[1]?.name !== 'metadata') {
    throw new ProtobufDecodeError(`${kind || '(no kind)'} of ${apiVersion || '(no apiVersion)'} is not supported in protobuf yet, send JSON`);
  }
  return found;
}

/**
 * One message as Go's encoding/json would write it. Go's protobuf writes every
 * non-pointer field, zero or not, so a zero value counts as unset unless the
 * field keeps zeros (a Go pointer, or a JSON tag without omitempty).
 */
function decodeMessage(type: Type, bytes: Uint8Array): JsonObject {
  const out: JsonObject = {};
  const reader = Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const wireType = tag & 7;
    const field = type.fieldsById[tag >>> 3];
    if (field === undefined) {
      // A field our subset leaves out is fine while empty; dropping content silently is not.
      if (!skipZero(reader, wireType)) {
        throw new ProtobufDecodeError(`field ${tag >>> 3} of ${type.fullName.slice(1)} is not supported in protobuf yet, send JSON`);
      }
      continue;
    }
    const name = (field.options?.['json_name'] as string | undefined) ?? field.name;
    if (field instanceof MapField) {
      const [key, value] = readMapEntry(field, reader, wireType);
      ((out[name] ??= {}) as JsonObject)[key] = value;
    } else if (field.repeated) {
      // Unpacked, one entry per element: Go's proto2 code never packs.
      ((out[name] ??= []) as Json[]).push(readValue(field, reader, wireType) ?? null);
    } else if (field.options?.['(bramble.inline)'] === true) {
      Object.assign(out, readValue(field, reader, wireType));
    } else {
      const value = readValue(field, reader, wireType);
      if (value === undefined || (isZero(value) && field.options?.['(bramble.keep_zero)'] !== true)) delete out[name];
      else out[name] = value;
    }
  }
  return out;
}

/** A singular value; undefined for the zero metav1.Time, which Go writes as JSON null. */
function readValue(field: FieldBase, reader: Reader, wireType: number): Json | undefined {
  const message = field.resolvedType;
  if (!(message instanceof Type)) return readScalar(field.type, field, reader, wireType);
  expectWire(field, wireType, WIRE_BYTES);
  const bytes = reader.bytes();
  switch (message.fullName) {
    case TIME:
      // Go writes the zero time as an empty message, and any other instant in full.
      return bytes.length === 0 ? undefined : rfc3339(decodeMessage(message, bytes));
    case INT_OR_STRING: {
      const v = decodeMessage(message, bytes);
      return v['type'] === 1 ? (v['strVal'] ?? '') : (v['intVal'] ?? 0);
    }
    case QUANTITY:
      return decodeMessage(message, bytes)['string'] ?? '';
    case EXTRA_VALUE:
      return decodeMessage(message, bytes)['items'] ?? [];
    default:
      return decodeMessage(message, bytes);
  }
}

function readScalar(type: string, field: FieldBase, reader: Reader, wireType: number): Json {
  expectWire(field, wireType, type === 'string' || type === 'bytes' ? WIRE_BYTES : WIRE_VARINT);
  switch (type) {
    case 'string':
      return reader.string();
    case 'bytes':
      return Buffer.from(reader.bytes()).toString('base64');
    case 'bool':
      return reader.bool();
    case 'int32':
      return reader.int32();
    case 'int64':
      return util.LongBits.from(reader.int64()).toNumber(false);
    default:
      throw new Error(`proto type ${type} of ${field.fullName.slice(1)} is not supported by the decoder`);
  }
}

/** A map entry is a message {key = 1, value = 2}. */
function readMapEntry(field: MapField, reader: Reader, wireType: number): [string, Json] {
  expectWire(field, wireType, WIRE_BYTES);
  const entry = Reader.create(reader.bytes());
  let key = '';
  let value: Json | undefined;
  while (entry.pos < entry.len) {
    const tag = entry.uint32();
    if (tag >>> 3 === 1) key = String(readScalar(field.keyType, field, entry, tag & 7));
    else if (tag >>> 3 === 2) value = readValue(field, entry, tag & 7);
    else entry.skipType(tag & 7);
  }
  // Map values here are strings, bytes or Quantities, whose zero is "" (an ExtraValue always has items).
  return [key, value ?? ''];
}

/** Skips one value, saying whether it was zero: 0, "", or a message of zeros. */
function skipZero(reader: Reader, wireType: number): boolean {
  if (wireType === WIRE_BYTES) return isZeroMessage(reader.bytes());
  const start = reader.pos;
  reader.skipType(wireType);
  return reader.buf.subarray(start, reader.pos).every((b) => b === 0);
}

function isZeroMessage(bytes: Uint8Array): boolean {
  const reader = Reader.create(bytes);
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 === 0 || !skipZero(reader, tag & 7)) return false;
    }
    return true;
  } catch {
    // Not a message at all: a non-empty string or bytes.
    return false;
  }
}

function expectWire(field: FieldBase, wireType: number, expected: number): void {
  if (wireType !== expected) {
    throw new ProtobufDecodeError(`${field.fullName.slice(1)} has wire type ${wireType}, expected ${expected}`);
  }
}

function isZero(value: Json): boolean {
  if (typeof value === 'object' && value !== null) return !Array.isArray(value) && Object.keys(value).length === 0;
  return value === '' || value === 0 || value === false;
}

/** metav1.Time's JSON: RFC 3339 in UTC, whole seconds. */
function rfc3339(time: JsonObject): string {
  const seconds = (time['seconds'] ?? 0) as number;
  return metaTime(new Date(seconds * 1000));
}

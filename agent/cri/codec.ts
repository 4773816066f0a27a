// Encodes and decodes CRI messages (proto/cri/api.proto) with protobufjs, and
// maps between the wire's shape and the TypeScript types of ./types.ts:
//   - 64-bit integers come out as bigint, every one of them (nanosecond
//     timestamps exceed 2^53); they go in as bigint or as a safe-integer number.
//   - Int64Value/UInt64Value wrappers come out as their value, or absent when
//     unset; they go in as the bare value.
//   - Unset messages come out absent; unset scalars, lists and maps as their
//     zero values, since proto3 does not send zeros.
//   - bytes come out as Buffer; they go in as a Buffer or a string, sent as
//     its UTF-8 (protobufjs would read a string as base64).
//   - A field name that is not in our proto throws instead of being dropped.
import { join } from 'node:path';
import { Root, type Type } from 'protobufjs';
import { PROTO_ROOT } from '../../common/proto.js';
import type { GrpcMethod } from '../grpc/channel.js';

export type CriService = 'RuntimeService' | 'ImageService';

/** A CRI method as the gRPC channel calls it; its path is "/runtime.v1.RuntimeService/Version". */
export type RpcCodec = GrpcMethod<object, unknown>;

const WRAPPERS = new Set(['.runtime.v1.Int64Value', '.runtime.v1.UInt64Value']);
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const TO_OBJECT = { longs: BigInt, enums: String, defaults: true, arrays: true, objects: true };

let root: Root | undefined;
const codecs = new Map<string, RpcCodec>();

export function rpcCodec(service: CriService, method: string): RpcCodec {
  const path = `/runtime.v1.${service}/${method}`;
  let codec = codecs.get(path);
  if (codec === undefined) {
    const m = protoRoot().lookupService(`runtime.v1.${service}`).methods[method];
    if (m === undefined) throw new Error(`proto/cri/api.proto has no method ${service}/${method}`);
    m.resolve();
    const req = m.resolvedRequestType!;
    const res = m.resolvedResponseType!;
    codec = {
      path,
      requestSerialize: (request) => Buffer.from(req.encode(req.fromObject(toWire(req, request))).finish()),
      responseDeserialize: (bytes) => fromWire(res, res.toObject(res.decode(bytes), TO_OBJECT)),
    };
    codecs.set(path, codec);
  }
  return codec;
}

function protoRoot(): Root {
  if (root === undefined) {
    root = new Root().loadSync(join(PROTO_ROOT, 'cri/api.proto'), { keepCase: false });
    root.resolveAll();
  }
  return root;
}

function toWire(type: Type, object: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(object)) {
    const field = type.fields[name];
    if (field === undefined) throw new Error(`${type.fullName.slice(1)} has no field ${name} (see proto/cri/api.proto)`);
    if (value === undefined) continue;
    const sub = field.resolvedType;
    if (LONG_TYPES.has(field.type)) {
      for (const n of field.repeated ? (value as unknown[]) : [value]) checkInteger(type, name, n);
    }
    if (field.type === 'bytes') {
      const utf8 = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
      out[name] = field.repeated ? (value as unknown[]).map(utf8) : utf8(value);
    } else if (sub !== null && 'fields' in sub && !field.map) {
      const one = (v: unknown) => (WRAPPERS.has(sub.fullName) ? toWire(sub, { value: v }) : toWire(sub, v as object));
      out[name] = field.repeated ? (value as unknown[]).map(one) : one(value);
    } else {
      out[name] = value;
    }
  }
  return out;
}

function checkInteger(type: Type, name: string, n: unknown): void {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) {
    throw new Error(`${type.fullName.slice(1)}.${name} must be an integer below 2^53 (or a bigint), not ${n}`);
  }
}

function fromWire(type: Type, object: Record<string, unknown>): Record<string, unknown> {
  for (const field of type.fieldsArray) {
    const sub = field.resolvedType;
    if (sub === null || !('fields' in sub) || field.map) continue;
    const value = object[field.name];
    if (value === null || value === undefined) {
      delete object[field.name];
      continue;
    }
    const one = (v: Record<string, unknown>) => (WRAPPERS.has(sub.fullName) ? v.value : fromWire(sub, v));
    object[field.name] = field.repeated ? (value as Record<string, unknown>[]).map(one) : one(value as Record<string, unknown>);
  }
  return object;
}

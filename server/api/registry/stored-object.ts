// How the registry keeps objects in the store: JSON without apiVersion and
// kind (the resource type says them), and with resourceVersion first in
// metadata and empty (the record's revision is the truth). That layout lets
// a read splice the revision into the stored bytes and send them as they
// are, without a parse and a serialize per object (lists of many objects).
import type { KeyValue } from '../../store/types.js';
import { apiVersionOf, type KubeObject, type ObjectMeta } from '../objects.js';
import type { ResourceType } from '../resources.js';

const PREFIX = Buffer.from('{"metadata":{"resourceVersion":""');

export function encodeObject(obj: KubeObject): Uint8Array {
  const { apiVersion: _a, kind: _k, metadata, ...rest } = obj;
  const { resourceVersion: _r, ...meta } = metadata;
  return Buffer.from(JSON.stringify({ metadata: { resourceVersion: '', ...meta }, ...rest }));
}

export function decodeObject(type: ResourceType, kv: KeyValue): KubeObject {
  const stored = JSON.parse(bytes(kv).toString('utf8')) as { metadata: ObjectMeta; [field: string]: unknown };
  stored.metadata.resourceVersion = String(kv.modRevision);
  // apiVersion and kind first, where upstream writes them.
  return { apiVersion: apiVersionOf(type.group, type.version), kind: type.kind, ...stored };
}

/**
 * The object's JSON as a response carries it, from the stored bytes: with
 * apiVersion and kind (single objects, custom resources' list items) or
 * without (built-in list items, as upstream sends them).
 */
export function objectJson(type: ResourceType, kv: KeyValue, typeMeta: boolean): Buffer {
  const value = bytes(kv);
  if (value.length < PREFIX.length || !value.subarray(0, PREFIX.length).equals(PREFIX)) {
    // Not in the layout above (never written by the registry): the slow, general way.
    const { apiVersion, kind, ...rest } = decodeObject(type, kv);
    return Buffer.from(JSON.stringify(typeMeta ? { apiVersion, kind, ...rest } : rest));
  }
  const head = typeMeta
    ? `{"apiVersion":${JSON.stringify(apiVersionOf(type.group, type.version))},"kind":${JSON.stringify(type.kind)},"metadata":{"resourceVersion":"${kv.modRevision}"`
    : `{"metadata":{"resourceVersion":"${kv.modRevision}"`;
  return Buffer.concat([Buffer.from(head), value.subarray(PREFIX.length)]);
}

function bytes(kv: KeyValue): Buffer {
  return Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength);
}

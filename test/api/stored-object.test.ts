import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILTIN_RESOURCES } from '../../server/api/catalogue.js';
import { decodeMetadata, decodeObject, encodeObject, objectJson, objectsJson } from '../../server/api/registry/stored-object.js';
import type { KeyValue } from '../../server/store/types.js';

const configmaps = BUILTIN_RESOURCES.find((r) => r.plural === 'configmaps')!;
const kvOf = (value: Uint8Array, modRevision = 42): KeyValue => ({ key: '/registry/configmaps/default/web', value, createRevision: 7, modRevision, version: 3 });
const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: 'default', resourceVersion: '9', labels: { 'a"b': 'c\\d' } }, data: { 'x': 'é \u2028 "q"' } };

test('objects are stored without type meta or resourceVersion, and decode with the record revision', () => {
  const stored = Buffer.from(encodeObject(obj)).toString('utf8');
  assert.ok(stored.startsWith('{"metadata":{"resourceVersion":"","name":"web"'), stored);
  assert.ok(!stored.includes('"kind"') && !stored.includes('"apiVersion"'));
  assert.deepEqual(decodeObject(configmaps, kvOf(encodeObject(obj))), { ...obj, metadata: { ...obj.metadata, resourceVersion: '42' } });
});

test('JSON spliced from the stored bytes is exactly what parsing and serializing gives', () => {
  const kv = kvOf(encodeObject(obj));
  const decoded = decodeObject(configmaps, kv);
  assert.deepEqual(JSON.parse(objectJson(configmaps, kv, true).toString()), decoded);
  const { apiVersion: _a, kind: _k, ...item } = decoded;
  assert.deepEqual(JSON.parse(objectJson(configmaps, kv, false).toString()), item);
});

test('bytes in another layout are served the general way', () => {
  const kv = kvOf(Buffer.from(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'web' }, data: { a: '1' } })));
  assert.deepEqual(JSON.parse(objectJson(configmaps, kv, true).toString()), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', resourceVersion: '42' }, data: { a: '1' } });
});

test('a list made from stored bytes is byte for byte the JSON of the decoded objects, in either layout and when empty', () => {
  const other = { ...obj, metadata: { ...obj.metadata, name: 'other', labels: { é: '\u{1F600}' } } };
  const kvs = [kvOf(encodeObject(obj), 5), kvOf(Buffer.from(JSON.stringify({ metadata: { name: 'old', resourceVersion: '3' }, data: { a: '1' } })), 6), kvOf(encodeObject(other), 8)];
  const items = kvs.map((kv) => {
    const { apiVersion: _a, kind: _k, ...item } = decodeObject(configmaps, kv);
    return item;
  });
  const expected = JSON.stringify({ kind: 'ConfigMapList', items });
  assert.equal(objectsJson('{"kind":"ConfigMapList","items":[', configmaps, kvs, false, ']}').toString('utf8'), expected);
  assert.equal(objectsJson('{"items":[', configmaps, [], true, ']}').toString('utf8'), '{"items":[]}');
  assert.equal(objectsJson('', configmaps, [kvs[2]!], true, '').toString('utf8'), JSON.stringify(decodeObject(configmaps, kvs[2]!)));
});

test('the metadata alone is what decoding the whole object gives, whatever its strings hold', async () => {
  const tricky = {
    ...obj,
    metadata: { ...obj.metadata, annotations: { 'a}': '{"nested": [1, {"b": "]}"}]}', back: 'ends in a backslash \\', quote: '\\"}', emoji: '😀 é \u2028' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-1' }] },
    data: { after: '"metadata":{}' },
  };
  const kv = kvOf(encodeObject(tricky));
  const { apiVersion, kind, metadata } = decodeObject(configmaps, kv);
  assert.deepEqual(decodeMetadata(configmaps, kv), { apiVersion, kind, metadata });
  assert.equal(metadata.resourceVersion, '42');
});

test('the metadata alone of bytes in another layout comes the general way', () => {
  const kv = kvOf(Buffer.from(JSON.stringify({ data: { a: '1' }, metadata: { name: 'web' } })));
  assert.deepEqual(decodeMetadata(configmaps, kv), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', resourceVersion: '42' } });
});

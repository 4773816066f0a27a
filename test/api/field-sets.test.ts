// Field sets in upstream's FieldsV1 form (server/api/fields): which paths an
// object sets, typed by its kind's schema (associative lists by key, sets by
// value, atomic lists and structs as one leaf), and the encoding's order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILTIN_RESOURCES, Catalogue } from '../../server/api/catalogue.js';
import type { SchemaProps } from '../../server/api/crd/definition.js';
import { resourceTypesOf } from '../../server/api/crd/resource-types.js';
import { difference, type FieldSet, intersection, pathStrings, sorted, union } from '../../server/api/fields/field-set.js';
import { fieldTypeOf } from '../../server/api/fields/field-types.js';
import { changesBetween, fieldsOf, mergeApplied, removeFields } from '../../server/api/fields/object-fields.js';
import type { JsonObject } from '../../server/api/patch/json.js';
import { widgetsDefinition } from '../helpers/crd-objects.js';

const catalogue = new Catalogue(BUILTIN_RESOURCES);
const typeOf = (group: string, plural: string) => fieldTypeOf(catalogue.get(group, 'v1', plural)!);
const encoded = (set: FieldSet) => JSON.stringify(sorted(set));

describe('FieldsV1 of an object', () => {
  test("a ConfigMap's fields, sorted as upstream encodes them (its server-side apply documentation's example)", () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'test-cm', namespace: 'default', labels: { 'test-label': 'test' } }, data: { key: 'some value' } };
    const set = fieldsOf(cm, typeOf('', 'configmaps'));
    assert.equal(
      encoded(set),
      '{"f:apiVersion":{},"f:data":{"f:key":{}},"f:kind":{},"f:metadata":{"f:labels":{"f:test-label":{}},"f:name":{},"f:namespace":{}}}',
    );
  });

  test('associative lists by their keys (sorted key fields, the port protocol defaulted), in value order: numbers numerically', () => {
    const pod = {
      spec: {
        containers: [
          { name: 'web', image: 'nginx', ports: [{ containerPort: 8080 }, { containerPort: 80, protocol: 'TCP' }, { containerPort: 443, protocol: 'UDP' }] },
        ],
      },
    };
    const set = fieldsOf(pod, typeOf('', 'pods'));
    assert.equal(
      encoded(set),
      '{"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{' +
        '"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}},' +
        '"k:{\\"containerPort\\":443,\\"protocol\\":\\"UDP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}},' +
        '"k:{\\"containerPort\\":8080,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}',
    );
  });

  test('sets by value, atomic lists and atomic structs (selectors, references) as one leaf, empty structs as a leaf', () => {
    const deployment = {
      metadata: { finalizers: ['b.io/x', 'a.io/y'], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u-1' }] },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { spec: { containers: [{ name: 'c', args: ['a', 'b'], env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }], securityContext: {} }] } },
      },
    };
    const set = fieldsOf(deployment, typeOf('apps', 'deployments'));
    assert.equal(
      encoded(set),
      '{"f:metadata":{"f:finalizers":{"v:\\"a.io/y\\"":{},"v:\\"b.io/x\\"":{}},"f:ownerReferences":{"k:{\\"uid\\":\\"u-1\\"}":{".":{},"f:apiVersion":{},"f:kind":{},"f:name":{},"f:uid":{}}}},' +
        '"f:spec":{"f:selector":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"c\\"}":{".":{},"f:args":{},"f:env":{"k:{\\"name\\":\\"A\\"}":{".":{},"f:name":{},"f:valueFrom":{"f:secretKeyRef":{}}}},"f:name":{},"f:securityContext":{}}}}}}}',
    );
  });

  test("a custom resource's lists by x-kubernetes-list-type and map keys; undeclared fields by their values, each map a member", () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            ports: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'name'], items: { type: 'object', properties: { port: { type: 'integer' }, name: { type: 'string' }, weight: { type: 'integer' } } } },
            tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
            args: { type: 'array', items: { type: 'string' } },
            owner: { type: 'object', 'x-kubernetes-map-type': 'atomic', properties: { name: { type: 'string' } } },
            extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      },
    } as unknown as SchemaProps;
    const crd = widgetsDefinition({ schema: { openAPIV3Schema: schema } });
    const [type] = resourceTypesOf(crd, crd.spec.names);
    const widget = { spec: { ports: [{ port: 80, name: 'http', weight: 1 }], tags: ['b', 'a'], args: ['x'], owner: { name: 'me' }, extra: { deep: { x: 1 } } } };
    assert.equal(
      encoded(fieldsOf(widget, fieldTypeOf(type!))),
      '{"f:spec":{"f:args":{},"f:extra":{"f:deep":{".":{},"f:x":{}}},"f:owner":{},"f:ports":{"k:{\\"name\\":\\"http\\",\\"port\\":80}":{".":{},"f:name":{},"f:port":{},"f:weight":{}}},"f:tags":{"v:\\"a\\"":{},"v:\\"b\\"":{}}}}',
    );
  });

  test('paths print as upstream prints them in conflicts', () => {
    const set = fieldsOf({ spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'x' }] } } } }, typeOf('apps', 'deployments'));
    assert.deepEqual(pathStrings(set), [
      '.spec.replicas',
      '.spec.template.spec.containers[name="web"]',
      '.spec.template.spec.containers[name="web"].image',
      '.spec.template.spec.containers[name="web"].name',
    ]);
  });
});

describe('set operations', () => {
  const a: FieldSet = { 'f:spec': { 'f:replicas': {}, 'f:paused': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } };
  const b: FieldSet = { 'f:spec': { 'f:replicas': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } };

  test('difference removes members only: a path with fields beneath it stays while they do', () => {
    assert.deepEqual(difference(a, b), { 'f:spec': { 'f:paused': {} }, 'f:metadata': { 'f:labels': {} } });
  });

  test('union keeps membership and merges what is beneath; intersection keeps what both have', () => {
    assert.deepEqual(sorted(union(b, { 'f:metadata': { 'f:labels': { '.': {} } } })), { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } });
    assert.deepEqual(intersection(a, b), { 'f:spec': { 'f:replicas': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } });
  });
});

describe('comparing, removing and merging', () => {
  const deployments = typeOf('apps', 'deployments');

  test('a change reports added maps and list items whole (each a member), modified leaves, and removed fields', () => {
    const before: JsonObject = { metadata: {}, spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'x' }] } } } };
    const after: JsonObject = { metadata: { labels: { app: 'web' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'b', image: 'y', ports: [{ containerPort: 80 }] }] } } } };
    const { changed, removed } = changesBetween(before, after, deployments);
    assert.equal(
      encoded(changed),
      '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"b\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}',
    );
    assert.equal(encoded(removed), '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}');
    assert.deepEqual(changesBetween(after, structuredClone(after), deployments), { changed: {}, removed: {} });
  });

  test('removing fields drops list items by key and maps left empty', () => {
    const obj: JsonObject = { metadata: { name: 'web', labels: { a: '1' } }, spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } } } };
    removeFields(obj, { 'f:metadata': { 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"a"}': {} } } } } }, deployments);
    assert.deepEqual(obj, { metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'b', image: 'y' }] } } } });
  });

  test('an applied configuration merges lists by key, keeping live items it does not name where they were', () => {
    const live: JsonObject = { spec: { template: { spec: { containers: [{ name: 'a', image: 'x', tty: true }, { name: 'side', image: 's' }, { name: 'b', image: 'y' }], tolerations: [{ key: 'k' }] } } } };
    const config: JsonObject = { spec: { template: { spec: { containers: [{ name: 'new', image: 'n' }, { name: 'a', image: 'x2' }, { name: 'b', image: 'y' }], tolerations: [{ key: 'j' }] } } } };
    mergeApplied(live, config, deployments);
    assert.deepEqual(live, {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'new', image: 'n' }, { name: 'a', image: 'x2', tty: true }, { name: 'side', image: 's' }, { name: 'b', image: 'y' }],
            tolerations: [{ key: 'j' }],
          },
        },
      },
    });
  });
});

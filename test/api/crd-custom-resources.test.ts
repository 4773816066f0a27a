// Custom resources through the registry as upstream's apiextensions-apiserver
// handles them: written bodies pruned and defaulted before they are
// validated against the version's schema (create, update, patch, the status
// subresource), and defaults a CRD gains filled in when old objects are read.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { createLogger } from '../../common/log.js';
import { CrdCatalogue } from '../../server/api/crd/crd-catalogue.js';
import type { Definition, SchemaProps } from '../../server/api/crd/definition.js';
import { withCustomResourceRules } from '../../server/api/crd/rules.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import type { KubeObject } from '../../server/api/objects.js';
import type { Registry } from '../../server/api/registry/registry.js';
import type { ResourceType } from '../../server/api/resources.js';
import { ApiError } from '../../server/api/status.js';
import type { Catalogue } from '../../server/api/catalogue.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';
import { widgetsDefinition } from '../helpers/crd-objects.js';

const quiet = createLogger({ level: 'error' });

const SCHEMA: SchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1 },
        mode: { type: 'string', enum: ['fast', 'slow'], default: 'fast' },
      },
    },
    status: { type: 'object', properties: { ready: { type: 'integer' } } },
  },
};

interface Harness {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly crds: CrdCatalogue;
  readonly crdType: ResourceType;
}

async function harness(t: TestContext): Promise<Harness> {
  const { catalogue, registry } = await apiRegistry(t, { rules: () => withCustomResourceRules(rulesFor, quiet) });
  const crds = await CrdCatalogue.start({ registry, catalogue, log: quiet });
  t.after(() => crds.close());
  return { registry, catalogue, crds, crdType: catalogue.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')! };
}

function widgets(schema: SchemaProps = SCHEMA): Definition {
  return widgetsDefinition({ schema: { openAPIV3Schema: schema }, subresources: { status: {} } });
}

/** Serves the CRD (created, or its schema replaced) and returns its type once the catalogue has the schema. */
async function serve(h: Harness, schema: SchemaProps = SCHEMA): Promise<ResourceType> {
  const current = await h.registry.get(h.crdType, undefined, 'widgets.example.com').catch(() => undefined);
  if (current === undefined) await h.registry.create(h.crdType, undefined, widgets(schema), {});
  else await h.registry.patch(h.crdType, undefined, 'widgets.example.com', (crd) => ({ ...crd, spec: widgets(schema).spec }), {});
  const want = JSON.stringify(schema);
  await until(() => JSON.stringify((h.catalogue.get('example.com', 'v1', 'widgets') as { openAPIV3Schema?: unknown } | undefined)?.openAPIV3Schema) === want, 'schema served');
  return h.catalogue.get('example.com', 'v1', 'widgets')!;
}

function widget(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name }, spec, ...extra };
}

async function invalidCauses(write: Promise<unknown>): Promise<string[]> {
  try {
    await write;
  } catch (err) {
    assert.ok(err instanceof ApiError && err.code === 422, `a 422, not ${String(err)}`);
    return (err.toStatus().details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
  }
  assert.fail('the write was accepted');
}

test('create: a body breaking the schema is refused with every cause, as kubectl prints them', async (t) => {
  const h = await harness(t);
  const type = await serve(h);
  const causes = await invalidCauses(h.registry.create(type, 'default', widget('bad', { size: 'big', mode: 'turbo' }), {}));
  assert.deepEqual(causes, [
    'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
    'spec.mode: Unsupported value: "turbo": supported values: "fast", "slow"',
  ]);
  assert.deepEqual(await invalidCauses(h.registry.create(type, 'default', widget('empty', {}), {})), ['spec.size: Required value']);
  await assert.rejects(h.registry.get(type, 'default', 'bad'), /not found/);
  try {
    await h.registry.create(type, 'default', widget('bad', { size: 0 }), {});
  } catch (err) {
    assert.equal((err as ApiError).message, 'Widget.example.com "bad" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1');
  }
});

test('create: undeclared fields are pruned and defaults filled in before validation', async (t) => {
  const h = await harness(t);
  const type = await serve(h);
  const created = await h.registry.create(type, 'default', widget('w', { size: 2, colour: 'red' }, { extra: true }), {});
  assert.deepEqual(created['spec'], { size: 2, mode: 'fast' });
  assert.equal(created['extra'], undefined);
  const stored = JSON.parse((await h.registry.getJson(type, 'default', 'w')).toString()) as KubeObject;
  assert.deepEqual(stored['spec'], { size: 2, mode: 'fast' });
});

test('update and patch are validated; what the stored object already broke is not held against it (ratcheting)', async (t) => {
  const h = await harness(t);
  const type = await serve(h);
  await h.registry.create(type, 'default', widget('w', { size: 2 }), {});
  const current = await h.registry.get(type, 'default', 'w');
  const causes = await invalidCauses(h.registry.update(type, 'default', 'w', { ...current, spec: { size: -1 } }, {}));
  assert.deepEqual(causes, ['spec.size: Invalid value: -1: spec.size in body should be greater than or equal to 1']);
  const patched = await invalidCauses(h.registry.patch(type, 'default', 'w', (obj) => ({ ...obj, spec: { ...(obj['spec'] as object), mode: 'x' } }), {}));
  assert.deepEqual(patched, ['spec.mode: Unsupported value: "x": supported values: "fast", "slow"']);

  // The CRD tightens its schema: the stored size 2 breaks it, but a label can still be added.
  const tighter = structuredClone(SCHEMA);
  tighter.properties!['spec']!.properties!['size']!.minimum = 5;
  const tight = await serve(h, tighter);
  const labelled = await h.registry.patch(tight, 'default', 'w', (obj) => ({ ...obj, metadata: { ...obj.metadata, labels: { a: 'b' } } }), {});
  assert.deepEqual(labelled.metadata.labels, { a: 'b' });
  const changed = await invalidCauses(h.registry.patch(tight, 'default', 'w', (obj) => ({ ...obj, spec: { ...(obj['spec'] as object), size: 3 } }), {}));
  assert.deepEqual(changed, ['spec.size: Invalid value: 3: spec.size in body should be greater than or equal to 5']);
});

test('the status subresource: a create cannot set the status; a status write is validated against its schema', async (t) => {
  const h = await harness(t);
  const type = await serve(h);
  const created = await h.registry.create(type, 'default', widget('w', { size: 2 }, { status: { ready: 'not even valid' } }), {});
  assert.equal(created['status'], undefined);
  assert.equal(JSON.parse((await h.registry.getJson(type, 'default', 'w')).toString())['status'], undefined, 'not stored either');
  const causes = await invalidCauses(h.registry.update(type, 'default', 'w', { ...created, status: { ready: 'yes' } }, { subresource: 'status' }));
  assert.deepEqual(causes, ['status.ready: Invalid value: "string": ready in body must be of type integer: "string"']);
  const written = await h.registry.update(type, 'default', 'w', { ...created, status: { ready: 1, unknown: 2 } }, { subresource: 'status' });
  assert.deepEqual(written['status'], { ready: 1 });
});

test('reads: a default the CRD gains shows on objects stored before it, by get, list and their JSON', async (t) => {
  const h = await harness(t);
  const noDefault = structuredClone(SCHEMA);
  delete noDefault.properties!['spec']!.properties!['mode']!.default;
  let type = await serve(h, noDefault);
  await h.registry.create(type, 'default', widget('old', { size: 2 }), {});
  assert.deepEqual((await h.registry.get(type, 'default', 'old'))['spec'], { size: 2 });

  type = await serve(h, SCHEMA);
  assert.deepEqual((await h.registry.get(type, 'default', 'old'))['spec'], { size: 2, mode: 'fast' });
  assert.deepEqual((JSON.parse((await h.registry.getJson(type, 'default', 'old')).toString()) as KubeObject)['spec'], { size: 2, mode: 'fast' });
  assert.deepEqual((await h.registry.list(type, 'default', {})).items[0]?.['spec'], { size: 2, mode: 'fast' });
  const listed = JSON.parse((await h.registry.listJson(type, 'default', {})).toString()) as { items: KubeObject[] };
  assert.deepEqual(listed.items[0]?.['spec'], { size: 2, mode: 'fast' });
});

// --- x-kubernetes-validations (CEL) ---

/** SCHEMA with rules: on the root, on spec (with every way a failure is worded), on a list's items and a map's values. */
function ruledSchema(): SchemaProps {
  const s = structuredClone(SCHEMA);
  const spec = s.properties!['spec']!;
  spec.properties!['max'] = { type: 'integer' };
  spec.properties!['ratio'] = { type: 'number' };
  spec.properties!['ports'] = {
    type: 'array',
    items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.port > 1024', message: 'must be unprivileged' }] } as SchemaProps,
  };
  spec.properties!['labels'] = { type: 'object', additionalProperties: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() <= 5' }] } as SchemaProps };
  spec.properties!['dashed-name'] = { type: 'string' };
  spec.properties!['zone'] = { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'Value is immutable' }] } as SchemaProps;
  Object.assign(spec, {
    'x-kubernetes-validations': [
      { rule: '!has(self.max) || self.size <= self.max', messageExpression: "'size ' + string(self.size) + ' is over max ' + string(self.max)" },
      { rule: "!has(self.ratio) || self.ratio < 0.5", fieldPath: '.ratio', reason: 'FieldValueForbidden', message: 'ratio too high' },
      { rule: "!has(self.dashed__dash__name) || self.dashed__dash__name.startsWith('d')" },
      { rule: 'self.url().getHost() != ""' },
    ],
  });
  Object.assign(s, { 'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('w') && self.kind == 'Widget'", message: 'names start with w' }] });
  return s;
}

test('CEL rules: a create breaking them is refused with upstream\'s field errors; rules the evaluator lacks a function for are skipped', async (t) => {
  const h = await harness(t);
  const type = await serve(h, ruledSchema());
  const causes = await invalidCauses(
    h.registry.create(
      type,
      'default',
      widget('bad', { size: 3, max: 2, ratio: 0.7, ports: [{ name: 'a', port: 8080 }, { name: 'b', port: 80 }], labels: { ok: 'x', long: 'toolong' }, 'dashed-name': 'x' }),
      {},
    ),
  );
  assert.deepEqual(causes, [
    '<nil>: Invalid value: "object": names start with w',
    'spec: Invalid value: "object": size 3 is over max 2',
    'spec.ratio: Forbidden: ratio too high',
    `spec: Invalid value: "object": failed rule: !has(self.dashed__dash__name) || self.dashed__dash__name.startsWith('d')`,
    'spec.ports[1]: Invalid value: "object": must be unprivileged',
    'spec.labels[long]: Invalid value: "string": failed rule: self.size() <= 5',
  ]);
  const created = await h.registry.create(type, 'default', widget('w', { size: 2, max: 2, ports: [{ name: 'a', port: 8080 }], 'dashed-name': 'dash', zone: 'a' }), {});
  assert.equal(created.metadata.name, 'w');
});

test('CEL rules: transition rules compare with the stored object; what it already broke is not held against it (ratcheting)', async (t) => {
  const h = await harness(t);
  // Stored before the CRD had rules: breaks max.
  const unruled = JSON.parse(JSON.stringify(ruledSchema(), (key, value: unknown) => (key === 'x-kubernetes-validations' ? undefined : value))) as SchemaProps;
  await h.registry.create(await serve(h, unruled), 'default', widget('w', { size: 5, max: 2, zone: 'a' }), {});
  const ruled = await serve(h, ruledSchema());
  const current = await h.registry.get(ruled, 'default', 'w');
  const spec = current['spec'] as Record<string, unknown>;
  const relabelled = await h.registry.update(ruled, 'default', 'w', { ...current, metadata: { ...current.metadata, labels: { a: 'b' } } }, {});
  assert.deepEqual(relabelled.metadata.labels, { a: 'b' }, 'the unchanged spec is not checked again');
  assert.deepEqual(await invalidCauses(h.registry.update(ruled, 'default', 'w', { ...relabelled, spec: { ...spec, size: 4 } }, {})), [
    'spec: Invalid value: "object": size 4 is over max 2',
  ]);
  // Ratcheting is per value: a changed spec answers for its own rules again.
  assert.deepEqual(await invalidCauses(h.registry.update(ruled, 'default', 'w', { ...relabelled, spec: { ...spec, zone: 'b' } }, {})), [
    'spec: Invalid value: "object": size 5 is over max 2',
    'spec.zone: Invalid value: "string": Value is immutable',
  ]);
  // A status write runs the rules too; the spec it leaves alone is ratcheted.
  const status = await h.registry.update(ruled, 'default', 'w', { ...relabelled, status: { ready: 1 } }, { subresource: 'status' });
  assert.deepEqual(status['status'], { ready: 1 });
});

test('CEL rules: an evaluation error is a field error; schema errors that leave the object malformed stop the rules, with upstream\'s note', async (t) => {
  const h = await harness(t);
  const s = structuredClone(SCHEMA);
  s.properties!['spec']!.properties!['min'] = { type: 'integer' };
  Object.assign(s.properties!['spec']!, { 'x-kubernetes-validations': [{ rule: 'self.min <= self.size' }] });
  const type = await serve(h, s);
  assert.deepEqual(await invalidCauses(h.registry.create(type, 'default', widget('w', { size: 2 }), {})), [
    'spec: Invalid value: "object": no such key: min evaluating rule: self.min <= self.size',
  ]);
  assert.deepEqual(await invalidCauses(h.registry.create(type, 'default', widget('w', { size: 'big' }), {})), [
    'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
    '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
  ]);
  await h.registry.create(type, 'default', widget('w', { size: 2, min: 1 }), {});
});

test('CEL rules: strings of the date-time, duration and byte formats are CEL timestamps, durations and bytes, as upstream types them', async (t) => {
  const h = await harness(t);
  const s = structuredClone(SCHEMA);
  Object.assign(s.properties!['spec']!.properties!, {
    timeout: { type: 'string', format: 'duration', 'x-kubernetes-validations': [{ rule: "self <= duration('1h')", message: 'at most an hour' }] },
    until: { type: 'string', format: 'date-time', 'x-kubernetes-validations': [{ rule: 'self.getFullYear() >= 2026', message: 'not in the past' }] },
    key: { type: 'string', format: 'byte', 'x-kubernetes-validations': [{ rule: 'size(self) == 4', message: 'four bytes' }] },
  });
  const type = await serve(h, s);
  assert.deepEqual(await invalidCauses(h.registry.create(type, 'default', widget('w', { size: 1, timeout: '1h0m1s', until: '2025-12-31T23:59:59Z', key: 'AAEC' }), {})), [
    'spec.timeout: Invalid value: "string": at most an hour',
    'spec.until: Invalid value: "string": not in the past',
    'spec.key: Invalid value: "string": four bytes',
  ]);
  await h.registry.create(type, 'default', widget('w', { size: 1, timeout: '59m30s', until: '2026-06-01T00:00:00Z', key: 'AAECAw==' }), {});
});

test("CEL rules: Kubernetes' lists and IP/CIDR libraries", async (t) => {
  const h = await harness(t);
  const s = structuredClone(SCHEMA);
  const rule = (r: string) => ({ 'x-kubernetes-validations': [{ rule: r }] });
  Object.assign(s.properties!['spec']!.properties!, {
    weights: { type: 'array', items: { type: 'integer' }, ...rule('self.isSorted() && self.sum() <= 10 && self.min() >= 1 && self.max() <= 5 && self.indexOf(2) == 1') },
    address: { type: 'string', ...rule("isIP(self) && ip(self).family() == 6 && !ip(self).isLoopback() && ip(self) == ip('2001:db8::1')") },
    network: { type: 'string', ...rule("isCIDR(self) && cidr(self) == cidr(self).masked() && cidr(self).containsIP('10.1.2.3') && cidr(self).prefixLength() == 16") },
  });
  const type = await serve(h, s);
  await h.registry.create(type, 'default', widget('ok', { size: 1, weights: [1, 2, 3], address: '2001:DB8:0::1', network: '10.1.0.0/16' }), {});
  const causes = await invalidCauses(h.registry.create(type, 'default', widget('bad', { size: 1, weights: [3, 2], address: '::ffff:1.2.3.4', network: '10.1.0.1/16' }), {}));
  assert.deepEqual(
    causes.map((c) => c.split(':')[0]),
    ['spec.weights', 'spec.address', 'spec.network'],
  );
});

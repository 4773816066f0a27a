// PriorityClasses as upstream 1.31 has them: defaults, validation on create
// and update with upstream's fields and messages, the built-in classes made
// at bootstrap and kept from deletion, kubectl's columns, and the Priority
// admission plugin over a real registry and store (a class's value and
// policy given to pods, a missing class refused, the global default, a
// priority the pod set itself, priorities kept on update, the one-default
// rule), with the store reads it costs a pod, and ResourceQuota's
// PriorityClass scope seeing the class the plugin gave.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createLogger } from '../../common/log.js';
import { bootstrapCluster } from '../../server/api/bootstrap.js';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { withPriorityAdmission } from '../../server/api/kinds/priority-admission.js';
import type { KubeObject } from '../../server/api/objects.js';
import { withResourceQuota } from '../../server/api/quota/quota-admission.js';
import type { Registry } from '../../server/api/registry/registry.js';
import { ApiError } from '../../server/api/status.js';
import { toTable } from '../../server/api/table/table.js';
import type { Store } from '../../server/store/types.js';
import { apiRegistry, forbidden } from '../helpers/api-registry.js';
import { causes, create, type Json, refusal, update } from '../helpers/kind-rules.js';

const priorityClass = (name: string, rest: Partial<PriorityClass> = {}): Json => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value: 1000, ...rest });
const pod = (name: string, spec: Partial<PodSpec> = {}): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec },
});
const RESERVED = "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error:";

test('a PriorityClass: preemptionPolicy defaults to PreemptLowerPriority, generation is 1, a false globalDefault and an empty description are not kept', () => {
  const made = create(priorityClass('high', { globalDefault: false, description: '' }));
  assert.deepEqual(made, {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'high', uid: made['metadata'].uid, generation: 1 },
    value: 1000,
    preemptionPolicy: 'PreemptLowerPriority',
  });
  const never = create(priorityClass('batch', { value: -5, globalDefault: true, description: 'batch jobs', preemptionPolicy: 'Never' }));
  assert.deepEqual([never['value'], never['globalDefault'], never['description'], never['preemptionPolicy']], [-5, true, 'batch jobs', 'Never']);
  // value is not omitempty upstream: none is 0.
  assert.equal(create({ ...priorityClass('zero'), value: undefined })['value'], 0);
});

test('validation: the user-defined maximum, the reserved system- prefix, the preemption policy', () => {
  assert.equal(create(priorityClass('top', { value: 1_000_000_000 }))['value'], 1_000_000_000);
  assert.deepEqual(causes(() => create(priorityClass('over', { value: 1_000_000_001 }))), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);

  // Only the built-ins, exactly as they are, may take the prefix (their values are above the user maximum).
  assert.equal(create(priorityClass('system-node-critical', { value: 2000001000 }))['value'], 2000001000);
  assert.deepEqual(causes(() => create(priorityClass('system-mine', { value: 10 }))), [`${RESERVED} system-mine is not a known system priority class`]);
  assert.deepEqual(causes(() => create(priorityClass('system-node-critical', { value: 5 }))), [`${RESERVED} value of system-node-critical PriorityClass must be 2000001000`]);
  assert.deepEqual(causes(() => create(priorityClass('system-cluster-critical', { value: 2000000000, globalDefault: true }))), [
    `${RESERVED} globalDefault of system-cluster-critical PriorityClass must be false`,
  ]);
  // A system- name is not also held to the user maximum.
  assert.deepEqual(causes(() => create(priorityClass('system-huge', { value: 2_000_000_000 }))), [`${RESERVED} system-huge is not a known system priority class`]);

  assert.deepEqual(causes(() => create(priorityClass('odd', { preemptionPolicy: 'Sometimes' }))), [
    'preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
  ]);
  assert.deepEqual(causes(() => create(priorityClass('empty', { preemptionPolicy: '' }))), ['preemptionPolicy: Required value']);
  // Pods' own preemptionPolicy is checked by the same rule.
  assert.deepEqual(causes(() => create(pod('p', { preemptionPolicy: '' }))), ['spec.preemptionPolicy: Required value']);
});

test('value is an int32: anything else fails the decoding with Go’s words', () => {
  const decoding = (value: unknown) => refusal(() => create({ ...priorityClass('bad'), value }), 400).message;
  const prefix = 'PriorityClass in version "v1" cannot be handled as a PriorityClass: json: cannot unmarshal';
  assert.equal(decoding(1.5), `${prefix} number 1.5 into Go struct field PriorityClass.value of type int32`);
  assert.equal(decoding(3_000_000_000), `${prefix} number 3000000000 into Go struct field PriorityClass.value of type int32`);
  assert.equal(decoding('10'), `${prefix} string into Go struct field PriorityClass.value of type int32`);
  assert.equal(create({ ...priorityClass('nil'), value: null })['value'], 0);
});

test('update: value and preemptionPolicy never change; the rest may, the generation stays 1, and create-only rules are not asked again', () => {
  const current = create(priorityClass('high', { description: 'first' }));
  const changed = update(current, { ...priorityClass('high', { description: 'second', globalDefault: true }), metadata: { name: 'high', generation: 7 } });
  assert.deepEqual([changed['description'], changed['globalDefault'], changed['metadata'].generation], ['second', true, 1]);
  assert.deepEqual(causes(() => update(current, priorityClass('high', { value: 1001 }))), ['value: Forbidden: may not be changed in an update.']);
  assert.deepEqual(causes(() => update(current, priorityClass('high', { preemptionPolicy: 'Never' }))), ['preemptionPolicy: Invalid value: "Never": field is immutable']);
  // Left out, the policy is defaulted again: the same one.
  const never = create(priorityClass('quiet', { preemptionPolicy: 'Never' }));
  assert.deepEqual(causes(() => update(never, priorityClass('quiet'))), ['preemptionPolicy: Invalid value: "PreemptLowerPriority": field is immutable']);
  // Upstream's update validation checks no prefix or maximum.
  const system = create(priorityClass('system-node-critical', { value: 2000001000 }));
  assert.equal(update(system, priorityClass('system-node-critical', { value: 2000001000, description: 'mine' }))['description'], 'mine');
});

test('kubectl get priorityclasses: 1.31’s columns, value and globalDefault typed', () => {
  const now = new Date('2025-01-01T00:10:00Z');
  const at = '2025-01-01T00:05:00Z';
  const made = (name: string, rest: Partial<PriorityClass>) => ({ ...create(priorityClass(name, rest)), metadata: { name, creationTimestamp: at } }) as unknown as KubeObject;
  const table = toTable({ group: 'scheduling.k8s.io', kind: 'PriorityClass' }, [made('high', {}), made('default', { value: 10, globalDefault: true })], { includeObject: 'None', now });
  assert.deepEqual(
    table.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Value', 'integer', '', 0],
      ['Global-Default', 'boolean', '', 0],
      ['Age', 'string', '', 0],
    ],
  );
  assert.match(table.columnDefinitions[1]!.description, /^value represents the integer value of this priority class\./);
  assert.match(table.columnDefinitions[2]!.description, /^globalDefault specifies whether this PriorityClass should be considered as the default priority/);
  assert.deepEqual(
    table.rows.map((r) => r.cells),
    [
      ['high', 1000, false, '5m'],
      ['default', 10, true, '5m'],
    ],
  );
});

async function setup(t: TestContext) {
  let bound: Registry | undefined;
  const reads: string[] = [];
  const { store, catalogue, registry } = await apiRegistry(t, {
    rules: (store, catalogue) => {
      // Every read the plugin makes, to show what a pod create costs.
      const counted = {
        get: (key: string) => (reads.push(`get ${key}`), store.get(key)),
        list: (prefix: string) => (reads.push(`list ${prefix}`), store.list(prefix)),
      } as unknown as Store;
      const admitted = withPriorityAdmission(rulesFor, counted, catalogue.get('scheduling.k8s.io', 'v1', 'priorityclasses')!);
      return withResourceQuota(admitted, { store, quotas: catalogue.get('', 'v1', 'resourcequotas')!, registry: () => bound! });
    },
  });
  bound = registry;
  const classes = catalogue.get('scheduling.k8s.io', 'v1', 'priorityclasses')!;
  const pods = catalogue.get('', 'v1', 'pods')!;
  const addClass = (name: string, rest: Partial<PriorityClass> = {}, opts: { dryRun?: boolean } = {}) =>
    registry.create(classes, undefined, priorityClass(name, rest) as KubeObject, opts) as Promise<KubeObject & PriorityClass>;
  const createPod = (name: string, spec: Partial<PodSpec> = {}) => registry.create(pods, 'default', pod(name, spec) as KubeObject, {}) as Promise<KubeObject & Pod>;
  return { store, registry, catalogue, classes, pods, reads, addClass, createPod };
}

test('the built-in classes exist from the start, as upstream’s bootstrap makes them, and cannot be deleted one by one', async (t) => {
  const { registry, classes, addClass } = await setup(t);
  const listed = (await registry.list(classes, undefined, {})).items as (KubeObject & PriorityClass)[];
  assert.deepEqual(
    listed.map(({ metadata, ...rest }) => [metadata.name, metadata.generation, rest]),
    [
      ['system-cluster-critical', 1, { description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.', value: 2000000000, preemptionPolicy: 'PreemptLowerPriority' }],
      ['system-node-critical', 1, { description: 'Used for system critical pods that must not be moved from their current node.', value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }],
    ],
  );
  for (const name of ['system-node-critical', 'system-cluster-critical']) {
    assert.equal(
      await forbidden(registry.delete(classes, undefined, name, {})),
      `priorityclasses.scheduling.k8s.io "${name}" is forbidden: this is a system priority class and cannot be deleted`,
    );
  }
  // Refused by name, before it is looked up, dry run or not.
  assert.match(await forbidden(registry.delete(classes, undefined, 'system-node-critical', { dryRun: true })), /this is a system priority class and cannot be deleted$/);
  await addClass('high');
  assert.equal((await registry.delete(classes, undefined, 'high', {})).pending, false);
  // A name with the prefix that is not a built-in is refused at create, with the bootstrap's own rules.
  assert.match(await invalidMessage(addClass('system-mine', { value: 1 })), /^PriorityClass\.scheduling\.k8s\.io "system-mine" is invalid: metadata\.name: Forbidden: priority class names/);
});

test('a deletecollection removes the built-ins too, as upstream’s does; the next start makes them again', async (t) => {
  const { registry, catalogue, classes } = await setup(t);
  await registry.deleteCollection(classes, undefined, {}, {});
  assert.deepEqual((await registry.list(classes, undefined, {})).items, []);
  await bootstrapCluster(registry, catalogue, createLogger({ level: 'error' }));
  assert.deepEqual((await registry.list(classes, undefined, {})).items.map((i) => i.metadata.name), ['system-cluster-critical', 'system-node-critical']);
});

test('admission: a pod gets its class’s value and preemptionPolicy; a class that does not exist refuses it', async (t) => {
  const { addClass, createPod, registry, pods } = await setup(t);
  await addClass('batch', { value: 500, preemptionPolicy: 'Never' });
  const batch = await createPod('b', { priorityClassName: 'batch' });
  assert.deepEqual([batch.spec!.priorityClassName, batch.spec!.priority, batch.spec!.preemptionPolicy], ['batch', 500, 'Never']);
  const critical = await createPod('c', { priorityClassName: 'system-node-critical' });
  assert.deepEqual([critical.spec!.priority, critical.spec!.preemptionPolicy], [2000001000, 'PreemptLowerPriority']);

  assert.equal(await forbidden(createPod('lost', { priorityClassName: 'nope' })), 'pods "lost" is forbidden: no PriorityClass with name nope was found');
  assert.equal(
    await forbidden(registry.create(pods, 'default', pod('dry', { priorityClassName: 'nope' }) as KubeObject, { dryRun: true })),
    'pods "dry" is forbidden: no PriorityClass with name nope was found',
  );
});

test('admission: a priority or policy the pod sets itself must be the computed one, as before', async (t) => {
  const { addClass, createPod } = await setup(t);
  await addClass('batch', { value: 500, preemptionPolicy: 'Never' });
  assert.equal(
    await forbidden(createPod('p', { priority: 5 })),
    'pods "p" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name',
  );
  assert.equal(
    await forbidden(createPod('q', { priorityClassName: 'batch', priority: 0 })),
    'pods "q" is forbidden: the integer value of priority (0) must not be provided in pod spec; priority admission controller computed 500 from the given PriorityClass name',
  );
  assert.equal(
    await forbidden(createPod('r', { priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' })),
    'pods "r" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name',
  );
  assert.equal(
    await forbidden(createPod('s', { preemptionPolicy: 'Never' })),
    'pods "s" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name',
  );
  // The computed values themselves pass.
  const same = await createPod('same', { priorityClassName: 'batch', priority: 500, preemptionPolicy: 'Never' });
  assert.equal(same.spec!.priority, 500);
});

test('admission: without a class a pod gets the global default’s name, value and policy, else 0; reads a pod create costs', async (t) => {
  const { addClass, createPod, reads } = await setup(t);
  reads.length = 0;
  const plain = await createPod('plain');
  assert.deepEqual([plain.spec!.priorityClassName, plain.spec!.priority, plain.spec!.preemptionPolicy], [undefined, 0, 'PreemptLowerPriority']);
  assert.deepEqual(reads, ['list /registry/scheduling.k8s.io/priorityclasses/'], 'one list of the classes, no other read');

  await addClass('low', { value: 10 });
  await addClass('cluster-default', { value: -10, globalDefault: true, preemptionPolicy: 'Never' });
  reads.length = 0;
  const defaulted = await createPod('defaulted');
  assert.deepEqual([defaulted.spec!.priorityClassName, defaulted.spec!.priority, defaulted.spec!.preemptionPolicy], ['cluster-default', -10, 'Never']);
  assert.deepEqual(reads, ['list /registry/scheduling.k8s.io/priorityclasses/']);

  reads.length = 0;
  const named = await createPod('named', { priorityClassName: 'low' });
  assert.deepEqual([named.spec!.priorityClassName, named.spec!.priority, named.spec!.preemptionPolicy], ['low', 10, 'PreemptLowerPriority']);
  assert.deepEqual(reads, ['get /registry/scheduling.k8s.io/priorityclasses/low'], 'a pod naming a class reads that class alone');
});

test('admission: only one class may be the global default; should a race have made two, pods get the lower one', async (t) => {
  const { store, registry, classes, addClass, createPod } = await setup(t);
  await addClass('default-a', { value: 100, globalDefault: true });
  const second = 'PriorityClass default-a is already marked as default. Only one default can exist';
  assert.equal(await forbidden(addClass('default-b', { value: 50, globalDefault: true })), `priorityclasses.scheduling.k8s.io "default-b" is forbidden: ${second}`);
  assert.equal(await forbidden(addClass('default-dry', { globalDefault: true }, { dryRun: true })), `priorityclasses.scheduling.k8s.io "default-dry" is forbidden: ${second}`);
  // The default itself may be updated and stay one; another may not become one.
  const kept = await registry.patch(classes, undefined, 'default-a', (pc) => ({ ...pc, description: 'the default' }), {});
  assert.equal(kept['globalDefault'], true);
  await addClass('other', { value: 1 });
  assert.equal(
    await forbidden(registry.patch(classes, undefined, 'other', (pc) => ({ ...pc, globalDefault: true }), {})),
    `priorityclasses.scheduling.k8s.io "other" is forbidden: ${second}`,
  );
  // Once the default is no more one, another may be.
  await registry.patch(classes, undefined, 'default-a', (pc) => ({ ...pc, globalDefault: false }), {});
  await registry.patch(classes, undefined, 'other', (pc) => ({ ...pc, globalDefault: true }), {});
  assert.equal((await createPod('p')).spec!.priorityClassName, 'other');

  // Two defaults (written around the plugin, as a race would): the lower value wins.
  const key = '/registry/scheduling.k8s.io/priorityclasses/default-a';
  const kv = (await store.get(key))!;
  const raced = JSON.parse(Buffer.from(kv.value).toString('utf8')) as Json;
  raced['globalDefault'] = true;
  await store.update(key, Buffer.from(JSON.stringify(raced)), { expectedRevision: kv.modRevision });
  assert.deepEqual([(await createPod('q')).spec!.priorityClassName, (await createPod('r')).spec!.priority], ['other', 1]);
});

test('update: a pod keeps the priority and policy it was given when a write leaves them out; a change is refused', async (t) => {
  const { addClass, createPod, registry, pods } = await setup(t);
  await addClass('batch', { value: 500, preemptionPolicy: 'Never' });
  const made = await createPod('p', { priorityClassName: 'batch' });
  const { priority: _p, preemptionPolicy: _pp, ...rest } = made.spec!;
  const replaced = (await registry.update(pods, 'default', 'p', { ...made, spec: rest } as KubeObject, {})) as KubeObject & Pod;
  assert.deepEqual([replaced.spec!.priority, replaced.spec!.preemptionPolicy], [500, 'Never']);
  const err = await registry.update(pods, 'default', 'p', { ...replaced, spec: { ...replaced.spec, priority: 7 } } as KubeObject, {}).then(
    () => assert.fail('expected a 422'),
    (e: unknown) => e as ApiError,
  );
  assert.equal(err.code, 422);
  assert.match(err.message, /spec: Forbidden: pod updates may not change fields other than/);
});

test('ResourceQuota’s PriorityClass scope counts the class the plugin gave a pod that named none', async (t) => {
  const { registry, catalogue, addClass, createPod } = await setup(t);
  const quotas = catalogue.get('', 'v1', 'resourcequotas')!;
  const spec = { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['cluster-default'] }] } };
  await registry.create(quotas, 'default', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'defaults' }, spec } as KubeObject, {});
  await registry.patch(quotas, 'default', 'defaults', (q) => ({ ...q, status: { hard: { pods: '1' }, used: { pods: '0' } } }), { subresource: 'status' });
  await createPod('before');
  await addClass('cluster-default', { value: 1, globalDefault: true });
  await createPod('one');
  assert.equal(
    await forbidden(createPod('two')),
    'pods "two" is forbidden: exceeded quota: defaults, requested: pods=1, used: pods=1, limited: pods=1',
  );
});

async function invalidMessage(call: Promise<unknown>): Promise<string> {
  const err = await call.then(
    () => assert.fail('expected a 422'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError && err.code === 422, String(err));
  return err.message;
}

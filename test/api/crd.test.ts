// The CRD catalogue against a real store and registry: what a CRD serves,
// its status, idempotent reconciles, versions that stop being served,
// deletion with its custom resources, name conflicts, restarts.
import assert from 'node:assert/strict';
import type { JSONSchemaProps } from 'kubernetes-types/apiextensions/v1.js';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { createLogger } from '../../common/log.js';
import { Catalogue } from '../../server/api/catalogue.js';
import { CrdCatalogue } from '../../server/api/crd/crd-catalogue.js';
import type { Definition } from '../../server/api/crd/definition.js';
import { type CustomResourceType, isCustomResourceType, resourceTypesOf } from '../../server/api/crd/resource-types.js';
import { withCustomResourceRules } from '../../server/api/crd/rules.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import type { KubeObject } from '../../server/api/objects.js';
import { unknownFields } from '../../server/api/openapi/field-validation.js';
import { Registry } from '../../server/api/registry/registry.js';
import type { ResourceType } from '../../server/api/resources.js';
import { ApiError } from '../../server/api/status.js';
import { toTable } from '../../server/api/table/table.js';
import { type LevelStore, openLevelStore } from '../../server/store/level-store.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const quiet = createLogger({ level: 'error' });

interface Harness {
  readonly store: LevelStore;
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly crds: CrdCatalogue;
  readonly crdType: ResourceType;
}

async function harness(t: TestContext, path?: string): Promise<Harness> {
  const store = await openLevelStore({ path: path ?? join(await tempDir(t), 'db'), logger: quiet });
  const { catalogue, registry } = await apiRegistry(t, { store, rules: () => withCustomResourceRules(rulesFor, quiet) });
  const crds = await CrdCatalogue.start({ registry, catalogue, log: quiet });
  // The catalogue first: it watches the store.
  t.after(async () => {
    await crds.close();
    await store.close();
  });
  return { store, registry, catalogue, crds, crdType: catalogue.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')! };
}

function crontabs(overrides: Partial<Definition['spec']> = {}, name = 'crontabs.stable.example.com'): Definition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: { plural: 'crontabs', kind: 'CronTab', shortNames: ['ct'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' }, replicas: { type: 'integer' } } } },
            },
          },
          additionalPrinterColumns: [{ name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' }],
          subresources: { status: {} },
        },
        {
          name: 'v1beta1',
          served: true,
          storage: false,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } as JSONSchemaProps },
        },
      ],
      ...overrides,
    },
  };
}

const crontab = (name: string, version = 'v1', extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: `stable.example.com/${version}`,
  kind: 'CronTab',
  metadata: { name },
  spec: { cronSpec: '* * * * */5', replicas: 2 },
  ...extra,
});

async function getCrd(h: Harness, name = 'crontabs.stable.example.com'): Promise<Definition> {
  return (await h.registry.get(h.crdType, undefined, name)) as Definition;
}

async function established(h: Harness, name = 'crontabs.stable.example.com'): Promise<Definition> {
  await until(async () => (await getCrd(h, name)).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true, `${name} established`);
  await h.crds.settled();
  return getCrd(h, name);
}

function served(h: Harness, group: string): CustomResourceType[] {
  return h.catalogue.all().filter((r): r is CustomResourceType => isCustomResourceType(r) && r.group === group);
}

test('a CRD becomes one type per served version, then Established with its accepted names', async (t) => {
  const h = await harness(t);
  await h.registry.create(h.crdType, undefined, crontabs(), {});
  const crd = await established(h);

  const v1 = h.catalogue.get('stable.example.com', 'v1', 'crontabs');
  assert.ok(v1 !== undefined && isCustomResourceType(v1));
  assert.deepEqual(
    { kind: v1.kind, listKind: v1.listKind, singular: v1.singular, namespaced: v1.namespaced, shortNames: v1.shortNames, verbs: v1.verbs.length },
    { kind: 'CronTab', listKind: 'CronTabList', singular: 'crontab', namespaced: true, shortNames: ['ct'], verbs: 8 },
  );
  assert.deepEqual(v1.subresources, [{ name: 'status', kind: { group: 'stable.example.com', version: 'v1', kind: 'CronTab' }, verbs: ['get', 'patch', 'update'] }]);
  assert.ok(h.catalogue.get('stable.example.com', 'v1beta1', 'crontabs'));
  assert.deepEqual(h.catalogue.groups().find((g) => g.name === 'stable.example.com'), { name: 'stable.example.com', versions: ['v1', 'v1beta1'], preferred: 'v1' });

  assert.deepEqual(crd.status?.acceptedNames, { plural: 'crontabs', singular: 'crontab', shortNames: ['ct'], kind: 'CronTab', listKind: 'CronTabList' });
  assert.deepEqual(
    crd.status?.conditions?.map(({ type, status, reason, message }) => ({ type, status, reason, message })),
    [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
    ],
  );
  assert.deepEqual(crd.status?.storedVersions, ['v1']);
  assert.deepEqual(crd.metadata.finalizers, ['customresourcecleanup.apiextensions.k8s.io']);
  assert.equal(crd.spec.conversion?.strategy, 'None');
});

test('reconciling again changes nothing: no catalogue change, no status write', async (t) => {
  const h = await harness(t);
  await h.registry.create(h.crdType, undefined, crontabs(), {});
  const before = await established(h);
  const generation = h.catalogue.generation;
  await h.crds.reconcile('crontabs.stable.example.com');
  await h.crds.reconcile('crontabs.stable.example.com');
  await h.crds.settled();
  assert.equal(h.catalogue.generation, generation);
  assert.equal((await getCrd(h)).metadata.resourceVersion, before.metadata.resourceVersion);
});

test('a version no longer served, or no longer there, is removed; a new one added', async (t) => {
  const h = await harness(t);
  await h.registry.create(h.crdType, undefined, crontabs(), {});
  await established(h);
  const change = (edit: (crd: Definition) => void) =>
    h.registry.patch(h.crdType, undefined, 'crontabs.stable.example.com', (current) => {
      edit(current as Definition);
      return current;
    }, {});

  await change((crd) => (crd.spec.versions[1]!.served = false));
  await until(() => h.catalogue.get('stable.example.com', 'v1beta1', 'crontabs') === undefined, 'v1beta1 removed');
  assert.deepEqual(served(h, 'stable.example.com').map((r) => r.version), ['v1']);

  await change((crd) => {
    crd.spec.versions = [crd.spec.versions[0]!, { ...crd.spec.versions[0]!, name: 'v2', storage: false }];
  });
  await until(() => h.catalogue.get('stable.example.com', 'v2', 'crontabs') !== undefined, 'v2 served');
  assert.deepEqual(served(h, 'stable.example.com').map((r) => r.version).sort(), ['v1', 'v2']);

  await change((crd) => {
    crd.spec.versions = [crd.spec.versions[0]!];
  });
  await until(() => h.catalogue.get('stable.example.com', 'v2', 'crontabs') === undefined, 'v2 removed');
  assert.deepEqual(served(h, 'stable.example.com').map((r) => r.version), ['v1']);
});

test('objects are stored as written and read through any served version with that apiVersion', async (t) => {
  const h = await harness(t);
  await h.registry.create(h.crdType, undefined, crontabs(), {});
  await established(h);
  const v1 = h.catalogue.get('stable.example.com', 'v1', 'crontabs')!;
  const beta = h.catalogue.get('stable.example.com', 'v1beta1', 'crontabs')!;
  await h.registry.create(beta, 'default', crontab('old', 'v1beta1'), {});
  const read = await h.registry.get(v1, 'default', 'old');
  assert.equal(read.apiVersion, 'stable.example.com/v1');
  assert.deepEqual(read['spec'], { cronSpec: '* * * * */5', replicas: 2 });
});

test('deleting a CRD deletes its custom resources, waits for their finalizers, refuses new ones, then goes', async (t) => {
  const h = await harness(t);
  await h.registry.create(h.crdType, undefined, crontabs(), {});
  await established(h);
  const v1 = h.catalogue.get('stable.example.com', 'v1', 'crontabs')!;
  await h.registry.create(v1, 'default', crontab('a'), {});
  await h.registry.create(v1, 'kube-system', crontab('b'), {});
  await h.registry.create(v1, 'default', { ...crontab('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } }, {});

  const outcome = await h.registry.delete(h.crdType, undefined, 'crontabs.stable.example.com', {});
  assert.equal(outcome.pending, true);
  await until(async () => (await h.registry.list(v1, undefined, {})).items.length === 1, 'the unheld ones deleted');
  const held = await h.registry.get(v1, 'default', 'held');
  assert.ok(held.metadata.deletionTimestamp !== undefined);
  const terminatingCondition = (await getCrd(h)).status?.conditions?.find((c) => c.type === 'Terminating');
  assert.deepEqual(
    [terminatingCondition?.status, terminatingCondition?.reason, terminatingCondition?.message],
    ['True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress'],
  );
  const terminating = h.catalogue.get('stable.example.com', 'v1', 'crontabs')!;
  await assert.rejects(h.registry.create(terminating, 'default', crontab('late'), {}), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 405);
    assert.equal(err.message, 'create not allowed while custom resource definition is terminating');
    return true;
  });

  // The object's own finalizer goes; then the CRD follows, and with it the types.
  await h.registry.patch(terminating, 'default', 'held', (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }), {});
  await until(async () => {
    try {
      await getCrd(h);
      return false;
    } catch {
      return true;
    }
  }, 'the CRD gone');
  await until(() => served(h, 'stable.example.com').length === 0, 'types removed');
  assert.equal(h.catalogue.groups().some((g) => g.name === 'stable.example.com'), false);
});

test('names another CRD of the group holds are not accepted; freed, they are', async (t) => {
  const h = await harness(t);
  await h.registry.create(h.crdType, undefined, crontabs(), {});
  await established(h);
  const rival = crontabs({ names: { plural: 'cronjobs', singular: 'cronjob', kind: 'CronTab' } }, 'cronjobs.stable.example.com');
  await h.registry.create(h.crdType, undefined, rival, {});
  await until(async () => (await getCrd(h, 'cronjobs.stable.example.com')).status?.conditions !== undefined, 'rival reconciled');
  await h.crds.settled();
  const refused = await getCrd(h, 'cronjobs.stable.example.com');
  const condition = (type: string) => refused.status?.conditions?.find((c) => c.type === type);
  // Kind and (defaulted) list kind both clash; like upstream, the condition tells of the last.
  assert.deepEqual([condition('NamesAccepted')?.status, condition('NamesAccepted')?.reason, condition('NamesAccepted')?.message], ['False', 'ListKindConflict', '"CronTabList" is already in use']);
  assert.deepEqual(refused.status?.acceptedNames, { plural: 'cronjobs', singular: 'cronjob', kind: '' });
  assert.deepEqual([condition('Established')?.status, condition('Established')?.reason], ['False', 'NotAccepted']);
  assert.equal(h.catalogue.get('stable.example.com', 'v1', 'cronjobs'), undefined);

  await h.registry.delete(h.crdType, undefined, 'crontabs.stable.example.com', {});
  const now = await established(h, 'cronjobs.stable.example.com');
  assert.equal(now.status?.acceptedNames?.kind, 'CronTab');
  assert.ok(h.catalogue.get('stable.example.com', 'v1', 'cronjobs'));
});

test('a CRD may not take over a built-in type', async (t) => {
  const h = await harness(t);
  const ingresses = h.catalogue.get('networking.k8s.io', 'v1', 'ingresses');
  const name = 'ingresses.networking.k8s.io';
  await h.registry.create(h.crdType, undefined, crontabs({ group: 'networking.k8s.io', names: { plural: 'ingresses', kind: 'Ingress' } }, name), {});
  await until(async () => (await getCrd(h, name)).status?.conditions !== undefined, 'reconciled');
  const names = (await getCrd(h, name)).status?.conditions?.find((c) => c.type === 'NamesAccepted');
  assert.equal(names?.status, 'False');
  assert.equal(h.catalogue.get('networking.k8s.io', 'v1', 'ingresses'), ingresses);
  assert.equal(h.catalogue.get('networking.k8s.io', 'v1beta1', 'ingresses'), undefined);
});

test('a restarted server serves the stored CRDs before its first request', async (t) => {
  const path = join(await tempDir(t), 'db');
  {
    const store = await openLevelStore({ path, logger: quiet });
    const { catalogue, registry } = await apiRegistry(t, { store, rules: () => withCustomResourceRules(rulesFor, quiet), bootstrap: false });
    const crds = await CrdCatalogue.start({ registry, catalogue, log: quiet });
    await registry.create(catalogue.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!, undefined, crontabs(), {});
    await until(() => catalogue.get('stable.example.com', 'v1', 'crontabs') !== undefined, 'served');
    await crds.settled();
    await crds.close();
    await store.close();
  }
  const h = await harness(t, path);
  assert.deepEqual(served(h, 'stable.example.com').map((r) => r.version).sort(), ['v1', 'v1beta1']);
});

test('tables and field validation of a served kind follow its CRD', async (t) => {
  const h = await harness(t);
  await h.registry.create(h.crdType, undefined, crontabs(), {});
  await established(h);
  const v1 = h.catalogue.get('stable.example.com', 'v1', 'crontabs')!;
  const obj = await h.registry.create(v1, 'default', crontab('a'), {});
  const table = toTable(v1, [obj], { includeObject: 'None', now: new Date() });
  assert.deepEqual(table.columnDefinitions.map((c) => [c.name, c.type]), [['Name', 'string'], ['Spec', 'string']]);
  assert.deepEqual(table.rows[0]?.cells, ['a', '* * * * */5']);
  // v1beta1 declares no columns: upstream's Age.
  const v1beta1 = h.catalogue.get('stable.example.com', 'v1beta1', 'crontabs')!;
  const beta = toTable(v1beta1, [{ ...obj, apiVersion: 'stable.example.com/v1beta1' }], { includeObject: 'None', now: new Date() });
  assert.deepEqual(beta.columnDefinitions.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);

  const withTypos = { ...crontab('b'), metadata: { name: 'b', labelz: {} }, spec: { cronSpec: 'x', replicaz: 1 }, extra: true };
  assert.deepEqual(unknownFields(v1, withTypos), ['metadata.labelz', 'spec.replicaz', 'extra']);
  // x-kubernetes-preserve-unknown-fields at the root: any field goes.
  assert.deepEqual(unknownFields(v1beta1, withTypos), []);
});

test('resourceTypesOf: served versions only, cluster scope, scale and status, default columns', () => {
  const crd = crontabs({
    scope: 'Cluster',
    versions: [
      { name: 'v1', served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } } },
      { name: 'v0', served: false, storage: false },
    ],
  });
  const types = resourceTypesOf(crd, { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', categories: ['all'] });
  assert.equal(types.length, 1);
  const [v1] = types;
  assert.equal(v1?.namespaced, false);
  assert.deepEqual(v1?.categories, ['all']);
  assert.deepEqual(v1?.shortNames, []);
  assert.deepEqual(v1?.subresources.map((s) => [s.name, `${s.kind.group}/${s.kind.version}/${s.kind.kind}`]), [
    ['status', 'stable.example.com/v1/CronTab'],
    ['scale', 'autoscaling/v1/Scale'],
  ]);
  assert.deepEqual(v1?.printerColumns.map((c) => [c.name, c.type, c.jsonPath]), [['Age', 'date', '.metadata.creationTimestamp']]);
  assert.equal(v1?.terminating, false);
});

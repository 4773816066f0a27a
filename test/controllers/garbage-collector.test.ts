// Garbage collection through ownerReferences on a real store and registry:
// what a deletion's propagationPolicy writes (finalizers, 422s, dry runs),
// then the collector with Background, Foreground and Orphan propagation over
// owners and dependents of several kinds (pods through the shared informer,
// cluster-scoped owners, custom resources), a dependent with two owners, and
// a collector started again on changes it did not see.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createLogger } from '../../common/log.js';
import { CrdCatalogue } from '../../server/api/crd/crd-catalogue.js';
import { withCustomResourceRules } from '../../server/api/crd/rules.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import type { KubeObject, OwnerReference } from '../../server/api/objects.js';
import type { ResourceType } from '../../server/api/resources.js';
import { ApiError } from '../../server/api/status.js';
import { GarbageCollector } from '../../server/controllers/garbage-collector.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';
import { widgetsDefinition } from '../helpers/crd-objects.js';

const quiet = createLogger({ level: 'error' });
const HOLD = 'example.com/hold';

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t, { rules: () => withCustomResourceRules(rulesFor, quiet) });
  const type = (group: string, plural: string) => catalogue.all().find((r) => r.group === group && r.plural === plural)!;
  const configmaps = type('', 'configmaps');
  const secrets = type('', 'secrets');
  const pods = type('', 'pods');
  const clusterroles = type('rbac.authorization.k8s.io', 'clusterroles');
  const events = type('', 'events');

  /** Starts a collector (and the informers it shares), stopped when the test ends or by the returned function. */
  const startCollector = async () => {
    const informers = new SharedInformers(registry, catalogue, quiet);
    // As in the server, another controller has the pods cached already.
    await informers.of('', 'v1', 'pods').start();
    const collector = await GarbageCollector.start({ registry, catalogue, informers, log: quiet });
    const stop = async () => {
      await collector.close();
      await informers.close();
    };
    t.after(stop);
    return stop;
  };

  const meta = (name: string, owners: OwnerReference[] = [], finalizers: string[] = []) => ({
    name,
    ...(owners.length > 0 ? { ownerReferences: owners } : {}),
    ...(finalizers.length > 0 ? { finalizers } : {}),
  });
  const configmap = (name: string, owners?: OwnerReference[], finalizers?: string[]) =>
    registry.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name, owners, finalizers), data: { k: 'v' } }, {});
  const secret = (name: string, owners?: OwnerReference[], finalizers?: string[]) =>
    registry.create(secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: meta(name, owners, finalizers), data: {} }, {});
  const pod = (name: string, owners?: OwnerReference[], finalizers?: string[]) =>
    registry.create(pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: meta(name, owners, finalizers), spec: { containers: [{ name: 'c', image: 'busybox' }] } }, {});
  const clusterrole = (name: string) =>
    registry.create(clusterroles, undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules: [] }, {});

  const find = async (type: ResourceType, name: string, namespace: string | undefined = 'default') => {
    try {
      return await registry.get(type, type.namespaced ? namespace : undefined, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  };
  const gone = (type: ResourceType, name: string) => until(async () => (await find(type, name)) === undefined, `${type.plural}/${name} gone`);
  const release = (type: ResourceType, name: string) =>
    registry.patch(type, 'default', name, (obj) => ({ ...obj, metadata: { ...obj.metadata, finalizers: obj.metadata.finalizers!.filter((f) => f !== HOLD) } }), {});
  return { registry, catalogue, configmaps, secrets, pods, clusterroles, events, startCollector, configmap, secret, pod, clusterrole, find, gone, release };
}

const ref = (owner: KubeObject, block = false): OwnerReference => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.metadata.name!,
  uid: owner.metadata.uid!,
  ...(block ? { blockOwnerDeletion: true } : {}),
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a deletion with Orphan or Foreground keeps the object with its finalizer; a later request changes it; Background deletes at once', async (t) => {
  const { registry, configmaps, configmap, find } = await setup(t);
  await configmap('held', [], [HOLD]);
  const foreground = await registry.delete(configmaps, 'default', 'held', { propagationPolicy: 'Foreground' });
  assert.equal(foreground.pending, true);
  assert.deepEqual(foreground.object.metadata.finalizers, [HOLD, 'foregroundDeletion']);
  assert.ok(foreground.object.metadata.deletionTimestamp);
  assert.equal(foreground.object.metadata.deletionGracePeriodSeconds, 0);

  const orphan = await registry.delete(configmaps, 'default', 'held', { propagationPolicy: 'Orphan' });
  assert.deepEqual(orphan.object.metadata.finalizers, [HOLD, 'orphan']);
  assert.equal(orphan.object.metadata.deletionTimestamp, foreground.object.metadata.deletionTimestamp, 'the first deletion time stays');
  // Without a policy the one asked for stays, and nothing is written.
  const again = await registry.delete(configmaps, 'default', 'held', {});
  assert.equal(again.object.metadata.resourceVersion, orphan.object.metadata.resourceVersion);
  assert.deepEqual(again.object.metadata.finalizers, [HOLD, 'orphan']);
  const background = await registry.delete(configmaps, 'default', 'held', { propagationPolicy: 'Background' });
  assert.equal(background.pending, true, 'still held by its own finalizer');
  assert.deepEqual(background.object.metadata.finalizers, [HOLD]);

  await configmap('waiting');
  const waiting = await registry.delete(configmaps, 'default', 'waiting', { propagationPolicy: 'Foreground' });
  assert.deepEqual(waiting.object.metadata.finalizers, ['foregroundDeletion']);
  assert.ok(await find(configmaps, 'waiting'), 'no collector runs: it waits');
  const now = await registry.delete(configmaps, 'default', 'waiting', { propagationPolicy: 'Background' });
  assert.equal(now.pending, false);
  assert.equal(await find(configmaps, 'waiting'), undefined, 'Background on an object waiting in the foreground deletes it now');

  await configmap('plain');
  assert.equal((await registry.delete(configmaps, 'default', 'plain', {})).pending, false, 'no policy is Background');
  assert.equal(await find(configmaps, 'plain'), undefined);
});

test('orphanDependents maps to Orphan and Background; invalid DeleteOptions are 422 as upstream; a dry run writes nothing; events ignore the policy', async (t) => {
  const { registry, configmaps, events, configmap, find } = await setup(t);
  await configmap('legacy');
  const orphaned = await registry.delete(configmaps, 'default', 'legacy', { orphanDependents: true });
  assert.deepEqual(orphaned.object.metadata.finalizers, ['orphan']);
  assert.equal((await registry.delete(configmaps, 'default', 'legacy', { orphanDependents: false })).pending, false);
  assert.equal(await find(configmaps, 'legacy'), undefined);

  await configmap('target');
  await assert.rejects(registry.delete(configmaps, 'default', 'target', { propagationPolicy: 'Sideways' }), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 422);
    assert.equal(err.message, 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"');
    assert.deepEqual(err.details?.causes?.map((c) => [c.reason, c.field]), [['FieldValueNotSupported', 'propagationPolicy']]);
    return true;
  });
  await assert.rejects(registry.delete(configmaps, 'default', 'target', { propagationPolicy: 'Orphan', orphanDependents: true }), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 422);
    assert.equal(err.message, 'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set');
    return true;
  });
  await assert.rejects(registry.delete(configmaps, 'default', 'missing', { propagationPolicy: 'Sideways' }), { code: 404 }, 'not found comes first');

  const before = (await find(configmaps, 'target'))!;
  const dry = await registry.delete(configmaps, 'default', 'target', { propagationPolicy: 'Orphan', dryRun: true });
  assert.deepEqual(dry.object.metadata.finalizers, ['orphan']);
  assert.equal(dry.pending, true);
  assert.deepEqual(await find(configmaps, 'target'), before);

  const event = await registry.create(
    events,
    'default',
    { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, involvedObject: { kind: 'ConfigMap', name: 'target' }, reason: 'R', message: 'm' },
    {},
  );
  assert.equal((await registry.delete(events, 'default', event.metadata.name!, { propagationPolicy: 'Foreground' })).pending, false);
});

test('Background: dependents of every kind whose owners are gone are deleted, down a chain; so is one whose owner never existed', async (t) => {
  const { registry, configmaps, secrets, pods, clusterroles, startCollector, configmap, secret, pod, clusterrole, find, gone } = await setup(t);
  await startCollector();
  const owner = await configmap('owner');
  const childSecret = await secret('child-secret', [ref(owner)]);
  await pod('child-pod', [ref(owner, true)]);
  await configmap('grandchild', [ref(childSecret)]);
  const role = await clusterrole('cluster-owner');
  await configmap('of-cluster-owner', [ref(role)]);
  await configmap('keeper');
  await pause(300);
  assert.ok(await find(secrets, 'child-secret'), 'an owner alive keeps its dependents');

  await registry.delete(configmaps, 'default', 'owner', {});
  await gone(secrets, 'child-secret');
  await gone(pods, 'child-pod');
  await gone(configmaps, 'grandchild');
  await registry.delete(clusterroles, undefined, 'cluster-owner', { propagationPolicy: 'Background' });
  await gone(configmaps, 'of-cluster-owner');

  const keeper = (await find(configmaps, 'keeper'))!;
  await configmap('never-owned', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'nobody', uid: '00000000-0000-4000-8000-000000000000' }]);
  await configmap('wrong-uid', [{ ...ref(keeper), uid: '00000000-0000-4000-8000-000000000001' }]);
  await gone(configmaps, 'never-owned');
  await gone(configmaps, 'wrong-uid');
  assert.ok(await find(configmaps, 'keeper'));
});

test('a dependent with two owners only loses the reference to the one deleted, and goes with the second', async (t) => {
  const { registry, configmaps, secrets, startCollector, configmap, secret, find, gone } = await setup(t);
  await startCollector();
  const first = await configmap('first');
  const second = await secret('second');
  await configmap('shared', [ref(first), ref(second)]);
  await registry.delete(configmaps, 'default', 'first', { propagationPolicy: 'Background' });
  await until(async () => (await find(configmaps, 'shared'))?.metadata.ownerReferences?.length === 1, 'the reference to the first dropped');
  assert.deepEqual((await find(configmaps, 'shared'))!.metadata.ownerReferences, [ref(second)]);
  await pause(300);
  assert.ok(await find(configmaps, 'shared'), 'kept for the live owner');
  await registry.delete(secrets, 'default', 'second', {});
  await gone(configmaps, 'shared');
});

test('Foreground: the owner waits with foregroundDeletion while a blocking dependent is held, other dependents go at once, then the owner goes', async (t) => {
  const { registry, configmaps, secrets, pods, startCollector, configmap, secret, pod, find, gone, release } = await setup(t);
  await startCollector();
  const owner = await configmap('owner');
  await secret('blocking', [ref(owner, true)], [HOLD]);
  await pod('not-blocking', [ref(owner)]);
  await configmap('also-not-blocking', [ref(owner)]);
  const other = await configmap('other-owner');
  await configmap('shared', [ref(owner, true), ref(other)]);

  const deleted = await registry.delete(configmaps, 'default', 'owner', { propagationPolicy: 'Foreground' });
  assert.equal(deleted.pending, true);
  await gone(pods, 'not-blocking');
  await gone(configmaps, 'also-not-blocking');
  await until(async () => (await find(secrets, 'blocking'))?.metadata.deletionTimestamp !== undefined, 'the blocking dependent deleted');
  // A dependent with another live owner stays, without its reference to the owner being deleted.
  await until(async () => (await find(configmaps, 'shared'))?.metadata.ownerReferences?.length === 1, 'the shared dependent released');
  assert.deepEqual((await find(configmaps, 'shared'))!.metadata.ownerReferences, [ref(other)]);
  await pause(300);
  const waiting = await find(configmaps, 'owner');
  assert.ok(waiting?.metadata.deletionTimestamp, 'the owner waits for the held dependent');
  assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);

  await release(secrets, 'blocking');
  await gone(secrets, 'blocking');
  await gone(configmaps, 'owner');
});

test('Foreground goes down a chain bottom-up: a dependent with dependents of its own is deleted in the foreground too', async (t) => {
  const { registry, configmaps, secrets, pods, startCollector, configmap, secret, pod, find, gone, release } = await setup(t);
  await startCollector();
  const top = await configmap('top');
  const middle = await secret('middle', [ref(top, true)]);
  await pod('bottom', [ref(middle, true)], [HOLD]);
  await registry.delete(configmaps, 'default', 'top', { propagationPolicy: 'Foreground' });
  await until(async () => (await find(pods, 'bottom'))?.metadata.deletionTimestamp !== undefined, 'the bottom deleted');
  const waitingMiddle = await find(secrets, 'middle');
  assert.deepEqual(waitingMiddle?.metadata.finalizers, ['foregroundDeletion']);
  assert.ok(await find(configmaps, 'top'));
  await release(pods, 'bottom');
  await gone(pods, 'bottom');
  await gone(secrets, 'middle');
  await gone(configmaps, 'top');
});

test('Orphan: every dependent stops naming the owner, keeping its other owners, and then the owner goes', async (t) => {
  const { registry, configmaps, secrets, pods, startCollector, configmap, secret, pod, find, gone } = await setup(t);
  await startCollector();
  const owner = await configmap('owner');
  const other = await configmap('other');
  await secret('with-two', [ref(owner), ref(other)]);
  await pod('blocking', [ref(owner, true)]);
  const deleted = await registry.delete(configmaps, 'default', 'owner', { propagationPolicy: 'Orphan' });
  assert.deepEqual(deleted.object.metadata.finalizers, ['orphan']);
  await gone(configmaps, 'owner');
  assert.deepEqual((await find(secrets, 'with-two'))?.metadata.ownerReferences, [ref(other)]);
  assert.equal((await find(pods, 'blocking'))?.metadata.ownerReferences, undefined);
  await pause(300);
  assert.ok(await find(pods, 'blocking'), 'orphans stay');
});

test('a collector started again finishes what happened while none ran, from a fresh list', async (t) => {
  const { registry, configmaps, secrets, pods, startCollector, configmap, secret, pod, find, gone } = await setup(t);
  const stop = await startCollector();
  const background = await configmap('background');
  const foreground = await configmap('foreground');
  const orphan = await configmap('orphan');
  await secret('of-background', [ref(background)]);
  await pod('pod-of-background', [ref(background)]);
  await secret('of-foreground', [ref(foreground, true)]);
  await secret('of-orphan', [ref(orphan)]);
  await stop();

  await registry.delete(configmaps, 'default', 'background', {});
  await registry.delete(configmaps, 'default', 'foreground', { propagationPolicy: 'Foreground' });
  await registry.delete(configmaps, 'default', 'orphan', { propagationPolicy: 'Orphan' });
  await pause(300);
  assert.ok(await find(secrets, 'of-background'), 'nothing collects while none runs');

  await startCollector();
  await gone(secrets, 'of-background');
  await gone(pods, 'pod-of-background');
  await gone(secrets, 'of-foreground');
  await gone(configmaps, 'foreground');
  await gone(configmaps, 'orphan');
  assert.equal((await find(secrets, 'of-orphan'))?.metadata.ownerReferences, undefined);
});

test('custom resources own and are owned once their CRD is served', async (t) => {
  const { registry, catalogue, configmaps, startCollector, configmap, find, gone } = await setup(t);
  const crds = await CrdCatalogue.start({ registry, catalogue, log: quiet });
  t.after(() => crds.close());
  await startCollector();
  const crdType = catalogue.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  await registry.create(
    crdType,
    undefined,
    widgetsDefinition({ schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }),
    {},
  );
  await until(() => catalogue.get('example.com', 'v1', 'widgets') !== undefined, 'widgets served');
  const widgets = catalogue.get('example.com', 'v1', 'widgets')!;
  const widget = (name: string, owners: OwnerReference[] = []) =>
    registry.create(widgets, 'default', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name, ...(owners.length > 0 ? { ownerReferences: owners } : {}) } }, {});

  const owningWidget = await widget('owner');
  await configmap('of-widget', [ref(owningWidget)]);
  const owningMap = await configmap('owner');
  await widget('of-map', [ref(owningMap)]);
  await pause(300);
  assert.ok(await find(configmaps, 'of-widget'));

  await registry.delete(widgets, 'default', 'owner', {});
  await gone(configmaps, 'of-widget');
  await registry.delete(configmaps, 'default', 'owner', { propagationPolicy: 'Foreground' });
  await gone(widgets, 'of-map');
  await gone(configmaps, 'owner');
});

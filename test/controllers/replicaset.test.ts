// The ReplicaSet controller in-process, on a real store and registry, with
// a small stand-in kubelet that marks pods Running and Ready (or holds some
// back).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { type KubeObject, metaTime } from '../../server/api/objects.js';
import { Registry } from '../../server/api/registry/registry.js';
import { ApiError } from '../../server/api/status.js';
import { podsToDelete, ReplicaSetController } from '../../server/controllers/replicaset-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { openLevelStore } from '../../server/store/level-store.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const quiet = createLogger({ level: 'error' });
type RS = KubeObject & ReplicaSet;
type PodObject = KubeObject & Pod;

async function setup(t: TestContext, opts: { failPodCreates?: () => boolean } = {}) {
  // Our own store, closed after the controllers and informers that watch it.
  const store = await openLevelStore({ path: join(await tempDir(t), 'db'), logger: quiet });
  const { catalogue, registry } = await apiRegistry(t, { store });
  const types = { rs: catalogue.get('apps', 'v1', 'replicasets')!, pods: catalogue.get('', 'v1', 'pods')!, events: catalogue.get('', 'v1', 'events')! };
  const informers = new SharedInformers(registry, catalogue, quiet);
  const creates = { attempts: 0 };
  // The controller's view of the registry: pod creations can be made to fail.
  const controllerRegistry = Object.create(registry) as Registry;
  controllerRegistry.create = async (type, namespace, obj, o) => {
    if (type === types.pods) {
      creates.attempts++;
      if (opts.failPodCreates?.()) throw new ApiError(403, 'Forbidden', `pods "${obj.metadata.generateName}x" is forbidden: exceeded quota: pods`);
    }
    return registry.create(type, namespace, obj, o);
  };
  const kubelet = startKubelet(registry, informers, types.pods);
  const controller = await ReplicaSetController.start({ registry: controllerRegistry, catalogue, informers, log: quiet });
  t.after(async () => {
    await controller.close();
    await informers.close();
    await store.close();
  });
  const pods = async (selector = 'app=web') => (await registry.list(types.pods, 'default', {})).items.filter((p) => selector === 'app=web' ? p.metadata.labels?.['app'] === 'web' : true) as PodObject[];
  const rs = async (name: string) => (await registry.get(types.rs, 'default', name)) as RS;
  return { registry, types, kubelet, controller, creates, pods, rs };
}

/** Marks every pod Running and Ready, except those `hold` matches (Running, not Ready). */
function startKubelet(registry: Registry, informers: SharedInformers, podType: Parameters<Registry['get']>[0]) {
  const cache = informers.of('', 'v1', 'pods');
  const state = { hold: (_pod: PodObject) => false };
  let chain = Promise.resolve();
  const sync = (key: string) => {
    chain = chain.then(async () => {
      const pod = cache.get(key) as PodObject | undefined;
      if (pod === undefined || pod.metadata.deletionTimestamp !== undefined) return;
      const ready = state.hold(pod) ? 'False' : 'True';
      if (pod.status?.phase === 'Running' && pod.status.conditions?.find((c) => c.type === 'Ready')?.status === ready) return;
      await registry
        .patch(podType, pod.metadata.namespace, pod.metadata.name!, (current) => {
          current['status'] = { phase: 'Running', conditions: [{ type: 'Ready', status: ready, lastTransitionTime: metaTime() }] };
          return current;
        }, { subresource: 'status' })
        .catch(() => undefined);
    });
  };
  cache.subscribe(sync);
  return {
    state,
    recheck: () => {
      for (const pod of cache.values()) sync(`${pod.metadata.namespace}/${pod.metadata.name}`);
    },
  };
}

function replicaSet(name: string, replicas: number, extra: Partial<ReplicaSet['spec']> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', tier: 'front' }, annotations: { note: 'kept' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      ...extra,
    },
  };
}

test('a ReplicaSet creates its pods from the template, controlled by it, and counts them ready and available', async (t) => {
  const c = await setup(t);
  const created = await c.registry.create(c.types.rs, 'default', replicaSet('web', 3), {});
  await until(async () => (await c.rs('web')).status?.availableReplicas === 3, 'three available pods');
  const status = (await c.rs('web')).status!;
  assert.deepEqual(
    { replicas: status.replicas, fullyLabeledReplicas: status.fullyLabeledReplicas, readyReplicas: status.readyReplicas, observedGeneration: status.observedGeneration },
    { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, observedGeneration: 1 },
  );
  const pods = await c.pods();
  assert.equal(pods.length, 3, 'never more pods than replicas');
  for (const pod of pods) {
    assert.match(pod.metadata.name!, /^web-[a-z0-9]{5}$/);
    assert.deepEqual(pod.metadata.labels, { app: 'web', tier: 'front' });
    assert.equal(pod.metadata.annotations?.['note'], 'kept');
    assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  }
  await until(async () => (await c.registry.list(c.types.events, 'default', {})).items.filter((e) => e['reason'] === 'SuccessfulCreate').length === 3, 'three events');
  const messages = (await c.registry.list(c.types.events, 'default', {})).items.map((e) => e['message']);
  assert.ok(messages.includes(`Created pod: ${pods[0]!.metadata.name}`));

  await c.registry.patch(c.types.rs, 'default', 'web', (rs) => ({ ...rs, spec: { ...(rs['spec'] as object), replicas: 1 } }), {});
  await until(async () => (await c.rs('web')).status?.replicas === 1 && (await c.pods()).length === 1, 'scaled down to one');
  await c.controller.settled();
  assert.equal((await c.pods()).length, 1, 'deletions are not repeated while the cache catches up');
  assert.equal((await c.rs('web')).status?.observedGeneration, 2);
});

test('scaling down deletes the not-ready pods first', async (t) => {
  const c = await setup(t);
  await c.registry.create(c.types.rs, 'default', replicaSet('web', 2), {});
  await until(async () => (await c.rs('web')).status?.readyReplicas === 2, 'two ready');
  const ready = new Set((await c.pods()).map((p) => p.metadata.name));
  c.kubelet.state.hold = (pod) => !ready.has(pod.metadata.name);
  await c.registry.patch(c.types.rs, 'default', 'web', (rs) => ({ ...rs, spec: { ...(rs['spec'] as object), replicas: 4 } }), {});
  await until(async () => (await c.rs('web')).status?.replicas === 4, 'four pods');
  await c.registry.patch(c.types.rs, 'default', 'web', (rs) => ({ ...rs, spec: { ...(rs['spec'] as object), replicas: 2 } }), {});
  await until(async () => (await c.pods()).length === 2, 'two pods left');
  assert.deepEqual(new Set((await c.pods()).map((p) => p.metadata.name)), ready);
});

test('upstream ranking: unscheduled, then pending, then not ready, then the newest go first', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  const pod = (name: string, node: string, phase: string, ready: boolean, created: string): PodObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, uid: name, creationTimestamp: created },
    spec: { containers: [], ...(node ? { nodeName: node } : {}) },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: created }] },
  });
  const pods = [
    pod('old-ready', 'n1', 'Running', true, '2025-01-01T08:00:00Z'),
    pod('new-ready', 'n2', 'Running', true, '2025-01-01T11:59:58Z'),
    pod('not-ready', 'n1', 'Running', false, '2025-01-01T08:00:00Z'),
    pod('pending', 'n2', 'Pending', false, '2025-01-01T08:00:00Z'),
    pod('unscheduled', '', 'Pending', false, '2025-01-01T08:00:00Z'),
  ];
  const order = podsToDelete(pods, [], 4, now).map((p) => p.metadata.name);
  assert.deepEqual(order, ['unscheduled', 'pending', 'not-ready', 'new-ready']);
});

test('orphans that match are adopted, owned pods that stop matching are released', async (t) => {
  const c = await setup(t);
  const orphan: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
  await c.registry.create(c.types.pods, 'default', orphan, {});
  const rs = await c.registry.create(c.types.rs, 'default', replicaSet('web', 2), {});
  await until(async () => (await c.rs('web')).status?.replicas === 2 && (await c.pods()).length === 2, 'two pods');
  const stray = await c.registry.get(c.types.pods, 'default', 'stray');
  assert.equal(stray.metadata.ownerReferences?.[0]?.uid, rs.metadata.uid, 'the orphan was adopted, and only one pod made');

  await c.registry.patch(c.types.pods, 'default', 'stray', (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'other' } } }), {});
  await until(async () => (await c.registry.get(c.types.pods, 'default', 'stray')).metadata.ownerReferences?.length === 0, 'released');
  await until(async () => (await c.pods()).length === 2, 'a replacement');
});

test('refused creations stop the slow-start batch and set ReplicaFailure until pods can be made', async (t) => {
  let refuse = true;
  const c = await setup(t, { failPodCreates: () => refuse });
  await c.registry.create(c.types.rs, 'default', replicaSet('web', 10), {});
  await until(async () => (await c.rs('web')).status?.conditions?.some((x) => x.type === 'ReplicaFailure') === true, 'the ReplicaFailure condition');
  const condition = (await c.rs('web')).status!.conditions!.find((x) => x.type === 'ReplicaFailure')!;
  assert.equal(condition.status, 'True');
  assert.equal(condition.reason, 'FailedCreate');
  assert.match(condition.message!, /exceeded quota/);
  // Each try (the first, then one more when the status write comes back) stops after its first pod, not ten.
  assert.ok(c.creates.attempts <= 2, `${c.creates.attempts} attempts`);
  const events = (await c.registry.list(c.types.events, 'default', {})).items;
  assert.ok(events.some((e) => e['reason'] === 'FailedCreate' && /^Error creating: pods .* is forbidden/.test(e['message'] as string)));

  refuse = false;
  await until(async () => (await c.rs('web')).status?.availableReplicas === 10, 'ten pods', 10_000);
  assert.equal((await c.rs('web')).status?.conditions, undefined, 'the condition is gone');
  assert.equal((await c.pods()).length, 10);
});

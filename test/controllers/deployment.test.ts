// The Deployment controller in-process with the ReplicaSet controller, on a
// real store and registry, with workload-sim's stand-in kubelet that marks
// pods Running and Ready (or holds some back).
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../server/api/objects.js';
import { DeploymentController } from '../../server/controllers/deployment-controller.js';
import { ReplicaSetController } from '../../server/controllers/replicaset-controller.js';
import { until } from '../helpers/store.js';
import { workloadCluster } from '../helpers/workload-sim.js';

type D = KubeObject & Deployment;
type RS = KubeObject & ReplicaSet;
type PodObject = KubeObject & Pod;

async function setup(t: TestContext) {
  const c = await workloadCluster(t, async (deps) => {
    const replicaSets = await ReplicaSetController.start(deps);
    const deployments = await DeploymentController.start(deps);
    return {
      close: async () => {
        await deployments.close();
        await replicaSets.close();
      },
    };
  });
  const { registry, informers, kubelet } = c;
  const types = { d: c.types.deployments, rs: c.types.replicaSets, pods: c.types.pods, events: c.types.events };
  const podCache = informers.of('', 'v1', 'pods');
  const get = async () => (await registry.get(types.d, 'default', 'web')) as D;
  const sets = async () => (await registry.list(types.rs, 'default', {})).items as RS[];
  const pods = async () => (await registry.list(types.pods, 'default', {})).items as PodObject[];
  const events = async () => (await registry.list(types.events, 'default', {})).items.filter((e) => e['reason'] === 'ScalingReplicaSet').map((e) => e['message'] as string);
  const edit = (change: (d: D) => void) =>
    registry.patch(types.d, 'default', 'web', (d) => {
      change(d as D);
      return d;
    }, {});
  const image = (d: D, value: string) => {
    d.spec!.template.spec!.containers[0]!.image = value;
  };
  /** Rolled out as kubectl rollout status sees it. */
  const rolledOut = async () => {
    const d = await get();
    const s = d.status ?? {};
    return (s.observedGeneration ?? 0) >= d.metadata.generation! && s.updatedReplicas === d.spec!.replicas && s.replicas === s.updatedReplicas && s.availableReplicas === s.updatedReplicas;
  };
  return { registry, types, informers, podCache, kubelet, get, sets, pods, events, edit, image, rolledOut };
}

function deployment(replicas: number, spec: Partial<Deployment['spec']> = {}, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', annotations },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
      ...spec,
    },
  };
}

const condition = (d: D, type: string) => d.status?.conditions?.find((c) => c.type === type);
const revision = (rs: RS) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'];

test('a Deployment makes <name>-<pod-template-hash> with its annotations, and reports Available and NewReplicaSetAvailable', async (t) => {
  const c = await setup(t);
  await c.registry.create(c.types.d, 'default', deployment(3, {}, { 'kubernetes.io/change-cause': 'first' }), {});
  await until(c.rolledOut, 'rolled out');
  const [rs] = await c.sets();
  const hash = rs!.metadata.labels!['pod-template-hash']!;
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rs!.metadata.name, `web-${hash}`);
  assert.deepEqual(rs!.spec!.selector.matchLabels, { app: 'web', 'pod-template-hash': hash });
  assert.equal(rs!.spec!.template!.metadata!.labels!['pod-template-hash'], hash);
  assert.deepEqual(
    { ...rs!.metadata.annotations },
    { 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4', 'kubernetes.io/change-cause': 'first' },
  );
  assert.equal(rs!.metadata.ownerReferences?.[0]?.kind, 'Deployment');
  for (const pod of await c.pods()) assert.equal(pod.metadata.labels!['pod-template-hash'], hash);
  const d = await c.get();
  assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  assert.deepEqual(
    { replicas: d.status!.replicas, updated: d.status!.updatedReplicas, ready: d.status!.readyReplicas, available: d.status!.availableReplicas, unavailable: d.status!.unavailableReplicas },
    { replicas: 3, updated: 3, ready: 3, available: 3, unavailable: undefined },
  );
  assert.deepEqual(
    [condition(d, 'Available')?.reason, condition(d, 'Available')?.message],
    ['MinimumReplicasAvailable', 'Deployment has minimum availability.'],
  );
  await until(async () => condition(await c.get(), 'Progressing')?.reason === 'NewReplicaSetAvailable', 'NewReplicaSetAvailable');
  assert.equal(condition(await c.get(), 'Progressing')?.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
  assert.deepEqual(await c.events(), [`Scaled up replica set web-${hash} to 3`]);
});

test('a rolling update keeps within maxSurge and maxUnavailable at every step, then cleans up beyond revisionHistoryLimit', async (t) => {
  const c = await setup(t);
  await c.registry.create(c.types.d, 'default', deployment(4, { revisionHistoryLimit: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }), {});
  await until(c.rolledOut, 'first rollout');
  const seen = { maxPods: 0, minReady: 4 };
  c.podCache.subscribe(() => {
    const pods = [...c.podCache.values()].filter((p) => p.metadata.deletionTimestamp === undefined) as PodObject[];
    const ready = pods.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length;
    seen.maxPods = Math.max(seen.maxPods, pods.length);
    seen.minReady = Math.min(seen.minReady, ready);
  });
  for (const version of ['nginx:2', 'nginx:3']) {
    await c.edit((d) => c.image(d, version));
    await until(async () => (await c.rolledOut()) && (await c.pods()).every((p) => (p.spec!.containers[0]!.image === version)), `rolled out ${version}`, 15_000);
  }
  assert.ok(seen.maxPods <= 5, `at most 4 + maxSurge 1 pods, saw ${seen.maxPods}`);
  assert.ok(seen.minReady >= 3, `at least 4 - maxUnavailable 1 ready, saw ${seen.minReady}`);
  await until(async () => (await c.sets()).length === 2, 'only one old set kept');
  assert.deepEqual((await c.sets()).map(revision).sort(), ['2', '3']);
  assert.equal((await c.get()).metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
  const events = await c.events();
  // A set created at its first size says so without "from", as upstream.
  assert.ok(events.some((e) => /^Scaled up replica set web-\w+ to 1$/.test(e)), events.join('\n'));
  assert.ok(events.some((e) => /^Scaled up replica set web-\w+ to 2 from 1$/.test(e)), events.join('\n'));
  assert.ok(events.some((e) => /^Scaled down replica set web-\w+ to 3 from 4$/.test(e)), events.join('\n'));
});

test('going back to an old template reuses its ReplicaSet, which takes the next revision and keeps the old one in revision-history', async (t) => {
  const c = await setup(t);
  await c.registry.create(c.types.d, 'default', deployment(2), {});
  await until(c.rolledOut, 'revision 1');
  const first = (await c.sets())[0]!;
  await c.edit((d) => c.image(d, 'nginx:2'));
  await until(async () => (await c.rolledOut()) && (await c.sets()).length === 2, 'revision 2');
  // What kubectl rollout undo sends: the old set's template without its hash label.
  await c.edit((d) => {
    const template = structuredClone(first.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    d.spec!.template = template;
  });
  await until(async () => (await c.rolledOut()) && (await c.pods()).every((p) => p.metadata.labels!['pod-template-hash'] === first.metadata.labels!['pod-template-hash']), 'back on the first set');
  const sets = await c.sets();
  assert.equal(sets.length, 2, 'no new set');
  const back = sets.find((rs) => rs.metadata.uid === first.metadata.uid)!;
  assert.equal(revision(back), '3');
  assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  assert.equal((await c.get()).metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
});

test('scaling during a stuck rollout spreads the new replicas over the sets in proportion', async (t) => {
  const c = await setup(t);
  await c.registry.create(c.types.d, 'default', deployment(10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }), {});
  await until(c.rolledOut, 'rolled out');
  c.kubelet.holdNotReady((pod) => pod.spec!.containers[0]!.image === 'nginx:2');
  await c.edit((d) => c.image(d, 'nginx:2'));
  const sizes = async () => (await c.sets()).map((rs) => [rs.spec!.template!.spec!.containers[0]!.image, rs.spec!.replicas]).sort();
  await until(async () => JSON.stringify(await sizes()) === JSON.stringify([['nginx:1', 8], ['nginx:2', 5]]), 'the rollout stuck at 8 + 5');
  await c.edit((d) => {
    d.spec!.replicas = 20;
  });
  await until(async () => JSON.stringify(await sizes()) === JSON.stringify([['nginx:1', 14], ['nginx:2', 9]]), 'scaled to 14 + 9');
});

test('Recreate removes every old pod before the first new one', async (t) => {
  const c = await setup(t);
  await c.registry.create(c.types.d, 'default', deployment(3, { strategy: { type: 'Recreate' } }), {});
  await until(c.rolledOut, 'rolled out');
  let overlap = false;
  c.podCache.subscribe(() => {
    const images = new Set([...c.podCache.values()].map((p) => (p as PodObject).spec!.containers[0]!.image));
    if (images.size > 1) overlap = true;
  });
  await c.edit((d) => c.image(d, 'nginx:2'));
  await until(async () => (await c.rolledOut()) && (await c.pods()).every((p) => p.spec!.containers[0]!.image === 'nginx:2'), 'recreated');
  assert.equal(overlap, false);
});

test('a paused Deployment does not roll out; resumed, it does', async (t) => {
  const c = await setup(t);
  await c.registry.create(c.types.d, 'default', deployment(2), {});
  await until(c.rolledOut, 'rolled out');
  await c.edit((d) => {
    d.spec!.paused = true;
  });
  await until(async () => condition(await c.get(), 'Progressing')?.reason === 'DeploymentPaused', 'DeploymentPaused');
  await c.edit((d) => c.image(d, 'nginx:2'));
  await until(async () => ((await c.get()).status?.observedGeneration ?? 0) === (await c.get()).metadata.generation, 'observed');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await c.sets()).length, 1, 'no new set while paused');
  await c.edit((d) => {
    d.spec!.paused = false;
  });
  await until(async () => (await c.rolledOut()) && (await c.sets()).length === 2, 'rolled out after resume');
});

test('a rollout whose pods never get ready reports ProgressDeadlineExceeded', async (t) => {
  const c = await setup(t);
  await c.registry.create(c.types.d, 'default', deployment(2, { progressDeadlineSeconds: 2 }), {});
  await until(c.rolledOut, 'rolled out');
  c.kubelet.holdNotReady((pod) => pod.spec!.containers[0]!.image === 'nginx:bad');
  await c.edit((d) => c.image(d, 'nginx:bad'));
  await until(async () => condition(await c.get(), 'Progressing')?.reason === 'ProgressDeadlineExceeded', 'the deadline', 10_000);
  const d = await c.get();
  const newRS = (await c.sets()).find((rs) => rs.spec!.template!.spec!.containers[0]!.image === 'nginx:bad')!;
  assert.equal(condition(d, 'Progressing')?.status, 'False');
  assert.equal(condition(d, 'Progressing')?.message, `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`);
  assert.equal(condition(d, 'Available')?.status, 'True', 'the old pods still serve');
});

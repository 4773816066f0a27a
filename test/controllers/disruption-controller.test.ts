// The disruption controller in-process, on a real store and registry: pods
// are written with their phase and readiness as a kubelet would, workloads
// only stored (no workload controller runs), the clock moved by hand.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { createLogger } from '../../common/log.js';
import type { KubeObject } from '../../server/api/objects.js';
import { DELETION_TIMEOUT_MS, DisruptionController } from '../../server/controllers/disruption-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { openLevelStore } from '../../server/store/level-store.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { createPdb, createPod, disruptionTypes, getPdb, ownerRef, type PdbObject, setPodState } from '../helpers/disruption-objects.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const quiet = createLogger({ level: 'error' });

async function setup(t: TestContext) {
  const store = await openLevelStore({ path: join(await tempDir(t), 'db'), logger: quiet });
  const { catalogue, registry } = await apiRegistry(t, { store });
  const types = disruptionTypes(catalogue);
  const informers = new SharedInformers(registry, catalogue, quiet);
  const clock = { now: Date.now() };
  const controller = await DisruptionController.start({ registry, catalogue, informers, log: quiet, now: () => clock.now });
  t.after(async () => {
    await controller.close();
    await informers.close();
    await store.close();
  });
  /** Waits until the budget's status satisfies `check`, then returns it. */
  const statusOf = async (name: string, check: (pdb: PdbObject) => boolean, what: string) => {
    await until(async () => check(await getPdb(registry, types, name)), what);
    return (await getPdb(registry, types, name)).status!;
  };
  const eventReasons = async () => (await registry.list(types.events, 'default', {})).items.map((e) => `${e['reason']}: ${e['message']}`);
  return { registry, types, controller, clock, statusOf, eventReasons };
}

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };

/** A Deployment of `replicas` and the ReplicaSet it controls (stored only: no controller makes pods here). */
async function deploymentChain(c: Awaited<ReturnType<typeof setup>>, replicas: number): Promise<KubeObject> {
  const selector = { matchLabels: { app: 'web' } };
  const deployment = await c.registry.create(c.types.deployments, 'default', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas, selector, template } }, {});
  return c.registry.create(
    c.types.replicaSets,
    'default',
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', ownerReferences: [ownerRef(deployment, 'apps/v1', 'Deployment')] }, spec: { replicas, selector, template } },
    {},
  );
}

test('minAvailable as an integer: expected is the matching pods, healthy the Ready ones; a pod turning unready takes the disruption away', async (t) => {
  const c = await setup(t);
  for (const name of ['web-1', 'web-2', 'web-3']) await createPod(c.registry, c.types, name);
  await createPod(c.registry, c.types, 'other', { labels: { app: 'db' } });
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 2 });
  const status = await c.statusOf('web-pdb', (p) => p.status?.observedGeneration === 1, 'the status computed');
  assert.deepEqual(
    { ...status, conditions: status.conditions?.map(({ lastTransitionTime: _t, ...rest }) => rest) },
    {
      disruptionsAllowed: 1,
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      observedGeneration: 1,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 1 }],
    },
  );

  await setPodState(c.registry, c.types, 'web-2', { ready: false });
  const after = await c.statusOf('web-pdb', (p) => p.status?.currentHealthy === 2, 'the unready pod counted');
  assert.equal(after.disruptionsAllowed, 0);
  assert.deepEqual(after.conditions?.map((cond) => [cond.type, cond.status, cond.reason]), [['DisruptionAllowed', 'False', 'InsufficientPods']]);

  // A spec change is a new generation, observed.
  await c.registry.patch(c.types.pdbs, 'default', 'web-pdb', (p) => ({ ...p, spec: { ...(p['spec'] as object), minAvailable: 1 } }), {});
  const changed = await c.statusOf('web-pdb', (p) => p.status?.observedGeneration === 2, 'generation 2 observed');
  assert.deepEqual([changed.desiredHealthy, changed.disruptionsAllowed], [1, 1]);
});

test('minAvailable as a percentage and maxUnavailable count the scale of the Deployment owning the pods through their ReplicaSet', async (t) => {
  const c = await setup(t);
  const rs = await deploymentChain(c, 4);
  // Three of the Deployment's four pods exist, all Ready.
  for (const name of ['web-abc-1', 'web-abc-2', 'web-abc-3']) await createPod(c.registry, c.types, name, { owner: ownerRef(rs, 'apps/v1', 'ReplicaSet') });
  await createPdb(c.registry, c.types, 'half', { minAvailable: '50%' });
  const half = await c.statusOf('half', (p) => p.status?.observedGeneration === 1, 'the percentage budget computed');
  assert.deepEqual([half.expectedPods, half.desiredHealthy, half.currentHealthy, half.disruptionsAllowed], [4, 2, 3, 1]);
  await c.registry.delete(c.types.pdbs, 'default', 'half', {});

  await createPdb(c.registry, c.types, 'one-down', { maxUnavailable: 1 });
  const oneDown = await c.statusOf('one-down', (p) => p.status?.observedGeneration === 1, 'the maxUnavailable budget computed');
  assert.deepEqual([oneDown.expectedPods, oneDown.desiredHealthy, oneDown.currentHealthy, oneDown.disruptionsAllowed], [4, 3, 3, 0]);

  // The fourth pod comes and is Ready: one may go.
  await createPod(c.registry, c.types, 'web-abc-4', { owner: ownerRef(rs, 'apps/v1', 'ReplicaSet') });
  const full = await c.statusOf('one-down', (p) => p.status?.currentHealthy === 4, 'the fourth pod counted');
  assert.equal(full.disruptionsAllowed, 1);
});

test('maxUnavailable over a StatefulSet uses its replicas; a percentage rounds up', async (t) => {
  const c = await setup(t);
  const set = await c.registry.create(
    c.types.statefulSets,
    'default',
    { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'web' } }, template } },
    {},
  );
  for (const name of ['db-0', 'db-1', 'db-2']) await createPod(c.registry, c.types, name, { owner: ownerRef(set, 'apps/v1', 'StatefulSet') });
  await createPdb(c.registry, c.types, 'db-pdb', { maxUnavailable: '34%' });
  const status = await c.statusOf('db-pdb', (p) => p.status?.observedGeneration === 1, 'computed');
  assert.deepEqual([status.expectedPods, status.desiredHealthy, status.disruptionsAllowed], [3, 1, 2]);
});

test('pods without a controller under maxUnavailable: nothing expected, nothing allowed, and the UnmanagedPods warning', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-1');
  await createPdb(c.registry, c.types, 'web-pdb', { maxUnavailable: 1 });
  const status = await c.statusOf('web-pdb', (p) => p.status?.observedGeneration === 1, 'computed');
  assert.deepEqual([status.expectedPods, status.desiredHealthy, status.currentHealthy, status.disruptionsAllowed], [0, 0, 1, 0]);
  await until(async () => (await c.eventReasons()).some((e) => e.startsWith('UnmanagedPods: ')), 'the UnmanagedPods event');
  assert.ok(
    (await c.eventReasons()).includes(
      'UnmanagedPods: Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
    ),
  );
});

test('pods of a controller without a scale (a Job) under maxUnavailable: the sync fails safe, DisruptionAllowed False SyncFailed', async (t) => {
  const c = await setup(t);
  const job = await c.registry.create(
    c.types.jobs,
    'default',
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'batch' }, spec: { template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } } },
    {},
  );
  await createPod(c.registry, c.types, 'batch-1', { owner: ownerRef(job, 'batch/v1', 'Job') });
  await createPdb(c.registry, c.types, 'web-pdb', { maxUnavailable: 1 });
  const status = await c.statusOf('web-pdb', (p) => p.status?.conditions !== undefined, 'the failed sync recorded');
  assert.equal(status.disruptionsAllowed, 0);
  assert.deepEqual(status.conditions?.map((cond) => [cond.type, cond.status, cond.reason, cond.message]), [
    ['DisruptionAllowed', 'False', 'SyncFailed', 'jobs.batch does not implement the scale subresource'],
  ]);
  await until(async () => (await c.eventReasons()).includes('CalculateExpectedPodCountFailed: Failed to calculate the number of expected pods: jobs.batch does not implement the scale subresource'), 'the event');
});

test('a pod in disruptedPods is not counted healthy until its entry expires after 2 minutes; entries of pods gone are dropped', async (t) => {
  const c = await setup(t);
  for (const name of ['web-1', 'web-2', 'web-3']) await createPod(c.registry, c.types, name);
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 1 });
  await c.statusOf('web-pdb', (p) => p.status?.currentHealthy === 3, 'computed');
  // As an eviction writes it: web-1 about to go, web-gone already gone.
  const at = new Date(c.clock.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await c.registry.patch(c.types.pdbs, 'default', 'web-pdb', (p) => {
    const status = p['status'] as Record<string, unknown>;
    p['status'] = { ...status, disruptionsAllowed: 1, disruptedPods: { 'web-1': at, 'web-gone': at } };
    return p;
  }, { subresource: 'status' });
  const disrupted = await c.statusOf('web-pdb', (p) => p.status?.currentHealthy === 2, 'the disrupted pod not counted');
  assert.deepEqual(disrupted.disruptedPods, { 'web-1': at });
  assert.equal(disrupted.disruptionsAllowed, 1);

  c.clock.now += DELETION_TIMEOUT_MS + 2000;
  await c.controller.reconcile('default/web-pdb');
  const expired = (await getPdb(c.registry, c.types, 'web-pdb')).status!;
  assert.equal(expired.disruptedPods, undefined);
  assert.deepEqual([expired.currentHealthy, expired.disruptionsAllowed], [3, 2]);
  await until(async () => (await c.eventReasons()).includes("NotDeleted: Pod was expected by PDB default/default to be deleted but it wasn't"), 'the NotDeleted event');
});

test('a budget matching no pods allows nothing and says so in a NoPods event', async (t) => {
  const c = await setup(t);
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 0 });
  const status = await c.statusOf('web-pdb', (p) => p.status?.observedGeneration === 1, 'computed');
  assert.deepEqual([status.expectedPods, status.currentHealthy, status.disruptionsAllowed], [0, 0, 0]);
  await until(async () => (await c.eventReasons()).includes('NoPods: No matching pods found'), 'the NoPods event');
  // A pod deleted later brings its budget back: the count drops.
  await createPod(c.registry, c.types, 'web-1');
  await c.statusOf('web-pdb', (p) => p.status?.currentHealthy === 1 && p.status.disruptionsAllowed === 1, 'the new pod counted');
  await c.registry.delete(c.types.pods, 'default', 'web-1', { gracePeriodSeconds: 0 });
  await c.statusOf('web-pdb', (p) => p.status?.currentHealthy === 0 && p.status.expectedPods === 0, 'the pod gone');
});

test('a pod relabelled out of a budget is counted out of it', async (t) => {
  const c = await setup(t);
  for (const name of ['web-1', 'web-2']) await createPod(c.registry, c.types, name);
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 1 });
  await c.statusOf('web-pdb', (p) => p.status?.currentHealthy === 2 && p.status.disruptionsAllowed === 1, 'both pods counted');
  await c.registry.patch(c.types.pods, 'default', 'web-2', (pod) => {
    pod.metadata.labels = { app: 'db' };
    return pod;
  }, {});
  const status = await c.statusOf('web-pdb', (p) => p.status?.expectedPods === 1, 'the relabelled pod left the budget');
  assert.deepEqual([status.currentHealthy, status.disruptionsAllowed], [1, 0]);
});

test('a DisruptionTarget condition left True on a pod not being deleted is set False after 2 minutes; one on a pod being deleted stays', async (t) => {
  const c = await setup(t);
  const at = new Date(c.clock.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const disrupt = async (name: string) => {
    await createPod(c.registry, c.types, name);
    await c.registry.patch(c.types.pods, 'default', name, (pod) => {
      const status = pod['status'] as { conditions: object[] };
      status.conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: at });
      return pod;
    }, { subresource: 'status' });
  };
  const disruption = async (name: string) =>
    ((await c.registry.get(c.types.pods, 'default', name))['status'] as { conditions: { type: string; status: string; reason?: string; lastTransitionTime?: string }[] }).conditions.find((cond) => cond.type === 'DisruptionTarget');
  await disrupt('web-stuck');
  await disrupt('web-going');
  await c.registry.patch(c.types.pods, 'default', 'web-going', (pod) => ({ ...pod, metadata: { ...pod.metadata, finalizers: ['example.com/hold'] } }), {});
  await c.registry.delete(c.types.pods, 'default', 'web-going', {});
  await c.controller.settled();
  assert.equal((await disruption('web-stuck'))?.status, 'True', 'not before its time');

  c.clock.now += 2 * 60_000 + 1000;
  await c.controller.clearStaleDisruption('default/web-stuck');
  await c.controller.clearStaleDisruption('default/web-going');
  const cleared = await disruption('web-stuck');
  assert.equal(cleared?.status, 'False');
  assert.equal(cleared?.reason, undefined, 'upstream sets the status alone');
  assert.notEqual(cleared?.lastTransitionTime, at);
  assert.equal((await disruption('web-going'))?.status, 'True', 'a pod being deleted keeps it');
});

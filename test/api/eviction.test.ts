// pods/eviction against PodDisruptionBudgets, in-process on a real store and
// registry: budgets' statuses are written here as the disruption controller
// would, so each case sees exactly the budget it is about.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { evictPod } from '../../server/api/http/eviction.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { createPdb, createPod, disruptionTypes, getPdb, setPdbStatus } from '../helpers/disruption-objects.js';

async function setup(t: TestContext) {
  const { registry, catalogue } = await apiRegistry(t);
  const types = disruptionTypes(catalogue);
  const evict = (name: string, opts: { dryRun?: boolean; body?: unknown } = {}) =>
    evictPod(registry, { pods: types.pods, podDisruptionBudgets: types.pdbs }, 'default', name, opts.body ?? { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } }, opts.dryRun ?? false);
  /** The pod as stored: undefined once gone, else whether it is being deleted. */
  const podState = async (name: string) => {
    try {
      const pod = await registry.get(types.pods, 'default', name);
      return pod.metadata.deletionTimestamp === undefined ? 'present' : 'terminating';
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return 'gone';
      throw err;
    }
  };
  return { registry, types, evict, podState };
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  assert.fail('the eviction was not refused');
}

test('an eviction the budget allows takes one disruption, records the pod in disruptedPods and deletes the pod', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-1');
  await createPod(c.registry, c.types, 'web-2');
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 1 });
  const before = await setPdbStatus(c.registry, c.types, 'web-pdb', {
    disruptionsAllowed: 1,
    currentHealthy: 2,
    desiredHealthy: 1,
    expectedPods: 2,
    conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 1, lastTransitionTime: '2025-01-01T00:00:00Z' }],
  });
  const started = Date.now() - 1000;
  assert.equal(await c.evict('web-1'), undefined);
  assert.equal(await c.podState('web-1'), 'gone');
  assert.equal(await c.podState('web-2'), 'present');
  const after = await getPdb(c.registry, c.types, 'web-pdb');
  assert.equal(after.status?.disruptionsAllowed, 0);
  assert.deepEqual(Object.keys(after.status?.disruptedPods ?? {}), ['web-1']);
  const at = Date.parse(after.status!.disruptedPods!['web-1']!);
  assert.ok(at >= started - 1000 && at <= Date.now(), `recorded now, not ${after.status!.disruptedPods!['web-1']}`);
  const condition = after.status?.conditions?.find((cond) => cond.type === 'DisruptionAllowed');
  assert.equal(condition?.status, 'False');
  assert.equal(condition?.reason, 'InsufficientPods');
  assert.notEqual(after.metadata.resourceVersion, before.metadata.resourceVersion);
});

test('an eviction the budget does not allow is a 429 with upstream message and DisruptionBudget cause, and changes nothing', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-1');
  await createPod(c.registry, c.types, 'web-2');
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 2 });
  const before = await setPdbStatus(c.registry, c.types, 'web-pdb', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2 });
  const err = await refusal(c.evict('web-1'));
  assert.deepEqual(err.toStatus(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    reason: 'TooManyRequests',
    details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web-pdb needs 2 healthy pods and has 2 currently' }] },
    code: 429,
  });
  assert.equal(await c.podState('web-1'), 'present');
  assert.equal((await getPdb(c.registry, c.types, 'web-pdb')).metadata.resourceVersion, before.metadata.resourceVersion);
});

test('a budget whose status is older than its generation refuses with 429 "still being processed", retry after 10 s', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-1');
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 0 });
  const err = await refusal(c.evict('web-1'));
  assert.equal(err.code, 429);
  assert.equal(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
  assert.deepEqual(err.details, { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web-pdb is still being processed by the server.' }], retryAfterSeconds: 10 });
  assert.equal(await c.podState('web-1'), 'present');
});

test('a pod that is not running (Pending, Succeeded, Failed) is evicted without consulting the budget', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-pending', { phase: 'Pending' });
  await createPod(c.registry, c.types, 'web-done', { phase: 'Succeeded' });
  await createPod(c.registry, c.types, 'web-failed', { phase: 'Failed' });
  await createPod(c.registry, c.types, 'web-running');
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 4 });
  const before = await setPdbStatus(c.registry, c.types, 'web-pdb', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 4, expectedPods: 4 });
  for (const name of ['web-pending', 'web-done', 'web-failed']) {
    assert.equal(await c.evict(name), undefined);
    assert.equal(await c.podState(name), 'gone', name);
  }
  assert.equal((await refusal(c.evict('web-running'))).code, 429, 'the running one is protected');
  assert.equal((await getPdb(c.registry, c.types, 'web-pdb')).metadata.resourceVersion, before.metadata.resourceVersion, 'the budget untouched');
});

test('a pod two budgets select is refused with upstream 500 Status and stays', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-1');
  await createPdb(c.registry, c.types, 'web-a', { minAvailable: 0 });
  await createPdb(c.registry, c.types, 'web-b', { maxUnavailable: 1 });
  await setPdbStatus(c.registry, c.types, 'web-a', { disruptionsAllowed: 1, currentHealthy: 1, expectedPods: 1 });
  await setPdbStatus(c.registry, c.types, 'web-b', { disruptionsAllowed: 1, currentHealthy: 1, expectedPods: 1 });
  assert.deepEqual(await c.evict('web-1'), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    code: 500,
  });
  assert.equal(await c.podState('web-1'), 'present');
  assert.equal((await getPdb(c.registry, c.types, 'web-a')).status?.disruptionsAllowed, 1);
});

test('a budget with an empty selector covers no pod, as upstream eviction reads it', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-1');
  await createPdb(c.registry, c.types, 'everything', { minAvailable: 5, selector: {} });
  await setPdbStatus(c.registry, c.types, 'everything', { disruptionsAllowed: 0, desiredHealthy: 5 });
  assert.equal(await c.evict('web-1'), undefined);
  assert.equal(await c.podState('web-1'), 'gone');
});

test('a dry-run eviction (query or deleteOptions) changes neither the budget nor the pod', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-1');
  await createPdb(c.registry, c.types, 'web-pdb', { maxUnavailable: 1 });
  const before = await setPdbStatus(c.registry, c.types, 'web-pdb', { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 });
  assert.equal(await c.evict('web-1', { dryRun: true }), undefined);
  assert.equal(
    await c.evict('web-1', { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1' }, deleteOptions: { dryRun: ['All'] } } }),
    undefined,
  );
  assert.equal(await c.podState('web-1'), 'present');
  const after = await getPdb(c.registry, c.types, 'web-pdb');
  assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
  assert.equal(after.status?.disruptionsAllowed, 1);
});

test('an unready pod goes without taking a disruption while the budget is met (IfHealthyBudget), and is refused when it is not', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-1');
  await createPod(c.registry, c.types, 'web-2');
  await createPod(c.registry, c.types, 'web-sick', { ready: false });
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 2 });
  await setPdbStatus(c.registry, c.types, 'web-pdb', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 3 });
  assert.equal(await c.evict('web-sick'), undefined);
  assert.equal(await c.podState('web-sick'), 'gone');
  const after = await getPdb(c.registry, c.types, 'web-pdb');
  assert.equal(after.status?.disruptionsAllowed, 0);
  assert.equal(after.status?.disruptedPods, undefined, 'no disruption taken');

  await createPod(c.registry, c.types, 'web-sick-2', { ready: false });
  await setPdbStatus(c.registry, c.types, 'web-pdb', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2, expectedPods: 3 });
  assert.equal((await refusal(c.evict('web-sick-2'))).code, 429);
  await c.registry.patch(c.types.pdbs, 'default', 'web-pdb', (pdb) => ({ ...pdb, spec: { ...(pdb['spec'] as object), unhealthyPodEvictionPolicy: 'AlwaysAllow' } }), {});
  await setPdbStatus(c.registry, c.types, 'web-pdb', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2, expectedPods: 3 });
  assert.equal(await c.evict('web-sick-2'), undefined, 'AlwaysAllow lets an unhealthy pod go');
  assert.equal(await c.podState('web-sick-2'), 'gone');
});

test('an Eviction naming another pod than the URL is a 400', async (t) => {
  const c = await setup(t);
  await createPod(c.registry, c.types, 'web-1');
  const err = await refusal(c.evict('web-1', { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-2' } } }));
  assert.equal(err.code, 400);
  assert.equal(err.message, 'name in URL does not match name in Eviction object');
  assert.equal(await c.podState('web-1'), 'present');
});

test('an evicted pod says why before it goes (DisruptionTarget, EvictionByEvictionAPI); a dry run and a refused eviction leave its status alone', async (t) => {
  const c = await setup(t);
  // A finalizer keeps the deleted pod readable.
  const hold = async (name: string) => {
    await createPod(c.registry, c.types, name);
    await c.registry.patch(c.types.pods, 'default', name, (pod) => ({ ...pod, metadata: { ...pod.metadata, finalizers: ['example.com/hold'] } }), {});
  };
  const disruption = async (name: string) =>
    ((await c.registry.get(c.types.pods, 'default', name))['status'] as { conditions?: { type: string; lastTransitionTime?: string }[] }).conditions?.find((cond) => cond.type === 'DisruptionTarget');
  await hold('web-1');
  await hold('web-2');
  await createPdb(c.registry, c.types, 'web-pdb', { minAvailable: 1 });
  await setPdbStatus(c.registry, c.types, 'web-pdb', { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });

  assert.equal(await c.evict('web-1', { dryRun: true }), undefined);
  assert.equal(await disruption('web-1'), undefined, 'a dry run writes no condition');
  const started = Date.now() - 1000;
  assert.equal(await c.evict('web-1'), undefined);
  assert.equal(await c.podState('web-1'), 'terminating');
  const condition = await disruption('web-1');
  assert.deepEqual({ ...condition, lastTransitionTime: undefined }, { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: undefined });
  assert.ok(Date.parse(condition?.lastTransitionTime ?? '') >= started);

  assert.equal((await refusal(c.evict('web-2'))).code, 429, 'the budget allows no more');
  assert.equal(await disruption('web-2'), undefined, 'a refused eviction writes no condition');
});

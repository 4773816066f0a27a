// Leader election through a Lease, with two candidates on one real store:
// one leads at a time; a released Lease passes at once; a leader that can no
// longer renew stops its work within renewDeadline, and the other takes over
// once the Lease has gone unrenewed for leaseDuration.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from '../../server/api/registry/registry.js';
import { ApiError } from '../../server/api/status.js';
import { LEASE_NAMESPACE, LeaderElection } from '../../server/leader/leader-election.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { quiet } from '../helpers/workload-sim.js';

const TIMING = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 50 };

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  const leases = catalogue.get('coordination.k8s.io', 'v1', 'leases')!;
  const working = new Set<string>();
  const candidate = (identity: string, reg: Registry = registry) => {
    const election = LeaderElection.start({
      registry: reg,
      leases,
      name: 'kube-controller-manager',
      identity,
      timing: TIMING,
      log: quiet,
      lead: async () => {
        working.add(identity);
        return { close: async () => void working.delete(identity) };
      },
    });
    t.after(() => election.close());
    return election;
  };
  const lease = async () => (await registry.get(leases, LEASE_NAMESPACE, 'kube-controller-manager')) as unknown as { spec: { holderIdentity: string; leaseTransitions: number; leaseDurationSeconds: number } };
  return { registry, candidate, working, lease };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not within time');
    await sleep(10);
  }
}

test('of two candidates one leads and works, the Lease names it, and the other never works while it renews', async (t) => {
  const { candidate, working, lease } = await setup(t);
  const a = candidate('a');
  await until(() => a.leading);
  const b = candidate('b');
  for (let i = 0; i < 20; i++) {
    await sleep(50);
    assert.deepEqual([...working], ['a']);
    assert.equal(b.leading, false);
  }
  assert.equal((await lease()).spec.holderIdentity, 'a');
});

test('a leader that closes releases the Lease, and the other takes it at once, counting a transition', async (t) => {
  const { candidate, working, lease } = await setup(t);
  const a = candidate('a');
  await until(() => a.leading);
  const b = candidate('b');
  const closedAt = Date.now();
  await a.close();
  assert.equal(working.has('a'), false);
  await until(() => b.leading);
  // Well before the 600 ms lease duration: the release handed it on.
  assert.ok(Date.now() - closedAt < 500, `took ${Date.now() - closedAt} ms`);
  const spec = (await lease()).spec;
  assert.equal(spec.holderIdentity, 'b');
  assert.equal(spec.leaseTransitions, 0, 'a released Lease has no holder, so taking it is no transition');
  assert.deepEqual([...working], ['b']);
});

test('a leader that cannot renew stops its work; the other takes over only after the Lease went unrenewed for its duration', async (t) => {
  const { registry, candidate, working, lease } = await setup(t);
  let cut = false;
  // a's view of the store fails once cut: a machine that lost the store.
  const failing = new Proxy(registry, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (cut) return Promise.reject(new ApiError(500, 'InternalError', 'the store is out of reach'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const a = candidate('a', failing);
  await until(() => a.leading);
  const b = candidate('b');
  await sleep(200);
  cut = true;
  const cutAt = Date.now();
  await until(() => !working.has('a'));
  const stoppedAfter = Date.now() - cutAt;
  assert.ok(stoppedAfter >= TIMING.renewDeadlineMs - 100 && stoppedAfter < TIMING.renewDeadlineMs + 400, `a stopped after ${stoppedAfter} ms`);
  await until(() => b.leading);
  const tookAfter = Date.now() - cutAt;
  assert.ok(tookAfter >= TIMING.leaseDurationMs - 100, `b took over after ${tookAfter} ms, before the lease expired`);
  assert.equal(a.leading, false);
  const spec = (await lease()).spec;
  assert.equal(spec.holderIdentity, 'b');
  assert.equal(spec.leaseTransitions, 1);
});

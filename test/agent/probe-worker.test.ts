// One probe worker, run by hand (doProbe) against a status and a clock of
// the test's own, as kubelet's worker_test.go drives its worker:
// thresholds, initial delay, startup gating, holding after a liveness
// failure, and when it ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, ContainerStatus, Pod, PodStatus, Probe } from 'kubernetes-types/core/v1.js';
import type { ProbeKind, ProbeVerdict } from '../../agent/probes/prober.js';
import { ProbeWorker, type ProbeState } from '../../agent/probes/probe-worker.js';

const START = Date.parse('2026-11-22T10:00:00Z');

function harness(kind: ProbeKind, spec: Probe, opts: { restartPolicy?: string } = {}) {
  const container: Container = { name: 'app', image: 'busybox' };
  const h = {
    pod: { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { restartPolicy: opts.restartPolicy ?? 'Always', containers: [container] } } as Pod,
    status: undefined as PodStatus | undefined,
    now: START,
    verdicts: [] as ProbeVerdict[],
    probed: [] as { id: string; ip: string }[],
    results: new Map<string, ProbeState>(),
    ended: 0,
  };
  const worker = new ProbeWorker(kind, container, { periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...spec }, {
    pod: () => h.pod,
    status: () => h.status,
    probe: async (id, ip) => {
      h.probed.push({ id, ip });
      return h.verdicts.shift();
    },
    set: (id, state) => h.results.set(id, state),
    remove: (id) => h.results.delete(id),
    ended: () => h.ended++,
    now: () => h.now,
  });
  const running = (id: string, started: boolean, extra: Partial<ContainerStatus> = {}): void => {
    h.status = {
      phase: 'Running',
      podIP: '10.88.0.7',
      containerStatuses: [
        { name: 'app', image: 'busybox', imageID: '', restartCount: 0, ready: false, started, containerID: `containerd://${id}`, state: { running: { startedAt: new Date(START).toISOString() } }, ...extra },
      ],
    };
  };
  return { h, worker, running };
}

test('readiness starts as failure for a new container and turns success after successThreshold successes in a row', async () => {
  const { h, worker, running } = harness('readiness', { successThreshold: 2 });
  assert.equal(await worker.doProbe(), true, 'no status yet: it waits');
  assert.equal(h.results.size, 0);
  running('c1', true);
  h.verdicts.push('success', 'failure', 'success', 'success');
  await worker.doProbe();
  assert.equal(h.results.get('c1'), 'failure');
  await worker.doProbe();
  await worker.doProbe();
  assert.equal(h.results.get('c1'), 'failure', 'one success after a failure is not enough');
  await worker.doProbe();
  assert.equal(h.results.get('c1'), 'success');
  assert.deepEqual(h.probed[0], { id: 'c1', ip: '10.88.0.7' });
});

test('liveness starts as success and turns failure only after failureThreshold failures in a row; then holds until a new container', async () => {
  const { h, worker, running } = harness('liveness', { failureThreshold: 3 });
  running('c1', true);
  h.verdicts.push('failure', 'failure', 'success', 'failure', 'failure');
  for (let i = 0; i < 5; i++) await worker.doProbe();
  assert.equal(h.results.get('c1'), 'success', 'two failures, a success, two failures: under the threshold');
  h.verdicts.push('failure');
  await worker.doProbe();
  assert.equal(h.results.get('c1'), 'failure');
  // Held: the container is being killed, nothing is probed.
  const probes = h.probed.length;
  await worker.doProbe();
  assert.equal(h.probed.length, probes);
  // Its replacement starts over.
  running('c2', true);
  h.verdicts.push('success');
  await worker.doProbe();
  assert.equal(h.results.get('c1'), undefined, 'the old container’s result is forgotten');
  assert.equal(h.results.get('c2'), 'success');
  assert.equal(h.probed.at(-1)?.id, 'c2');
});

test('nothing is probed before initialDelaySeconds since the container started', async () => {
  const { h, worker, running } = harness('readiness', { initialDelaySeconds: 5 });
  running('c1', true);
  h.now = START + 4_999;
  h.verdicts.push('success');
  await worker.doProbe();
  assert.equal(h.probed.length, 0);
  assert.equal(h.results.get('c1'), 'failure');
  h.now = START + 5_000;
  await worker.doProbe();
  assert.equal(h.results.get('c1'), 'success');
});

test('liveness and readiness wait for the container to have started; the startup probe stops once it has', async () => {
  const live = harness('liveness', {});
  live.running('c1', false);
  live.h.verdicts.push('failure', 'failure', 'failure');
  for (let i = 0; i < 3; i++) await live.worker.doProbe();
  assert.equal(live.h.probed.length, 0, 'liveness is not probed before the startup probe succeeded');
  live.running('c1', true);
  await live.worker.doProbe();
  assert.equal(live.h.probed.length, 1);

  const startup = harness('startup', {});
  startup.running('c1', false);
  startup.h.verdicts.push('success');
  await startup.worker.doProbe();
  assert.equal(startup.h.results.get('c1'), 'success');
  startup.running('c1', true);
  await startup.worker.doProbe();
  assert.equal(startup.h.probed.length, 1, 'no more startup probes once started');
});

test('a startup probe starts unknown and fails the container after failureThreshold failures', async () => {
  const { h, worker, running } = harness('startup', { failureThreshold: 2 });
  running('c1', false);
  h.verdicts.push('failure');
  await worker.doProbe();
  assert.equal(h.results.get('c1'), 'unknown');
  h.verdicts.push('failure');
  await worker.doProbe();
  assert.equal(h.results.get('c1'), 'failure');
});

test('a probe that could not run counts for nothing', async () => {
  const { h, worker, running } = harness('liveness', { failureThreshold: 2 });
  running('c1', true);
  h.verdicts.push('failure', undefined, undefined, 'success', 'failure');
  for (let i = 0; i < 5; i++) await worker.doProbe();
  assert.equal(h.results.get('c1'), 'success');
});

test('a container that is not running fails; the worker ends when it exited for good, when the pod is done, or (liveness) when the pod is deleted', async () => {
  const always = harness('readiness', {});
  always.running('c1', true, { state: { terminated: { exitCode: 1 } } });
  assert.equal(await always.worker.doProbe(), true, 'it will restart: keep going');
  assert.equal(always.h.results.get('c1'), 'failure');

  const never = harness('readiness', {}, { restartPolicy: 'Never' });
  never.running('c1', true, { state: { terminated: { exitCode: 0 } } });
  assert.equal(await never.worker.doProbe(), false);

  const done = harness('liveness', {});
  done.running('c1', true);
  done.h.status = { ...done.h.status, phase: 'Succeeded' };
  assert.equal(await done.worker.doProbe(), false);

  const deleted = harness('liveness', {});
  deleted.running('c1', true);
  deleted.h.pod = { ...deleted.h.pod, metadata: { ...deleted.h.pod.metadata, deletionTimestamp: '2026-11-22T10:01:00Z' } };
  assert.equal(await deleted.worker.doProbe(), false);
  assert.equal(deleted.h.results.get('c1'), 'success', 'a quiet shutdown');
  const readiness = harness('readiness', {});
  readiness.running('c1', true);
  readiness.h.pod = deleted.h.pod;
  readiness.h.verdicts.push('failure');
  assert.equal(await readiness.worker.doProbe(), true, 'readiness keeps probing a deleted pod');
});

test('stop forgets the result and tells the manager, once', async () => {
  const { h, worker, running } = harness('readiness', {});
  running('c1', true);
  await worker.doProbe();
  worker.stop();
  worker.stop();
  assert.equal(h.results.size, 0);
  assert.equal(h.ended, 1);
  assert.equal(worker.ended, true);
});

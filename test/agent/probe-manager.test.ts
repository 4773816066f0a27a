// The probe manager with its workers on mocked timers, a fake runtime (exec
// answers, stops recorded) and recorded events: started and ready as
// kubelet reports them, events with kubelet's messages, a container that
// fails liveness or startup killed with the right grace period, and
// workers that end with their pod.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus as CriContainerStatus, ExecSyncResult } from '../../agent/cri/types.js';
import type { ObservedPod } from '../../agent/pods/pod-worker.js';
import { killGraceSeconds, ProbeManager } from '../../agent/probes/probe-manager.js';
import { createLogger } from '../../common/log.js';

const quiet = createLogger({ level: 'error' });

interface Exec {
  exitCode: number;
  output: string;
}

function setup(t: TestContext, containers: Container[], opts: { restartPolicy?: string; grace?: number; random?: number; now?: () => number } = {}) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  const answers = new Map<string, Exec>();
  const world = {
    execs: [] as { id: string; cmd: string[] }[],
    stops: [] as { id: string; grace: number }[],
    events: [] as { type: string; reason: string; message: string; fieldPath?: string }[],
    changes: [] as string[],
    answers,
  };
  const runtime = {
    execSync: async (id: string, cmd: string[]): Promise<ExecSyncResult> => {
      world.execs.push({ id, cmd });
      const a = answers.get(cmd.join(' ')) ?? { exitCode: 0, output: '' };
      return { stdout: Buffer.from(a.output), stderr: Buffer.alloc(0), exitCode: a.exitCode };
    },
    stopContainer: async (id: string, grace: number): Promise<void> => {
      world.stops.push({ id, grace });
    },
  };
  const manager = new ProbeManager({
    runtime,
    events: { record: (_pod, type, reason, message, fieldPath) => world.events.push({ type, reason, message, ...(fieldPath !== undefined ? { fieldPath } : {}) }) },
    onChange: (key) => world.changes.push(key),
    log: quiet,
    random: () => opts.random ?? 0,
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  });
  t.after(() => manager.close());
  const pod: Pod = {
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { restartPolicy: opts.restartPolicy ?? 'Always', terminationGracePeriodSeconds: opts.grace ?? 30, containers },
  };
  /** One sync of the pod, as the pod manager makes it: observe, build the status (ready/started from the probes), hand it back. */
  const sync = (id = 'c1', state: CriContainerStatus['state'] = 'CONTAINER_RUNNING') => {
    const observed: ObservedPod = { containers: new Map(containers.map((c) => [c.name, [criStatus(`${id}-${c.name}`, state)]])), waiting: new Map(), terminal: false };
    const states = manager.observe(pod, observed);
    const status: PodStatus = {
      phase: 'Running',
      podIP: '10.88.0.9',
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: 'busybox',
        imageID: '',
        restartCount: 0,
        containerID: `containerd://${id}-${c.name}`,
        ready: states.get(c.name)?.ready ?? false,
        started: states.get(c.name)?.started ?? false,
        state: state === 'CONTAINER_RUNNING' ? { running: { startedAt: new Date(Date.now() - 60_000).toISOString() } } : { terminated: { exitCode: 137 } },
      })),
    };
    manager.statusBuilt(pod, status);
    return states;
  };
  /** Lets the timers due in `ms` fire and the probes they start finish. */
  const advance = async (ms: number) => {
    t.mock.timers.tick(ms);
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { world, manager, pod, sync, advance };
}

function criStatus(id: string, state: CriContainerStatus['state']): CriContainerStatus {
  return {
    id,
    state,
    createdAt: 0n,
    startedAt: 0n,
    finishedAt: 0n,
    exitCode: 0,
    imageRef: '',
    reason: '',
    message: '',
    labels: {},
    annotations: {},
    mounts: [],
    logPath: '',
  };
}

const exec = (...command: string[]) => ({ exec: { command }, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });

test('a container with a readiness probe is not ready until its first success; failures past the threshold make it unready, each with an Unhealthy event', async (t) => {
  const { world, sync, advance } = setup(t, [{ name: 'app', image: 'busybox', readinessProbe: exec('cat', '/tmp/ready') }]);
  world.answers.set('cat /tmp/ready', { exitCode: 1, output: "cat: can't open '/tmp/ready': No such file or directory\n" });
  assert.deepEqual(sync().get('app'), { started: true, ready: false });
  await advance(0);
  assert.equal(world.execs.length, 1);
  assert.deepEqual(world.events.at(-1), {
    type: 'Warning',
    reason: 'Unhealthy',
    message: "Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory\n",
    fieldPath: 'spec.containers{app}',
  });
  assert.deepEqual(sync().get('app'), { started: true, ready: false });

  world.answers.set('cat /tmp/ready', { exitCode: 0, output: 'yes' });
  world.changes.length = 0;
  await advance(1000);
  assert.deepEqual(world.changes, ['default/web'], 'the change makes the pod’s status due');
  assert.deepEqual(sync().get('app'), { started: true, ready: true });

  world.answers.set('cat /tmp/ready', { exitCode: 1, output: '' });
  await advance(1000);
  await advance(1000);
  assert.equal(sync().get('app')?.ready, true, 'two failures: under the threshold');
  await advance(1000);
  assert.equal(sync().get('app')?.ready, false);
  assert.equal(world.events.filter((e) => e.message === 'Readiness probe failed: ').length, 3);
});

test('a startup probe holds started and ready, and liveness, until it succeeds', async (t) => {
  const { world, sync, advance } = setup(t, [
    { name: 'app', image: 'busybox', startupProbe: exec('test', '-e', '/tmp/up'), livenessProbe: exec('true'), readinessProbe: exec('cat', '/tmp/ready') },
  ]);
  world.answers.set('test -e /tmp/up', { exitCode: 1, output: '' });
  assert.deepEqual(sync().get('app'), { started: false, ready: false });
  await advance(0);
  await advance(1000);
  assert.deepEqual(world.execs.map((e) => e.cmd[0]), ['test', 'test'], 'only the startup probe runs');
  assert.deepEqual(sync().get('app'), { started: false, ready: false });

  world.answers.set('test -e /tmp/up', { exitCode: 0, output: '' });
  await advance(1000);
  assert.deepEqual(sync().get('app'), { started: true, ready: false }, 'started; readiness has not said yet');
  await advance(0);
  assert.deepEqual(sync().get('app'), { started: true, ready: true }, 'the readiness probe ran at once (triggered), not a period later');
  await advance(1000);
  assert.ok(world.execs.some((e) => e.cmd[0] === 'true'), 'liveness runs once started');
  const startups = world.execs.filter((e) => e.cmd[0] === 'test').length;
  await advance(3000);
  assert.equal(world.execs.filter((e) => e.cmd[0] === 'test').length, startups, 'no startup probes once started');
});

test('a liveness failure over the threshold kills the container once, with the pod’s grace period and kubelet’s events', async (t) => {
  const { world, sync, advance } = setup(t, [{ name: 'app', image: 'busybox', livenessProbe: { ...exec('check'), failureThreshold: 2 } }], { grace: 7 });
  world.answers.set('check', { exitCode: 3, output: 'sick\n' });
  sync();
  await advance(0);
  sync();
  assert.equal(world.stops.length, 0, 'one failure: under the threshold');
  await advance(1000);
  sync();
  sync();
  await advance(0);
  assert.deepEqual(world.stops, [{ id: 'c1-app', grace: 7 }]);
  assert.deepEqual(world.events.map((e) => [e.type, e.reason, e.message]), [
    ['Warning', 'Unhealthy', 'Liveness probe failed: sick\n'],
    ['Warning', 'Unhealthy', 'Liveness probe failed: sick\n'],
    ['Normal', 'Killing', 'Container app failed liveness probe, will be restarted'],
  ]);
  // Held until its replacement: no more probes of the killed container.
  const execs = world.execs.length;
  sync('c1', 'CONTAINER_EXITED');
  await advance(3000);
  assert.equal(world.execs.length, execs);
  // The replacement is probed.
  world.answers.set('check', { exitCode: 0, output: '' });
  sync('c2');
  await advance(1000);
  assert.equal(world.execs.at(-1)?.id, 'c2-app');
  assert.equal(world.stops.length, 1);
});

test('a startup failure kills the container too; with restartPolicy Never it is not to be restarted, and the probe’s own grace period wins', async (t) => {
  const { world, sync, advance } = setup(t, [{ name: 'app', image: 'busybox', startupProbe: { ...exec('false'), failureThreshold: 1, terminationGracePeriodSeconds: 4 } }], { restartPolicy: 'Never' });
  world.answers.set('false', { exitCode: 1, output: '' });
  sync();
  await advance(0);
  sync();
  await advance(0);
  assert.deepEqual(world.stops, [{ id: 'c1-app', grace: 4 }]);
  assert.deepEqual(world.events.at(-1), { type: 'Normal', reason: 'Killing', message: 'Container app failed startup probe', fieldPath: 'spec.containers{app}' });
});

test('the grace period of a probe’s kill: the deletion’s, else the probe’s, else the pod’s, at least 2 s', () => {
  const pod = (meta: object, grace?: number): Pod => ({ metadata: { name: 'p', ...meta }, spec: { containers: [], ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}) } });
  assert.equal(killGraceSeconds(pod({}, 30), undefined), 30);
  assert.equal(killGraceSeconds(pod({}, 30), { terminationGracePeriodSeconds: 5 }), 5);
  assert.equal(killGraceSeconds(pod({ deletionGracePeriodSeconds: 10 }, 30), { terminationGracePeriodSeconds: 5 }), 10);
  assert.equal(killGraceSeconds(pod({}, 0), undefined), 2);
  assert.equal(killGraceSeconds(pod({}), { terminationGracePeriodSeconds: 5 }), 2);
});

test('workers end when their pod is forgotten; a pod seen by a just-started agent is first probed within its period, not at once', async (t) => {
  const { world, manager, sync, advance } = setup(t, [{ name: 'app', image: 'busybox', readinessProbe: { ...exec('true'), periodSeconds: 10 } }], { random: 0.5 });
  sync();
  await advance(4_999);
  assert.equal(world.execs.length, 0);
  await advance(1);
  assert.equal(world.execs.length, 1);
  manager.forget('default/web');
  await advance(60_000);
  assert.equal(world.execs.length, 1);
});

test('a pod replaced by another of the same name gets new workers', async (t) => {
  const { world, manager, pod, sync, advance } = setup(t, [{ name: 'app', image: 'busybox', readinessProbe: exec('true') }]);
  sync();
  await advance(0);
  assert.equal(sync().get('app')?.ready, true);
  const other: Pod = { ...pod, metadata: { ...pod.metadata, uid: 'u2' } };
  const states = manager.observe(other, { containers: new Map([['app', [criStatus('d1-app', 'CONTAINER_RUNNING')]]]), waiting: new Map(), terminal: false });
  assert.deepEqual(states.get('app'), { started: true, ready: false });
  assert.ok(world.execs.length >= 1);
});

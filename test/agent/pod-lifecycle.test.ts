// The container lifecycle as kubelet decides and reports it, from what the
// runtime holds: restart policies, the crash-loop back-off, init containers
// in order, restart counts and last states, the phase.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus, PodSandboxStatus } from '../../agent/cri/types.js';
import { BackOff, goDuration } from '../../agent/pods/back-off.js';
import { computePodActions, nextRestartCount, type RuntimeContainers } from '../../agent/pods/pod-actions.js';
import { buildPodStatus } from '../../agent/pods/pod-status.js';
import type { ObservedPod, Waiting } from '../../agent/pods/pod-worker.js';

const now = new Date('2026-11-22T10:00:30Z');
const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
const sandbox: PodSandboxStatus = { id: 's1', state: 'SANDBOX_READY', createdAt: ns('2026-11-22T10:00:00Z'), network: { ip: '10.99.1.5', additionalIps: [] }, labels: {}, annotations: {}, runtimeHandler: '' };

function pod(restartPolicy: string, init: string[] = [], deleting = false): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u1', ...(deleting ? { deletionTimestamp: '2026-11-22T10:00:20Z' } : {}) },
    spec: { restartPolicy, initContainers: init.map((name) => ({ name, image: 'busybox' })), containers: [{ name: 'app', image: 'busybox' }] },
    status: { phase: 'Pending' },
  };
}

let serial = 0;
function ctr(_name: string, state: ContainerStatus['state'], restartCount: number, exitCode = 0, finished = '2026-11-22T10:00:10Z'): ContainerStatus {
  return {
    id: `c${serial++}`,
    state,
    createdAt: ns('2026-11-22T10:00:01Z'),
    startedAt: ns('2026-11-22T10:00:02Z'),
    finishedAt: state === 'CONTAINER_EXITED' ? ns(finished) : 0n,
    exitCode,
    imageRef: 'sha256:ab',
    reason: state === 'CONTAINER_EXITED' ? (exitCode === 0 ? 'Completed' : 'Error') : '',
    message: '',
    labels: {},
    annotations: { 'io.kubernetes.container.restartCount': String(restartCount) },
    mounts: [],
    logPath: '',
  };
}

const held = (entries: [string, ContainerStatus[]][]): RuntimeContainers => new Map(entries);
const observed = (containers: RuntimeContainers, waiting: [string, Waiting][] = [], terminal = false): ObservedPod => ({ sandbox, containers, waiting: new Map(waiting), terminal });

test('the back-off: the first restart at once, then 10 s doubling to 5 min, started over after 10 min of running fine', () => {
  let clock = 0;
  const backOff = new BackOff(() => clock);
  assert.equal(backOff.remainingMs('u/app', 0), 0, 'no entry: restart at once');
  backOff.next('u/app', 0);
  clock = 1_000;
  assert.equal(backOff.remainingMs('u/app', 1_000), 10_000, 'exited again at 1 s: waits 10 s from its exit');
  clock = 11_000;
  assert.equal(backOff.remainingMs('u/app', 1_000), 0);
  const delays: string[] = [];
  for (let i = 0; i < 7; i++) {
    backOff.next('u/app', clock);
    delays.push(goDuration(backOff.delayMs('u/app')));
  }
  assert.deepEqual(delays, ['20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s', '5m0s']);
  // Ran fine for more than twice the maximum since the last restart: starts over.
  const exit = clock + 600_001;
  clock = exit;
  assert.equal(backOff.remainingMs('u/app', exit), 0);
  backOff.next('u/app', exit);
  assert.equal(backOff.delayMs('u/app'), 10_000);
});

test('restart policies: Always restarts any exit, OnFailure only failures, Never none; the new container counts one more restart', () => {
  const exited = (code: number) => held([['app', [ctr('app', 'CONTAINER_EXITED', 3, code)]]]);
  const starts = (policy: string, code: number) => computePodActions(pod(policy), exited(code), true, true).containersToStart.map((c) => c.name);
  assert.deepEqual(starts('Always', 0), ['app']);
  assert.deepEqual(starts('Always', 1), ['app']);
  assert.deepEqual(starts('OnFailure', 1), ['app']);
  assert.deepEqual(starts('OnFailure', 0), []);
  assert.deepEqual(starts('Never', 1), []);
  assert.equal(computePodActions(pod('Never'), exited(1), true, true).killPod, true, 'nothing runs nor will: the sandbox goes');
  assert.equal(computePodActions(pod('Never'), exited(1), false, true).createSandbox, false, 'a finished pod gets no new sandbox');
  assert.equal(nextRestartCount(exited(1).get('app')), 4);
  assert.equal(nextRestartCount(undefined), 0);
  assert.deepEqual(computePodActions(pod('Always', [], true), exited(1), true, true).containersToStart, [], 'a pod being deleted is not restarted');
});

test('init containers run one at a time in order before the app containers; a failed one is retried unless the policy is Never', () => {
  const p = pod('Always', ['one', 'two']);
  const names = (list: readonly { name: string }[]) => list.map((c) => c.name);
  assert.deepEqual(names(computePodActions(p, held([]), false, false).initToStart), ['one']);
  assert.deepEqual(computePodActions(p, held([['one', [ctr('one', 'CONTAINER_RUNNING', 0)]]]), true, true).initToStart, [], 'the first still runs');
  const firstDone = held([['one', [ctr('one', 'CONTAINER_EXITED', 0)]]]);
  assert.deepEqual(names(computePodActions(p, firstDone, true, true).initToStart), ['two']);
  assert.deepEqual(computePodActions(p, firstDone, true, true).containersToStart, []);
  const bothDone = held([['one', [ctr('one', 'CONTAINER_EXITED', 0)]], ['two', [ctr('two', 'CONTAINER_EXITED', 0)]]]);
  assert.deepEqual(computePodActions(p, bothDone, true, true).containersToStart.map((c) => c.name), ['app']);
  const failed = held([['one', [ctr('one', 'CONTAINER_EXITED', 0)]], ['two', [ctr('two', 'CONTAINER_EXITED', 2, 1)]]]);
  assert.deepEqual(names(computePodActions(p, failed, true, true).initToStart), ['two'], 'retried');
  const never = computePodActions(pod('Never', ['one', 'two']), failed, true, true);
  assert.equal(never.killPod, true);
  assert.deepEqual(never.initToStart, []);
});

test('a sidecar starts in the init sequence, the next init container once it runs; it is restarted on exit, and stops with a finished pod', () => {
  const p: Pod = {
    ...pod('OnFailure'),
    spec: { restartPolicy: 'OnFailure', initContainers: [{ name: 'proxy', image: 'busybox', restartPolicy: 'Always' }, { name: 'setup', image: 'busybox' }], containers: [{ name: 'app', image: 'busybox' }] },
  };
  const names = (list: readonly { name: string }[]) => list.map((c) => c.name);
  assert.deepEqual(names(computePodActions(p, held([]), true, true).initToStart), ['proxy']);
  const proxyRuns = held([['proxy', [ctr('proxy', 'CONTAINER_RUNNING', 0)]]]);
  assert.deepEqual(names(computePodActions(p, proxyRuns, true, true).initToStart), ['setup']);
  const initialized = held([['proxy', [ctr('proxy', 'CONTAINER_RUNNING', 0)]], ['setup', [ctr('setup', 'CONTAINER_EXITED', 0)]]]);
  assert.deepEqual(names(computePodActions(p, initialized, true, true).containersToStart), ['app']);
  // Exited with 0 under a pod's OnFailure: a sidecar restarts all the same, beside the running app.
  const proxyExited = held([['proxy', [ctr('proxy', 'CONTAINER_EXITED', 0, 0)]], ['setup', [ctr('setup', 'CONTAINER_EXITED', 0)]], ['app', [ctr('app', 'CONTAINER_RUNNING', 0)]]]);
  const restart = computePodActions(p, proxyExited, true, true);
  assert.deepEqual([names(restart.initToStart), names(restart.containersToStart), restart.killPod], [['proxy'], [], false]);
  // The app completed: the pod is done and the sidecar stops with it.
  const appDone = held([['proxy', [ctr('proxy', 'CONTAINER_RUNNING', 0)]], ['setup', [ctr('setup', 'CONTAINER_EXITED', 0)]], ['app', [ctr('app', 'CONTAINER_EXITED', 0, 0)]]]);
  assert.equal(computePodActions(p, appDone, true, true).killPod, true);
  const status = buildPodStatus({ pod: p, observed: observed(held([['proxy', [ctr('proxy', 'CONTAINER_RUNNING', 0)]], ['setup', [ctr('setup', 'CONTAINER_RUNNING', 0)]]])), hostIp: undefined, now });
  assert.deepEqual(status.initContainerStatuses?.map((s) => [s.name, s.ready, s.started]), [['proxy', true, true], ['setup', false, true]]);
  assert.equal(status.conditions?.find((c) => c.type === 'Initialized')?.message, 'containers with incomplete status: [setup]');
  assert.equal(status.phase, 'Pending');
});

test('a crash-looping container: waiting CrashLoopBackOff with its last exit, its restart count, phase Running, kubectl’s reason', () => {
  const message = 'back-off 20s restarting failed container=app pod=p_default(u1)';
  const status = buildPodStatus({
    pod: pod('Always'),
    observed: observed(held([['app', [ctr('app', 'CONTAINER_EXITED', 2, 1), ctr('app', 'CONTAINER_EXITED', 1, 1, '2026-11-22T10:00:05Z')]]]), [['app', { reason: 'CrashLoopBackOff', message }]]),
    hostIp: undefined,
    now,
  });
  assert.equal(status.phase, 'Running');
  const app = status.containerStatuses![0]!;
  assert.deepEqual(app.state, { waiting: { reason: 'CrashLoopBackOff', message } });
  assert.equal(app.restartCount, 2);
  assert.equal(app.lastState?.terminated?.exitCode, 1);
  assert.equal(app.lastState?.terminated?.reason, 'Error');
  assert.equal(app.lastState?.terminated?.finishedAt, '2026-11-22T10:00:10Z', 'the newest exit, not the one before');
  assert.match(app.lastState?.terminated?.containerID ?? '', /^containerd:\/\/c\d+$/);
  assert.equal(app.ready, false);
});

test('a restarted container runs with the exit before it as lastState', () => {
  const status = buildPodStatus({ pod: pod('Always'), observed: observed(held([['app', [ctr('app', 'CONTAINER_RUNNING', 1), ctr('app', 'CONTAINER_EXITED', 0, 137)]]])), hostIp: undefined, now });
  const app = status.containerStatuses![0]!;
  assert.ok(app.state?.running);
  assert.equal(app.restartCount, 1);
  assert.equal(app.lastState?.terminated?.exitCode, 137);
  assert.equal(status.phase, 'Running');
});

test('phases as getPhase: OnFailure exit 0 Succeeded, Never exit 1 Failed, a deleted pod stopped for good final', () => {
  const exited = (code: number) => held([['app', [ctr('app', 'CONTAINER_EXITED', 0, code)]]]);
  const phase = (p: Pod, c: RuntimeContainers, terminal = false) => buildPodStatus({ pod: p, observed: observed(c, [], terminal), hostIp: undefined, now }).phase;
  assert.equal(phase(pod('OnFailure'), exited(0)), 'Succeeded');
  assert.equal(phase(pod('OnFailure'), exited(1)), 'Running');
  assert.equal(phase(pod('Never'), exited(1)), 'Failed');
  assert.equal(phase(pod('Always'), exited(0)), 'Running');
  assert.equal(phase(pod('Always', [], true), exited(137), true), 'Failed');
  assert.equal(phase(pod('Always', [], true), exited(0), true), 'Succeeded');
  const failed = buildPodStatus({ pod: pod('Never'), observed: observed(exited(1)), hostIp: undefined, now });
  assert.deepEqual(failed.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodFailed');
  // A phase the API holds as final stays final.
  assert.equal(phase({ ...pod('Always'), status: { phase: 'Succeeded' } }, held([['app', [ctr('app', 'CONTAINER_RUNNING', 0)]]])), 'Succeeded');
});

test('during initialization: Pending, Initialized False naming the incomplete ones, app containers PodInitializing; a failed init under Never: Failed', () => {
  const p = pod('Always', ['one', 'two']);
  const running = buildPodStatus({ pod: p, observed: observed(held([['one', [ctr('one', 'CONTAINER_EXITED', 0)]], ['two', [ctr('two', 'CONTAINER_RUNNING', 0)]]])), hostIp: undefined, now });
  assert.equal(running.phase, 'Pending');
  const initialized = running.conditions?.find((c) => c.type === 'Initialized');
  assert.deepEqual([initialized?.status, initialized?.reason, initialized?.message], ['False', 'ContainersNotInitialized', 'containers with incomplete status: [two]']);
  assert.deepEqual(running.initContainerStatuses?.map((s) => [s.name, s.ready, Object.keys(s.state ?? {})[0]]), [['one', true, 'terminated'], ['two', false, 'running']]);
  assert.deepEqual(running.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });

  const crashing = held([['one', [ctr('one', 'CONTAINER_EXITED', 1, 1)]]]);
  const looping = buildPodStatus({ pod: p, observed: observed(crashing, [['one', { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=one pod=p_default(u1)' }]]), hostIp: undefined, now });
  assert.equal(looping.phase, 'Pending');
  assert.equal(looping.initContainerStatuses?.[0]?.state?.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(looping.initContainerStatuses?.[0]?.lastState?.terminated?.exitCode, 1);
  assert.equal(looping.initContainerStatuses?.[0]?.restartCount, 1);

  const never = buildPodStatus({ pod: pod('Never', ['one', 'two']), observed: observed(held([['one', [ctr('one', 'CONTAINER_EXITED', 0, 1)]]])), hostIp: undefined, now });
  assert.equal(never.phase, 'Failed');
  assert.equal(never.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Error');

  const done = buildPodStatus({ pod: p, observed: observed(held([['one', [ctr('one', 'CONTAINER_EXITED', 0)]], ['two', [ctr('two', 'CONTAINER_EXITED', 0)]], ['app', [ctr('app', 'CONTAINER_RUNNING', 0)]]])), hostIp: undefined, now });
  assert.equal(done.phase, 'Running');
  assert.equal(done.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
});

// A pod's status as kubelet reports it, built from what the runtime holds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus, PodSandboxStatus } from '../../agent/cri/types.js';
import { buildPodStatus, sameStatus } from '../../agent/pods/pod-status.js';
import type { ObservedPod } from '../../agent/pods/pod-worker.js';

const now = new Date('2026-11-22T10:00:05.123Z');
const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
const pod: Pod = {
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  spec: { restartPolicy: 'Never', containers: [{ name: 'web', image: 'busybox:1.36' }, { name: 'side', image: 'busybox:1.37' }] },
  status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-22T09:00:00Z' }] },
};
const sandbox: PodSandboxStatus = {
  id: 's1',
  state: 'SANDBOX_READY',
  createdAt: ns('2026-11-22T10:00:01Z'),
  network: { ip: '10.99.1.5', additionalIps: [] },
  labels: {},
  annotations: {},
  runtimeHandler: '',
};
function container(name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    id: `c-${name}`,
    state,
    createdAt: ns('2026-11-22T10:00:02Z'),
    startedAt: ns('2026-11-22T10:00:03Z'),
    finishedAt: 0n,
    exitCode: 0,
    image: { image: `docker.io/library/busybox:1.36` },
    imageRef: 'docker.io/library/busybox@sha256:ab',
    reason: '',
    message: '',
    labels: {},
    annotations: {},
    mounts: [],
    logPath: '',
    ...extra,
  };
}

test('one container running and one waiting for its image: Pending, not ready, with the pull error', () => {
  const status = buildPodStatus({
    pod,
    observed: { sandbox, containers: new Map([['web', [container('web', 'CONTAINER_RUNNING')]]]), waiting: new Map([['side', { reason: 'ErrImagePull', message: 'not found' }]]), terminal: false },
    hostIp: '192.168.1.20',
    now,
  });
  assert.equal(status.phase, 'Pending');
  assert.deepEqual([status.podIP, status.podIPs, status.hostIP, status.hostIPs], ['10.99.1.5', [{ ip: '10.99.1.5' }], '192.168.1.20', [{ ip: '192.168.1.20' }]]);
  assert.equal(status.startTime, '2026-11-22T10:00:05Z');
  assert.equal(status.qosClass, 'BestEffort');
  assert.deepEqual(
    status.conditions?.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
    [
      ['PodReadyToStartContainers', 'True', undefined, '2026-11-22T10:00:05Z'],
      ['Initialized', 'True', undefined, '2026-11-22T10:00:05Z'],
      ['Ready', 'False', 'ContainersNotReady', '2026-11-22T10:00:05Z'],
      ['ContainersReady', 'False', 'ContainersNotReady', '2026-11-22T10:00:05Z'],
      ['PodScheduled', 'True', undefined, '2026-11-22T09:00:00Z'],
    ],
  );
  assert.equal(status.conditions?.[2]?.message, 'containers with unready status: [side]');
  // Sorted by name, as kubelet sorts them.
  assert.deepEqual(status.containerStatuses, [
    { name: 'side', state: { waiting: { reason: 'ErrImagePull', message: 'not found' } }, lastState: {}, ready: false, restartCount: 0, image: 'busybox:1.37', imageID: '', started: false },
    {
      name: 'web',
      state: { running: { startedAt: '2026-11-22T10:00:03Z' } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image: 'docker.io/library/busybox:1.36',
      imageID: 'docker.io/library/busybox@sha256:ab',
      containerID: 'containerd://c-web',
      started: true,
    },
  ]);
});

test('all containers exited: Succeeded or Failed under restartPolicy Never, Running under Always; unchanged status is the same', () => {
  const exited = (code: number) =>
    new Map([
      ['web', [container('web', 'CONTAINER_EXITED', { exitCode: code, finishedAt: ns('2026-11-22T10:00:04Z'), reason: code === 0 ? 'Completed' : 'Error' })]],
      ['side', [container('side', 'CONTAINER_EXITED', { finishedAt: ns('2026-11-22T10:00:04Z'), reason: 'Completed' })]],
    ]);
  const build = (p: Pod, code: number) => buildPodStatus({ pod: p, observed: { sandbox, containers: exited(code), waiting: new Map(), terminal: false }, hostIp: undefined, now });
  const ok = build(pod, 0);
  assert.equal(ok.phase, 'Succeeded');
  assert.deepEqual(ok.containerStatuses?.[1]?.state?.terminated, {
    exitCode: 0,
    reason: 'Completed',
    startedAt: '2026-11-22T10:00:03Z',
    finishedAt: '2026-11-22T10:00:04Z',
    containerID: 'containerd://c-web',
  });
  assert.equal(ok.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  assert.equal(build(pod, 1).phase, 'Failed');
  assert.equal(build({ ...pod, spec: { ...pod.spec!, restartPolicy: 'Always' } }, 1).phase, 'Running');
  // As the API serves it back (other key order, conditions others own): the same.
  const stored = Object.fromEntries(Object.entries({ ...ok, conditions: [{ type: 'DisruptionTarget', status: 'True' }, ...ok.conditions!] }).reverse());
  assert.ok(sameStatus(stored, ok));
  assert.ok(!sameStatus(pod.status, ok));
});

test('probes decide running containers’ started and ready, and so ContainersReady and Ready', () => {
  const running = new Map([
    ['web', [container('web', 'CONTAINER_RUNNING')]],
    ['side', [container('side', 'CONTAINER_RUNNING')]],
  ]);
  const build = (probes: ObservedPod['probes']) => buildPodStatus({ pod, observed: { sandbox, containers: running, waiting: new Map(), terminal: false, probes }, hostIp: undefined, now });
  const unready = build(new Map([['web', { started: true, ready: false }], ['side', { started: false, ready: false }]]));
  assert.deepEqual(unready.containerStatuses?.map((c) => [c.name, c.started, c.ready]), [['side', false, false], ['web', true, false]]);
  assert.equal(unready.phase, 'Running');
  const ready = unready.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.reason, ready?.message], ['False', 'ContainersNotReady', 'containers with unready status: [web side]']);
  // A container the probes say nothing of is started and ready once it runs.
  const fine = build(new Map([['web', { started: true, ready: true }]]));
  assert.deepEqual(fine.containerStatuses?.map((c) => [c.name, c.started, c.ready]), [['side', true, true], ['web', true, true]]);
  assert.deepEqual(fine.conditions?.filter((c) => c.type.endsWith('Ready')).map((c) => [c.type, c.status]), [['Ready', 'True'], ['ContainersReady', 'True']]);
});

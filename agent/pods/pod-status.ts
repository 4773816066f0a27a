// A pod's status as kubelet reports it (pkg/kubelet/kubelet_pods.go
// generateAPIPodStatus, getPhase; pkg/kubelet/status/generate.go), built
// from what the runtime holds and the pod's current status in the API
// (whose transition times and startTime are kept while nothing changes).
// A running container is started and ready unless its probes say otherwise.
import type { ContainerState, ContainerStatus as ApiContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { AGENT_POD_CONDITIONS } from '../../common/agent-protocol.js';
import type { ContainerStatus } from '../cri/types.js';
import type { ObservedPod } from './pod-worker.js';

export interface PodStatusInput {
  readonly pod: Pod;
  /** The status last reported, when the API may not show it yet; default the pod's. */
  readonly previous?: PodStatus;
  readonly observed: ObservedPod;
  /** The node's InternalIP. */
  readonly hostIp: string | undefined;
  readonly now: Date;
}

export function buildPodStatus({ pod, previous = pod.status ?? {}, observed, hostIp, now }: PodStatusInput): PodStatus {
  const spec = pod.spec ?? { containers: [] };
  const containerStatuses = [...spec.containers]
    .map((container) => {
      const cri = observed.containers.get(container.name);
      return cri === undefined ? waitingStatus(container.name, container.image ?? '', observed.waiting.get(container.name)) : fromRuntime(container.name, container.image ?? '', cri, observed.probes?.get(container.name));
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const phase = podPhase(pod, containerStatuses);
  const sandboxReady = observed.sandbox?.state === 'SANDBOX_READY';
  const hostNetwork = spec.hostNetwork === true;
  const sandboxIps = observed.sandbox?.network === undefined ? [] : [observed.sandbox.network.ip, ...observed.sandbox.network.additionalIps.map((a) => a.ip)].filter((ip) => ip !== '');
  const podIps = hostNetwork ? (hostIp === undefined ? [] : [hostIp]) : sandboxIps;
  const initContainers = spec.initContainers ?? [];
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const unready = containerStatuses.filter((c) => !c.ready).map((c) => c.name);
  const condition = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
    const status = ok ? 'True' : 'False';
    const before = previous.conditions?.find((c) => c.type === type);
    return {
      type,
      status,
      lastTransitionTime: before?.status === status && before.lastTransitionTime !== undefined ? before.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z'),
      ...(reason !== undefined ? { reason } : {}),
      ...(message !== undefined ? { message } : {}),
    };
  };
  const notReady: [reason: string, message?: string] | undefined = terminal
    ? ['PodCompleted']
    : unready.length > 0
      ? ['ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`]
      : undefined;
  const gate = readinessGateProblem(pod);
  const containersReady = notReady !== undefined ? condition('ContainersReady', false, ...notReady) : condition('ContainersReady', true);
  const ready =
    notReady !== undefined
      ? condition('Ready', false, ...notReady)
      : gate !== undefined
        ? condition('Ready', false, 'ReadinessGatesNotReady', gate)
        : condition('Ready', true);
  return {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', sandboxReady && (hostNetwork || sandboxIps.length > 0)),
      initContainers.length === 0
        ? condition('Initialized', true)
        : condition('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: [${initContainers.map((c) => c.name).join(' ')}]`),
      ready,
      containersReady,
      condition('PodScheduled', true),
    ],
    ...(hostIp !== undefined ? { hostIP: hostIp, hostIPs: [{ ip: hostIp }] } : {}),
    ...(podIps.length > 0 ? { podIP: podIps[0], podIPs: podIps.map((ip) => ({ ip })) } : {}),
    startTime: previous.startTime ?? now.toISOString().replace(/\.\d+Z$/, 'Z'),
    containerStatuses,
    ...(previous.qosClass !== undefined ? { qosClass: previous.qosClass } : {}),
  };
}

/** Whether two statuses say the same in what the agent owns (the stored one may carry others' conditions). */
export function sameStatus(a: PodStatus | undefined, b: PodStatus): boolean {
  return canonical(owned(a ?? {})) === canonical(owned(b));
}

function owned(status: PodStatus): PodStatus {
  return { ...status, conditions: (status.conditions ?? []).filter((c) => AGENT_POD_CONDITIONS.has(c.type)) };
}

/** JSON with sorted keys and without nulls: the API's key order and ours differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

function waitingStatus(name: string, image: string, waiting: { reason: string; message: string } | undefined): ApiContainerStatus {
  return {
    name,
    state: { waiting: waiting ?? { reason: 'ContainerCreating' } },
    lastState: {},
    ready: false,
    restartCount: 0,
    image,
    imageID: '',
    started: false,
  };
}

function fromRuntime(name: string, specImage: string, cri: ContainerStatus, probed: { started: boolean; ready: boolean } | undefined): ApiContainerStatus {
  const running = cri.state === 'CONTAINER_RUNNING';
  return {
    name,
    state: containerState(cri),
    lastState: {},
    ready: running && (probed?.ready ?? true),
    restartCount: 0,
    image: cri.image?.image || specImage,
    imageID: cri.imageRef,
    containerID: `containerd://${cri.id}`,
    started: running && (probed?.started ?? true),
  };
}

function containerState(cri: ContainerStatus): ContainerState {
  switch (cri.state) {
    case 'CONTAINER_RUNNING':
      return { running: { startedAt: time(cri.startedAt) } };
    case 'CONTAINER_EXITED':
      return {
        terminated: {
          exitCode: cri.exitCode,
          reason: cri.reason || (cri.exitCode === 0 ? 'Completed' : 'Error'),
          ...(cri.message !== '' ? { message: cri.message } : {}),
          ...(cri.startedAt > 0n ? { startedAt: time(cri.startedAt) } : {}),
          finishedAt: time(cri.finishedAt),
          containerID: `containerd://${cri.id}`,
        },
      };
    case 'CONTAINER_CREATED':
      return { waiting: { reason: 'ContainerCreating' } };
    default:
      return { waiting: { reason: 'ContainerStatusUnknown', message: 'the container runtime does not know the state of this container' } };
  }
}

/** kubelet's getPhase for pods without init containers (those wait in Pending for now). */
function podPhase(pod: Pod, statuses: readonly ApiContainerStatus[]): string {
  if ((pod.spec?.initContainers ?? []).length > 0) return 'Pending';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running !== undefined) running++;
    else if (s.state?.terminated !== undefined) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return policy === 'Never' ? 'Failed' : 'Running';
  }
  return 'Pending';
}

/** Why the pod's readiness gates hold it, or undefined when they do not. */
function readinessGateProblem(pod: Pod): string | undefined {
  for (const gate of pod.spec?.readinessGates ?? []) {
    const found = pod.status?.conditions?.find((c) => c.type === gate.conditionType);
    if (found === undefined) return `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`;
    if (found.status !== 'True') return `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${found.status}`;
  }
  return undefined;
}

/** RFC 3339 in seconds, as metav1.Time serializes (nanoseconds since the epoch in). */
function time(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d+Z$/, 'Z');
}

// A pod's status as kubelet reports it (pkg/kubelet/kubelet_pods.go
// generateAPIPodStatus, getPhase; pkg/kubelet/status/generate.go), built
// from what the runtime holds and the pod's current status in the API
// (whose transition times and startTime are kept while nothing changes):
// restart counts and last states, init containers, the phase with its
// restart policy. A running container is started and ready unless its
// probes say otherwise.
import type { Container, ContainerState, ContainerStatus as ApiContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { AGENT_POD_CONDITIONS } from '../../common/agent-protocol.js';
import type { ContainerStatus } from '../cri/types.js';
import { isSidecar, restartCountOf, shouldContainerBeRestarted } from './pod-actions.js';
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
  const initContainers = spec.initContainers ?? [];
  const containerStatuses = spec.containers
    .map((c) => apiContainerStatus(pod, c, observed, initContainers.length > 0, false))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // In spec order, as kubelet sorts init containers' statuses.
  const initContainerStatuses = initContainers.map((c) => apiContainerStatus(pod, c, observed, true, true));
  const apiPhase = pod.status?.phase;
  // A phase the API holds as final stays (kubelet refuses the transition).
  const phase = apiPhase === 'Succeeded' || apiPhase === 'Failed' ? apiPhase : podPhase(pod, initContainerStatuses, containerStatuses, observed.terminal === true);
  const sandboxReady = observed.sandbox?.state === 'SANDBOX_READY';
  const hostNetwork = spec.hostNetwork === true;
  const sandboxIps = observed.sandbox?.network === undefined ? [] : [observed.sandbox.network.ip, ...observed.sandbox.network.additionalIps.map((a) => a.ip)].filter((ip) => ip !== '');
  const podIps = hostNetwork ? (hostIp === undefined ? [] : [hostIp]) : sandboxIps;
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
  const notReady = containersNotReady(spec.containers, containerStatuses, phase);
  const gate = readinessGateProblem(pod);
  const containersReady = notReady !== undefined ? condition('ContainersReady', false, ...notReady) : condition('ContainersReady', true);
  const ready =
    notReady !== undefined
      ? condition('Ready', false, ...notReady)
      : gate !== undefined
        ? condition('Ready', false, 'ReadinessGatesNotReady', gate)
        : condition('Ready', true);
  const initialized = notInitialized(pod, initContainerStatuses, containerStatuses, phase);
  return {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', sandboxReady && (hostNetwork || sandboxIps.length > 0)),
      initialized === undefined ? condition('Initialized', true) : initialized === 'PodCompleted' ? condition('Initialized', true, 'PodCompleted') : condition('Initialized', false, 'ContainersNotInitialized', initialized),
      ready,
      containersReady,
      condition('PodScheduled', true),
    ],
    ...(hostIp !== undefined ? { hostIP: hostIp, hostIPs: [{ ip: hostIp }] } : {}),
    ...(podIps.length > 0 ? { podIP: podIps[0], podIPs: podIps.map((ip) => ({ ip })) } : {}),
    startTime: previous.startTime ?? now.toISOString().replace(/\.\d+Z$/, 'Z'),
    ...(initContainerStatuses.length > 0 ? { initContainerStatuses } : {}),
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

/**
 * One container's status as kubelet's convertToAPIContainerStatuses makes it:
 * the newest container's state, the one before it as lastState, the restart
 * count it was created with; a container that will be started again and has
 * a reason it is not (back-off, a failed pull or create) shows that reason,
 * its last exit moving to lastState.
 */
function apiContainerStatus(pod: Pod, container: Container, observed: ObservedPod, hasInitContainers: boolean, isInit: boolean): ApiContainerStatus {
  const list = observed.containers.get(container.name) ?? [];
  const [newest, before] = list;
  const image = container.image ?? '';
  let status: ApiContainerStatus;
  if (newest === undefined) {
    status = { name: container.name, state: { waiting: { reason: hasInitContainers ? 'PodInitializing' : 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image, imageID: '', started: false };
  } else {
    const running = newest.state === 'CONTAINER_RUNNING';
    const state = containerState(newest);
    status = {
      name: container.name,
      state,
      lastState: before === undefined ? {} : containerState(before),
      // A running app container (or sidecar) is ready unless its probes say otherwise; an init container is once it completed.
      ready: isInit && !isSidecar(container) ? state.terminated?.exitCode === 0 : running && (observed.probes?.get(container.name)?.ready ?? true),
      restartCount: restartCountOf(newest),
      image: newest.image?.image || image,
      imageID: newest.imageRef,
      containerID: `containerd://${newest.id}`,
      started: running && (isInit || (observed.probes?.get(container.name)?.started ?? true)),
    };
  }
  const why = observed.waiting.get(container.name);
  if (why !== undefined && newest?.state !== 'CONTAINER_RUNNING' && shouldContainerBeRestarted(container, pod, observed.containers)) {
    if (status.state?.terminated !== undefined) status.lastState = status.state;
    status.state = { waiting: { reason: why.reason, ...(why.message !== '' ? { message: why.message } : {}) } };
  }
  return status;
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

/** kubelet's getPhase (regular init containers; sidecars are not run yet). `terminal`: the pod was stopped for good. */
function podPhase(pod: Pod, initStatuses: readonly ApiContainerStatus[], statuses: readonly ApiContainerStatus[], terminal: boolean): string {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter(isSidecar).map((c) => c.name));
  for (const s of initStatuses) {
    // A sidecar that runs is initialized; one that does not holds initialization only until an app container started.
    if (sidecars.has(s.name)) {
      if (s.state?.running === undefined && !anyStarted(statuses)) pendingInit++;
      continue;
    }
    if (s.state?.running !== undefined) pendingInit++;
    else if (s.state?.terminated !== undefined) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.lastState?.terminated !== undefined) {
      if (s.lastState.terminated.exitCode !== 0) failedInit++;
    } else pendingInit++;
  }
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running !== undefined) running++;
    else if (s.state?.terminated !== undefined) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated !== undefined) stopped++;
    else waiting++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    return policy === 'Never' ? 'Failed' : 'Running';
  }
  return 'Pending';
}

/** ContainersReady's reason and message when it is False (kubelet's GenerateContainersReadyCondition). */
function containersNotReady(containers: readonly Container[], statuses: readonly ApiContainerStatus[], phase: string): [reason: string, message?: string] | undefined {
  if (phase === 'Succeeded') return ['PodCompleted'];
  if (phase === 'Failed') return ['PodFailed'];
  const unready = containers.filter((c) => statuses.find((s) => s.name === c.name)?.ready !== true).map((c) => c.name);
  return unready.length > 0 ? ['ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`] : undefined;
}

/** kubelet's HasAnyRegularContainerStarted. */
function anyStarted(statuses: readonly ApiContainerStatus[]): boolean {
  return statuses.some((s) => s.state?.running !== undefined || s.state?.terminated !== undefined || s.lastState?.terminated !== undefined);
}

/** Initialized's message when it is False, 'PodCompleted' for a pod that succeeded, undefined when True (GeneratePodInitializedCondition). */
function notInitialized(pod: Pod, initStatuses: readonly ApiContainerStatus[], statuses: readonly ApiContainerStatus[], phase: string): string | undefined {
  const init = pod.spec?.initContainers ?? [];
  if (init.length === 0) return undefined;
  if (phase === 'Succeeded') return 'PodCompleted';
  // An app container that started means initialization was done before.
  if (anyStarted(statuses)) return undefined;
  const incomplete = init.filter((c) => initStatuses.find((s) => s.name === c.name)?.ready !== true).map((c) => c.name);
  return incomplete.length > 0 ? `containers with incomplete status: [${incomplete.join(' ')}]` : undefined;
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

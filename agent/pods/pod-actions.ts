// What a pod's sync must do on the runtime, decided as kubelet's
// computePodActions decides it (kuberuntime_manager.go, container/helpers.go):
// the init containers one at a time and in order, each to completion, then
// the app containers; an exited container restarted as the restart policy
// says; a pod whose containers are all done (or whose init container failed
// under restartPolicy Never) has its sandbox stopped and is never started
// again. Sidecars (init containers with restartPolicy Always) start in the
// init sequence, the next one once they run, and are restarted whenever they
// exit; they do not keep a finished pod alive. Pure: it reads the pod and
// what the runtime holds, nothing else.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus } from '../cri/types.js';

/** Container name → its containers on the runtime, newest first. */
export type RuntimeContainers = ReadonlyMap<string, readonly ContainerStatus[]>;

export interface PodActions {
  /** No ready sandbox: make one (and start from the first init container). */
  readonly createSandbox: boolean;
  /** Nothing runs nor will: stop the sandbox. */
  readonly killPod: boolean;
  /** Init containers to start: the next regular one, and sidecars that are not running. */
  readonly initToStart: readonly Container[];
  /** App containers to start (only once every init container completed). */
  readonly containersToStart: readonly Container[];
}

export const RESTART_COUNT_ANNOTATION = 'io.kubernetes.container.restartCount';

/** The restart count a container was created with (kubelet's annotation); 0 when it lacks one. */
export function restartCountOf(status: ContainerStatus): number {
  const n = Number(status.annotations[RESTART_COUNT_ANNOTATION] ?? 0);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** The restart count a new container of this name gets: one more than the newest one's. */
export function nextRestartCount(statuses: readonly ContainerStatus[] | undefined): number {
  const newest = statuses?.[0];
  return newest === undefined ? 0 : restartCountOf(newest) + 1;
}

/** An init container with restartPolicy Always: a sidecar. */
export function isSidecar(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

/** kubelet's ShouldContainerBeRestarted: whether a container that is not running should be (re)started. */
export function shouldContainerBeRestarted(container: Container, pod: Pod, containers: RuntimeContainers): boolean {
  if (pod.metadata?.deletionTimestamp != null) return false;
  const newest = containers.get(container.name)?.[0];
  if (newest === undefined) return true;
  if (newest.state === 'CONTAINER_RUNNING') return false;
  if (newest.state === 'CONTAINER_UNKNOWN' || newest.state === 'CONTAINER_CREATED') return true;
  const policy = isSidecar(container) ? 'Always' : (pod.spec?.restartPolicy ?? 'Always');
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && newest.exitCode === 0) return false;
  return true;
}

export function computePodActions(pod: Pod, containers: RuntimeContainers, sandboxReady: boolean, hadSandbox: boolean): PodActions {
  const spec = pod.spec ?? { containers: [] };
  const restartOnFailure = (spec.restartPolicy ?? 'Always') !== 'Never';
  const nothing: PodActions = { createSandbox: false, killPod: false, initToStart: [], containersToStart: [] };
  if (!sandboxReady) {
    // A pod that will not restart is not given a new sandbox once it ran (kubelet: attempt != 0).
    if (hadSandbox && !restartOnFailure && containers.size > 0) return nothing;
    if (isDone(pod, containers)) return nothing;
    const init = spec.initContainers ?? [];
    if (init.length > 0) return { ...nothing, createSandbox: true, initToStart: [init[0]!] };
    // OnFailure keeps what succeeded.
    const toStart = spec.containers.filter((c) => !(spec.restartPolicy === 'OnFailure' && containers.get(c.name)?.[0]?.state === 'CONTAINER_EXITED' && containers.get(c.name)![0]!.exitCode === 0));
    return { ...nothing, createSandbox: true, containersToStart: toStart };
  }

  const init = initActions(pod, containers);
  if (init.failedForGood) return { ...nothing, killPod: true };
  if (!init.initialized) return { ...nothing, initToStart: init.toStart };
  let keep = 0;
  const toStart: Container[] = [];
  for (const container of spec.containers) {
    const newest = containers.get(container.name)?.[0];
    if (newest?.state === 'CONTAINER_RUNNING') keep++;
    else if (shouldContainerBeRestarted(container, pod, containers)) toStart.push(container);
  }
  // Sidecars do not keep a pod whose containers are done: they stop with it and are not restarted.
  if (keep === 0 && toStart.length === 0) return { ...nothing, killPod: true };
  return { ...nothing, initToStart: init.toStart, containersToStart: toStart };
}

/** Whether the pod has run its course: it never needs its sandbox again. */
export function isDone(pod: Pod, containers: RuntimeContainers): boolean {
  const spec = pod.spec ?? { containers: [] };
  const init = initActions(pod, containers);
  if (!init.initialized) return init.failedForGood;
  return spec.containers.every((c) => containers.get(c.name)?.[0]?.state === 'CONTAINER_EXITED' && !shouldContainerBeRestarted(c, pod, containers));
}

interface InitActions {
  /** Every regular init container completed, and every sidecar before the last of them runs (or an app container ever started). */
  readonly initialized: boolean;
  /** The next regular init container (again, if it failed) and the sidecars that do not run. */
  readonly toStart: readonly Container[];
  /** A regular init container failed under restartPolicy Never: the pod failed. */
  readonly failedForGood: boolean;
}

/** kubelet's computeInitContainerActions (findNextInitContainerToRun without sidecars), in spec order. */
function initActions(pod: Pod, containers: RuntimeContainers): InitActions {
  const spec = pod.spec ?? { containers: [] };
  // An app container that ever started means initialization finished before (an agent restart, pruned init containers).
  const appStarted = spec.containers.some((c) => {
    const state = containers.get(c.name)?.[0]?.state;
    return state === 'CONTAINER_RUNNING' || state === 'CONTAINER_EXITED';
  });
  const toStart: Container[] = [];
  const waiting = (): InitActions => ({ initialized: false, toStart, failedForGood: false });
  for (const container of spec.initContainers ?? []) {
    const newest = containers.get(container.name)?.[0];
    if (isSidecar(container)) {
      if (newest?.state === 'CONTAINER_RUNNING') continue;
      if (pod.metadata?.deletionTimestamp == null) toStart.push(container);
      // The next init container waits until this one runs.
      if (!appStarted) return waiting();
      continue;
    }
    if (appStarted) continue;
    if (newest === undefined || newest.state === 'CONTAINER_CREATED') {
      toStart.push(container);
      return waiting();
    }
    if (newest.state === 'CONTAINER_RUNNING') return waiting();
    if (isInitContainerFailed(newest)) {
      if (spec.restartPolicy === 'Never') return { initialized: false, toStart: [], failedForGood: true };
      toStart.push(container);
      return waiting();
    }
    // Completed: on to the next.
  }
  return { initialized: true, toStart, failedForGood: false };
}

function isInitContainerFailed(status: ContainerStatus): boolean {
  return (status.state === 'CONTAINER_EXITED' && status.exitCode !== 0) || status.state === 'CONTAINER_UNKNOWN';
}

// What a pod's sync must do on the runtime, decided as kubelet's
// computePodActions decides it (kuberuntime_manager.go, container/helpers.go):
// the init containers one at a time and in order, each to completion, then
// the app containers; an exited container restarted as the restart policy
// says; a pod whose containers are all done (or whose init container failed
// under restartPolicy Never) has its sandbox stopped and is never started
// again. Pure: it reads the pod and what the runtime holds, nothing else.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus } from '../cri/types.js';

/** Container name → its containers on the runtime, newest first. */
export type RuntimeContainers = ReadonlyMap<string, readonly ContainerStatus[]>;

export interface PodActions {
  /** No ready sandbox: make one (and start from the first init container). */
  readonly createSandbox: boolean;
  /** Nothing runs nor will: stop the sandbox. */
  readonly killPod: boolean;
  /** The init container to start next, if initialization goes on. */
  readonly initToStart?: Container;
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

/** kubelet's ShouldContainerBeRestarted: whether a container that is not running should be (re)started. */
export function shouldContainerBeRestarted(container: Container, pod: Pod, containers: RuntimeContainers): boolean {
  if (pod.metadata?.deletionTimestamp != null) return false;
  const newest = containers.get(container.name)?.[0];
  if (newest === undefined) return true;
  if (newest.state === 'CONTAINER_RUNNING') return false;
  if (newest.state === 'CONTAINER_UNKNOWN' || newest.state === 'CONTAINER_CREATED') return true;
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && newest.exitCode === 0) return false;
  return true;
}

export function computePodActions(pod: Pod, containers: RuntimeContainers, sandboxReady: boolean, hadSandbox: boolean): PodActions {
  const spec = pod.spec ?? { containers: [] };
  const restartOnFailure = (spec.restartPolicy ?? 'Always') !== 'Never';
  if (!sandboxReady) {
    // A pod that will not restart is not given a new sandbox once it ran (kubelet: attempt != 0).
    if (hadSandbox && !restartOnFailure && containers.size > 0) return { createSandbox: false, killPod: false, containersToStart: [] };
    if (isDone(pod, containers)) return { createSandbox: false, killPod: false, containersToStart: [] };
    const init = spec.initContainers ?? [];
    if (init.length > 0) return { createSandbox: true, killPod: false, initToStart: init[0]!, containersToStart: [] };
    // OnFailure keeps what succeeded.
    const toStart = spec.containers.filter((c) => !(spec.restartPolicy === 'OnFailure' && containers.get(c.name)?.[0]?.state === 'CONTAINER_EXITED' && containers.get(c.name)![0]!.exitCode === 0));
    return { createSandbox: true, killPod: false, containersToStart: toStart };
  }

  const next = nextInitContainer(pod, containers);
  if (!next.done) {
    if (next.container === undefined) return { createSandbox: false, killPod: false, containersToStart: [] };
    if (next.failed && !restartOnFailure) return { createSandbox: false, killPod: true, containersToStart: [] };
    return { createSandbox: false, killPod: false, initToStart: next.container, containersToStart: [] };
  }
  let keep = 0;
  const toStart: Container[] = [];
  for (const container of spec.containers) {
    const newest = containers.get(container.name)?.[0];
    if (newest?.state === 'CONTAINER_RUNNING') keep++;
    else if (shouldContainerBeRestarted(container, pod, containers)) toStart.push(container);
  }
  return { createSandbox: false, killPod: keep === 0 && toStart.length === 0, containersToStart: toStart };
}

/** Whether the pod has run its course: it never needs its sandbox again. */
export function isDone(pod: Pod, containers: RuntimeContainers): boolean {
  const spec = pod.spec ?? { containers: [] };
  const next = nextInitContainer(pod, containers);
  if (!next.done) return next.failed === true && spec.restartPolicy === 'Never';
  return spec.containers.every((c) => containers.get(c.name)?.[0]?.state === 'CONTAINER_EXITED' && !shouldContainerBeRestarted(c, pod, containers));
}

interface NextInit {
  readonly done: boolean;
  /** The init container to start (again); undefined while one runs. */
  readonly container?: Container;
  /** The one to start is there because it failed. */
  readonly failed?: boolean;
}

/** kubelet's findNextInitContainerToRun. */
function nextInitContainer(pod: Pod, containers: RuntimeContainers): NextInit {
  const init = pod.spec?.initContainers ?? [];
  if (init.length === 0) return { done: true };
  // A running app container means initialization finished before (an agent restart, pruned init containers).
  if ((pod.spec?.containers ?? []).some((c) => containers.get(c.name)?.[0]?.state === 'CONTAINER_RUNNING')) return { done: true };
  for (let i = init.length - 1; i >= 0; i--) {
    const newest = containers.get(init[i]!.name)?.[0];
    if (newest !== undefined && isInitContainerFailed(newest)) return { done: false, container: init[i]!, failed: true };
  }
  for (let i = init.length - 1; i >= 0; i--) {
    const newest = containers.get(init[i]!.name)?.[0];
    if (newest === undefined) continue;
    if (newest.state === 'CONTAINER_RUNNING') return { done: false };
    if (newest.state === 'CONTAINER_EXITED') return i === init.length - 1 ? { done: true } : { done: false, container: init[i + 1]! };
    // Created but not started: start it.
    return { done: false, container: init[i]! };
  }
  return { done: false, container: init[0]! };
}

function isInitContainerFailed(status: ContainerStatus): boolean {
  return (status.state === 'CONTAINER_EXITED' && status.exitCode !== 0) || status.state === 'CONTAINER_UNKNOWN';
}

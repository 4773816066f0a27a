// Converges one pod key ("namespace/name") on the runtime, level-triggered,
// as kubelet's SyncPod does: reads the desired pod from DesiredState and
// what the runtime holds for it (found by kubelet's labels), decides with
// computePodActions and acts: a sandbox, the init containers in order, the
// app containers, restarts as the restart policy says with the crash-loop
// back-off, the sandbox stopped once the pod is done; a pod being deleted
// (deletionTimestamp) has its containers stopped (preStop hooks, then the
// rest of its grace period); sandboxes of a pod that is gone (or was
// replaced by another uid under the same name) stopped and removed with
// their containers. Only the newest exited container of each name is kept
// (kubelet's container GC). Safe to call any number of times. Why a
// container could not be started is kept for the pod's status (kubelet's
// reason cache); what takes long (stopping containers) runs beside the
// queue and queues the pod again when done.
//
// Volumes are set up before the sandbox and torn down after the pod's last
// sandbox is removed. A sandbox runs with the handler of the pod's
// RuntimeClass. Not yet: probes of sidecars (a sidecar counts as started once it runs).
import type { Container as ApiContainer, Pod } from 'kubernetes-types/core/v1.js';
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../../common/log.js';
import { goErrorMessage } from '../cri/go-error.js';
import type { ImageClient } from '../cri/image-client.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import type { Container, ContainerStatus, PodSandbox, PodSandboxConfig, PodSandboxStatus } from '../cri/types.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { VolumeManager } from '../volumes/volume-manager.js';
import { BackOff, goDuration } from './back-off.js';
import { ContainerConfigError } from './container-config-error.js';
import { containerContext } from './container-context.js';
import { ImageError, type ImagePuller } from './image-puller.js';
import { podDescription, runHook } from './lifecycle-hooks.js';
import { computePodActions, nextRestartCount, type RuntimeContainers } from './pod-actions.js';
import { removePodCgroups } from './pod-cgroups.js';
import type { PodEvents } from './pod-events.js';
import { CONTAINER_NAME_LABEL, containerConfig, GRACE_ANNOTATION, type NodeFacts, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL, podLogDirectory, sandboxConfig } from './runtime-config.js';

/** Why a container is not there yet: a waiting reason and message for its status. */
export interface Waiting {
  readonly reason: string;
  readonly message: string;
}

/** What the runtime holds for one pod, for its status. */
export interface ObservedPod {
  /** The sandbox in use (the newest), if any. */
  readonly sandbox?: PodSandboxStatus;
  /** Container name → its containers, newest first (kubelet's GC keeps the running one and the newest exited). */
  readonly containers: RuntimeContainers;
  /** Container name → why it is not running (kubelet's reason cache). */
  readonly waiting: ReadonlyMap<string, Waiting>;
  /** The pod is being deleted and nothing of it runs any more: its phase is final and it may go. */
  readonly terminal: boolean;
  /** Container name → what its probes say (agent/probes); without an entry a running container is started and ready. */
  readonly probes?: ReadonlyMap<string, { readonly started: boolean; readonly ready: boolean }>;
}

export interface PodWorkerOptions {
  readonly runtime: RuntimeClient;
  readonly images: ImageClient;
  /** Makes images present as the pod's pull policy and pull secrets say. */
  readonly puller: ImagePuller;
  readonly desired: DesiredState;
  /** Where the pods' log directories go (kubelet's /var/log/pods). */
  readonly logRoot: string;
  /** The node's addresses and resources, for the containers' env and cgroups. */
  readonly node: () => Promise<NodeFacts>;
  readonly events: PodEvents;
  /** Queues the pod key again after `ms` (a back-off that ends, a stop that finished). */
  readonly requeue: (key: string, ms: number) => void;
  /** Sets up the pods' volumes before their containers, tears them down after. */
  readonly volumes?: VolumeManager;
  /** The CRI runtime handler of a pod's RuntimeClass ("" for the default); without it every pod runs with the default. */
  readonly runtimeHandler?: (pod: Pod) => Promise<string>;
  readonly log: Logger;
  readonly now?: () => number;
}

/** The pod's terminationGracePeriodSeconds when neither it nor its containers' annotation says. */
const DEFAULT_GRACE_SECONDS = 30;
/** kubelet's minimumGracePeriodInSeconds: a container always gets this long after SIGTERM. */
const MINIMUM_GRACE_SECONDS = 2;

export class PodWorker {
  /** Pod uid → its key and, by container name, why it waits. */
  readonly #waiting = new Map<string, { key: string; reasons: Map<string, Waiting> }>();
  /** Pod uid (or sandbox id of a pod that is gone) → its containers being stopped. */
  readonly #stopping = new Map<string, Promise<void>>();
  readonly #backOff: BackOff;

  constructor(private readonly opts: PodWorkerOptions) {
    this.#backOff = new BackOff(opts.now);
  }

  /** The pod `key` ("namespace/name") as desired, on the runtime. */
  async reconcile(key: string): Promise<void> {
    // Before the first snapshot, "not desired" means "not known yet": nothing is stopped.
    if (!this.opts.desired.synced) return;
    const [namespace, name] = splitKey(key);
    const pod = this.desired(namespace, name);
    const uid = pod?.metadata?.uid;
    const sandboxes = await this.opts.runtime.listPodSandbox({ labelSelector: { [POD_NAMESPACE_LABEL]: namespace, [POD_NAME_LABEL]: name } });
    for (const sandbox of sandboxes) {
      if (sandbox.labels[POD_UID_LABEL] !== uid) this.#inBackground(sandbox.id, key, () => this.#remove(sandbox, key).then(() => this.opts.volumes?.tearDown(sandbox.labels[POD_UID_LABEL]!)));
    }
    // What was kept for an earlier pod of this name that is gone.
    for (const [old, { key: oldKey }] of this.#waiting) {
      if (oldKey === key && old !== uid && !sandboxes.some((s) => s.labels[POD_UID_LABEL] === old)) {
        this.#waiting.delete(old);
        this.#backOff.forget(`${old}/`);
      }
    }
    if (pod === undefined || uid === undefined) return;

    const ours = newestFirst(sandboxes.filter((s) => s.labels[POD_UID_LABEL] === uid));
    const { containers, listed } = await this.#containersOf(uid);
    const phase = pod.status?.phase;
    if (pod.metadata?.deletionTimestamp != null || phase === 'Succeeded' || phase === 'Failed') {
      // Being deleted, or finished as the API holds it: nothing starts again; what runs is stopped.
      if (listed.some((c) => c.state === 'CONTAINER_RUNNING') || ours.some((s) => s.state === 'SANDBOX_READY')) {
        this.#inBackground(uid, key, () => this.#killPod(pod, ours, listed));
      }
      return;
    }
    await this.#setUpVolumes(pod);
    let sandbox = ours.find((s) => s.state === 'SANDBOX_READY');
    const actions = computePodActions(pod, containers, sandbox !== undefined, ours.length > 0);
    if (actions.killPod) {
      // Nothing runs nor will: the sandbox (and its IP) goes; the exited containers stay for their status and logs.
      for (const s of ours) if (s.state === 'SANDBOX_READY') await this.opts.runtime.stopPodSandbox(s.id);
      this.opts.log.info('pod done: sandbox stopped', { pod: key });
    }
    const attempt = (ours[0]?.metadata?.attempt ?? -1) + 1;
    const config = sandboxConfig(pod, this.opts.logRoot, sandbox?.metadata?.attempt ?? attempt);
    if (actions.createSandbox) {
      if (ours.length > 0) this.opts.events.record(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      for (const s of ours) if (s.state === 'SANDBOX_READY') await this.opts.runtime.stopPodSandbox(s.id);
      await mkdir(podLogDirectory(this.opts.logRoot, pod), { recursive: true, mode: 0o755 });
      const { id, handler } = await this.#runSandbox(pod, config);
      this.opts.log.info('pod sandbox started', { pod: key, sandbox: id, attempt, ...(handler !== '' ? { runtimeHandler: handler } : {}) });
      sandbox = { id, state: 'SANDBOX_READY', createdAt: 0n, labels: config.labels ?? {}, annotations: {}, runtimeHandler: handler };
    }
    if (sandbox !== undefined) {
      for (const container of actions.initToStart) await this.#start(pod, key, sandbox.id, config, container, containers, 'initContainers');
      for (const container of actions.containersToStart) await this.#start(pod, key, sandbox.id, config, container, containers, 'containers');
    }
    await this.#collectGarbage(key, containers, listed, ours, sandbox?.id);
  }

  /** What the runtime holds for `pod`, for its status. */
  async observe(pod: Pod): Promise<ObservedPod> {
    const uid = pod.metadata!.uid!;
    const waiting = this.#waiting.get(uid)?.reasons ?? new Map<string, Waiting>();
    const sandboxes = newestFirst(await this.opts.runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } }));
    const { containers, listed } = await this.#containersOf(uid);
    const terminal =
      pod.metadata?.deletionTimestamp != null &&
      !this.#stopping.has(uid) &&
      !listed.some((c) => c.state === 'CONTAINER_RUNNING') &&
      !sandboxes.some((s) => s.state === 'SANDBOX_READY');
    const current = sandboxes.find((s) => s.state === 'SANDBOX_READY') ?? sandboxes[0];
    if (current === undefined) return { containers, waiting, terminal };
    const sandbox = (await this.opts.runtime.podSandboxStatus(current.id)).status;
    return { sandbox, containers, waiting, terminal };
  }

  /** Every pod key the runtime holds a sandbox for (pods deleted while the agent was away included). */
  async runtimePodKeys(): Promise<string[]> {
    const sandboxes = await this.opts.runtime.listPodSandbox();
    return sandboxes.filter((s) => s.labels[POD_UID_LABEL] !== undefined).map((s) => `${s.labels[POD_NAMESPACE_LABEL]}/${s.labels[POD_NAME_LABEL]}`);
  }

  desired(namespace: string, name: string): Pod | undefined {
    return this.opts.desired.get('pods', namespace, name)?.object as Pod | undefined;
  }

  /** Waits for the stops under way (tests; an agent closing lets them run on). */
  async stopsDone(): Promise<void> {
    await Promise.all(this.#stopping.values());
  }

  /**
   * Starts one container as kubelet's startContainer does, unless its
   * crash-loop back-off holds it: image, create (attempt = restart count),
   * start, with Created/Started events; a failure is kept as its waiting reason.
   */
  async #start(pod: Pod, key: string, sandboxId: string, config: PodSandboxConfig, container: ApiContainer, containers: RuntimeContainers, field: 'containers' | 'initContainers'): Promise<void> {
    const uid = pod.metadata!.uid!;
    const reasons = this.#reasonsOf(uid, key);
    const list = containers.get(container.name) ?? [];
    const fieldPath = `spec.${field}{${container.name}}`;
    const exited = list.find((c) => c.state === 'CONTAINER_EXITED');
    const backOffKey = `${uid}/${container.name}`;
    // kubelet records the event at every sync and client-go's spam filter thins it out; here it is
    // recorded when the reason or message changes (each back-off step), sparing the store a write per relist.
    const hold = (why: Waiting, event?: { reason: string; message: string }) => {
      const before = reasons.get(container.name);
      if (event !== undefined && (before?.reason !== why.reason || before.message !== why.message)) this.opts.events.record(pod, 'Warning', event.reason, event.message, fieldPath);
      reasons.set(container.name, why);
    };
    if (exited !== undefined) {
      const finishedMs = Number(exited.finishedAt / 1_000_000n);
      const waitMs = this.#backOff.remainingMs(backOffKey, finishedMs);
      if (waitMs > 0) {
        hold(
          { reason: 'CrashLoopBackOff', message: `back-off ${goDuration(this.#backOff.delayMs(backOffKey))} restarting failed container=${container.name} pod=${podDescription(pod)}` },
          { reason: 'BackOff', message: `Back-off restarting failed container ${container.name} in pod ${podDescription(pod)}` },
        );
        this.opts.requeue(key, waitMs);
        return;
      }
      this.#backOff.next(backOffKey, finishedMs);
    }
    let step: 'create' | 'start' = 'create';
    try {
      const newest = list[0];
      let id: string;
      if (newest?.state === 'CONTAINER_CREATED') id = newest.id;
      else {
        const image = await this.opts.puller.ensureImage(pod, container, config);
        const context = await containerContext(this.opts, pod, container, sandboxId, image, nextRestartCount(list));
        id = await this.opts.runtime.createContainer(sandboxId, containerConfig(pod, container, image, config, context), config);
        this.opts.events.record(pod, 'Normal', 'Created', `Created container: ${container.name}`, fieldPath);
      }
      step = 'start';
      await this.opts.runtime.startContainer(id);
      this.opts.events.record(pod, 'Normal', 'Started', `Started container ${container.name}`, fieldPath);
      reasons.delete(container.name);
      this.opts.log.info('container started', { pod: key, container: container.name, id, restartCount: nextRestartCount(list) });
    } catch (err) {
      // One container's trouble does not hold the others; the next relist tries again.
      const why: Waiting =
        err instanceof ImageError || err instanceof ContainerConfigError
          ? { reason: err.reason, message: err.message }
          : { reason: step === 'create' ? 'CreateContainerError' : 'RunContainerError', message: (err as Error).message };
      // Image pulls record their own events (the image puller's).
      hold(why, err instanceof ImageError ? undefined : { reason: 'Failed', message: `Error: ${why.message}` });
      this.opts.log.warn('container not started', { pod: key, container: container.name, reason: why.reason, error: why.message });
    }
  }

  /**
   * kubelet's createPodSandbox: with the handler of the pod's RuntimeClass.
   * A class that cannot be found or a sandbox the runtime refuses is a
   * FailedCreatePodSandBox event; the pod stays pending and the queue retries.
   */
  async #runSandbox(pod: Pod, config: PodSandboxConfig): Promise<{ id: string; handler: string }> {
    try {
      const handler = this.opts.runtimeHandler === undefined ? '' : await this.opts.runtimeHandler(pod);
      return { id: await this.opts.runtime.runPodSandbox(config, handler), handler };
    } catch (err) {
      this.opts.events.record(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${goErrorMessage(err)}`);
      throw err;
    }
  }

  /** Volumes before containers, as kubelet mounts them first; one that fails holds the pod (FailedMount; the queue retries). */
  async #setUpVolumes(pod: Pod): Promise<void> {
    try {
      await this.opts.volumes?.setUp(pod);
    } catch (err) {
      this.opts.events.record(pod, 'Warning', 'FailedMount', (err as Error).message);
      throw err;
    }
  }

  /** kubelet's killPod: every running container stopped (preStop first, within the grace period), then the sandbox. */
  async #killPod(pod: Pod, sandboxes: readonly PodSandbox[], listed: readonly Container[]): Promise<void> {
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    const ready = sandboxes.find((s) => s.state === 'SANDBOX_READY');
    const podIp = ready === undefined ? undefined : (await this.opts.runtime.podSandboxStatus(ready.id)).status.network?.ip || undefined;
    await Promise.all(listed.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => this.#killContainer(pod, c, grace, podIp)));
    for (const s of sandboxes) if (s.state === 'SANDBOX_READY') await this.opts.runtime.stopPodSandbox(s.id);
  }

  async #killContainer(pod: Pod, container: Container, graceSeconds: number, podIp: string | undefined): Promise<void> {
    const name = container.labels[CONTAINER_NAME_LABEL] ?? '';
    const init = pod.spec?.initContainers?.find((c) => c.name === name);
    const spec = init ?? pod.spec?.containers.find((c) => c.name === name);
    const fieldPath = `spec.${init !== undefined ? 'initContainers' : 'containers'}{${name}}`;
    this.opts.events.record(pod, 'Normal', 'Killing', `Stopping container ${name}`, fieldPath);
    let grace = graceSeconds;
    const preStop = spec?.lifecycle?.preStop;
    if (spec !== undefined && preStop !== undefined && grace > 0) {
      const started = Date.now();
      const failure = await Promise.race([
        runHook(this.opts.runtime, preStop, { pod, container: spec, containerId: container.id, podIp }, grace),
        new Promise<string>((resolve) => setTimeout(resolve, grace * 1000, `preStop hook for container ${name} did not complete in ${grace} seconds`).unref()),
      ]);
      if (failure !== undefined) {
        this.opts.events.record(pod, 'Warning', 'FailedPreStopHook', 'PreStopHook failed', fieldPath);
        this.opts.log.warn('preStop hook failed', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, container: name, error: failure });
      }
      grace -= Math.floor((Date.now() - started) / 1000);
    }
    await this.opts.runtime.stopContainer(container.id, Math.max(grace, MINIMUM_GRACE_SECONDS));
  }

  /** Stops and removes a sandbox of a pod that is gone, with its containers; fine to repeat. */
  async #remove(sandbox: PodSandbox, key: string): Promise<void> {
    const containers = await this.opts.runtime.listContainers({ podSandboxId: sandbox.id });
    await Promise.all(containers.map(async (c: Container) => {
      // The pod is gone from the API by now: its grace period comes from the container, as kubelet reads it.
      const grace = Number(c.annotations[GRACE_ANNOTATION] ?? DEFAULT_GRACE_SECONDS);
      if (c.state === 'CONTAINER_RUNNING') await this.opts.runtime.stopContainer(c.id, Number.isSafeInteger(grace) && grace >= 0 ? grace : DEFAULT_GRACE_SECONDS);
      await this.opts.runtime.removeContainer(c.id);
    }));
    await this.opts.runtime.stopPodSandbox(sandbox.id);
    await this.#removeCgroups(sandbox, key);
    await this.opts.runtime.removePodSandbox(sandbox.id);
    this.opts.log.info('pod sandbox removed', { pod: key, sandbox: sandbox.id, uid: sandbox.labels[POD_UID_LABEL] });
  }

  /**
   * kubelet's container GC for one pod: of each name, the running container
   * and the newest exited one stay, older exited ones go; a stopped sandbox
   * other than the current one goes once it holds no container.
   */
  async #collectGarbage(key: string, containers: RuntimeContainers, listed: readonly Container[], sandboxes: readonly PodSandbox[], current: string | undefined): Promise<void> {
    const removed = new Set<string>();
    for (const list of containers.values()) {
      for (const old of list.filter((c) => c.state === 'CONTAINER_EXITED').slice(1)) {
        await this.opts.runtime.removeContainer(old.id);
        removed.add(old.id);
      }
    }
    for (const s of sandboxes) {
      if (s.id === current || s.state === 'SANDBOX_READY' || listed.some((c) => c.podSandboxId === s.id && !removed.has(c.id))) continue;
      await this.opts.runtime.removePodSandbox(s.id);
      this.opts.log.debug('old pod sandbox removed', { pod: key, sandbox: s.id });
    }
  }

  /** Every container of the pod's uid, in every sandbox, with its status; by name, newest first. */
  async #containersOf(uid: string): Promise<{ containers: Map<string, ContainerStatus[]>; listed: Container[] }> {
    const listed = await this.opts.runtime.listContainers({ labelSelector: { [POD_UID_LABEL]: uid } });
    const containers = new Map<string, ContainerStatus[]>();
    for (const c of newestFirst(listed)) {
      const name = c.labels[CONTAINER_NAME_LABEL] ?? '';
      const status = (await this.opts.runtime.containerStatus(c.id)).status;
      containers.set(name, [...(containers.get(name) ?? []), status]);
    }
    return { containers, listed };
  }

  #reasonsOf(uid: string, key: string): Map<string, Waiting> {
    let kept = this.#waiting.get(uid);
    if (kept === undefined) this.#waiting.set(uid, (kept = { key, reasons: new Map() }));
    return kept.reasons;
  }

  /** Runs `work` for `id` beside the queue, once at a time; the pod is queued again when it ends. */
  #inBackground(id: string, key: string, work: () => Promise<void>): void {
    if (this.#stopping.has(id)) return;
    const running = work()
      .catch((err: unknown) => this.opts.log.warn('could not stop pod containers', { pod: key, error: err }))
      .finally(() => {
        this.#stopping.delete(id);
        this.opts.requeue(key, 0);
      });
    this.#stopping.set(id, running);
  }

  /** containerd leaves the pod's cgroup folders: they go with its last sandbox, once stopped (so empty). */
  async #removeCgroups(sandbox: PodSandbox, key: string): Promise<void> {
    const uid = sandbox.labels[POD_UID_LABEL];
    if (uid === undefined || (await this.opts.runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } })).some((s) => s.id !== sandbox.id)) return;
    // Nothing retries this once the sandbox is gone: a failure is only reported.
    await removePodCgroups(uid).catch((err: unknown) => this.opts.log.warn('could not remove the pod’s cgroups', { pod: key, uid, error: err }));
  }
}

export function splitKey(key: string): [namespace: string, name: string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

export function newestFirst<T extends { createdAt: bigint }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.createdAt > b.createdAt ? -1 : a.createdAt < b.createdAt ? 1 : 0));
}

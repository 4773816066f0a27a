// Converges one pod key ("namespace/name") on the runtime, level-triggered:
// reads the desired pod from DesiredState and what the runtime holds for
// that name (found by kubelet's labels), then makes the runtime match:
// a sandbox for the pod's uid with one container per spec.containers
// entry, started; sandboxes of a pod that is gone (or was replaced by
// another uid under the same name) stopped and removed with their
// containers. Safe to call any number of times. Why a container could not
// be made (its image, CreateContainer) is kept for the pod's status.
//
// Not yet: init containers (such a pod waits), restarts and their back-off,
// probes, image pull secrets.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../../common/log.js';
import type { ImageClient } from '../cri/image-client.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import type { Container, ContainerStatus, PodSandbox, PodSandboxStatus } from '../cri/types.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { VolumeManager } from '../volumes/volume-manager.js';
import { ContainerConfigError } from './container-config-error.js';
import { containerContext } from './container-context.js';
import { ensureImage, ImageError } from './image-puller.js';
import { removePodCgroups } from './pod-cgroups.js';
import { CONTAINER_NAME_LABEL, containerConfig, GRACE_ANNOTATION, type NodeFacts, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL, podLabels, podLogDirectory, sandboxConfig } from './runtime-config.js';

/** Why a container is not there yet: a waiting reason and message for its status. */
export interface Waiting {
  readonly reason: string;
  readonly message: string;
}

/** What the runtime holds for one pod, for its status. */
export interface ObservedPod {
  /** The sandbox in use (the newest), if any. */
  readonly sandbox?: PodSandboxStatus;
  /** Container name → its newest container in that sandbox. */
  readonly containers: ReadonlyMap<string, ContainerStatus>;
  /** Container name → why it is not there. */
  readonly waiting: ReadonlyMap<string, Waiting>;
}

export interface PodWorkerOptions {
  readonly runtime: RuntimeClient;
  readonly images: ImageClient;
  readonly desired: DesiredState;
  /** Where the pods' log directories go (kubelet's /var/log/pods). */
  readonly logRoot: string;
  /** The node's addresses and resources, for the containers' env and cgroups. */
  readonly node: () => Promise<NodeFacts>;
  /** Sets up the pods' volumes before their containers, tears them down after. */
  readonly volumes?: VolumeManager;
  readonly log: Logger;
}

/** The pod's terminationGracePeriodSeconds when its containers lack the annotation that keeps it. */
const DEFAULT_GRACE_SECONDS = 30;

export class PodWorker {
  /** Pod uid → container name → why it waits. */
  readonly #waiting = new Map<string, Map<string, Waiting>>();

  constructor(private readonly opts: PodWorkerOptions) {}

  /** The pod `key` ("namespace/name") as desired, on the runtime. */
  async reconcile(key: string): Promise<void> {
    // Before the first snapshot, "not desired" means "not known yet": nothing is stopped.
    if (!this.opts.desired.synced) return;
    const [namespace, name] = splitKey(key);
    const pod = this.desired(namespace, name);
    const uid = pod?.metadata?.uid;
    const sandboxes = await this.opts.runtime.listPodSandbox({ labelSelector: { [POD_NAMESPACE_LABEL]: namespace, [POD_NAME_LABEL]: name } });
    for (const sandbox of sandboxes) {
      if (sandbox.labels[POD_UID_LABEL] === uid) continue;
      await this.#remove(sandbox, key);
      await this.opts.volumes?.tearDown(sandbox.labels[POD_UID_LABEL]!);
    }
    for (const old of this.#waiting.keys()) if (old !== uid && !sandboxes.some((s) => s.labels[POD_UID_LABEL] === old)) this.#waiting.delete(old);
    if (pod === undefined || uid === undefined || (pod.spec?.initContainers ?? []).length > 0) return;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;

    // Volumes before the sandbox, as kubelet mounts them first; a volume that fails holds the pod (the queue retries).
    const volumes = await this.opts.volumes?.setUp(pod);
    const ours = newestFirst(sandboxes.filter((s) => s.labels[POD_UID_LABEL] === uid));
    // One ready sandbox is kept; one that is not ready (its node rebooted) is replaced, as kubelet does.
    let sandbox = ours.find((s) => s.state === 'SANDBOX_READY');
    for (const other of ours) if (other !== sandbox) await this.#remove(other, key);
    const config = sandboxConfig(pod, this.opts.logRoot, sandbox?.metadata?.attempt ?? ours.length);
    if (sandbox === undefined) {
      await mkdir(podLogDirectory(this.opts.logRoot, pod), { recursive: true, mode: 0o755 });
      const id = await this.opts.runtime.runPodSandbox(config);
      this.opts.log.info('pod sandbox started', { pod: key, sandbox: id });
      sandbox = { id, state: 'SANDBOX_READY', createdAt: 0n, labels: config.labels ?? {}, annotations: {}, runtimeHandler: '' };
    }
    const existing = await this.opts.runtime.listContainers({ podSandboxId: sandbox.id });
    const waiting = new Map<string, Waiting>();
    this.#waiting.set(uid, waiting);
    for (const container of pod.spec?.containers ?? []) {
      const found = newestFirst(existing.filter((c) => c.labels[CONTAINER_NAME_LABEL] === container.name))[0];
      // Running or exited stays as it is: restarts come with their back-off.
      if (found !== undefined && found.state !== 'CONTAINER_CREATED') continue;
      try {
        let id = found?.id;
        if (id === undefined) {
          const image = await ensureImage(this.opts.images, container, config);
          const context = { ...(await containerContext(this.opts, pod, sandbox.id, image, 0)), ...(volumes !== undefined ? { mounts: await volumes.mountsFor(container) } : {}) };
          id = await this.opts.runtime.createContainer(sandbox.id, containerConfig(pod, container, image, config, context), config);
        }
        await this.opts.runtime.startContainer(id);
        this.opts.log.info('container started', { pod: key, container: container.name, id });
      } catch (err) {
        // One container's trouble does not hold the others; the next relist tries again.
        const why = err instanceof ImageError || err instanceof ContainerConfigError ? { reason: err.reason, message: err.message } : { reason: 'CreateContainerError', message: (err as Error).message };
        waiting.set(container.name, why);
        this.opts.log.warn('container not started', { pod: key, container: container.name, reason: why.reason, error: why.message });
      }
    }
  }

  /** What the runtime holds for `pod`, for its status. */
  async observe(pod: Pod): Promise<ObservedPod> {
    const uid = pod.metadata!.uid!;
    const waiting = this.#waiting.get(uid) ?? new Map<string, Waiting>();
    const sandboxes = newestFirst(await this.opts.runtime.listPodSandbox({ labelSelector: { [POD_UID_LABEL]: uid } }));
    const current = sandboxes.find((s) => s.state === 'SANDBOX_READY') ?? sandboxes[0];
    if (current === undefined) return { containers: new Map(), waiting };
    const [sandbox, listed] = await Promise.all([
      this.opts.runtime.podSandboxStatus(current.id),
      this.opts.runtime.listContainers({ podSandboxId: current.id, labelSelector: podLabels(pod) }),
    ]);
    const containers = new Map<string, ContainerStatus>();
    for (const container of newestFirst(listed).reverse()) {
      containers.set(container.labels[CONTAINER_NAME_LABEL] ?? '', (await this.opts.runtime.containerStatus(container.id)).status);
    }
    return { sandbox: sandbox.status, containers, waiting };
  }

  /** Every pod key the runtime holds a sandbox for (pods deleted while the agent was away included). */
  async runtimePodKeys(): Promise<string[]> {
    const sandboxes = await this.opts.runtime.listPodSandbox();
    return sandboxes.filter((s) => s.labels[POD_UID_LABEL] !== undefined).map((s) => `${s.labels[POD_NAMESPACE_LABEL]}/${s.labels[POD_NAME_LABEL]}`);
  }

  desired(namespace: string, name: string): Pod | undefined {
    return this.opts.desired.get('pods', namespace, name)?.object as Pod | undefined;
  }

  /** Stops and removes a sandbox and its containers; fine to repeat. */
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

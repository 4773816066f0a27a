// Pods nobody else will clean up (upstream's pod garbage collector): pods
// bound to a node that no longer exists (after `kubectl delete node`, once
// the node has stayed gone for a while, in case it was only re-registering),
// and the oldest finished pods past a threshold (upstream's
// --terminated-pod-gc-threshold), so finished Job pods cannot fill a small
// disk. Pods of a node that is not Ready (its agent gone) that were being
// deleted are force-deleted once their grace period has passed: no kubelet
// will finish them (upstream does this only for nodes tainted out-of-service,
// and leaves them Terminating otherwise; a lost Pi must not keep them
// forever). Orphaned pods and those go with grace period 0, as upstream's.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { isGoneOrReplaced } from './api-errors.js';
import { disruptionTarget, failed, type StatusChange, updatePodStatus } from './disruption-target.js';
import { keyOf } from './informer.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';

/** An orphan (its node gone) is marked Failed with why, as upstream's pod GC does before it force-deletes it. */
const ORPHANED = failed(disruptionTarget('DeletionByPodGC', 'PodGC: node no longer exists'));

/** Upstream's default --terminated-pod-gc-threshold. */
export const TERMINATED_POD_THRESHOLD = 12_500;
/** Upstream's quarantine: a node must be gone this long before its pods are. */
const ORPHAN_QUARANTINE_MS = 40_000;
/** The whole sweep, as upstream's gcCheckPeriod. */
const SWEEP_MS = 20_000;
const SWEEP_KEY = 'sweep';

export interface PodGcOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  readonly now?: () => number;
  readonly terminatedThreshold?: number;
  readonly quarantineMs?: number;
}

export class PodGcController {
  readonly #pods: SharedInformer;
  readonly #nodes: SharedInformer;
  readonly #podType: ResourceType;
  readonly #queue: WorkQueue;
  readonly #now: () => number;
  /** Node name → when it was first seen missing while pods named it. */
  readonly #missingSince = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: PodGcOptions) {
    this.#now = opts.now ?? Date.now;
    this.#podType = opts.catalogue.get('', 'v1', 'pods')!;
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#nodes = opts.informers.of('', 'v1', 'nodes');
    // A pod marked for deletion on a lost node is looked at when its grace period ends, not at the next sweep.
    this.#pods.subscribe((key) => {
      const pod = this.#pods.get(key) as (KubeObject & Pod) | undefined;
      const until = pod === undefined ? undefined : this.#graceLeftOnLostNode(pod, this.#now());
      if (until !== undefined) this.#queue.addAfter(SWEEP_KEY, until);
    });
    // One key: each sweep looks at every pod once, level-triggered.
    this.#queue = new WorkQueue(
      () => this.sweep(),
      (_key, err, retryInMs) => opts.log.warn('pod garbage collection failed', { error: err, retryInMs }),
    );
  }

  static async start(opts: PodGcOptions): Promise<PodGcController> {
    const controller = new PodGcController(opts);
    await controller.#nodes.start();
    await controller.#pods.start();
    controller.#timer = setInterval(() => controller.#queue.add(SWEEP_KEY), SWEEP_MS);
    controller.#timer.unref();
    return controller;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#queue.close();
  }

  /** One pass over every cached pod. */
  async sweep(): Promise<void> {
    const now = this.#now();
    const quarantine = this.opts.quarantineMs ?? ORPHAN_QUARANTINE_MS;
    const pods = [...this.#pods.values()] as (KubeObject & Pod)[];
    const missing = new Set<string>();
    for (const pod of pods) {
      const node = pod.spec?.nodeName;
      const left = this.#graceLeftOnLostNode(pod, now);
      if (left === 0) {
        await this.#delete(pod, `its node ${node} is not ready and its grace period has passed`, failed());
        continue;
      }
      // Already deleted but for finalizers: their owners finish it; a delete cannot help.
      if (!node || this.#held(pod) || this.#nodes.get(node) !== undefined) continue;
      missing.add(node);
      const since = this.#missingSince.get(node) ?? now;
      this.#missingSince.set(node, since);
      if (now - since >= quarantine) await this.#delete(pod, `node ${node} no longer exists`, ORPHANED);
    }
    for (const node of this.#missingSince.keys()) if (!missing.has(node)) this.#missingSince.delete(node);

    const finished = pods.filter((p) => (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p.metadata.deletionTimestamp === undefined);
    const excess = finished.length - (this.opts.terminatedThreshold ?? TERMINATED_POD_THRESHOLD);
    if (excess <= 0) return;
    // Oldest first, by creation (upstream sorts by creation timestamp).
    finished.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
    for (const pod of finished.slice(0, excess)) await this.#delete(pod, 'too many finished pods');
  }

  /** For a pod being deleted on an existing node that is not Ready: ms until its grace period ends (0: it has). */
  #graceLeftOnLostNode(pod: KubeObject & Pod, now: number): number | undefined {
    const node = pod.spec?.nodeName ? (this.#nodes.get(pod.spec.nodeName) as (KubeObject & Node) | undefined) : undefined;
    if (node === undefined || pod.metadata.deletionTimestamp === undefined || this.#held(pod)) return undefined;
    if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') return undefined;
    return Math.max(0, Date.parse(pod.metadata.deletionTimestamp) - now);
  }

  /** Marked for deletion with no grace period left to wait for: only finalizers hold it. */
  #held(pod: KubeObject & Pod): boolean {
    return pod.metadata.deletionTimestamp !== undefined && !pod.metadata.deletionGracePeriodSeconds;
  }

  /** Forced deletion, after `mark` (a pod left unfinished is marked Failed first, as upstream's markFailedAndDeletePod). */
  async #delete(pod: KubeObject & Pod, why: string, mark?: StatusChange): Promise<void> {
    const preconditions = { uid: pod.metadata.uid! };
    try {
      if (mark !== undefined) {
        await updatePodStatus(this.opts.registry, this.#podType, { namespace: pod.metadata.namespace!, name: pod.metadata.name! }, mark, this.#now(), preconditions);
      }
      await this.opts.registry.delete(this.#podType, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions });
      this.opts.log.info('deleted a pod nobody else would', { pod: keyOf(pod), why });
    } catch (err) {
      if (!isGoneOrReplaced(err)) throw err;
    }
  }
}

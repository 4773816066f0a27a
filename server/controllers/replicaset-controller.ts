// ReplicaSets (upstream's pkg/controller/replicaset): each reconcile claims
// the pods the set's selector matches, creates the missing ones from the
// template in slow-start batches (1, 2, 4 …, stopping at the first failure)
// or deletes the surplus in upstream's order, then writes the status
// (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas,
// observedGeneration, the ReplicaFailure condition).
//
// Upstream's ControllerExpectations keep a set from acting twice on one
// change before its informer sees it. Here each created pod is remembered in
// the pods' cache at once, so creations need no expectation; deletions are
// expected until the cache no longer holds the deleted pods.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Logger } from '../../common/log.js';
import { podDeletionCost } from '../../common/pod-deletion-cost.js';
import type { Catalogue } from '../api/catalogue.js';
import { asSelector } from '../api/kinds/labels.js';
import { type KubeObject, metaTime } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { isNamespaceTerminating, messageOf } from './api-errors.js';
import { isGone } from './delete-all.js';
import { EventRecorder } from './event-recorder.js';
import { claim, controllerRef, controllerRefOf, type OwnerKind, queueOnChildChange } from './owned-objects.js';
import { isPodActive, isPodAvailable, isPodReady, type PodObject, podReadyCondition } from './pod-predicates.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { writeStatus } from './status-writes.js';
import { WorkQueue } from '../../common/work-queue.js';
import { slowStartBatch } from './workload-pods.js';

/** Upstream's burstReplicas: at most this many pods created or deleted per reconcile. */
const BURST_REPLICAS = 500;
/** Upstream's ExpectationsTimeout: deletions never seen are given up on after this long. */
const EXPECTATIONS_TTL_MS = 5 * 60_000;
const REPLICA_SET: OwnerKind = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };

type RS = KubeObject & ReplicaSet;

export interface ReplicaSetControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

interface PendingDeletions {
  readonly since: number;
  /** Pod key → uid of the pod deleted. */
  readonly pods: Map<string, string>;
}

export class ReplicaSetController {
  readonly #replicaSets: SharedInformer;
  readonly #pods: SharedInformer;
  readonly #rsType: ResourceType;
  readonly #podType: ResourceType;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;
  readonly #deleting = new Map<string, PendingDeletions>();

  private constructor(private readonly opts: ReplicaSetControllerOptions) {
    this.#rsType = opts.catalogue.get('apps', 'v1', 'replicasets')!;
    this.#podType = opts.catalogue.get('', 'v1', 'pods')!;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'replicaset-controller', opts.log);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('replicaset reconcile failed', { replicaset: key, error: err, retryInMs }),
    );
    this.#replicaSets = opts.informers.of('apps', 'v1', 'replicasets');
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#replicaSets.subscribe((key) => this.#queue.add(key));
    queueOnChildChange(this.#pods, this.#replicaSets, 'ReplicaSet', (key) => this.#queue.add(key));
  }

  static async start(opts: ReplicaSetControllerOptions): Promise<ReplicaSetController> {
    const controller = new ReplicaSetController(opts);
    await controller.#replicaSets.start();
    await controller.#pods.start();
    return controller;
  }

  /** Resolves once every change seen so far has been reconciled (tests). */
  settled(): Promise<void> {
    return this.#queue.drained();
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }

  async reconcile(key: string): Promise<void> {
    const rs = this.#replicaSets.get(key) as RS | undefined;
    if (rs === undefined) {
      this.#deleting.delete(key);
      return;
    }
    const selector = asSelector(rs.spec?.selector);
    if (selector === undefined) return;
    const claimed = await claim(
      rs,
      selector,
      { registry: this.opts.registry, type: this.#podType, informer: this.#pods, ownerKind: REPLICA_SET, log: this.opts.log },
      (pod) => isPodActive(pod as PodObject),
    );
    const pods = claimed as PodObject[];
    let failure: Error | undefined;
    if (this.#expectationsMet(key) && rs.metadata.deletionTimestamp === undefined) failure = await this.#manage(key, rs, pods);
    // As upstream: the status counts the pods as they were before this round; what it changed comes back as pod events.
    const now = Date.now();
    await this.#writeStatus(rs, pods, failure, now);
    if (failure !== undefined) throw failure;
    const next = nextAvailability(pods, rs.spec?.minReadySeconds ?? 0, now);
    if (next !== undefined) this.#queue.addAfter(key, next - now + 1000);
  }

  /** Creates or deletes pods towards spec.replicas; the error that stopped it, if any. */
  async #manage(key: string, rs: RS, pods: PodObject[]): Promise<Error | undefined> {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const involved = { ...REPLICA_SET, metadata: rs.metadata };
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      try {
        await slowStartBatch(count, async () => {
          try {
            const pod = await this.opts.registry.create(this.#podType, rs.metadata.namespace, podFromTemplate(rs), {});
            this.#pods.remember(pod);
            this.#events.record(involved, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
          } catch (err) {
            // A namespace being emptied refuses every pod: nothing to report.
            if (!isNamespaceTerminating(err)) this.#events.record(involved, 'Warning', 'FailedCreate', `Error creating: ${messageOf(err)}`);
            throw err;
          }
        });
      } catch (err) {
        return asError(err);
      }
      return undefined;
    }
    if (diff > 0) {
      const related = this.#relatedPods(rs);
      const doomed = podsToDelete(pods, related, Math.min(diff, BURST_REPLICAS), Date.now());
      const expected: PendingDeletions = { since: Date.now(), pods: new Map(doomed.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.metadata.uid!])) };
      this.#deleting.set(key, expected);
      const results = await Promise.allSettled(
        doomed.map(async (pod) => {
          try {
            await this.opts.registry.delete(this.#podType, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } });
            this.#events.record(involved, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
          } catch (err) {
            if (isGone(err)) return;
            expected.pods.delete(`${pod.metadata.namespace}/${pod.metadata.name}`);
            this.#events.record(involved, 'Warning', 'FailedDelete', `Error deleting: ${messageOf(err)}`);
            throw err;
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) return asError(failed.reason);
    }
    return undefined;
  }

  /** Pods of every set with the same controller (a Deployment's): deletions prefer nodes crowded with them. */
  #relatedPods(rs: RS): PodObject[] {
    const owner = controllerRefOf(rs);
    const sets = owner === undefined ? [rs] : [...this.#replicaSets.values()].filter((o) => controllerRefOf(o)?.uid === owner.uid);
    return sets.flatMap((set) => this.#pods.ownedBy(set.metadata.uid!).filter((p) => controllerRefOf(p)?.uid === set.metadata.uid)) as PodObject[];
  }

  /** False while pods this controller deleted are still in the cache (and not yet given up on). */
  #expectationsMet(key: string): boolean {
    const pending = this.#deleting.get(key);
    if (pending === undefined) return true;
    if (Date.now() - pending.since < EXPECTATIONS_TTL_MS) {
      for (const [podKey, uid] of pending.pods) {
        const pod = this.#pods.get(podKey);
        if (pod !== undefined && pod.metadata.uid === uid && pod.metadata.deletionTimestamp === undefined) return false;
      }
    }
    this.#deleting.delete(key);
    return true;
  }

  async #writeStatus(rs: RS, pods: PodObject[], failure: Error | undefined, now: number): Promise<void> {
    const spec = rs.spec!;
    const templateLabels = spec.template?.metadata?.labels ?? {};
    const old = rs.status ?? { replicas: 0 };
    // Upstream leaves zero counts out (omitempty), replicas aside.
    const status: ReplicaSetStatus = { replicas: pods.length };
    const counts = {
      fullyLabeledReplicas: pods.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
      readyReplicas: pods.filter(isPodReady).length,
      availableReplicas: pods.filter((p) => isPodAvailable(p, spec.minReadySeconds ?? 0, now)).length,
      observedGeneration: rs.metadata.generation ?? 0,
    };
    for (const [field, value] of Object.entries(counts)) if (value !== 0) status[field as keyof typeof counts] = value;
    let conditions = old.conditions ?? [];
    const failed = conditions.find((c) => c.type === 'ReplicaFailure');
    if (failure !== undefined && failed === undefined) {
      const diff = pods.length - (spec.replicas ?? 1);
      const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
      const condition: ReplicaSetCondition = { type: 'ReplicaFailure', status: 'True', lastTransitionTime: metaTime(new Date(now)), reason, message: failure.message };
      conditions = [...conditions, condition];
    } else if (failure === undefined && failed !== undefined) {
      conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
    }
    if (conditions.length > 0) status.conditions = conditions;
    await writeStatus({ registry: this.opts.registry, type: this.#rsType, informer: this.#replicaSets }, rs, status, sameStatus);
  }
}

// --- pods ------------------------------------------------------------------

/** When the next ready pod that is not yet available becomes so (ms since the epoch), if any. */
function nextAvailability(pods: Pod[], minReadySeconds: number, now: number): number | undefined {
  if (minReadySeconds === 0) return undefined;
  const times = pods
    .filter((p) => isPodReady(p) && !isPodAvailable(p, minReadySeconds, now))
    .map((p) => Date.parse(podReadyCondition(p)!.lastTransitionTime ?? '') + minReadySeconds * 1000)
    .filter((t) => !Number.isNaN(t));
  return times.length === 0 ? undefined : Math.min(...times);
}

/** GetPodFromTemplate: the template's labels, annotations, finalizers and spec, controlled by the set. */
function podFromTemplate(rs: RS): KubeObject {
  const template = rs.spec!.template!;
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace!,
      ...(meta.labels !== undefined ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations !== undefined ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers !== undefined ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [controllerRef(rs, REPLICA_SET)],
    },
    spec: structuredClone(template.spec),
  };
}

/**
 * The `count` pods to delete first (upstream's ActivePodsWithRanks with
 * LogarithmicScaleDown): unscheduled before scheduled, Pending before
 * Unknown before Running, not ready before ready, lower deletion cost
 * first, pods on nodes crowded with related pods first, then the more
 * recently ready, the more restarted and the newer (times compared in
 * powers of two), uid last.
 */
export function podsToDelete(pods: PodObject[], related: PodObject[], count: number, now: number): PodObject[] {
  if (count >= pods.length) return pods;
  const onNode = new Map<string, number>();
  for (const pod of related) {
    const node = pod.spec?.nodeName;
    if (node && isPodActive(pod)) onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const rank = (pod: PodObject) => onNode.get(pod.spec?.nodeName ?? '') ?? 0;
  return [...pods].sort((a, b) => deleteFirst(a, b, rank, now)).slice(0, count);
}

const PHASE_ORDER: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function deleteFirst(a: PodObject, b: PodObject, rank: (pod: PodObject) => number, now: number): number {
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1;
  const phase = (p: PodObject) => PHASE_ORDER[p.status?.phase ?? 'Pending'] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  if (isPodReady(a) !== isPodReady(b)) return isPodReady(a) ? 1 : -1;
  const cost = (p: PodObject) => podDeletionCost(p.metadata.annotations) ?? 0;
  if (cost(a) !== cost(b)) return cost(a) - cost(b);
  if (rank(a) !== rank(b)) return rank(b) - rank(a);
  if (isPodReady(a) && isPodReady(b)) {
    const diff = log2Age(podReadyCondition(a)?.lastTransitionTime, now) - log2Age(podReadyCondition(b)?.lastTransitionTime, now);
    if (diff !== 0) return diff;
  }
  const restarts = (p: PodObject) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount));
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const age = log2Age(a.metadata.creationTimestamp, now) - log2Age(b.metadata.creationTimestamp, now);
  if (age !== 0) return age;
  return (a.metadata.uid ?? '') < (b.metadata.uid ?? '') ? -1 : (a.metadata.uid ?? '') > (b.metadata.uid ?? '') ? 1 : 0;
}

/** floor(log2(age in ns)), -1 for no age: pods within the same power of two count as the same age. */
function log2Age(time: string | undefined, now: number): number {
  const at = Date.parse(time ?? '');
  if (Number.isNaN(at) || now <= at) return -1;
  return Math.floor(Math.log2((now - at) * 1e6));
}

/** Whether writing `b` would change nothing: the counts (absent is 0) and the conditions as they are. */
function sameStatus(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  const fields = ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'] as const;
  return fields.every((f) => (a?.[f] ?? 0) === (b[f] ?? 0)) && JSON.stringify(a?.conditions ?? []) === JSON.stringify(b.conditions ?? []);
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

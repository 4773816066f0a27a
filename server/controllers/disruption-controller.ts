// PodDisruptionBudgets' status, as upstream's disruption controller keeps it
// (pkg/controller/disruption): for each budget, the pods of its namespace
// its selector matches; how many are expected (their count for an integer
// minAvailable, else the scale of their controllers), how many must stay
// healthy, how many are healthy now (Ready, not being deleted, not just
// evicted), and so how many disruptions the eviction subresource may allow.
// Evictions record the pods they let go in status.disruptedPods; an entry
// leaves once the pod is being deleted or gone, or after DELETION_TIMEOUT_MS
// when it never went. A pod's DisruptionTarget condition left True on a pod
// that was not deleted is set False after STALE_DISRUPTION_MS.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import type { Catalogue } from '../api/catalogue.js';
import { semanticEqual } from '../api/kinds/equality.js';
import { asSelector } from '../api/kinds/labels.js';
import { groupVersionOf, type KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { setCondition, updateDisruptionAllowedCondition } from '../api/kinds/pod-disruption-budgets.js';
import { isGoneOrReplaced, messageOf } from './api-errors.js';
import { isGone } from './delete-all.js';
import { DISRUPTION_TARGET, setPodCondition, STALE_DISRUPTION_MS, type StatusChange, updatePodStatus } from './disruption-target.js';
import { EventRecorder } from './event-recorder.js';
import { scaledValue } from './int-or-percent.js';
import { controllerRefOf } from './owned-objects.js';
import { isPodReady, type PodObject } from './pod-predicates.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';

/** Upstream's DeletionTimeout: an evicted pod not being deleted after this long is counted healthy again. */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export type PdbObject = KubeObject & PodDisruptionBudget;

export interface DisruptionControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  /** The clock (ms since the epoch); tests move it. */
  readonly now?: () => number;
}

const BY_NAMESPACE = 'namespace';

export class DisruptionController {
  readonly #pdbs: SharedInformer;
  readonly #pods: SharedInformer;
  readonly #replicaSets: SharedInformer;
  readonly #deployments: SharedInformer;
  readonly #statefulSets: SharedInformer;
  readonly #type: ResourceType;
  readonly #queue: WorkQueue;
  /** Pods whose DisruptionTarget condition may have gone stale (upstream's stalePodDisruptionQueue). */
  readonly #stale: WorkQueue;
  readonly #podType: ResourceType;
  readonly #events: EventRecorder;
  readonly #now: () => number;

  private constructor(private readonly opts: DisruptionControllerOptions) {
    this.#type = opts.catalogue.get('policy', 'v1', 'poddisruptionbudgets')!;
    this.#now = opts.now ?? Date.now;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'controllermanager', opts.log);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('poddisruptionbudget reconcile failed', { poddisruptionbudget: key, error: err, retryInMs }),
    );
    this.#stale = new WorkQueue(
      (key) => this.clearStaleDisruption(key),
      (key, err, retryInMs) => opts.log.warn('clearing a stale DisruptionTarget condition failed', { pod: key, error: err, retryInMs }),
    );
    this.#podType = opts.catalogue.get('', 'v1', 'pods')!;
    this.#pdbs = opts.informers.of('policy', 'v1', 'poddisruptionbudgets');
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#replicaSets = opts.informers.of('apps', 'v1', 'replicasets');
    this.#deployments = opts.informers.of('apps', 'v1', 'deployments');
    this.#statefulSets = opts.informers.of('apps', 'v1', 'statefulsets');
    this.#pods.addIndex(BY_NAMESPACE, (pod) => [pod.metadata.namespace ?? '']);
    this.#pdbs.addIndex(BY_NAMESPACE, (pdb) => [pdb.metadata.namespace ?? '']);
  }

  static async start(opts: DisruptionControllerOptions): Promise<DisruptionController> {
    const controller = new DisruptionController(opts);
    await Promise.all([controller.#pdbs, controller.#pods, controller.#replicaSets, controller.#deployments, controller.#statefulSets].map((i) => i.start()));
    controller.#pdbs.subscribe((key) => controller.#queue.add(key));
    controller.#pods.subscribe((key) => controller.#podChanged(key));
    controller.#pods.subscribe((key) => {
      if (staleCandidate(controller.#pods.get(key) as PodObject | undefined) !== undefined) controller.#stale.add(key);
    });
    return controller;
  }

  /**
   * syncStalePodDisruption: a pod that said it would be disrupted
   * (DisruptionTarget True) but is still not being deleted STALE_DISRUPTION_MS
   * later gets the condition set False, so nothing takes it for disrupted.
   */
  async clearStaleDisruption(key: string): Promise<void> {
    const pod = this.#pods.get(key) as PodObject | undefined;
    const since = staleCandidate(pod);
    if (pod === undefined || since === undefined) return;
    const now = this.#now();
    const left = since + STALE_DISRUPTION_MS - now;
    if (left > 0) {
      this.#stale.addAfter(key, left);
      return;
    }
    const { namespace, name, uid } = pod.metadata as { namespace: string; name: string; uid: string };
    const clear: StatusChange = (status, at) => setPodCondition(status, { type: DISRUPTION_TARGET, status: 'False' }, at);
    try {
      await updatePodStatus(this.opts.registry, this.#podType, { namespace, name }, clear, now, { uid });
    } catch (err) {
      if (!isGoneOrReplaced(err)) throw err;
    }
  }

  /** Reads the budget and its pods as they are now and writes the status they give. */
  async reconcile(key: string): Promise<void> {
    const pdb = this.#pdbs.get(key) as PdbObject | undefined;
    if (pdb === undefined) return;
    try {
      await this.#trySync(key, pdb);
    } catch (err) {
      // A status written meanwhile (an eviction): its watch event brings the budget back.
      if (err instanceof ApiError && err.code === 409) return;
      // Fail closed, as upstream's failSafe: no disruption allowed while the status cannot be computed.
      this.opts.log.warn('poddisruptionbudget sync failed', { poddisruptionbudget: key, error: err });
      const status = structuredClone(pdb.status ?? {}) as PodDisruptionBudgetStatus;
      status.disruptionsAllowed = 0;
      setCondition(status, { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: messageOf(err), observedGeneration: status.observedGeneration ?? 0 }, this.#now());
      await this.#write(pdb, status);
    }
  }

  /** Resolves once every change seen so far has been reconciled (tests). */
  async settled(): Promise<void> {
    await Promise.all([this.#queue.drained(), this.#stale.drained()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.#queue.close(), this.#stale.close()]);
  }

  async #trySync(key: string, pdb: PdbObject): Promise<void> {
    const selector = asSelector(pdb.spec?.selector);
    if (selector === undefined) {
      const err = new Error(`invalid label selector ${goSelectorString(pdb.spec?.selector)}`);
      this.#events.record(budget(pdb), 'Warning', 'NoPods', `Failed to get pods: ${err.message}`);
      throw err;
    }
    const pods = (this.#pods.byIndex(BY_NAMESPACE, pdb.metadata.namespace ?? '') as PodObject[]).filter((pod) => selector(pod.metadata.labels));
    if (pods.length === 0) this.#events.record(budget(pdb), 'Normal', 'NoPods', 'No matching pods found');

    let counts: ExpectedCounts;
    try {
      counts = this.#expectedCounts(pdb, pods);
    } catch (err) {
      this.#events.record(budget(pdb), 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${messageOf(err)}`);
      throw err;
    }
    if (counts.unmanaged.length > 0) {
      this.#events.record(
        budget(pdb),
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${goSelectorString(pdb.spec?.selector)}) were found to be unmanaged. ` +
          'As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. ' +
          'To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
      );
    }

    const now = this.#now();
    const { disrupted, recheckAt } = this.#disruptedPods(pods, pdb, now);
    // `disrupted` holds only the entries still within their timeout.
    const currentHealthy = pods.filter((pod) => pod.metadata.deletionTimestamp === undefined && disrupted[pod.metadata.name!] === undefined && isPodReady(pod)).length;
    const allowed = currentHealthy - counts.desiredHealthy;
    // A budget that expects no pods allows nothing: its first pods may come before its next sync.
    const disruptionsAllowed = counts.expected <= 0 || allowed <= 0 ? 0 : allowed;
    const status: PodDisruptionBudgetStatus = {
      ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy: counts.desiredHealthy,
      expectedPods: counts.expected,
      observedGeneration: pdb.metadata.generation ?? 0,
      ...(pdb.status?.conditions !== undefined ? { conditions: structuredClone(pdb.status.conditions) } : {}),
    };
    updateDisruptionAllowedCondition(status, now);
    await this.#write(pdb, status);
    if (recheckAt !== undefined) this.#queue.addAfter(key, Math.max(0, recheckAt - now));
  }

  /** getExpectedPodCount: expected pods and desired healthy ones, from maxUnavailable or minAvailable. */
  #expectedCounts(pdb: PdbObject, pods: readonly PodObject[]): ExpectedCounts {
    const { maxUnavailable, minAvailable } = pdb.spec ?? {};
    if (maxUnavailable !== undefined) {
      const { expected, unmanaged } = this.#expectedScale(pods);
      return { expected, unmanaged, desiredHealthy: Math.max(0, expected - scaledValue(maxUnavailable, expected, true)) };
    }
    if (typeof minAvailable === 'number') return { expected: pods.length, unmanaged: [], desiredHealthy: minAvailable };
    if (typeof minAvailable === 'string') {
      const { expected, unmanaged } = this.#expectedScale(pods);
      return { expected, unmanaged, desiredHealthy: scaledValue(minAvailable, expected, true) };
    }
    return { expected: 0, unmanaged: [], desiredHealthy: 0 };
  }

  /** getExpectedScale: the sum of the scales of the pods' controllers, each counted once; pods without one are named apart. */
  #expectedScale(pods: readonly PodObject[]): { expected: number; unmanaged: string[] } {
    /** Controller uid → its scale; a Deployment's ReplicaSets all lead to it. */
    const scales = new Map<string, number>();
    /** Controller references already followed (a ReplicaSet's, where the scale is its Deployment's). */
    const followed = new Set<string>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (ref === undefined) {
        unmanaged.push(pod.metadata.name!);
        continue;
      }
      if (followed.has(ref.uid)) continue;
      followed.add(ref.uid);
      const found = this.#controllerScale(ref, pod.metadata.namespace ?? '');
      if (found === undefined) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
      scales.set(found.uid, found.scale);
    }
    return { expected: [...scales.values()].reduce((a, b) => a + b, 0), unmanaged };
  }

  /** Upstream's finders in their order: a ReplicaSet's Deployment, a ReplicaSet of its own, a StatefulSet; else whether the kind has a scale at all. */
  #controllerScale(ref: OwnerRef, namespace: string): { uid: string; scale: number } | undefined {
    const { group, version } = groupVersionOf(ref.apiVersion);
    if (ref.kind === 'ReplicaSet' && (group === 'apps' || group === 'extensions')) {
      const rs = this.#replicaSets.get(`${namespace}/${ref.name}`);
      if (rs === undefined || rs.metadata.uid !== ref.uid) return undefined;
      const owner = controllerRefOf(rs);
      if (owner?.kind === 'Deployment') {
        const ownerGroup = groupVersionOf(owner.apiVersion).group;
        if (ownerGroup !== 'apps' && ownerGroup !== 'extensions') return undefined;
        const deployment = this.#deployments.get(`${namespace}/${owner.name}`);
        if (deployment === undefined || deployment.metadata.uid !== owner.uid) return undefined;
        return { uid: deployment.metadata.uid, scale: replicasOf(deployment) };
      }
      return { uid: rs.metadata.uid, scale: replicasOf(rs) };
    }
    if (ref.kind === 'StatefulSet' && group === 'apps') {
      const set = this.#statefulSets.get(`${namespace}/${ref.name}`);
      if (set === undefined || set.metadata.uid !== ref.uid) return undefined;
      return { uid: set.metadata.uid, scale: replicasOf(set) };
    }
    // Upstream reads any other controller's scale subresource; the kinds served here with one are the three above.
    const type = this.opts.catalogue.byKind(group, version, ref.kind);
    if (type === undefined) throw new Error(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
    if (!type.subresources.some((s) => s.name === 'scale')) {
      throw new Error(`${type.group === '' ? type.plural : `${type.plural}.${type.group}`} does not implement the scale subresource`);
    }
    return undefined;
  }

  /** buildDisruptedPodMap: the entries of pods still there, not being deleted and within the timeout; and when the first of them expires. */
  #disruptedPods(pods: readonly PodObject[], pdb: PdbObject, now: number): { disrupted: Record<string, string>; recheckAt?: number } {
    const recorded = pdb.status?.disruptedPods ?? {};
    const disrupted: Record<string, string> = {};
    let recheckAt: number | undefined;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp !== undefined) continue;
      const at = recorded[pod.metadata.name!];
      if (at === undefined) continue;
      const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (!(expires >= now)) {
        // Upstream's message names the budget's namespace twice.
        this.#events.record(podOf(pod), 'Warning', 'NotDeleted', `Pod was expected by PDB ${pdb.metadata.namespace}/${pdb.metadata.namespace} to be deleted but it wasn't`);
        continue;
      }
      disrupted[pod.metadata.name!] = at;
      if (recheckAt === undefined || expires < recheckAt) recheckAt = expires;
    }
    return recheckAt === undefined ? { disrupted } : { disrupted, recheckAt };
  }

  /** UpdateStatus with the resourceVersion read: an eviction's write in between makes it a conflict rather than losing its entry. */
  async #write(pdb: PdbObject, status: PodDisruptionBudgetStatus): Promise<void> {
    if (semanticEqual(pdb.status, status)) return;
    try {
      const written = await this.opts.registry.update(this.#type, pdb.metadata.namespace, pdb.metadata.name!, { ...pdb, status }, { subresource: 'status' });
      this.#pdbs.remember(written);
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  /**
   * Requeues every budget of the pod's namespace: those that select it now,
   * and any that did before its labels changed or it went (the informer
   * gives the key, not the old pod). A namespace holds few budgets, and the
   * queue folds repeats.
   */
  #podChanged(podKey: string): void {
    const namespace = podKey.slice(0, podKey.indexOf('/'));
    for (const pdb of this.#pdbs.byIndex(BY_NAMESPACE, namespace)) this.#queue.add(`${namespace}/${pdb.metadata.name}`);
  }

}

interface ExpectedCounts {
  readonly expected: number;
  readonly desiredHealthy: number;
  readonly unmanaged: readonly string[];
}

interface OwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** When a pod not being deleted took the DisruptionTarget condition True (ms since the epoch), or undefined. */
function staleCandidate(pod: PodObject | undefined): number | undefined {
  if (pod === undefined || pod.metadata.deletionTimestamp !== undefined) return undefined;
  const condition = pod.status?.conditions?.find((c) => c.type === DISRUPTION_TARGET);
  if (condition?.status !== 'True') return undefined;
  return Date.parse(condition.lastTransitionTime ?? '') || 0;
}

function replicasOf(obj: KubeObject): number {
  return (obj['spec'] as { replicas?: number } | undefined)?.replicas ?? 1;
}

const budget = (pdb: PdbObject) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: pdb.metadata });
const podOf = (pod: PodObject) => ({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata });

/** A *metav1.LabelSelector as Go's %v prints it (its generated String()), as upstream's UnmanagedPods event quotes it. */
function goSelectorString(selector: LabelSelector | undefined): string {
  if (selector === undefined) return 'nil';
  const labels = Object.keys(selector.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${selector.matchLabels![k]},`)
    .join('');
  const expressions = (selector.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${expressions}},}`;
}

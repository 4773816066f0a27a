// DaemonSets, as upstream's daemon controller (v1.31) runs them: one pod per
// node the template fits (nodeSelector, required node affinity, taints it
// does not tolerate once the daemon tolerations are added). Since 1.12 the
// controller does not place the pod itself: it pins it with a required node
// affinity on metadata.name and the scheduler binds it. A template change is
// a new ControllerRevision; pods carry its hash and the template generation,
// and RollingUpdate replaces old pods maxUnavailable at a time (or starts the
// new one next to the old, maxSurge at a time); OnDelete waits for the user.
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Node, NodeSelectorTerm, PodSpec, PodTemplateSpec, Toleration } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { asSelector, isEmptySelector, type Selector } from '../api/kinds/labels.js';
import { toleratesAny } from '../api/kinds/tolerations.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { matchesRequiredNodeAffinity } from '../scheduler/plugins/node-affinity.js';
import { isGoneOrReplaced, messageOf } from './api-errors.js';
import { CONTROLLER_REVISION_HASH, nextRevision, type Revision, Revisions, sameData, templatePatch } from './controller-revisions.js';
import { EventRecorder } from './event-recorder.js';
import { keyOf } from './informer.js';
import { scaledValue } from './int-or-percent.js';
import { claim, controllerRef, controllerRefOf, queueOnChildChange } from './owned-objects.js';
import { isPodAvailable, isPodReady, type PodObject } from './pod-predicates.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { writeStatus } from './status-writes.js';
import { WorkQueue } from '../../common/work-queue.js';
import { DeletedPods, slowStartBatch } from './workload-pods.js';

const KIND = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
/** The DaemonSet annotation apps/v1 counts template changes in, and the pod label that copies it. */
const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** Failed daemon pods are replaced after a delay doubling from 1 s to 15 min per node (upstream's failedPodsBackoff). */
const FAILED_BACKOFF_FIRST_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60_000;

type DaemonSetObject = KubeObject & DaemonSet & { spec: NonNullable<DaemonSet['spec']> };
type NodeObject = KubeObject & Node;

export interface DaemonSetControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

/**
 * AddOrUpdateDaemonPodTolerations: a daemon pod stays on a node that is
 * lost, under pressure or cordoned, and on one without a network when it
 * brings its own; each replaces a toleration that differs only in time.
 */
export function daemonTolerations(spec: PodSpec): Toleration[] {
  const added: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) added.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of added) {
    const same = tolerations.findIndex((o) => o.key === t.key && o.effect === t.effect && o.operator === t.operator && (o.value ?? '') === '');
    if (same >= 0) tolerations[same] = t;
    else tolerations.push(t);
  }
  return tolerations;
}

/** NodeShouldRunDaemonPod: whether a new pod belongs on the node, and whether one already there may stay. */
export function nodeShouldRunDaemonPod(node: Node, template: PodTemplateSpec): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = template.spec!;
  const name = node.metadata?.name;
  if (spec.nodeName && spec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  const pod = { spec: { ...spec, nodeName: name, tolerations: daemonTolerations(spec) } };
  if (!matchesRequiredNodeAffinity(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const untolerated = (node.spec?.taints ?? []).filter((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !toleratesAny(pod.spec.tolerations, t));
  if (untolerated.length === 0) return { shouldRun: true, shouldContinueRunning: true };
  return { shouldRun: false, shouldContinueRunning: !untolerated.some((t) => t.effect === 'NoExecute') };
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become "this node", preferred ones stay. */
function pinnedToNode(affinity: Affinity | undefined, node: string): Affinity {
  const term: NodeSelectorTerm = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] };
  return { ...affinity, nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } } };
}

/** GetTargetNodeName: the node a pod is bound to, or the one its affinity pins it to. */
function targetNode(pod: PodObject): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const field = term.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In');
    if (field?.values?.length === 1) return field.values[0];
  }
  return undefined;
}

/** Scheduled first, then oldest, then by name (podByCreationTimestampAndPhase). */
function byAge(a: PodObject, b: PodObject): number {
  const scheduled = Number(!a.spec?.nodeName) - Number(!b.spec?.nodeName);
  return scheduled || Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!) || a.metadata.name!.localeCompare(b.metadata.name!);
}

export class DaemonSetController {
  readonly #daemonSets: SharedInformer;
  readonly #pods: SharedInformer;
  readonly #nodes: SharedInformer;
  readonly #revisionInformer: SharedInformer;
  readonly #revisions: Revisions;
  readonly #podType: ResourceType;
  readonly #dsType: ResourceType;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;
  readonly #deleted: DeletedPods;
  readonly #failedBackoff = new Map<string, { delayMs: number; until: number }>();

  private constructor(private readonly opts: DaemonSetControllerOptions) {
    this.#podType = opts.catalogue.get('', 'v1', 'pods')!;
    this.#dsType = opts.catalogue.get('apps', 'v1', 'daemonsets')!;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'daemonset-controller', opts.log);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('daemonset sync failed', { daemonset: key, error: err, retryInMs }),
    );
    this.#daemonSets = opts.informers.of('apps', 'v1', 'daemonsets');
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#deleted = new DeletedPods(this.#pods);
    this.#nodes = opts.informers.of('', 'v1', 'nodes');
    this.#revisionInformer = opts.informers.of('apps', 'v1', 'controllerrevisions');
    this.#revisions = new Revisions({ registry: opts.registry, informer: this.#revisionInformer, ownerKind: KIND, log: opts.log }, opts.catalogue.get('apps', 'v1', 'controllerrevisions')!);
    this.#daemonSets.subscribe((key) => this.#queue.add(key));
    for (const children of [this.#pods, this.#revisionInformer]) {
      queueOnChildChange(children, this.#daemonSets, KIND.kind, (key) => this.#queue.add(key), { skipEmptySelectors: true });
    }
    // A node that comes, goes or changes labels or taints may change where every DaemonSet runs.
    this.#nodes.subscribe(() => {
      for (const ds of this.#daemonSets.values()) this.#queue.add(keyOf(ds));
    });
  }

  static async start(opts: DaemonSetControllerOptions): Promise<DaemonSetController> {
    const controller = new DaemonSetController(opts);
    for (const informer of [controller.#nodes, controller.#pods, controller.#revisionInformer, controller.#daemonSets]) await informer.start();
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
    const ds = this.#daemonSets.get(key) as DaemonSetObject | undefined;
    if (ds === undefined || ds.metadata.deletionTimestamp !== undefined) return;
    const selector = asSelector(ds.spec.selector);
    if (selector === undefined || isEmptySelector(ds.spec.selector)) {
      this.#record(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    const nodes = [...this.#nodes.values()] as NodeObject[];
    const { current, old, collisionCount } = await this.#history(ds, selector);
    // An adopted revision without the label goes by its name, as upstream's constructHistory has it.
    const hash = current.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? current.metadata.name!;
    await this.#manage(ds, selector, nodes, hash);
    if (ds.spec.updateStrategy?.type === 'RollingUpdate') await this.#rollingUpdate(ds, selector, nodes, hash);
    await this.#cleanupHistory(ds, selector, old);
    await this.#updateStatus(ds, selector, nodes, hash, collisionCount);
  }

  /** constructHistory: the revision of the current template (made or renumbered when needed) and the older ones. */
  async #history(ds: DaemonSetObject, selector: Selector): Promise<{ current: Revision; old: Revision[]; collisionCount: number }> {
    const revisions = await this.#revisions.of(ds, selector);
    const data = templatePatch(ds.spec.template);
    const matching = revisions.filter((r) => sameData(r, data));
    const old = revisions.filter((r) => !sameData(r, data));
    const number = nextRevision(old);
    const collisionCount = ds.status?.collisionCount ?? 0;
    if (matching.length === 0) {
      const made = await this.#revisions.create(ds, ds.spec.template.metadata?.labels, data, number, collisionCount);
      return { current: made.revision, old, collisionCount: made.collisionCount };
    }
    // Sorted oldest first: keep the newest duplicate.
    let current = matching.pop()!;
    for (const duplicate of matching) await this.#revisions.delete(duplicate);
    if (current.revision < number) current = await this.#revisions.renumber(current, number);
    return { current, old, collisionCount };
  }

  /** The pods the DaemonSet controls now: after `manage` claimed them, the cache (told of every write) is enough. */
  #controlled(ds: DaemonSetObject, selector: Selector): PodObject[] {
    return this.#pods.ownedBy(ds.metadata.uid!).filter((pod) => controllerRefOf(pod)?.uid === ds.metadata.uid && selector(pod.metadata.labels)) as PodObject[];
  }

  /** Pods by the node they run on or are pinned to; pods just deleted are left out. */
  #podsByNode(pods: readonly PodObject[]): Map<string, PodObject[]> {
    const byNode = new Map<string, PodObject[]>();
    for (const pod of pods) {
      const node = targetNode(pod);
      if (node === undefined || this.#deleted.has(pod)) continue;
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    return byNode;
  }

  /** Creates the pods missing from nodes that should run one, deletes those on nodes that should not, and failed or excess ones. */
  async #manage(ds: DaemonSetObject, selector: Selector, nodes: readonly NodeObject[], hash: string): Promise<void> {
    const claimed = await claim(ds, selector, { registry: this.opts.registry, type: this.#podType, informer: this.#pods, ownerKind: KIND, log: this.opts.log });
    const byNode = this.#podsByNode(claimed as PodObject[]);
    const surge = ds.spec.updateStrategy?.type === 'RollingUpdate' && scaledValue(ds.spec.updateStrategy.rollingUpdate?.maxSurge, 1, true) > 0;
    const toCreate: string[] = [];
    const toDelete: PodObject[] = [];
    for (const node of nodes) {
      const name = node.metadata.name!;
      const pods = byNode.get(name) ?? [];
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds.spec.template);
      if (shouldRun && pods.length === 0) {
        toCreate.push(name);
      } else if (shouldContinueRunning) {
        const running: PodObject[] = [];
        for (const pod of pods) {
          if (pod.metadata.deletionTimestamp !== undefined) continue;
          if (pod.status?.phase === 'Failed') {
            if (this.#inBackoff(ds, name)) continue;
            this.#record(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${name}, will try to kill it`);
            toDelete.push(pod);
          } else if (pod.status?.phase === 'Succeeded') {
            toDelete.push(pod);
          } else {
            running.push(pod);
          }
        }
        running.sort(byAge);
        if (!surge) {
          // One pod per node: the oldest stays. A node whose pods all failed gets a new one once they are gone.
          toDelete.push(...running.slice(1));
        } else if (running.length === 0) {
          if (shouldRun) toCreate.push(name);
        } else {
          // Surging: at most the oldest new pod and the oldest old one, the old one only while the new one is not ready.
          const oldestNew = running.find((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash);
          const oldestOld = running.find((p) => p.metadata.labels?.[CONTROLLER_REVISION_HASH] !== hash);
          toDelete.push(...running.filter((p) => p !== oldestNew && p !== oldestOld));
          if (oldestNew !== undefined && oldestOld !== undefined && (!isPodReady(oldestOld) || isPodReady(oldestNew))) toDelete.push(oldestOld);
        }
      } else {
        toDelete.push(...pods.filter((p) => p.metadata.deletionTimestamp === undefined));
      }
    }
    // Pods pinned to nodes that are gone and never bound; bound ones are the pod GC's.
    const known = new Set(nodes.map((n) => n.metadata.name!));
    for (const [node, pods] of byNode) if (!known.has(node)) toDelete.push(...pods.filter((p) => !p.spec?.nodeName && p.metadata.deletionTimestamp === undefined));
    await this.#syncNodes(ds, toDelete, toCreate, hash);
  }

  /** failedPodsBackoff: true (and a later look queued) while the node's last failed pod was replaced too recently. */
  #inBackoff(ds: DaemonSetObject, node: string): boolean {
    const key = `${keyOf(ds)}/${node}`;
    const now = Date.now();
    const entry = this.#failedBackoff.get(key);
    if (entry !== undefined && now < entry.until) {
      this.#queue.addAfter(keyOf(ds), entry.until - now);
      return true;
    }
    // A backoff long expired starts over.
    const delayMs = entry === undefined || now - entry.until > 2 * FAILED_BACKOFF_MAX_MS ? FAILED_BACKOFF_FIRST_MS : Math.min(entry.delayMs * 2, FAILED_BACKOFF_MAX_MS);
    this.#failedBackoff.set(key, { delayMs, until: now + delayMs });
    return false;
  }

  /** rollingUpdate (update.go): which old pods go, and (surging) which nodes get a new pod beside the old one. */
  async #rollingUpdate(ds: DaemonSetObject, selector: Selector, nodes: readonly NodeObject[], hash: string): Promise<void> {
    const byNode = this.#podsByNode(this.#controlled(ds, selector));
    let desired = 0;
    for (const node of nodes) {
      if (!nodeShouldRunDaemonPod(node, ds.spec.template).shouldRun) continue;
      desired++;
      if (!byNode.has(node.metadata.name!)) byNode.set(node.metadata.name!, []);
    }
    const rolling = ds.spec.updateStrategy?.rollingUpdate;
    let maxSurge = scaledValue(rolling?.maxSurge, desired, true);
    let maxUnavailable = scaledValue(rolling?.maxUnavailable, desired, true);
    // An impossible 0/0 from the API obeys the default of one unavailable.
    if (desired > 0 && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const now = Date.now();
    const minReady = ds.spec.minReadySeconds ?? 0;
    const available = (pod: PodObject) => isPodAvailable(pod, minReady, now);
    const generation = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
    if (maxSurge === 0) {
      let unavailable = 0;
      const replaceNow: PodObject[] = [];
      const candidates: PodObject[] = [];
      for (const pods of byNode.values()) {
        const found = updatedPodsOnNode(pods, hash, generation);
        if (found === undefined || (found.oldPod === undefined) === (found.newPod === undefined)) unavailable++;
        else if (found.newPod !== undefined) unavailable += available(found.newPod) ? 0 : 1;
        // An old pod that is not available anyway can go at once; the others count against maxUnavailable.
        else if (!available(found.oldPod!)) replaceNow.push(found.oldPod!);
        else if (unavailable < maxUnavailable) candidates.push(found.oldPod!);
      }
      const room = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length);
      await this.#syncNodes(ds, [...replaceNow, ...candidates.slice(0, room)], [], hash);
      return;
    }
    let surging = 0;
    const toCreate: string[] = [];
    const toDelete: PodObject[] = [];
    for (const [name, pods] of byNode) {
      const found = updatedPodsOnNode(pods, hash, generation);
      if (found === undefined) {
        surging++;
      } else if (found.oldPod === undefined) {
        // Nothing to replace: manage creates what is missing.
      } else if (found.newPod === undefined) {
        if (!available(found.oldPod)) {
          const node = nodes.find((n) => n.metadata.name === name);
          if (node !== undefined && nodeShouldRunDaemonPod(node, ds.spec.template).shouldRun) toCreate.push(name);
        } else if (surging < maxSurge) {
          surging++;
          toCreate.push(name);
        }
      } else if (!available(found.newPod)) {
        surging++;
      } else {
        toDelete.push(found.oldPod);
      }
    }
    await this.#syncNodes(ds, toDelete, toCreate, hash);
  }

  /** Creates pods pinned to `nodes` (slow start) and deletes `pods`, with an event for each. */
  async #syncNodes(ds: DaemonSetObject, pods: readonly PodObject[], nodes: readonly string[], hash: string): Promise<void> {
    const template = ds.spec.template;
    const generation = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
    const labels = { ...template.metadata?.labels, [CONTROLLER_REVISION_HASH]: hash, ...(generation !== undefined ? { [TEMPLATE_GENERATION_LABEL]: generation } : {}) };
    const tolerations = daemonTolerations(template.spec!);
    const deletions = pods.map((pod) => this.#deletePod(ds, pod));
    const creations = slowStartBatch(nodes.length, async (i) => {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          generateName: `${ds.metadata.name}-`,
          namespace: ds.metadata.namespace,
          labels,
          ...(template.metadata?.annotations !== undefined ? { annotations: template.metadata.annotations } : {}),
          ...(template.metadata?.finalizers !== undefined ? { finalizers: template.metadata.finalizers } : {}),
          ownerReferences: [controllerRef(ds, KIND)],
        },
        spec: { ...template.spec, tolerations, affinity: pinnedToNode(template.spec?.affinity, nodes[i]!) },
      } as unknown as PodObject;
      try {
        const created = await this.opts.registry.create(this.#podType, ds.metadata.namespace, pod, {});
        this.#pods.remember(created);
        this.#record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (err) {
        this.#record(ds, 'Warning', 'FailedCreate', `Error creating: ${messageOf(err)}`);
        throw err;
      }
    });
    const results = await Promise.allSettled([creations, ...deletions]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async #deletePod(ds: DaemonSetObject, pod: PodObject): Promise<void> {
    try {
      await this.opts.registry.delete(this.#podType, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } });
      this.#record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      if (!isGoneOrReplaced(err)) {
        this.#record(ds, 'Warning', 'FailedDelete', `Error deleting: ${messageOf(err)}`);
        throw err;
      }
    }
    this.#deleted.add(pod);
  }

  /** cleanupHistory: old revisions beyond revisionHistoryLimit go, oldest first, unless a pod still has their hash. */
  async #cleanupHistory(ds: DaemonSetObject, selector: Selector, old: readonly Revision[]): Promise<void> {
    const live = new Set<string>();
    for (const pods of this.#podsByNode(this.#controlled(ds, selector)).values()) for (const pod of pods) live.add(pod.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? '');
    await this.#revisions.prune(old, (r) => live.has(r.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? ''), ds.spec.revisionHistoryLimit ?? 10);
  }

  /** updateDaemonSetStatus: counted over each node's oldest pod; written only when it changed. */
  async #updateStatus(ds: DaemonSetObject, selector: Selector, nodes: readonly NodeObject[], hash: string, collisionCount: number): Promise<void> {
    const byNode = this.#podsByNode(this.#controlled(ds, selector));
    const now = Date.now();
    const minReady = ds.spec.minReadySeconds ?? 0;
    const generation = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of nodes) {
      const pods = byNode.get(node.metadata.name!) ?? [];
      if (!nodeShouldRunDaemonPod(node, ds.spec.template).shouldRun) {
        if (pods.length > 0) misscheduled++;
        continue;
      }
      desired++;
      if (pods.length === 0) continue;
      current++;
      const pod = [...pods].sort(byAge)[0]!;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
      }
      if (isUpdated(pod, hash, generation)) updated++;
    }
    // Fields upstream leaves out when zero (omitempty) are left out here too.
    const status: DaemonSetStatus = {
      currentNumberScheduled: current,
      desiredNumberScheduled: desired,
      numberMisscheduled: misscheduled,
      numberReady: ready,
      ...(ds.metadata.generation ? { observedGeneration: ds.metadata.generation } : {}),
      ...(updated > 0 ? { updatedNumberScheduled: updated } : {}),
      ...(available > 0 ? { numberAvailable: available } : {}),
      ...(desired - available > 0 ? { numberUnavailable: desired - available } : {}),
      ...(collisionCount > 0 ? { collisionCount } : {}),
      ...(ds.status?.conditions !== undefined ? { conditions: ds.status.conditions } : {}),
    };
    // Last line of defence against clock skew: look again once minReadySeconds have passed.
    if (minReady > 0 && ready !== available) this.#queue.addAfter(keyOf(ds), minReady * 1000);
    await writeStatus({ registry: this.opts.registry, type: this.#dsType, informer: this.#daemonSets }, ds, status);
  }

  #record(ds: DaemonSetObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#events.record({ ...KIND, metadata: ds.metadata }, type, reason, message);
  }
}

/** IsPodUpdated: the pod has the current revision's hash or the current template generation. */
function isUpdated(pod: PodObject, hash: string, generation: string | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  return (hash !== '' && labels[CONTROLLER_REVISION_HASH] === hash) || (generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation);
}

/** findUpdatedPodsOnNode: the node's one new and one old pod (pods being deleted aside); undefined when it has more of either. */
function updatedPodsOnNode(pods: readonly PodObject[], hash: string, generation: string | undefined): { newPod?: PodObject; oldPod?: PodObject } | undefined {
  let newPod: PodObject | undefined;
  let oldPod: PodObject | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp !== undefined) continue;
    if (isUpdated(pod, hash, generation)) {
      if (newPod !== undefined) return undefined;
      newPod = pod;
    } else {
      if (oldPod !== undefined) return undefined;
      oldPod = pod;
    }
  }
  return { ...(newPod !== undefined ? { newPod } : {}), ...(oldPod !== undefined ? { oldPod } : {}) };
}

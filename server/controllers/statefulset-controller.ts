// StatefulSets, as upstream's statefulset controller (v1.31) runs them: pods
// named <set>-<ordinal> with a stable identity (hostname, the governing
// service as subdomain, pod-name and pod-index labels) and their own
// PersistentVolumeClaims <claim>-<set>-<ordinal>, made before the pod and
// kept after it unless persistentVolumeClaimRetentionPolicy says Delete
// (then the claims get the set or the condemned pod as owner, and the garbage
// collector deletes them). OrderedReady creates in ordinal order, each pod
// waiting for the ones before it to be Running and Ready, and removes in
// reverse order; Parallel does not wait. RollingUpdate replaces pods from the
// highest ordinal down to the partition, one healthy pod at a time; OnDelete
// replaces only pods the user deletes. Revisions are ControllerRevisions.
import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { semanticEqual } from '../api/kinds/equality.js';
import { asSelector, isEmptySelector } from '../api/kinds/labels.js';
import type { KubeObject, OwnerReference } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { isGoneOrReplaced, messageOf } from './api-errors.js';
import { CONTROLLER_REVISION_HASH, nextRevision, type Revision, Revisions, sameData, templateOf, templatePatch } from './controller-revisions.js';
import { isGone } from './delete-all.js';
import { EventRecorder } from './event-recorder.js';
import { keyOf } from './informer.js';
import { claim, controllerRef, queueOnChildChange } from './owned-objects.js';
import { isPodAvailable, isPodReady, type PodObject } from './pod-predicates.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { writeStatus } from './status-writes.js';
import { WorkQueue } from '../../common/work-queue.js';
import { DeletedPods, slowStartBatch } from './workload-pods.js';

const KIND = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
const ORDINAL_NAME = /^(.*)-([0-9]+)$/;

type SetObject = KubeObject & StatefulSet & { spec: NonNullable<StatefulSet['spec']> };
type ClaimObject = KubeObject & PersistentVolumeClaim;

export interface StatefulSetControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

/** getParentNameAndOrdinal: "web-2" → ["web", 2]; -1 for a name without an ordinal. */
function parentAndOrdinal(pod: KubeObject): [string, number] {
  const m = ORDINAL_NAME.exec(pod.metadata.name ?? '');
  return m === null ? ['', -1] : [m[1]!, Number(m[2])];
}

const ordinalOf = (pod: KubeObject): number => parentAndOrdinal(pod)[1];
const startOrdinal = (set: SetObject): number => set.spec.ordinals?.start ?? 0;
const podName = (set: SetObject, ordinal: number): string => `${set.metadata.name}-${ordinal}`;
const claimName = (set: SetObject, template: PersistentVolumeClaim, ordinal: number): string => `${template.metadata?.name}-${set.metadata.name}-${ordinal}`;
/** A StatefulSet pod's controller-revision-hash label holds its revision's name (getPodRevision). */
const revisionOf = (pod: KubeObject): string => pod.metadata.labels?.[CONTROLLER_REVISION_HASH] ?? '';
const isTerminating = (pod: PodObject): boolean => pod.metadata.deletionTimestamp !== undefined;
const isRunningAndReady = (pod: PodObject): boolean => pod.status?.phase === 'Running' && isPodReady(pod);
const isHealthy = (pod: PodObject): boolean => isRunningAndReady(pod) && !isTerminating(pod);
const isFinished = (pod: PodObject): boolean => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';

/** identityMatches (and the pod-index label): the pod is the set's pod for its ordinal. */
function identityMatches(set: SetObject, pod: PodObject): boolean {
  const [parent, ordinal] = parentAndOrdinal(pod);
  const labels = pod.metadata.labels ?? {};
  return parent === set.metadata.name && pod.metadata.namespace === set.metadata.namespace && labels[POD_NAME_LABEL] === pod.metadata.name && labels[POD_INDEX_LABEL] === String(ordinal);
}

/**
 * The owner references a claim should carry under the retention policy
 * (updateClaimOwnerRefForSetAndPod): the set when it is to go with the set,
 * the pod when it is condemned by a scale-down that deletes claims.
 */
function retentionOwners(set: SetObject, pod: PodObject): OwnerReference[] {
  const policy = set.spec.persistentVolumeClaimRetentionPolicy;
  const ordinal = ordinalOf(pod);
  const condemned = ordinal < startOrdinal(set) || ordinal >= startOrdinal(set) + (set.spec.replicas ?? 1);
  const scaledAway = policy?.whenScaled === 'Delete' && condemned;
  const owners: OwnerReference[] = [];
  if (policy?.whenDeleted === 'Delete' && !scaledAway) owners.push({ ...KIND, name: set.metadata.name!, uid: set.metadata.uid! });
  if (scaledAway && pod.metadata.uid !== undefined) owners.push({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid });
  return owners;
}

export class StatefulSetController {
  readonly #sets: SharedInformer;
  readonly #pods: SharedInformer;
  readonly #claims: SharedInformer;
  readonly #revisionInformer: SharedInformer;
  readonly #revisions: Revisions;
  readonly #podType: ResourceType;
  readonly #claimType: ResourceType;
  readonly #setType: ResourceType;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;
  readonly #deleted: DeletedPods;

  private constructor(private readonly opts: StatefulSetControllerOptions) {
    this.#podType = opts.catalogue.get('', 'v1', 'pods')!;
    this.#claimType = opts.catalogue.get('', 'v1', 'persistentvolumeclaims')!;
    this.#setType = opts.catalogue.get('apps', 'v1', 'statefulsets')!;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'statefulset-controller', opts.log);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('statefulset sync failed', { statefulset: key, error: err, retryInMs }),
    );
    this.#sets = opts.informers.of('apps', 'v1', 'statefulsets');
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#deleted = new DeletedPods(this.#pods);
    this.#claims = opts.informers.of('', 'v1', 'persistentvolumeclaims');
    this.#revisionInformer = opts.informers.of('apps', 'v1', 'controllerrevisions');
    this.#revisions = new Revisions({ registry: opts.registry, informer: this.#revisionInformer, ownerKind: KIND, log: opts.log }, opts.catalogue.get('apps', 'v1', 'controllerrevisions')!);
    this.#sets.subscribe((key) => this.#queue.add(key));
    for (const children of [this.#pods, this.#revisionInformer]) {
      queueOnChildChange(children, this.#sets, KIND.kind, (key) => this.#queue.add(key), { skipEmptySelectors: true });
    }
    // A claim that finishes going lets a pod waiting on it be created.
    this.#claims.subscribe((key) => {
      const namespace = key.slice(0, key.indexOf('/'));
      for (const set of this.#sets.values()) if (set.metadata.namespace === namespace && ((set as SetObject).spec?.volumeClaimTemplates ?? []).length > 0) this.#queue.add(keyOf(set));
    });
  }

  static async start(opts: StatefulSetControllerOptions): Promise<StatefulSetController> {
    const controller = new StatefulSetController(opts);
    for (const informer of [controller.#pods, controller.#claims, controller.#revisionInformer, controller.#sets]) await informer.start();
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
    const set = this.#sets.get(key) as SetObject | undefined;
    if (set === undefined) return;
    const selector = asSelector(set.spec.selector);
    if (selector === undefined || isEmptySelector(set.spec.selector)) {
      this.#record(set, 'Warning', 'SelectingAll', 'This statefulset is selecting all pods. A non-empty selector is required.');
      return;
    }
    const revisions = await this.#revisions.of(set, selector);
    const { current, update, collisionCount } = await this.#revisionsFor(set, revisions);
    const pods = (
      (await claim(set, selector, { registry: this.opts.registry, type: this.#podType, informer: this.#pods, ownerKind: KIND, log: this.opts.log }, (pod) => parentAndOrdinal(pod)[0] === set.metadata.name)) as PodObject[]
    ).filter((pod) => !this.#deleted.has(pod));
    const status = this.#status(set, pods, current, update, collisionCount);
    // A set being deleted only reports: its pods are the garbage collector's.
    if (set.metadata.deletionTimestamp === undefined) await this.#updatePods(set, pods, current, update);
    await writeStatus({ registry: this.opts.registry, type: this.#setType, informer: this.#sets }, set, status);
    // truncateHistory: revisions no pod uses beyond revisionHistoryLimit go, oldest first.
    const live = new Set([current.metadata.name!, update.metadata.name!, ...pods.map(revisionOf)]);
    await this.#revisions.prune(revisions.filter((r) => !live.has(r.metadata.name!)), () => false, set.spec.revisionHistoryLimit ?? 10);
  }

  /**
   * getStatefulSetRevisions: the update revision is the current template's
   * (the newest revision when unchanged, an older equal one renumbered on a
   * rollback, or a new one); the current revision is the one status names.
   */
  async #revisionsFor(set: SetObject, revisions: Revision[]): Promise<{ current: Revision; update: Revision; collisionCount: number }> {
    const data = templatePatch(set.spec.template);
    let collisionCount = set.status?.collisionCount ?? 0;
    const equal = revisions.filter((r) => sameData(r, data));
    let update: Revision;
    if (equal.length > 0 && equal.at(-1) === revisions.at(-1)) update = revisions.at(-1)!;
    else if (equal.length > 0) update = await this.#revisions.renumber(equal.at(-1)!, nextRevision(revisions));
    else ({ revision: update, collisionCount } = await this.#revisions.create(set, set.spec.template.metadata?.labels, data, nextRevision(revisions), collisionCount));
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  /** The status of the pods as they are (computeReplicaStatus), completing a rolling update once every pod is updated and ready. */
  #status(set: SetObject, pods: readonly PodObject[], current: Revision, update: Revision, collisionCount: number): StatefulSetStatus {
    const now = Date.now();
    const status = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
    for (const pod of pods) {
      status.replicas++;
      if (isRunningAndReady(pod)) {
        status.readyReplicas++;
        if (isPodAvailable(pod, set.spec.minReadySeconds ?? 0, now)) status.availableReplicas++;
      }
      if (isTerminating(pod)) continue;
      if (revisionOf(pod) === current.metadata.name) status.currentReplicas++;
      if (revisionOf(pod) === update.metadata.name) status.updatedReplicas++;
    }
    let currentRevision = current.metadata.name!;
    if (set.spec.updateStrategy?.type === 'RollingUpdate' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      currentRevision = update.metadata.name!;
    }
    if (set.spec.minReadySeconds && status.readyReplicas !== status.availableReplicas) this.#queue.addAfter(keyOf(set), set.spec.minReadySeconds * 1000);
    // Fields upstream leaves out when zero (omitempty) are left out here too.
    return {
      ...(set.metadata.generation ? { observedGeneration: set.metadata.generation } : {}),
      replicas: status.replicas,
      ...(status.readyReplicas > 0 ? { readyReplicas: status.readyReplicas } : {}),
      ...(status.currentReplicas > 0 ? { currentReplicas: status.currentReplicas } : {}),
      ...(status.updatedReplicas > 0 ? { updatedReplicas: status.updatedReplicas } : {}),
      currentRevision,
      updateRevision: update.metadata.name!,
      collisionCount,
      availableReplicas: status.availableReplicas,
      ...(set.status?.conditions !== undefined ? { conditions: set.status.conditions } : {}),
    };
  }

  /** updateStatefulSet: make the replicas, then remove the condemned, then roll the update; OrderedReady stops at the first pod it must wait for. */
  async #updatePods(set: SetObject, pods: readonly PodObject[], current: Revision, update: Revision): Promise<void> {
    const start = startOrdinal(set);
    const count = set.spec.replicas ?? 1;
    const replicas: (PodObject | undefined)[] = Array.from({ length: count });
    const condemned: PodObject[] = [];
    for (const pod of pods) {
      const ordinal = ordinalOf(pod);
      if (ordinal >= start && ordinal < start + count) replicas[ordinal - start] = pod;
      else if (ordinal >= 0) condemned.push(pod);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const firstUnhealthy = [...replicas, ...condemned].find((pod) => pod === undefined || !isHealthy(pod));
    const monotonic = set.spec.podManagementPolicy !== 'Parallel';
    const runForAll = async (n: number, step: (i: number) => Promise<boolean>): Promise<boolean> => {
      if (!monotonic) {
        await slowStartBatch(n, async (i) => void (await step(i)));
        return false;
      }
      for (let i = 0; i < n; i++) if (await step(i)) return true;
      return false;
    };

    const processReplica = async (i: number): Promise<boolean> => {
      const pod = replicas[i];
      if (pod === undefined) {
        const ordinal = start + i;
        // newVersionedStatefulSetPod: pods below the partition (or, without rollingUpdate, the current count) keep the current revision.
        const rolling = set.spec.updateStrategy?.rollingUpdate;
        const keepCurrent =
          rolling !== undefined ? ordinal < start + (rolling.partition ?? 0) : set.spec.updateStrategy?.type === 'RollingUpdate' && ordinal < start + (set.status?.currentReplicas ?? 0);
        const revision = keepCurrent ? current : update;
        if (this.#claimIsStale(set, ordinal)) return true;
        replicas[i] = await this.#createPod(set, this.#newPod(set, templateOf(revision), revision, ordinal));
        return monotonic;
      }
      // A pod that finished is deleted, and made again once it is gone.
      if (isFinished(pod)) {
        if (!isTerminating(pod)) await this.#deletePod(set, pod);
        return true;
      }
      if (pod.status?.phase === 'Pending') await this.#createClaims(set, pod);
      // OrderedReady: a pod waits for every pod before it to be Running, Ready and available.
      if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !isPodAvailable(pod, set.spec.minReadySeconds ?? 0, Date.now()))) return true;
      await this.#fixPod(set, pod);
      return false;
    };
    if (await runForAll(replicas.length, processReplica)) return;
    if (await runForAll(condemned.length, async (i) => (await this.#fixClaimOwners(set, condemned[i]!), false))) return;

    // Scaling down, highest ordinal first; OrderedReady waits for all the others to be healthy, bar the first unhealthy one.
    const processCondemned = async (i: number): Promise<boolean> => {
      const pod = condemned[i]!;
      if (isTerminating(pod)) return monotonic;
      const available = isRunningAndReady(pod) && isPodAvailable(pod, set.spec.minReadySeconds ?? 0, Date.now());
      if (monotonic && !available && pod !== firstUnhealthy) return true;
      await this.#deletePod(set, pod);
      return monotonic;
    };
    if (await runForAll(condemned.length, processCondemned)) return;
    if (set.spec.updateStrategy?.type !== 'RollingUpdate') return;

    // Rolling update: delete the highest pod not at the update revision (it comes back at it), once those above are healthy.
    const partition = set.spec.updateStrategy.rollingUpdate?.partition ?? 0;
    for (let target = replicas.length - 1; target >= partition; target--) {
      const pod = replicas[target];
      // A Parallel replica still waiting for its claim to go.
      if (pod === undefined) return;
      if (revisionOf(pod) !== update.metadata.name && !isTerminating(pod)) {
        this.opts.log.info('statefulset pod terminating for update', { statefulset: keyOf(set), pod: pod.metadata.name });
        await this.#deletePod(set, pod);
        return;
      }
      if (!isHealthy(pod)) return;
    }
  }

  /** newStatefulSetPod: the template at `revision`, with the ordinal's identity and claims. */
  #newPod(set: SetObject, template: PodTemplateSpec, revision: Revision, ordinal: number): PodObject {
    const name = podName(set, ordinal);
    const templates = set.spec.volumeClaimTemplates ?? [];
    const claimVolumes: Volume[] = templates.map((t) => ({ name: t.metadata!.name!, persistentVolumeClaim: { claimName: claimName(set, t, ordinal) } }));
    const volumes = [...claimVolumes, ...(template.spec?.volumes ?? []).filter((v) => !templates.some((t) => t.metadata?.name === v.name))];
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: set.metadata.namespace,
        labels: { ...template.metadata?.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH]: revision.metadata.name! },
        ...(template.metadata?.annotations !== undefined ? { annotations: template.metadata.annotations } : {}),
        ...(template.metadata?.finalizers !== undefined ? { finalizers: template.metadata.finalizers } : {}),
        ownerReferences: [controllerRef(set, KIND)],
      },
      spec: {
        ...template.spec!,
        hostname: name,
        ...(set.spec.serviceName ? { subdomain: set.spec.serviceName } : {}),
        ...(volumes.length > 0 ? { volumes } : {}),
      },
    } as PodObject;
  }

  /** CreateStatefulPod: the claims first, then the pod. */
  async #createPod(set: SetObject, pod: PodObject): Promise<PodObject> {
    await this.#createClaims(set, pod);
    const what = `Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
    try {
      const created = (await this.opts.registry.create(this.#podType, set.metadata.namespace, pod, {})) as PodObject;
      this.#pods.remember(created);
      this.#record(set, 'Normal', 'SuccessfulCreate', `create ${what} successful`);
      return created;
    } catch (err) {
      this.#record(set, 'Warning', 'FailedCreate', `create ${what} failed error: ${messageOf(err)}`);
      throw err;
    }
  }

  /** createPersistentVolumeClaims: each missing claim of the pod's ordinal, labelled with the set's selector. */
  async #createClaims(set: SetObject, pod: PodObject): Promise<void> {
    const ordinal = ordinalOf(pod);
    for (const template of set.spec.volumeClaimTemplates ?? []) {
      const name = claimName(set, template, ordinal);
      if (this.#claims.get(`${set.metadata.namespace}/${name}`) !== undefined) continue;
      const { status: _, ...claimTemplate } = template;
      const labels = { ...template.metadata?.labels, ...set.spec.selector.matchLabels };
      const pvc = {
        ...claimTemplate,
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { ...template.metadata, name, namespace: set.metadata.namespace, ...(Object.keys(labels).length > 0 ? { labels } : {}) },
      } as ClaimObject;
      const what = `Claim ${name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
      try {
        this.#claims.remember(await this.opts.registry.create(this.#claimType, set.metadata.namespace, pvc, {}));
        this.#record(set, 'Normal', 'SuccessfulCreate', `create ${what} success`);
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'AlreadyExists') continue;
        this.#record(set, 'Warning', 'FailedCreate', `create ${what} failed error: ${messageOf(err)}`);
        throw err;
      }
    }
  }

  /** PodClaimIsStale: a claim of this ordinal still being deleted; the pod waits for it to go. */
  #claimIsStale(set: SetObject, ordinal: number): boolean {
    return (set.spec.volumeClaimTemplates ?? []).some(
      (t) => this.#claims.get(`${set.metadata.namespace}/${claimName(set, t, ordinal)}`)?.metadata.deletionTimestamp !== undefined,
    );
  }

  /** UpdateStatefulPod: restores the identity labels, the claims, and the claims' owners under the retention policy. */
  async #fixPod(set: SetObject, pod: PodObject): Promise<void> {
    if (!identityMatches(set, pod)) {
      const ordinal = String(ordinalOf(pod));
      const written = await this.opts.registry.patch(
        this.#podType,
        pod.metadata.namespace,
        pod.metadata.name!,
        (obj) => {
          obj.metadata.labels = { ...obj.metadata.labels, [POD_NAME_LABEL]: obj.metadata.name!, [POD_INDEX_LABEL]: ordinal };
          return obj;
        },
        {},
      );
      this.#pods.remember(written);
    }
    await this.#createClaims(set, pod);
    await this.#fixClaimOwners(set, pod);
  }

  /** ClaimsMatchRetentionPolicy / UpdatePodClaimForRetentionPolicy: the set and pod references on the pod's claims. */
  async #fixClaimOwners(set: SetObject, pod: PodObject): Promise<void> {
    const wanted = retentionOwners(set, pod);
    const ours = (ref: OwnerReference) => ref.uid === set.metadata.uid || (ref.kind === 'Pod' && ref.name === pod.metadata.name);
    for (const template of set.spec.volumeClaimTemplates ?? []) {
      const name = claimName(set, template, ordinalOf(pod));
      const pvc = this.#claims.get(`${set.metadata.namespace}/${name}`);
      if (pvc === undefined) continue;
      const refs = pvc.metadata.ownerReferences ?? [];
      const next = [...refs.filter((r) => !ours(r)), ...wanted];
      if (semanticEqual(sortRefs(next), sortRefs(refs))) continue;
      try {
        const written = await this.opts.registry.patch(
          this.#claimType,
          pvc.metadata.namespace,
          name,
          (obj) => {
            obj.metadata.ownerReferences = [...(obj.metadata.ownerReferences ?? []).filter((r) => !ours(r)), ...wanted];
            return obj;
          },
          {},
        );
        this.#claims.remember(written);
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
  }

  async #deletePod(set: SetObject, pod: PodObject): Promise<void> {
    const what = `Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
    try {
      await this.opts.registry.delete(this.#podType, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } });
      this.#record(set, 'Normal', 'SuccessfulDelete', `delete ${what} successful`);
    } catch (err) {
      if (!isGoneOrReplaced(err)) {
        this.#record(set, 'Warning', 'FailedDelete', `delete ${what} failed error: ${messageOf(err)}`);
        throw err;
      }
    }
    this.#deleted.add(pod);
  }

  #record(set: SetObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#events.record({ ...KIND, metadata: set.metadata }, type, reason, message);
  }
}

function sortRefs(refs: readonly OwnerReference[]): OwnerReference[] {
  return [...refs].sort((a, b) => a.uid.localeCompare(b.uid));
}


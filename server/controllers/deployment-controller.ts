// Deployments (upstream's pkg/controller/deployment): each reconcile claims
// the ReplicaSets the selector matches, finds the one whose template is the
// Deployment's (creating it as <name>-<pod-template-hash> when the rollout
// needs it), and moves pods from the old sets to it: RollingUpdate within
// maxSurge / maxUnavailable, Recreate by emptying the old sets first. A
// paused Deployment or a change of spec.replicas alone only scales the
// existing sets (proportionally during a rollout). The status sums the sets'
// statuses, with the Progressing condition (and its deadline) and the
// Available one worded as upstream.
//
// One deliberate difference: upstream decides a rolling step from the sets'
// spec.replicas and status.availableReplicas, which lag while the pods
// change; here it also counts the pods in the cache (a set still holding
// more pods than its spec counts them all, availability counts what its
// pods show), so maxSurge and maxUnavailable hold for the pods themselves.
import type { DeploymentCondition, DeploymentStatus, ReplicaSetCondition } from 'kubernetes-types/apps/v1.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { semanticEqual } from '../api/kinds/equality.js';
import { asSelector } from '../api/kinds/labels.js';
import { metaTime } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { isNamespaceTerminating, messageOf } from './api-errors.js';
import { isGone } from './delete-all.js';
import {
  annotatedNumber,
  byCreation,
  byRevision,
  DESIRED_REPLICAS,
  type DeploymentObject,
  equalIgnoreHash,
  HASH_LABEL,
  isRollingUpdate,
  MAX_REPLICAS,
  maxRevision,
  maxSurge,
  maxUnavailable,
  type ReplicaSetObject,
  REVISION,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from './deployment-revisions.js';
import { EventRecorder } from './event-recorder.js';
import { claim, ControllerIndex, controllerRef, controllerRefOf, type OwnerKind, queueOnChildChange } from './owned-objects.js';
import { isPodActive, isPodAvailable, type PodObject } from './pod-predicates.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { templateHash } from './template-hash.js';
import { WorkQueue } from '../../common/work-queue.js';

const DEPLOYMENT: OwnerKind = { apiVersion: 'apps/v1', kind: 'Deployment' };
/** progressDeadlineSeconds at MaxInt32 means no deadline, as upstream. */
const NO_DEADLINE = 2 ** 31 - 1;

// Progressing reasons and Available ones (deployment/util).
const NEW_RS_CREATED = 'NewReplicaSetCreated';
const FOUND_NEW_RS = 'FoundNewReplicaSet';
const RS_UPDATED = 'ReplicaSetUpdated';
const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
const TIMED_OUT = 'ProgressDeadlineExceeded';
const PAUSED = 'DeploymentPaused';
const RESUMED = 'DeploymentResumed';
const RS_CREATE_ERROR = 'ReplicaSetCreateError';

export interface DeploymentControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

/** The Deployment as last written during one reconcile. */
interface Current {
  d: DeploymentObject;
}

interface Sets {
  newRS: ReplicaSetObject | undefined;
  oldRSs: ReplicaSetObject[];
}

export class DeploymentController {
  readonly #deployments: SharedInformer;
  readonly #replicaSets: SharedInformer;
  readonly #pods: SharedInformer;
  readonly #dType: ResourceType;
  readonly #rsType: ResourceType;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;
  readonly #podOwners = new ControllerIndex();

  private constructor(private readonly opts: DeploymentControllerOptions) {
    this.#dType = opts.catalogue.get('apps', 'v1', 'deployments')!;
    this.#rsType = opts.catalogue.get('apps', 'v1', 'replicasets')!;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'deployment-controller', opts.log);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('deployment reconcile failed', { deployment: key, error: err, retryInMs }),
    );
    this.#deployments = opts.informers.of('apps', 'v1', 'deployments');
    this.#replicaSets = opts.informers.of('apps', 'v1', 'replicasets');
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#deployments.subscribe((key) => this.#queue.add(key));
    queueOnChildChange(this.#replicaSets, this.#deployments, 'Deployment', (key) => this.#queue.add(key));
    this.#pods.subscribe((key) => this.#podChanged(key));
  }

  static async start(opts: DeploymentControllerOptions): Promise<DeploymentController> {
    const controller = new DeploymentController(opts);
    await controller.#deployments.start();
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

  /** A pod's change can move a rollout on (availability, Recreate waiting for old pods to go). */
  #podChanged(key: string): void {
    for (const setKey of this.#podOwners.changed(key, this.#pods.get(key), 'ReplicaSet')) {
      const rs = this.#replicaSets.get(setKey);
      const ref = rs === undefined ? undefined : controllerRefOf(rs);
      if (ref?.kind === 'Deployment') this.#queue.add(`${rs!.metadata.namespace}/${ref.name}`);
    }
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.#deployments.get(key) as DeploymentObject | undefined;
    if (cached === undefined) return;
    const current: Current = { d: structuredClone(cached) };
    const selector = asSelector(current.d.spec?.selector);
    if (selector === undefined) return;
    const sets = (await claim(current.d, selector, {
      registry: this.opts.registry,
      type: this.#rsType,
      informer: this.#replicaSets,
      ownerKind: DEPLOYMENT,
      log: this.opts.log,
    })) as ReplicaSetObject[];
    if (current.d.metadata.deletionTimestamp !== undefined) {
      const { newRS, oldRSs } = await this.#allSets(current, sets, false);
      await this.#syncStatus(current, present([...oldRSs, newRS]), newRS);
      return;
    }
    await this.#checkPausedConditions(current);
    if (current.d.spec?.paused || (await this.#isScalingEvent(current, sets))) {
      await this.#sync(current, sets);
      return;
    }
    if (current.d.spec?.strategy?.type === 'Recreate') await this.#rolloutRecreate(current, sets);
    else await this.#rolloutRolling(current, sets);
  }

  // --- finding and naming the sets ---------------------------------------------

  /**
   * getAllReplicaSetsAndSyncRevision: the new set (created when `create` and
   * missing) with its revision raised above every old one, the Deployment's
   * revision annotation following it.
   */
  async #allSets(current: Current, claimed: ReplicaSetObject[], create: boolean): Promise<Sets> {
    const d = current.d;
    // Earlier steps of this reconcile may have written some.
    const sets = this.#fresh(claimed);
    const existing = [...sets].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
    const oldRSs = sets.filter((rs) => rs !== existing);
    const revision = maxRevision(oldRSs) + 1;
    if (existing !== undefined) {
      const copy = structuredClone(existing);
      const annotated = setNewReplicaSetAnnotations(d, copy, revision, true);
      if (annotated || (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0)) {
        copy.spec!.minReadySeconds = d.spec?.minReadySeconds ?? 0;
        return { newRS: await this.#updateSet(copy), oldRSs };
      }
      await this.#setRevision(current, copy.metadata.annotations?.[REVISION] ?? '');
      if (hasProgressDeadline(current.d) && conditionOf(current.d.status, 'Progressing') === undefined) {
        const status = structuredClone(current.d.status ?? {});
        setCondition(status, newCondition('Progressing', 'True', FOUND_NEW_RS, `Found new replica set "${copy.metadata.name}"`));
        await this.#writeStatus(current, status);
      }
      return { newRS: copy, oldRSs };
    }
    if (!create) return { newRS: undefined, oldRSs };
    return { newRS: await this.#createNewSet(current, oldRSs, revision), oldRSs };
  }

  async #createNewSet(current: Current, oldRSs: ReplicaSetObject[], revision: number): Promise<ReplicaSetObject> {
    const d = current.d;
    const hash = templateHash(d.spec!.template, d.status?.collisionCount);
    const template = structuredClone(d.spec!.template);
    (template.metadata ??= {}).labels = { ...template.metadata.labels, [HASH_LABEL]: hash };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [HASH_LABEL]: hash };
    const name = `${d.metadata.name}-${hash}`;
    const rs: ReplicaSetObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: d.metadata.namespace!, ownerReferences: [controllerRef(d, DEPLOYMENT)], labels: { ...template.metadata.labels } },
      spec: { replicas: 0, selector, template, ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}) },
    };
    const replicas = this.#newSetReplicas(d, [...oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, revision, false);
    let created: ReplicaSetObject;
    let existed = false;
    try {
      created = (await this.opts.registry.create(this.#rsType, d.metadata.namespace, rs, {})) as ReplicaSetObject;
      this.#replicaSets.remember(created);
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') {
        const found = (await this.opts.registry.get(this.#rsType, d.metadata.namespace, name)) as ReplicaSetObject;
        // A slow cache: it is ours. Otherwise another template has the same hash: count a collision and try another name.
        if (controllerRefOf(found)?.uid !== d.metadata.uid || !equalIgnoreHash(d.spec?.template, found.spec?.template)) {
          const status = structuredClone(d.status ?? {});
          status.collisionCount = (status.collisionCount ?? 0) + 1;
          await this.#writeStatus(current, status);
          throw err;
        }
        created = found;
        existed = true;
      } else {
        if (isNamespaceTerminating(err)) throw err;
        const message = `Failed to create new replica set "${name}": ${messageOf(err)}`;
        if (hasProgressDeadline(d)) {
          const status = structuredClone(d.status ?? {});
          setCondition(status, newCondition('Progressing', 'False', RS_CREATE_ERROR, message));
          await this.#writeStatus(current, status).catch(() => undefined);
        }
        this.#events.record(this.#involved(d), 'Warning', RS_CREATE_ERROR, message);
        throw err;
      }
    }
    if (!existed && replicas > 0) this.#events.record(this.#involved(d), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} to ${replicas}`);
    await this.#setRevision(current, String(revision));
    if (!existed && hasProgressDeadline(current.d)) {
      const status = structuredClone(current.d.status ?? {});
      setCondition(status, newCondition('Progressing', 'True', NEW_RS_CREATED, `Created new replica set "${name}"`));
      await this.#writeStatus(current, status);
    }
    return created;
  }

  /** NewRSNewReplicas: how big the new set may grow now. */
  #newSetReplicas(d: DeploymentObject, all: ReplicaSetObject[], newRS: ReplicaSetObject): number {
    const desired = d.spec?.replicas ?? 1;
    const size = newRS.spec?.replicas ?? 0;
    if (!isRollingUpdate(d)) return desired;
    const current = all.reduce((sum, rs) => sum + this.#podCount(rs), 0);
    const maxTotal = desired + maxSurge(d);
    if (current >= maxTotal) return size;
    return size + Math.min(maxTotal - current, desired - size);
  }

  // --- syncing without a rollout (paused, or a scaling event) --------------------

  /** isScalingEvent: an active set last scaled for another size than spec.replicas. */
  async #isScalingEvent(current: Current, sets: ReplicaSetObject[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.#allSets(current, sets, false);
    return active(present([...oldRSs, newRS])).some((rs) => {
      const desired = annotatedNumber(rs, DESIRED_REPLICAS);
      return desired !== undefined && desired !== (current.d.spec?.replicas ?? 1);
    });
  }

  async #sync(current: Current, sets: ReplicaSetObject[]): Promise<void> {
    const { newRS, oldRSs } = await this.#allSets(current, sets, false);
    await this.#scale(current.d, newRS, oldRSs);
    if (current.d.spec?.paused) await this.#cleanup(current.d, oldRSs);
    await this.#syncStatus(current, this.#fresh(present([...oldRSs, newRS])), newRS === undefined ? undefined : this.#fresh([newRS])[0]);
  }

  /** Proportional scaling (upstream's scale): extra or fewer replicas go to the sets in proportion to their size. */
  async #scale(d: DeploymentObject, newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): Promise<void> {
    const desired = d.spec?.replicas ?? 1;
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest !== undefined) {
      if ((activeOrLatest.spec?.replicas ?? 0) !== desired) await this.#scaleAndRecord(activeOrLatest, desired, d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of active(oldRSs)) await this.#scaleAndRecord(old, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = active(present([...oldRSs, newRS]));
    const total = all.reduce((sum, rs) => sum + (rs.spec?.replicas ?? 0), 0);
    const allowed = desired > 0 ? desired + maxSurge(d) : 0;
    const toAdd = allowed - total;
    let operation = '';
    if (toAdd > 0) {
      // Bigger first; among equals the newer grows first.
      all.sort((a, b) => (b.spec?.replicas ?? 0) - (a.spec?.replicas ?? 0) || byCreation(b, a));
      operation = 'up';
    } else if (toAdd < 0) {
      // Bigger first; among equals the older shrinks first.
      all.sort((a, b) => (b.spec?.replicas ?? 0) - (a.spec?.replicas ?? 0) || byCreation(a, b));
      operation = 'down';
    }
    let added = 0;
    const sizes = new Map<ReplicaSetObject, number>();
    for (const rs of all) {
      const proportion = toAdd === 0 ? 0 : proportionOf(rs, d, toAdd, added);
      sizes.set(rs, (rs.spec?.replicas ?? 0) + proportion);
      added += proportion;
    }
    for (const [i, rs] of all.entries()) {
      // Leftovers go to the biggest set.
      if (i === 0 && toAdd !== 0) sizes.set(rs, Math.max(0, sizes.get(rs)! + toAdd - added));
      await this.#scaleSet(rs, sizes.get(rs)!, d, operation);
    }
  }

  // --- rollouts -------------------------------------------------------------------

  async #rolloutRolling(current: Current, sets: ReplicaSetObject[]): Promise<void> {
    const { newRS, oldRSs } = await this.#allSets(current, sets, true);
    const d = current.d;
    let all = present([...oldRSs, newRS]);
    if (newRS !== undefined && (await this.#reconcileNewSet(all, newRS, d))) {
      await this.#syncRolloutStatus(current, this.#fresh(all), this.#fresh([newRS])[0]);
      return;
    }
    all = this.#fresh(all);
    const fresh = newRS === undefined ? undefined : this.#fresh([newRS])[0];
    if (await this.#reconcileOldSets(all, active(this.#fresh(oldRSs)), fresh, d)) {
      await this.#syncRolloutStatus(current, this.#fresh(all), fresh);
      return;
    }
    if (deploymentComplete(d, d.status ?? {})) await this.#cleanup(d, this.#fresh(oldRSs));
    await this.#syncRolloutStatus(current, this.#fresh(all), fresh);
  }

  async #reconcileNewSet(all: ReplicaSetObject[], newRS: ReplicaSetObject, d: DeploymentObject): Promise<boolean> {
    const desired = d.spec?.replicas ?? 1;
    const size = newRS.spec?.replicas ?? 0;
    if (size === desired) return false;
    if (size > desired) return (await this.#scaleAndRecord(newRS, desired, d)).scaled;
    return (await this.#scaleAndRecord(newRS, this.#newSetReplicas(d, all, newRS), d)).scaled;
  }

  /** reconcileOldReplicaSets: shrink old sets as far as maxUnavailable allows, unhealthy pods first. */
  async #reconcileOldSets(all: ReplicaSetObject[], oldRSs: ReplicaSetObject[], newRS: ReplicaSetObject | undefined, d: DeploymentObject): Promise<boolean> {
    const oldCount = oldRSs.reduce((sum, rs) => sum + (rs.spec?.replicas ?? 0), 0);
    if (oldCount === 0) return false;
    const allCount = sum(all, (rs) => rs.spec?.replicas);
    const minAvailable = (d.spec?.replicas ?? 1) - maxUnavailable(d);
    const newUnavailable = newRS === undefined ? 0 : (newRS.spec?.replicas ?? 0) - this.#available(newRS, d);
    const maxScaledDown = allCount - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // Pods that are not available anyway go first: removing them costs no availability.
    let cleaned = 0;
    const remaining: ReplicaSetObject[] = [];
    for (const rs of [...oldRSs].sort(byCreation)) {
      const size = rs.spec?.replicas ?? 0;
      const unhealthy = size - this.#available(rs, d);
      if (maxScaledDown - cleaned <= 0 || size === 0 || unhealthy <= 0) {
        remaining.push(rs);
        continue;
      }
      const count = Math.min(maxScaledDown - cleaned, unhealthy);
      const { rs: scaled } = await this.#scaleAndRecord(rs, size - count, d);
      cleaned += count;
      remaining.push(scaled);
    }
    const scaledDown = await this.#scaleDownOldForRollingUpdate(present([...remaining, newRS]), remaining, d);
    return cleaned + scaledDown > 0;
  }

  async #scaleDownOldForRollingUpdate(all: ReplicaSetObject[], oldRSs: ReplicaSetObject[], d: DeploymentObject): Promise<number> {
    const minAvailable = (d.spec?.replicas ?? 1) - maxUnavailable(d);
    const available = all.reduce((sum, rs) => sum + this.#available(rs, d), 0);
    if (available <= minAvailable) return 0;
    const total = available - minAvailable;
    let done = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (done >= total) break;
      const size = rs.spec?.replicas ?? 0;
      if (size === 0) continue;
      const count = Math.min(size, total - done);
      await this.#scaleAndRecord(rs, size - count, d);
      done += count;
    }
    return done;
  }

  async #rolloutRecreate(current: Current, sets: ReplicaSetObject[]): Promise<void> {
    let { newRS, oldRSs } = await this.#allSets(current, sets, false);
    const d = current.d;
    let scaledDown = false;
    for (const rs of active(oldRSs)) if ((await this.#scaleAndRecord(rs, 0, d)).scaled) scaledDown = true;
    if (scaledDown || this.#oldPodsRunning(newRS, this.#fresh(oldRSs))) {
      await this.#syncRolloutStatus(current, this.#fresh(present([...oldRSs, newRS])), newRS);
      return;
    }
    if (newRS === undefined) ({ newRS, oldRSs } = await this.#allSets(current, sets, true));
    if (newRS !== undefined) newRS = (await this.#scaleAndRecord(newRS, current.d.spec?.replicas ?? 1, current.d)).rs;
    if (deploymentComplete(current.d, current.d.status ?? {})) await this.#cleanup(current.d, this.#fresh(oldRSs));
    await this.#syncRolloutStatus(current, this.#fresh(present([...oldRSs, newRS])), newRS);
  }

  /** Whether pods of the old sets still run: Recreate starts the new ones only once none does. */
  #oldPodsRunning(newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): boolean {
    if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return true;
    return oldRSs.some(
      (rs) =>
        rs.metadata.uid !== newRS?.metadata.uid &&
        this.#pods.ownedBy(rs.metadata.uid!).some((pod) => {
          const phase = (pod as PodObject).status?.phase;
          return controllerRefOf(pod)?.uid === rs.metadata.uid && phase !== 'Succeeded' && phase !== 'Failed';
        }),
    );
  }

  /** cleanupDeployment: old sets beyond revisionHistoryLimit go, oldest revision first, if they are empty. */
  async #cleanup(d: DeploymentObject, oldRSs: ReplicaSetObject[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined) return;
    const cleanable = oldRSs.filter((rs) => rs.metadata.deletionTimestamp === undefined).sort(byRevision);
    for (const rs of cleanable.slice(0, Math.max(0, cleanable.length - limit))) {
      if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec?.replicas ?? 0) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.opts.registry.delete(this.#rsType, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid! } });
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
  }

  // --- status ----------------------------------------------------------------------

  async #syncStatus(current: Current, all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<void> {
    const status = calculateStatus(all, newRS, current.d);
    if (!sameStatus(current.d.status, status)) await this.#writeStatus(current, status);
  }

  /** syncRolloutStatus: the status with the Progressing condition moved on (or timed out) and the sets' failures. */
  async #syncRolloutStatus(current: Current, all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<void> {
    const d = current.d;
    const status = calculateStatus(all, newRS, d);
    if (!hasProgressDeadline(d)) {
      status.conditions = status.conditions?.filter((c) => c.type !== 'Progressing');
    } else {
      const progressing = conditionOf(status, 'Progressing');
      const complete = status.replicas === status.updatedReplicas && progressing?.reason === NEW_RS_AVAILABLE;
      if (!complete) {
        const what = newRS === undefined ? `Deployment "${d.metadata.name}"` : `ReplicaSet "${newRS.metadata.name}"`;
        if (deploymentComplete(d, status)) {
          setCondition(status, newCondition('Progressing', 'True', NEW_RS_AVAILABLE, `${what} has successfully progressed.`));
        } else if (deploymentProgressing(d, status)) {
          const condition = newCondition('Progressing', 'True', RS_UPDATED, `${what} is progressing.`);
          // Progress moves lastUpdateTime (the deadline's start) on, whatever the reason before.
          if (progressing?.status === 'True') condition.lastTransitionTime = progressing.lastTransitionTime!;
          status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'Progressing'), condition];
        } else if (timedOut(d, status)) {
          setCondition(status, newCondition('Progressing', 'False', TIMED_OUT, `${what} has timed out progressing.`));
        }
      }
    }
    const failure = replicaFailure(present([newRS, ...all]));
    if (failure !== undefined) setCondition(status, failure);
    else status.conditions = status.conditions?.filter((c) => c.type !== 'ReplicaFailure');
    if (status.conditions?.length === 0) delete status.conditions;
    if (sameStatus(d.status, status)) {
      this.#requeueStuck(d, status);
      return;
    }
    await this.#writeStatus(current, status);
  }

  /** Looks again when the progress deadline would pass, so a stalled rollout is reported without any event. */
  #requeueStuck(d: DeploymentObject, status: DeploymentStatus): void {
    const progressing = conditionOf(status, 'Progressing');
    if (!hasProgressDeadline(d) || progressing === undefined) return;
    if (deploymentComplete(d, status) || progressing.reason === TIMED_OUT) return;
    const after = Date.parse(progressing.lastUpdateTime ?? '') + d.spec!.progressDeadlineSeconds! * 1000 - Date.now();
    this.#queue.addAfter(`${d.metadata.namespace}/${d.metadata.name}`, Math.max(after, 0) + 1000);
  }

  async #checkPausedConditions(current: Current): Promise<void> {
    const d = current.d;
    if (!hasProgressDeadline(d)) return;
    const progressing = conditionOf(d.status, 'Progressing');
    if (progressing?.reason === TIMED_OUT) return;
    const pausedShown = progressing?.reason === PAUSED;
    const status = structuredClone(d.status ?? {});
    if (d.spec?.paused && !pausedShown) setCondition(status, newCondition('Progressing', 'Unknown', PAUSED, 'Deployment is paused'));
    else if (!d.spec?.paused && pausedShown) setCondition(status, newCondition('Progressing', 'Unknown', RESUMED, 'Deployment is resumed'));
    else return;
    await this.#writeStatus(current, status);
  }

  // --- writes ----------------------------------------------------------------------

  async #scaleAndRecord(rs: ReplicaSetObject, size: number, d: DeploymentObject): Promise<{ scaled: boolean; rs: ReplicaSetObject }> {
    if ((rs.spec?.replicas ?? 0) === size) return { scaled: false, rs };
    return this.#scaleSet(rs, size, d, (rs.spec?.replicas ?? 0) < size ? 'up' : 'down');
  }

  /** Sets a set's size and replica annotations, with upstream's ScalingReplicaSet event. */
  async #scaleSet(rs: ReplicaSetObject, size: number, d: DeploymentObject, operation: string): Promise<{ scaled: boolean; rs: ReplicaSetObject }> {
    const before = rs.spec?.replicas ?? 0;
    const copy = structuredClone(rs);
    const desired = d.spec?.replicas ?? 1;
    const annotated = setReplicasAnnotations(copy, desired, desired + maxSurge(d));
    if (before === size && !annotated) return { scaled: false, rs };
    copy.spec!.replicas = size;
    const written = await this.#updateSet(copy);
    if (before !== size) {
      this.#events.record(this.#involved(d), 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${rs.metadata.name} to ${size} from ${before}`);
    }
    return { scaled: before !== size, rs: written };
  }

  /** Writes a set as read (a conflict retries the whole reconcile, as upstream's Update does). */
  async #updateSet(rs: ReplicaSetObject): Promise<ReplicaSetObject> {
    const written = (await this.opts.registry.update(this.#rsType, rs.metadata.namespace, rs.metadata.name!, rs, {})) as ReplicaSetObject;
    this.#replicaSets.remember(written);
    return written;
  }

  async #writeStatus(current: Current, status: DeploymentStatus): Promise<void> {
    const d = current.d;
    const written = await this.opts.registry.update(this.#dType, d.metadata.namespace, d.metadata.name!, { ...d, status }, { subresource: 'status' });
    this.#deployments.remember(written);
    current.d = written as DeploymentObject;
  }

  /** SetDeploymentRevision: the Deployment shows its new set's revision. */
  async #setRevision(current: Current, revision: string): Promise<void> {
    const d = current.d;
    if (revision === '' || d.metadata.annotations?.[REVISION] === revision) return;
    const next = structuredClone(d);
    next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: revision };
    const written = await this.opts.registry.update(this.#dType, d.metadata.namespace, d.metadata.name!, next, {});
    this.#deployments.remember(written);
    current.d = written as DeploymentObject;
  }

  // --- reading the caches ----------------------------------------------------------

  /** The sets as now cached (after this reconcile's own writes). */
  #fresh(sets: ReplicaSetObject[]): ReplicaSetObject[] {
    return sets.map((rs) => {
      const cached = this.#replicaSets.get(`${rs.metadata.namespace}/${rs.metadata.name}`) as ReplicaSetObject | undefined;
      return cached !== undefined && cached.metadata.uid === rs.metadata.uid ? cached : rs;
    });
  }

  #podsOf(rs: ReplicaSetObject): PodObject[] {
    const uid = rs.metadata.uid;
    if (uid === undefined) return [];
    return this.#pods.ownedBy(uid).filter((pod) => controllerRefOf(pod)?.uid === uid && isPodActive(pod as PodObject)) as PodObject[];
  }

  /** The pods a set has or will have: its spec, or more while surplus pods are still being deleted. */
  #podCount(rs: ReplicaSetObject): number {
    return Math.max(rs.spec?.replicas ?? 0, this.#podsOf(rs).length);
  }

  /** Available pods the set keeps: those it is about to delete (not ready ones go first) do not count. */
  #available(rs: ReplicaSetObject, d: DeploymentObject): number {
    const now = Date.now();
    const available = this.#podsOf(rs).filter((pod) => isPodAvailable(pod, d.spec?.minReadySeconds ?? 0, now)).length;
    return Math.min(available, rs.spec?.replicas ?? 0);
  }

  #involved(d: DeploymentObject) {
    return { ...DEPLOYMENT, metadata: d.metadata };
  }
}

// --- pure helpers (deployment/util) ---------------------------------------------------

function present(sets: (ReplicaSetObject | undefined)[]): ReplicaSetObject[] {
  const seen = new Set<string>();
  return sets.filter((rs): rs is ReplicaSetObject => {
    if (rs === undefined || seen.has(rs.metadata.uid ?? rs.metadata.name!)) return false;
    seen.add(rs.metadata.uid ?? rs.metadata.name!);
    return true;
  });
}

function active(sets: ReplicaSetObject[]): ReplicaSetObject[] {
  return sets.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
}

function sum(sets: ReplicaSetObject[], count: (rs: ReplicaSetObject) => number | undefined): number {
  return sets.reduce((total, rs) => total + (count(rs) ?? 0), 0);
}

/** FindActiveOrLatest: the one set with pods, or the newest when none has any; undefined when several have. */
function findActiveOrLatest(newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): ReplicaSetObject | undefined {
  if (newRS === undefined && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const withPods = active(present([...newestFirst, newRS]));
  if (withPods.length === 0) return newRS ?? newestFirst[0];
  return withPods.length === 1 ? withPods[0] : undefined;
}

function isSaturated(d: DeploymentObject, rs: ReplicaSetObject | undefined): boolean {
  if (rs === undefined) return false;
  const desired = d.spec?.replicas ?? 1;
  return annotatedNumber(rs, DESIRED_REPLICAS) === desired && (rs.status?.availableReplicas ?? 0) === desired && rs.spec?.replicas === desired;
}

/** GetProportion: this set's share of the replicas being added (or removed), within what is left to share. */
function proportionOf(rs: ReplicaSetObject, d: DeploymentObject, toAdd: number, added: number): number {
  const size = rs.spec?.replicas ?? 0;
  if (size === 0 || toAdd === 0 || toAdd === added) return 0;
  const desired = d.spec?.replicas ?? 1;
  let fraction: number;
  if (desired === 0) fraction = -size;
  else {
    const annotated = annotatedNumber(rs, MAX_REPLICAS) ?? d.status?.replicas ?? 0;
    fraction = Math.round((size * (desired + maxSurge(d))) / annotated) - size;
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function hasProgressDeadline(d: DeploymentObject): boolean {
  const deadline = d.spec?.progressDeadlineSeconds;
  return deadline !== undefined && deadline !== NO_DEADLINE;
}

function conditionOf(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

function newCondition(type: string, status: string, reason: string, message: string): DeploymentCondition {
  const now = metaTime();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** SetDeploymentCondition: the same status and reason change nothing; the same status keeps its transition time. */
function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = conditionOf(status, condition.type);
  if (current !== undefined && current.status === condition.status && current.reason === condition.reason) return;
  if (current !== undefined && current.status === condition.status) condition.lastTransitionTime = current.lastTransitionTime!;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), condition];
}

/** calculateStatus: the sets' counts summed, the Available condition from maxUnavailable. */
function calculateStatus(all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined, d: DeploymentObject): DeploymentStatus {
  const available = sum(all, (rs) => rs.status?.availableReplicas);
  const counts = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: sum(all, (rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum(all, (rs) => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sum(all, (rs) => rs.spec?.replicas) - available),
  };
  // Upstream leaves zero counts out (omitempty).
  const status: DeploymentStatus = {};
  for (const [field, value] of Object.entries(counts)) if (value !== 0) status[field as keyof typeof counts] = value;
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions !== undefined) status.conditions = structuredClone(d.status.conditions);
  if (available >= (d.spec?.replicas ?? 1) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'));
  } else {
    setCondition(status, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'));
  }
  return status;
}

function deploymentComplete(d: DeploymentObject, status: DeploymentStatus): boolean {
  const desired = d.spec?.replicas ?? 1;
  return (
    (status.updatedReplicas ?? 0) === desired &&
    (status.replicas ?? 0) === desired &&
    (status.availableReplicas ?? 0) === desired &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones, than the last status showed. */
function deploymentProgressing(d: DeploymentObject, next: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

function timedOut(d: DeploymentObject, status: DeploymentStatus): boolean {
  const progressing = conditionOf(status, 'Progressing');
  if (progressing === undefined || progressing.reason === NEW_RS_AVAILABLE) return false;
  if (progressing.reason === TIMED_OUT) return true;
  return Date.parse(progressing.lastUpdateTime ?? '') + d.spec!.progressDeadlineSeconds! * 1000 < Date.now();
}

/** getReplicaFailures: the first set (the new one first) that cannot make its pods, as a Deployment condition. */
function replicaFailure(sets: ReplicaSetObject[]): DeploymentCondition | undefined {
  for (const rs of sets) {
    const failure = rs.status?.conditions?.find((c: ReplicaSetCondition) => c.type === 'ReplicaFailure');
    if (failure !== undefined) {
      return { type: 'ReplicaFailure', status: failure.status, reason: failure.reason ?? '', message: failure.message ?? '', lastUpdateTime: failure.lastTransitionTime ?? metaTime(), lastTransitionTime: failure.lastTransitionTime ?? metaTime() };
    }
  }
  return undefined;
}

function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  const zeroless = (s: DeploymentStatus | undefined) => Object.fromEntries(Object.entries(s ?? {}).filter(([, v]) => v !== 0 && v !== undefined));
  return semanticEqual(zeroless(a), zeroless(b));
}

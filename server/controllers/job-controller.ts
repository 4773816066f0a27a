// batch/v1 Jobs, as upstream's job controller (v1.31) runs them: pods from
// the template up to parallelism and the completions still missing, each
// with the batch.kubernetes.io/job-tracking finalizer so that no finished
// pod goes uncounted. A finished pod's uid is first written to
// status.uncountedTerminatedPods, then its finalizer removed, then it is
// moved to the succeeded/failed counters: a crash in between neither loses
// nor double-counts it. Failures beyond backoffLimit or a run past
// activeDeadlineSeconds fail the Job (FailureTarget, then Failed once no
// pod is left terminating); enough successes complete it
// (SuccessCriteriaMet, then Complete). Pods are re-created after failures
// with upstream's back-off (10 s, doubling, at most 6 min). With
// backoffLimitPerIndex, each index of an Indexed Job is retried, backs off
// and fails on its own (status.failedIndexes), its failures counted on its
// pods' batch.kubernetes.io/job-index-failure-count. A successPolicy met
// completes an Indexed Job early (SuccessCriteriaMet, its other pods stopped).
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { MAX_INT32 } from '../api/kinds/field-errors.js';
import { type KubeObject, metaTime } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { isNamespaceTerminating, messageOf } from './api-errors.js';
import { isGone } from './delete-all.js';
import { EventRecorder, type InvolvedObject } from './event-recorder.js';
import { keyOf } from './informer.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';
import { isPodActive, isPodReady, type PodObject } from './pod-predicates.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';
import { slowStartBatch } from './workload-pods.js';

export type JobObject = KubeObject & Job & { spec: NonNullable<Job['spec']> };

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** With backoffLimitPerIndex: how many counted failures the pod's index had before it (and failures a podFailurePolicy ignored). */
export const INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
export const INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-ignored-failure-count';
const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
/** Pods created or deleted in one sync, at most (upstream's MaxPodCreateDeletePerSync). */
const MAX_POD_CHANGES = 500;
/** Finished pods moved through uncountedTerminatedPods in one sync, at most (upstream's MaxUncountedPods). */
const MAX_UNCOUNTED = 500;
const DEFAULT_BACKOFF = { initialMs: 10_000, maxMs: 360_000 };

export interface JobControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  /** The delay before pods are re-created after failures: doubles per failure in a row (tests shorten it). */
  readonly podFailureBackoff?: { readonly initialMs: number; readonly maxMs: number };
}

/** Failures since the last success, and when the last one happened (upstream's backoffRecord). */
interface BackoffRecord {
  readonly failures: number;
  readonly lastFailureMs: number | undefined;
}

/** What one sync learns from the pods and changes as it acts (upstream's syncJobCtx). */
interface SyncContext {
  readonly job: JobObject;
  readonly pods: PodObject[];
  readonly status: JobStatus & { uncountedTerminatedPods: { succeeded?: string[]; failed?: string[] } };
  readonly uncountedSucceeded: ReadonlySet<string>;
  readonly uncountedFailed: ReadonlySet<string>;
  succeeded: number;
  ready: number;
  terminating: number;
  prevSucceededIndexes: Set<number>;
  succeededIndexes: Set<number>;
  /** With backoffLimitPerIndex: the indexes that failed for good, and per other index its last failed pod, kept until it is replaced. */
  failedIndexes: Set<number> | undefined;
  replacing: Map<number, PodObject>;
  backoff: BackoffRecord;
  finished: JobCondition | undefined;
}

export class JobController {
  readonly #jobs: SharedInformer;
  readonly #pods: SharedInformer;
  readonly #jobType: ResourceType;
  readonly #podType: ResourceType;
  readonly #queue: WorkQueue;
  readonly #orphans: WorkQueue;
  readonly #events: EventRecorder;
  readonly #backoffConfig: { readonly initialMs: number; readonly maxMs: number };
  readonly #backoff = new Map<string, BackoffRecord>();
  /** Job key → uid, to find the pods of a Job once it is gone. */
  readonly #jobUids = new Map<string, string>();
  /** Pod key → the Job key of its controller, to requeue the Job when the pod goes. */
  readonly #podJobs = new Map<string, string>();
  /** Pod key → uid of pods whose finalizer was removed or that were deleted, while the cache may still show them as before (upstream's expectations). */
  readonly #stale = new Map<string, string>();

  private constructor(private readonly opts: JobControllerOptions) {
    this.#jobType = opts.catalogue.get('batch', 'v1', 'jobs')!;
    this.#podType = opts.catalogue.get('', 'v1', 'pods')!;
    this.#jobs = opts.informers.of('batch', 'v1', 'jobs');
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'job-controller', opts.log);
    this.#backoffConfig = opts.podFailureBackoff ?? DEFAULT_BACKOFF;
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('job sync failed', { job: key, error: err, retryInMs }),
    );
    this.#orphans = new WorkQueue(
      (key) => this.#releaseOrphan(key),
      (key, err, retryInMs) => opts.log.warn('could not release an orphan pod', { pod: key, error: err, retryInMs }),
    );
  }

  static async start(opts: JobControllerOptions): Promise<JobController> {
    const controller = new JobController(opts);
    // Both caches are full before the first sync: a pod must not look orphaned because its Job is not listed yet.
    await controller.#jobs.start();
    await controller.#pods.start();
    controller.#jobs.subscribe((key) => controller.#jobChanged(key));
    controller.#pods.subscribe((key) => controller.#podChanged(key));
    return controller;
  }

  /** Resolves once every change seen so far has been handled (tests). */
  async settled(): Promise<void> {
    await this.#queue.drained();
    await this.#orphans.drained();
  }

  async close(): Promise<void> {
    await this.#queue.close();
    await this.#orphans.close();
  }

  async reconcile(key: string): Promise<void> {
    const job = this.#jobs.get(key) as JobObject | undefined;
    if (job === undefined) {
      this.#backoff.delete(key);
      return;
    }
    if ((job.spec.managedBy ?? JOB_CONTROLLER_NAME) !== JOB_CONTROLLER_NAME) return;
    if (isJobFinished(job)) {
      this.#backoff.delete(key);
      return;
    }
    const mode = job.spec.completionMode ?? 'NonIndexed';
    if (mode !== 'NonIndexed' && mode !== 'Indexed') {
      this.#event(job, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const status = structuredClone(job.status ?? {}) as SyncContext['status'];
    status.uncountedTerminatedPods ??= {};
    const pods = this.#podsOf(job);
    const active = pods.filter(isPodActive);
    const ctx: SyncContext = {
      job,
      pods,
      status,
      uncountedSucceeded: new Set(status.uncountedTerminatedPods.succeeded ?? []),
      uncountedFailed: new Set(status.uncountedTerminatedPods.failed ?? []),
      succeeded: 0,
      ready: active.filter(isPodReady).length,
      terminating: pods.filter(isTerminating).length,
      prevSucceededIndexes: new Set(),
      succeededIndexes: new Set(),
      failedIndexes: undefined,
      replacing: new Map(),
      backoff: { failures: 0, lastFailureMs: undefined },
      finished: undefined,
    };
    const newSucceeded = newFinishedPods(ctx, (p) => p.status?.phase === 'Succeeded');
    const newFailed = newFinishedPods(ctx, (p) => isPodFailed(p, job));
    ctx.succeeded = (status.succeeded ?? 0) + newSucceeded.length + ctx.uncountedSucceeded.size;
    // Failures a podFailurePolicy ignores (a disruption, say) do not count against backoffLimit.
    const failed = (status.failed ?? 0) + newFailed.filter((p) => matchPodFailurePolicy(job.spec.podFailurePolicy, p).countFailed).length + ctx.uncountedFailed.size;
    const suspended = job.spec.suspend === true;
    if (status.startTime === undefined && !suspended) status.startTime = metaTime();
    ctx.backoff = this.#newBackoffRecord(key, newSucceeded, newFailed);

    ctx.finished = trueCondition(status, 'SuccessCriteriaMet');
    const failureTarget = trueCondition(status, 'FailureTarget');
    if (ctx.finished === undefined && failureTarget !== undefined) ctx.finished = condition('Failed', failureTarget.reason!, failureTarget.message!);
    const failJob = ctx.finished === undefined ? failJobMessage(job, pods) : undefined;
    if (failJob !== undefined) ctx.finished = condition('FailureTarget', 'PodFailurePolicy', failJob);
    if (ctx.finished === undefined) {
      if (failed > (job.spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
        ctx.finished = condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      } else if (job.spec.activeDeadlineSeconds !== undefined && status.startTime !== undefined && !suspended) {
        const leftMs = Date.parse(status.startTime) + job.spec.activeDeadlineSeconds * 1000 - Date.now();
        if (leftMs <= 0) ctx.finished = condition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline');
        else this.#queue.addAfter(key, leftMs);
      }
    }
    if (mode === 'Indexed') {
      ctx.prevSucceededIndexes = parseIndexes(status.completedIndexes ?? '', job.spec.completions ?? 0);
      ctx.succeededIndexes = new Set(ctx.prevSucceededIndexes);
      for (const pod of pods) {
        const index = validIndex(pod, job);
        if (pod.status?.phase === 'Succeeded' && index !== undefined && hasTrackingFinalizer(pod)) ctx.succeededIndexes.add(index);
      }
      ctx.succeeded = ctx.succeededIndexes.size;
      if (job.spec.backoffLimitPerIndex !== undefined) {
        ctx.failedIndexes = parseIndexes(status.failedIndexes ?? '', job.spec.completions ?? 0);
        for (const pod of pods) {
          const index = validIndex(pod, job);
          if (index !== undefined && hasTrackingFinalizer(pod) && isIndexFailed(job, pod)) ctx.failedIndexes.add(index);
        }
        if (ctx.finished === undefined) {
          const failedCount = ctx.failedIndexes.size;
          if (job.spec.maxFailedIndexes !== undefined && failedCount > job.spec.maxFailedIndexes) {
            ctx.finished = condition('FailureTarget', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes');
          } else if (failedCount > 0 && failedCount + ctx.succeededIndexes.size >= (job.spec.completions ?? 0)) {
            ctx.finished = condition('FailureTarget', 'FailedIndexes', 'Job has failed indexes');
          }
        }
        ctx.replacing = podsBeingReplaced(ctx, active);
      }
      const matched = ctx.finished === undefined ? matchSuccessPolicy(job, ctx.succeededIndexes) : undefined;
      if (matched !== undefined) ctx.finished = condition('SuccessCriteriaMet', 'SuccessPolicy', `Matched rules at index ${matched}`);
    }

    let activeCount = active.length;
    let suspendChanged = false;
    let managed = false;
    let failure: unknown;
    if (ctx.finished !== undefined) {
      // A failed Job stops its pods; the finalizers stay until they are counted.
      const { deleted, deletedReady, error } = await this.#deletePods(job, active);
      // Not finished until every pod is accounted for.
      if (deleted !== active.length) ctx.finished = undefined;
      activeCount -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      failure = error;
    } else {
      if (job.metadata.deletionTimestamp === undefined) {
        ({ active: activeCount, error: failure } = await this.#manage(ctx, active));
        managed = true;
      }
      const completions = job.spec.completions;
      const complete = completions === undefined ? ctx.succeeded > 0 && activeCount === 0 : ctx.succeeded >= completions && activeCount === 0;
      if (complete) ctx.finished = condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
      else if (managed && suspended) {
        if (ensureCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended')) {
          suspendChanged = true;
          this.#event(job, 'Normal', 'Suspended', 'Job suspended');
        }
      } else if (managed && ensureCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed')) {
        suspendChanged = true;
        this.#event(job, 'Normal', 'Resumed', 'Job resumed');
        // activeDeadlineSeconds counts the time the Job is continuously active.
        status.startTime = metaTime();
      }
    }
    const needsUpdate =
      suspendChanged || activeCount !== (status.active ?? 0) || ctx.ready !== status.ready || ctx.terminating !== status.terminating || job.status?.startTime !== status.startTime;
    status.active = activeCount;
    status.ready = ctx.ready;
    status.terminating = ctx.terminating;
    await this.#trackStatus(ctx, needsUpdate);
    if (failure !== undefined) throw failure;
  }

  /**
   * Counts finished pods through uncountedTerminatedPods, removes their
   * finalizers, and finishes the Job once nothing is left uncounted or
   * terminating (upstream's trackJobStatusAndRemoveFinalizers).
   */
  async #trackStatus(ctx: SyncContext, needsUpdate: boolean): Promise<void> {
    const { job, status } = ctx;
    const uncounted = status.uncountedTerminatedPods;
    const indexed = job.spec.completionMode === 'Indexed';
    const pods = indexed ? [...ctx.pods].sort((a, b) => (indexOf(a) ?? Infinity) - (indexOf(b) ?? Infinity)) : ctx.pods;
    const withFinalizer = new Set(pods.filter(hasTrackingFinalizer).map((p) => p.metadata.uid!));
    let needsFlush = needsUpdate || countUncounted(status, withFinalizer);
    const release: PodObject[] = [];
    const newIndexes: number[] = [];
    let reachedMax = false;
    for (const pod of pods) {
      if (!hasTrackingFinalizer(pod)) continue;
      const uid = pod.metadata.uid!;
      const failed = isPodFailed(pod, job);
      const succeeded = pod.status?.phase === 'Succeeded';
      // A running pod keeps its finalizer, unless the Job is done with it.
      if (!(job.metadata.deletionTimestamp !== undefined || ctx.finished !== undefined || succeeded || failed)) continue;
      // A failed pod whose index is retried stays until its replacement carries its failure count on.
      const index = failed && ctx.finished === undefined && job.metadata.deletionTimestamp === undefined ? validIndex(pod, job) : undefined;
      if (index !== undefined && ctx.replacing.get(index) === pod) continue;
      release.push(pod);
      if (succeeded && !ctx.uncountedFailed.has(uid)) {
        if (indexed) {
          const index = validIndex(pod, job);
          if (index !== undefined && !ctx.prevSucceededIndexes.has(index)) newIndexes.push(index);
        } else if (!ctx.uncountedSucceeded.has(uid)) {
          needsFlush = true;
          (uncounted.succeeded ??= []).push(uid);
        }
      } else if (failed || (ctx.finished !== undefined && ctx.finished.type !== 'SuccessCriteriaMet')) {
        // A Job that failed counts every pod not succeeded as failed, but for those its podFailurePolicy ignores.
        const counted = matchPodFailurePolicy(job.spec.podFailurePolicy, pod).countFailed;
        if (counted && !ctx.uncountedFailed.has(uid) && (!indexed || validIndex(pod, job) !== undefined)) {
          needsFlush = true;
          (uncounted.failed ??= []).push(uid);
        }
      }
      if (newIndexes.length + (uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0) >= MAX_UNCOUNTED) {
        // The rest waits for the next sync, which this one's writes bring.
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      for (const index of newIndexes) ctx.succeededIndexes.add(index);
      const completed = formatIndexes(ctx.succeededIndexes);
      if (completed !== (status.completedIndexes ?? '')) needsFlush = true;
      status.succeeded = ctx.succeededIndexes.size;
      status.completedIndexes = completed;
      if (ctx.failedIndexes !== undefined) {
        const failedIndexes = formatIndexes(ctx.failedIndexes);
        if (failedIndexes !== status.failedIndexes) needsFlush = true;
        status.failedIndexes = failedIndexes;
      }
    }
    let finished = ctx.finished;
    // The interim condition is written before any finalizer goes; the final one after.
    if (finished?.type === 'FailureTarget') {
      (status.conditions ??= []).push(finished);
      needsFlush = true;
      finished = condition('Failed', finished.reason!, finished.message!);
    }
    if (finished?.type === 'SuccessCriteriaMet') {
      if (trueCondition(status, 'SuccessCriteriaMet') === undefined) {
        (status.conditions ??= []).push(finished);
        needsFlush = true;
      }
      finished = condition('Complete', finished.reason!, finished.message!);
    }

    let current = job;
    if (needsFlush) {
      current = await this.#writeStatus(current, status);
      this.#backoff.set(keyOf(job), ctx.backoff);
      needsFlush = false;
    }
    const { released, error } = await this.#removeFinalizers(release);
    for (const uid of released) withFinalizer.delete(uid);
    if (countUncounted(status, withFinalizer)) needsFlush = true;
    if (error !== undefined) {
      // Keep what was counted before giving up on this sync.
      if (needsFlush) await this.#writeStatus(current, status);
      throw error;
    }
    const done = !reachedMax && finished !== undefined && this.#enactFinished(status, finished, ctx.terminating);
    if (done || needsFlush) current = await this.#writeStatus(current, status);
    if (!done) return;
    if (finished!.type === 'Complete') {
      if (job.spec.completions !== undefined && (status.succeeded ?? 0) > job.spec.completions) {
        this.#event(current, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      this.#event(current, 'Normal', 'Completed', 'Job completed');
    } else {
      this.#event(current, 'Warning', finished!.reason!, finished!.message!);
    }
  }

  /** Adds the final condition once no pod is left uncounted or terminating. */
  #enactFinished(status: SyncContext['status'], finished: JobCondition, terminating: number): boolean {
    const uncounted = status.uncountedTerminatedPods;
    if ((uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0) > 0) return false;
    if (terminating > 0) return false;
    ensureCondition(status, finished.type, 'True', finished.reason!, finished.message!);
    if (finished.type === 'Complete') status.completionTime = finished.lastTransitionTime!;
    return true;
  }

  /** Creates or deletes pods towards what the Job wants running (upstream's manageJob); returns how many are active. */
  async #manage(ctx: SyncContext, active: PodObject[]): Promise<{ active: number; error?: unknown }> {
    const { job } = ctx;
    if (job.spec.suspend === true) return this.#deleteForManage(ctx, active, active);
    const parallelism = job.spec.parallelism ?? 1;
    let want: number;
    if (job.spec.completions === undefined) {
      // Without completions, any success ends the Job: what still runs may finish, nothing new starts.
      want = ctx.succeeded > 0 ? active.length : parallelism;
    } else {
      want = Math.max(0, Math.min(job.spec.completions - ctx.succeeded, parallelism));
    }
    const surplus = podsForRemoval(job, active, Math.max(0, active.length - want)).slice(0, MAX_POD_CHANGES);
    // A sync either deletes or creates, deleting first.
    if (surplus.length > 0) return this.#deleteForManage(ctx, active, surplus);

    // With podReplacementPolicy Failed, a terminating pod is replaced only once it has failed.
    const terminating = job.spec.podReplacementPolicy === 'Failed' ? ctx.terminating : 0;
    let diff = Math.min(want - terminating - active.length, MAX_POD_CHANGES);
    if (diff <= 0) return { active: active.length };
    const perIndex = ctx.failedIndexes !== undefined;
    // With backoffLimitPerIndex each index waits out its own failures, else the Job waits as a whole.
    const waitMs = perIndex ? 0 : remainingBackoffMs(ctx.backoff, this.#backoffConfig);
    if (waitMs > 0) {
      this.#queue.addAfter(keyOf(job), waitMs);
      return { active: active.length };
    }
    let indexes: (number | undefined)[] = Array.from({ length: diff }, () => undefined);
    if (job.spec.completionMode === 'Indexed') {
      indexes = pendingIndexes(ctx, active, diff);
      if (perIndex) {
        let soonestMs = Infinity;
        indexes = indexes.filter((index) => {
          const replaced = ctx.replacing.get(index!);
          const leftMs = replaced === undefined ? 0 : remainingBackoffMs({ failures: absoluteFailureCount(replaced) + 1, lastFailureMs: finishedMs(replaced) }, this.#backoffConfig);
          soonestMs = Math.min(soonestMs, leftMs || Infinity);
          return leftMs === 0;
        });
        if (soonestMs !== Infinity) this.#queue.addAfter(keyOf(job), soonestMs);
      }
      diff = indexes.length;
    }
    // Slow start, as upstream batches creations: a failure stops the rest, and what was created still counts.
    let created = 0;
    let error: unknown;
    try {
      await slowStartBatch(diff, async (i) => {
        await this.#createPod(job, indexes[i], perIndex ? indexFailureCounts(job, ctx.replacing.get(indexes[i]!)) : undefined);
        created++;
      });
    } catch (err) {
      error = err;
    }
    return { active: active.length + created, ...(error !== undefined ? { error } : {}) };
  }

  async #deleteForManage(ctx: SyncContext, active: PodObject[], doomed: PodObject[]): Promise<{ active: number; error?: unknown }> {
    const { deleted, deletedReady, error } = await this.#deletePods(ctx.job, doomed);
    ctx.terminating += deleted;
    ctx.ready -= deletedReady;
    return { active: active.length - deleted, ...(error !== undefined ? { error } : {}) };
  }

  async #createPod(job: JobObject, index: number | undefined, failureCounts: Record<string, string> | undefined): Promise<void> {
    const template = structuredClone(job.spec.template);
    const metadata = template.metadata ?? {};
    let generateName = `${job.metadata.name}-`;
    if (index !== undefined) {
      metadata.annotations = { ...metadata.annotations, [COMPLETION_INDEX_ANNOTATION]: String(index), ...failureCounts };
      metadata.labels = { ...metadata.labels, [COMPLETION_INDEX_ANNOTATION]: String(index) };
      template.spec!.hostname = `${job.metadata.name}-${index}`;
      generateName = `${job.metadata.name}-${index}-`;
      for (const container of [...(template.spec!.initContainers ?? []), ...template.spec!.containers]) addIndexEnv(container);
    }
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName,
        namespace: job.metadata.namespace,
        ...(metadata.labels !== undefined ? { labels: metadata.labels } : {}),
        ...(metadata.annotations !== undefined ? { annotations: metadata.annotations } : {}),
        finalizers: [...(metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER), JOB_TRACKING_FINALIZER],
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: template.spec,
    } as KubeObject;
    let created: KubeObject;
    try {
      created = await this.opts.registry.create(this.#podType, job.metadata.namespace, pod, {});
    } catch (err) {
      // Nothing can be created in a namespace being deleted: no event for that.
      if (!isNamespaceTerminating(err)) this.#event(job, 'Warning', 'FailedCreate', `Error creating: ${messageOf(err)}`);
      throw err;
    }
    this.#pods.remember(created);
    this.#event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
  }

  /** Deletes pods, their finalizers kept (they are counted, then released, by #trackStatus). */
  async #deletePods(job: JobObject, pods: PodObject[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    let error: unknown;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          const { object, pending } = await this.opts.registry.delete(this.#podType, pod.metadata.namespace, pod.metadata.name!, {});
          if (pending) this.#pods.remember(object);
          else this.#stale.set(keyOf(pod), pod.metadata.uid!);
          this.#event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (err) {
          if (!isGone(err)) {
            this.#event(job, 'Warning', 'FailedDelete', `Error deleting: ${messageOf(err)}`);
            error ??= err;
            return;
          }
        }
        deleted++;
        if (isPodReady(pod)) deletedReady++;
      }),
    );
    return { deleted, deletedReady, ...(error !== undefined ? { error } : {}) };
  }

  /** Removes the tracking finalizer; returns the uids of the pods that no longer hold it. */
  async #removeFinalizers(pods: PodObject[]): Promise<{ released: string[]; error?: unknown }> {
    const released: string[] = [];
    let error: unknown;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          await this.#removeFinalizer(pod);
          released.push(pod.metadata.uid!);
        } catch (err) {
          error ??= err;
        }
      }),
    );
    return { released, ...(error !== undefined ? { error } : {}) };
  }

  async #removeFinalizer(pod: PodObject): Promise<void> {
    const key = keyOf(pod);
    try {
      const written = await this.opts.registry.patch(
        this.#podType,
        pod.metadata.namespace,
        pod.metadata.name!,
        (current) => {
          // Another pod of the same name: not ours to touch.
          if (current.metadata.uid !== pod.metadata.uid) throw new ApiError(404, 'NotFound', `pod ${key} was replaced`);
          current.metadata.finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
          return current;
        },
        {},
      );
      // A pod being deleted goes with its last finalizer: the cache must not get it back.
      if (written.metadata.deletionTimestamp !== undefined && (written.metadata.finalizers ?? []).length === 0) this.#stale.set(key, pod.metadata.uid!);
      else this.#pods.remember(written);
    } catch (err) {
      if (!isGone(err)) throw err;
      this.#stale.set(key, pod.metadata.uid!);
    }
  }

  /** A pod holding the finalizer whose Job is gone, replaced or finished: nobody will count it, so it is let go. */
  async #releaseOrphan(key: string): Promise<void> {
    const pod = this.#pods.get(key) as PodObject | undefined;
    if (pod === undefined || !hasTrackingFinalizer(pod) || this.#stale.get(key) === pod.metadata.uid) return;
    const ref = pod.metadata.ownerReferences?.find((r) => r.controller === true);
    if (ref !== undefined) {
      // Another kind's pod: its finalizer is not ours.
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = this.#jobs.get(`${pod.metadata.namespace}/${ref.name}`) as JobObject | undefined;
      if (job !== undefined && job.metadata.uid === ref.uid && (!isJobFinished(job) || (job.spec.managedBy ?? JOB_CONTROLLER_NAME) !== JOB_CONTROLLER_NAME)) return;
    }
    await this.#removeFinalizer(pod);
  }

  async #writeStatus(job: JobObject, status: JobStatus): Promise<JobObject> {
    const next = { ...job, status: goJobStatus(status) };
    const written = (await this.opts.registry.update(this.#jobType, job.metadata.namespace, job.metadata.name!, next, { subresource: 'status' })) as JobObject;
    this.#jobs.remember(written);
    return written;
  }

  /** Pods this Job controls, less those the cache shows from before our own last change to them. */
  #podsOf(job: JobObject): PodObject[] {
    return (this.#pods.ownedBy(job.metadata.uid!) as PodObject[]).filter(
      (pod) => pod.metadata.ownerReferences!.some((r) => r.uid === job.metadata.uid && r.controller === true) && this.#stale.get(keyOf(pod)) !== pod.metadata.uid,
    );
  }

  /** Failures since the last success, from the pods that finished since the last sync (upstream's newBackoffRecord). */
  #newBackoffRecord(key: string, succeeded: PodObject[], failed: PodObject[]): BackoffRecord {
    const old = this.#backoff.get(key) ?? { failures: 0, lastFailureMs: undefined };
    const failedTimes = failed.map(finishedMs).sort((a, b) => a - b);
    if (succeeded.length === 0) {
      if (failedTimes.length === 0) return old;
      return { failures: old.failures + failedTimes.length, lastFailureMs: failedTimes.at(-1) };
    }
    const lastSuccess = Math.max(...succeeded.map(finishedMs));
    const after = failedTimes.filter((t) => t > lastSuccess);
    return { failures: after.length, lastFailureMs: after.at(-1) };
  }

  #jobChanged(key: string): void {
    const job = this.#jobs.get(key);
    const oldUid = this.#jobUids.get(key);
    if (oldUid !== undefined && oldUid !== job?.metadata.uid) {
      // The Job went (or came back as another): its pods are nobody's to count now.
      for (const pod of this.#pods.ownedBy(oldUid)) if (hasTrackingFinalizer(pod as PodObject)) this.#orphans.add(keyOf(pod));
    }
    if (job === undefined) this.#jobUids.delete(key);
    else {
      this.#jobUids.set(key, job.metadata.uid!);
      if (isJobFinished(job as JobObject)) for (const pod of this.#pods.ownedBy(job.metadata.uid!)) if (hasTrackingFinalizer(pod as PodObject)) this.#orphans.add(keyOf(pod));
    }
    this.#queue.add(key);
  }

  #podChanged(key: string): void {
    const pod = this.#pods.get(key) as PodObject | undefined;
    const expected = this.#stale.get(key);
    if (expected !== undefined && (pod === undefined || pod.metadata.uid !== expected || !hasTrackingFinalizer(pod))) this.#stale.delete(key);
    const ref = pod?.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === 'Job');
    const jobKey = ref !== undefined ? `${pod!.metadata.namespace}/${ref.name}` : this.#podJobs.get(key);
    if (pod !== undefined && ref !== undefined) this.#podJobs.set(key, jobKey!);
    else this.#podJobs.delete(key);
    if (jobKey !== undefined) this.#queue.add(jobKey);
    if (pod !== undefined && hasTrackingFinalizer(pod)) {
      const job = ref === undefined ? undefined : (this.#jobs.get(jobKey!) as JobObject | undefined);
      if (job === undefined || job.metadata.uid !== ref!.uid || isJobFinished(job)) this.#orphans.add(key);
    }
  }

  #event(job: JobObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#events.record(involved(job, 'Job'), type, reason, message);
  }
}

/** A Job is finished once it has a Complete or Failed condition that is True. */
export function isJobFinished(job: JobObject | KubeObject): boolean {
  return finishedType(job) !== undefined;
}

/** "Complete" or "Failed" for a finished Job. */
export function finishedType(job: JobObject | KubeObject): 'Complete' | 'Failed' | undefined {
  const conditions = (job as JobObject).status?.conditions ?? [];
  const found = conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  return found?.type as 'Complete' | 'Failed' | undefined;
}

/** The object an event is about; cached list items carry no kind. */
export function involved(obj: KubeObject, kind: 'Job' | 'CronJob'): InvolvedObject {
  return { apiVersion: 'batch/v1', kind, metadata: obj.metadata };
}

function condition(type: string, reason: string, message: string): JobCondition {
  const now = metaTime();
  return { type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now };
}

function trueCondition(status: JobStatus, type: string): JobCondition | undefined {
  return status.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** Sets a condition (a False one only where it exists already); true when something changed. */
function ensureCondition(status: JobStatus, type: string, value: 'True' | 'False', reason: string, message: string): boolean {
  const conditions = (status.conditions ??= []);
  const i = conditions.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = conditions[i]!;
    if (c.status === value && c.reason === reason && c.message === message) return false;
    conditions[i] = { ...condition(type, reason, message), status: value };
    return true;
  }
  if (value === 'False') return false;
  conditions.push(condition(type, reason, message));
  return true;
}

/** Moves the uids of pods no longer holding the finalizer from uncountedTerminatedPods to the counters; true on a change. */
function countUncounted(status: SyncContext['status'], withFinalizer: ReadonlySet<string>): boolean {
  const uncounted = status.uncountedTerminatedPods;
  let changed = false;
  for (const field of ['succeeded', 'failed'] as const) {
    const before = uncounted[field] ?? [];
    const kept = before.filter((uid) => withFinalizer.has(uid));
    if (kept.length === before.length) continue;
    changed = true;
    status[field] = (status[field] ?? 0) + before.length - kept.length;
    if (kept.length > 0) uncounted[field] = kept;
    else delete uncounted[field];
  }
  return changed;
}

/** Finished pods not counted yet: they hold the finalizer and are not in uncountedTerminatedPods (upstream's getNewFinishedPods). */
function newFinishedPods(ctx: SyncContext, finished: (pod: PodObject) => boolean): PodObject[] {
  return ctx.pods.filter((pod) => {
    const uid = pod.metadata.uid!;
    if (!hasTrackingFinalizer(pod) || ctx.uncountedSucceeded.has(uid) || ctx.uncountedFailed.has(uid)) return false;
    if (ctx.job.spec.completionMode === 'Indexed' && validIndex(pod, ctx.job) === undefined) return false;
    return finished(pod);
  });
}

/** Failed, or deleted before it succeeded (an orphan never reaches Failed); with a podFailurePolicy only Failed counts. */
function isPodFailed(pod: PodObject, job: JobObject): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (job.spec.podFailurePolicy !== undefined) return false;
  return pod.metadata.deletionTimestamp !== undefined && pod.status?.phase !== 'Succeeded';
}

/** getFailJobMessage: the message of the first failed pod a FailJob rule of the podFailurePolicy matches. */
function failJobMessage(job: JobObject, pods: readonly PodObject[]): string | undefined {
  if (job.spec.podFailurePolicy === undefined) return undefined;
  for (const pod of pods) {
    const message = isPodFailed(pod, job) ? matchPodFailurePolicy(job.spec.podFailurePolicy, pod).failJob : undefined;
    if (message !== undefined) return message;
  }
  return undefined;
}

/** With restartPolicy OnFailure, pods do not fail: their containers restart, and the restarts count against backoffLimit. */
function pastBackoffLimitOnFailure(job: JobObject, pods: PodObject[]): boolean {
  if (job.spec.template.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const pod of pods) {
    if (pod.status?.phase !== 'Running' && pod.status?.phase !== 'Pending') continue;
    for (const s of [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])]) restarts += s.restartCount;
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

function remainingBackoffMs(record: BackoffRecord, config: { initialMs: number; maxMs: number }): number {
  if (record.failures === 0 || record.lastFailureMs === undefined) return 0;
  const delay = Math.min(config.initialMs * 2 ** (record.failures - 1), config.maxMs);
  return Math.max(0, delay - (Date.now() - record.lastFailureMs));
}

/** When a pod finished: its containers' last exit, else when it stopped being ready, was deleted, or was made. */
function finishedMs(pod: PodObject): number {
  const statuses = pod.status?.containerStatuses ?? [];
  const exits = statuses.map((s) => s.state?.terminated?.finishedAt);
  if (exits.length > 0 && exits.every((t) => t !== undefined)) return Math.max(...exits.map((t) => Date.parse(t!)));
  const notReady = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False')?.lastTransitionTime;
  return Date.parse(notReady ?? pod.metadata.deletionTimestamp ?? pod.metadata.creationTimestamp!);
}

function hasTrackingFinalizer(pod: PodObject): boolean {
  return pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

function isTerminating(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return pod.metadata.deletionTimestamp !== undefined && phase !== 'Succeeded' && phase !== 'Failed';
}

function indexOf(pod: PodObject): number | undefined {
  const text = pod.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION];
  return text !== undefined && /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : undefined;
}

/** The pod's completion index, if it is one the Job has. */
function validIndex(pod: PodObject, job: JobObject): number | undefined {
  const index = indexOf(pod);
  return index !== undefined && index < (job.spec.completions ?? 0) ? index : undefined;
}

/**
 * Which active pods go first (upstream's activePodsForRemoval): for Indexed
 * Jobs, pods of an index another pod holds or of no valid index; then the
 * least advanced (unscheduled, pending, not ready, newest).
 */
function podsForRemoval(job: JobObject, active: PodObject[], atLeast: number): PodObject[] {
  const remove: PodObject[] = [];
  let left = active;
  if (job.spec.completionMode === 'Indexed') {
    left = [];
    const seen = new Set<number>();
    // The oldest pod of an index stays.
    for (const pod of [...active].sort((a, b) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!))) {
      const index = validIndex(pod, job);
      if (index === undefined || seen.has(index)) remove.push(pod);
      else {
        seen.add(index);
        left.push(pod);
      }
    }
  }
  if (remove.length >= atLeast) return remove;
  const rank = (pod: PodObject) => [
    pod.spec?.nodeName ? 1 : 0,
    pod.status?.phase === 'Running' ? 2 : pod.status?.phase === 'Pending' ? 0 : 1,
    isPodReady(pod) ? 1 : 0,
    -Date.parse(pod.metadata.creationTimestamp!),
  ];
  const sorted = [...left].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
    return 0;
  });
  return [...remove, ...sorted.slice(0, atLeast - remove.length)];
}

/** The lowest indexes neither succeeded nor held by an active pod (upstream's firstPendingIndexes). */
function pendingIndexes(ctx: SyncContext, active: PodObject[], count: number): number[] {
  const taken = new Set([...ctx.succeededIndexes, ...(ctx.failedIndexes ?? [])]);
  for (const pod of active) {
    const index = validIndex(pod, ctx.job);
    if (index !== undefined) taken.add(index);
  }
  if (ctx.job.spec.podReplacementPolicy === 'Failed') {
    for (const pod of ctx.pods.filter(isTerminating)) {
      const index = validIndex(pod, ctx.job);
      if (index !== undefined) taken.add(index);
    }
  }
  const pending: number[] = [];
  for (let i = 0; i < (ctx.job.spec.completions ?? 0) && pending.length < count; i++) if (!taken.has(i)) pending.push(i);
  return pending;
}

/** The pod failed its index for good: a FailIndex rule matched, or its index had used up backoffLimitPerIndex (upstream's isIndexFailed). */
function isIndexFailed(job: JobObject, pod: PodObject): boolean {
  if (!isPodFailed(pod, job)) return false;
  const match = matchPodFailurePolicy(job.spec.podFailurePolicy, pod);
  if (match.failIndex) return true;
  return match.countFailed && failureCount(pod, INDEX_FAILURE_COUNT_ANNOTATION) >= job.spec.backoffLimitPerIndex!;
}

/** An annotation's count; 0 when missing or not a count, as upstream reads it. */
function failureCount(pod: PodObject, annotation: string): number {
  const text = pod.metadata.annotations?.[annotation];
  return text !== undefined && /^[0-9]{1,10}$/.test(text) && Number(text) <= MAX_INT32 ? Number(text) : 0;
}

function absoluteFailureCount(pod: PodObject): number {
  return failureCount(pod, INDEX_FAILURE_COUNT_ANNOTATION) + failureCount(pod, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
}

/** The failure counts the replacement of `replaced` starts with (upstream's getNewIndexFailureCounts). */
function indexFailureCounts(job: JobObject, replaced: PodObject | undefined): Record<string, string> {
  let counted = 0;
  let ignored = 0;
  if (replaced !== undefined) {
    counted = failureCount(replaced, INDEX_FAILURE_COUNT_ANNOTATION);
    ignored = failureCount(replaced, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
    if (matchPodFailurePolicy(job.spec.podFailurePolicy, replaced).countFailed) counted++;
    else ignored++;
  }
  return { [INDEX_FAILURE_COUNT_ANNOTATION]: String(counted), ...(ignored > 0 ? { [INDEX_IGNORED_FAILURE_COUNT_ANNOTATION]: String(ignored) } : {}) };
}

/**
 * Per index still to run that has no active pod: its latest failed pod, whose
 * finalizer stays until a replacement carries its failure count on
 * (upstream's getPodsWithDelayedDeletionPerIndex).
 */
function podsBeingReplaced(ctx: SyncContext, active: readonly PodObject[]): Map<number, PodObject> {
  const activeIndexes = new Set(active.map((p) => validIndex(p, ctx.job)));
  const latest = new Map<number, PodObject>();
  for (const pod of ctx.pods) {
    if (!hasTrackingFinalizer(pod) || !isPodFailed(pod, ctx.job)) continue;
    const index = validIndex(pod, ctx.job);
    if (index === undefined || ctx.succeededIndexes.has(index) || ctx.failedIndexes!.has(index) || activeIndexes.has(index)) continue;
    const other = latest.get(index);
    if (other === undefined || (absoluteFailureCount(other) <= absoluteFailureCount(pod) && finishedMs(pod) >= finishedMs(other))) latest.set(index, pod);
  }
  return latest;
}

/**
 * The index of the first successPolicy rule the succeeded indexes meet
 * (upstream's matchSuccessPolicy): all its succeededIndexes, or
 * succeededCount of them (of all indexes, without succeededIndexes).
 */
function matchSuccessPolicy(job: JobObject, succeeded: ReadonlySet<number>): number | undefined {
  const completions = job.spec.completions ?? 0;
  const index = (job.spec.successPolicy?.rules ?? []).findIndex((rule) => {
    const among = rule.succeededIndexes === undefined ? undefined : parseIndexes(rule.succeededIndexes, completions);
    const count = among === undefined ? succeeded.size : [...among].filter((i) => succeeded.has(i)).length;
    if (rule.succeededCount !== undefined) return count >= rule.succeededCount;
    return among !== undefined && count === among.size;
  });
  return index < 0 ? undefined : index;
}

/** "1,3-5" → {1, 3, 4, 5}, indexes beyond completions dropped. */
function parseIndexes(text: string, completions: number): Set<number> {
  const indexes = new Set<number>();
  for (const part of text.split(',').filter((p) => p !== '')) {
    const [low, high = low] = part.split('-').map(Number) as [number, number?];
    for (let i = low; i <= high! && i < completions; i++) indexes.add(i);
  }
  return indexes;
}

function formatIndexes(indexes: ReadonlySet<number>): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    // Upstream's orderedIntervals.String: a run of two is written "3,4", longer ones "3-5".
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}${j === i + 1 ? ',' : '-'}${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The completion index in the environment, read from the pod's annotation. */
function addIndexEnv(container: Container): void {
  const env = (container.env ??= []);
  if (env.some((e) => e.name === 'JOB_COMPLETION_INDEX')) return;
  env.push({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } });
}

/** The status as Go serializes it: zero counters left out, ready and terminating (pointers) kept. */
function goJobStatus(status: JobStatus): JobStatus {
  const out: JobStatus = { ...status };
  for (const field of ['active', 'succeeded', 'failed'] as const) if (out[field] === 0) delete out[field];
  if (out.completedIndexes === '') delete out.completedIndexes;
  return out;
}

// batch/v1 CronJobs, as upstream's CronJob controller (v2, v1.31) runs them:
// each sync finds the most recent schedule time not yet run (only that one,
// however many were missed), starts a Job named <cronjob>-<minutes since the
// epoch> for it unless startingDeadlineSeconds has passed or the
// concurrency policy says otherwise, keeps status.active and the last
// schedule/success times, trims finished Jobs to the history limits, and
// queues itself again for the next schedule time.
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { type CronSchedule, isTimeZone, parseSchedule } from '../api/kinds/cron.js';
import { type KubeObject, metaTime } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { messageOf } from './api-errors.js';
import { LOCAL_ZONE, nextFire, rfc3339In } from './cron-schedule.js';
import { isGone } from './delete-all.js';
import { EventRecorder } from './event-recorder.js';
import { keyOf } from './informer.js';
import { finishedType, involved, type JobObject } from './job-controller.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';

type CronJobObject = KubeObject & CronJob & { spec: NonNullable<CronJob['spec']> };

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Requeues land this much after the schedule time, against clock skew (upstream's nextScheduleDelta). */
const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed times than this since the last one run is worth a warning. */
const TOO_MANY_MISSED = 100;
/** setTimeout's longest delay; a later schedule time is looked at again then. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface CronJobControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  /** The clock schedules are read against (tests run it fake). */
  readonly now?: () => number;
}

interface ScheduleTimes {
  /** The last schedule time, or the CronJob's creation. */
  readonly earliest: number;
  /** The most recent schedule time not after now since `earliest`, if any. */
  readonly mostRecent: number | undefined;
  readonly missed: number;
  readonly error?: string;
}

export class CronJobController {
  readonly #cronJobs: SharedInformer;
  readonly #jobs: SharedInformer;
  readonly #cronJobType: ResourceType;
  readonly #jobType: ResourceType;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;
  readonly #now: () => number;
  /** Job key → its CronJob's key, to requeue the CronJob when the Job goes. */
  readonly #jobOwners = new Map<string, string>();
  /** CronJob key → the schedule and time zone last seen, to notice when they change. */
  readonly #schedules = new Map<string, string>();

  private constructor(private readonly opts: CronJobControllerOptions) {
    this.#cronJobType = opts.catalogue.get('batch', 'v1', 'cronjobs')!;
    this.#jobType = opts.catalogue.get('batch', 'v1', 'jobs')!;
    this.#cronJobs = opts.informers.of('batch', 'v1', 'cronjobs');
    this.#jobs = opts.informers.of('batch', 'v1', 'jobs');
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'cronjob-controller', opts.log);
    this.#now = opts.now ?? Date.now;
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('cronjob sync failed', { cronjob: key, error: err, retryInMs }),
    );
  }

  static async start(opts: CronJobControllerOptions): Promise<CronJobController> {
    const controller = new CronJobController(opts);
    await controller.#cronJobs.start();
    await controller.#jobs.start();
    controller.#cronJobs.subscribe((key) => controller.#cronJobChanged(key));
    controller.#jobs.subscribe((key) => controller.#jobChanged(key));
    return controller;
  }

  /** Syncs a CronJob now and waits for it, as a timer would (tests that move the clock). */
  async sync(key: string): Promise<void> {
    this.#queue.add(key);
    await this.#queue.drained();
  }

  /** Resolves once every change seen so far has been handled (tests). */
  settled(): Promise<void> {
    return this.#queue.drained();
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.#cronJobs.get(key) as CronJobObject | undefined;
    if (cached === undefined) return;
    const cronJob = structuredClone(cached);
    cronJob.status ??= {};
    const jobs = (this.#jobs.ownedBy(cronJob.metadata.uid!) as JobObject[]).filter((j) =>
      j.metadata.ownerReferences!.some((r) => r.uid === cronJob.metadata.uid && r.controller === true),
    );
    const cleaned = await this.#cleanupFinishedJobs(cronJob, jobs);
    let requeueMs: number | undefined;
    let synced = false;
    let failure: unknown;
    try {
      ({ requeueMs, updated: synced } = await this.#syncCronJob(cronJob, jobs));
    } catch (err) {
      failure = err;
    }
    if (cleaned || synced) {
      const written = await this.opts.registry.update(this.#cronJobType, cronJob.metadata.namespace, cronJob.metadata.name!, cronJob, { subresource: 'status' });
      this.#cronJobs.remember(written);
    }
    if (failure !== undefined) throw failure;
    if (requeueMs !== undefined) this.#queue.addAfter(key, Math.min(Math.max(requeueMs, 0), MAX_DELAY_MS));
  }

  async #syncCronJob(cronJob: CronJobObject, jobs: JobObject[]): Promise<{ requeueMs?: number; updated: boolean }> {
    const status = cronJob.status!;
    const now = this.#now();
    let updated = false;
    const children = new Set<string>();
    for (const job of jobs) {
      children.add(job.metadata.uid!);
      const listed = inActiveList(cronJob, job.metadata.uid!);
      const finished = finishedType(job);
      if (!listed && finished === undefined) {
        // The cache may be behind our own status write: look at the stored CronJob first.
        const fresh = await this.#fresh(cronJob);
        if (fresh !== undefined && inActiveList(fresh, job.metadata.uid!)) {
          Object.assign(status, structuredClone(fresh.status));
          continue;
        }
        this.#event(cronJob, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata.name}`);
      } else if (listed && finished !== undefined) {
        removeFromActive(cronJob, job.metadata.uid!);
        this.#event(cronJob, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${finished}`);
        updated = true;
      } else if (finished === 'Complete') {
        const completed = job.status?.completionTime;
        if (completed !== undefined && (status.lastSuccessfulTime === undefined || Date.parse(completed) > Date.parse(status.lastSuccessfulTime))) {
          status.lastSuccessfulTime = completed;
          updated = true;
        }
      }
    }
    // Listed Jobs that are gone (asked of the store: the cache may not have a new one yet).
    for (const ref of [...(cronJob.status!.active ?? [])]) {
      if (children.has(ref.uid!)) continue;
      try {
        await this.opts.registry.get(this.#jobType, ref.namespace, ref.name!);
      } catch (err) {
        if (!isGone(err)) throw err;
        this.#event(cronJob, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
        removeFromActive(cronJob, ref.uid!);
        updated = true;
      }
    }
    if (cronJob.metadata.deletionTimestamp !== undefined) return { updated };

    const timeZone = cronJob.spec.timeZone;
    if (timeZone !== undefined && !isTimeZone(timeZone)) {
      this.#event(cronJob, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${timeZone}": unknown time zone ${timeZone}`);
      return { updated };
    }
    if (cronJob.spec.suspend === true) return { updated };
    const schedule = this.#schedule(cronJob, true);
    if (typeof schedule === 'string') {
      this.#event(cronJob, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${cronJob.spec.schedule}" : ${schedule}`);
      return { updated };
    }
    const times = scheduleTimes(cronJob, now, schedule, true);
    if (times.error !== undefined) {
      this.#event(cronJob, 'Warning', 'InvalidSchedule', `invalid schedule: ${cronJob.spec.schedule} : ${times.error}`);
      return { updated };
    }
    const next = () => nextScheduleMs(cronJob, now, schedule);
    if (times.mostRecent === undefined) return { requeueMs: next(), updated };
    if (times.missed > TOO_MANY_MISSED) {
      this.#event(cronJob, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    // Times past startingDeadlineSeconds were never looked for: upstream's MissSchedule check after this cannot fire.
    const scheduled = times.mostRecent;
    const name = jobName(cronJob, scheduled);
    const alreadyRun = (status.active ?? []).some((r) => r.name === name) || (status.lastScheduleTime !== undefined && Date.parse(status.lastScheduleTime) === scheduled);
    if (alreadyRun) return { requeueMs: next(), updated };
    if (cronJob.spec.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
      this.#event(cronJob, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return { requeueMs: next(), updated };
    }
    if (cronJob.spec.concurrencyPolicy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        let job: JobObject;
        try {
          job = (await this.opts.registry.get(this.#jobType, ref.namespace, ref.name!)) as JobObject;
        } catch (err) {
          this.#event(cronJob, 'Warning', 'FailedGet', `Get job: ${messageOf(err)}`);
          throw err;
        }
        if (!(await this.#deleteJob(cronJob, job))) throw new Error(`could not replace job ${ref.namespace}/${ref.name}`);
        updated = true;
      }
    }

    let created: JobObject;
    try {
      created = (await this.opts.registry.create(this.#jobType, cronJob.metadata.namespace, jobFor(cronJob, name, scheduled), {})) as JobObject;
      this.#jobs.remember(created);
      this.#event(cronJob, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists')) {
        if (!(err instanceof ApiError && err.code === 403)) this.#event(cronJob, 'Warning', 'FailedCreate', `Error creating job: ${messageOf(err)}`);
        throw err;
      }
      // Made before (a crash between the create and the status write): take it up if it is ours.
      created = (await this.opts.registry.get(this.#jobType, cronJob.metadata.namespace, name)) as JobObject;
      const ours = created.metadata.ownerReferences?.some((r) => r.uid === cronJob.metadata.uid && r.controller === true) ?? false;
      if (!ours || inActiveList(cronJob, created.metadata.uid!)) return { updated };
    }
    (status.active ??= []).push(referenceTo(created));
    status.lastScheduleTime = metaTime(new Date(scheduled));
    return { requeueMs: next(), updated: true };
  }

  /** Deletes the oldest finished Jobs beyond the history limits; true when the status changed. */
  async #cleanupFinishedJobs(cronJob: CronJobObject, jobs: JobObject[]): Promise<boolean> {
    let updated = false;
    for (const [type, limit] of [
      ['Complete', cronJob.spec.successfulJobsHistoryLimit],
      ['Failed', cronJob.spec.failedJobsHistoryLimit],
    ] as const) {
      if (limit === undefined) continue;
      const finished = jobs.filter((j) => finishedType(j) === type).sort(byStartTime);
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) if (await this.#deleteJob(cronJob, job)) updated = true;
    }
    return updated;
  }

  async #deleteJob(cronJob: CronJobObject, job: JobObject): Promise<boolean> {
    try {
      await this.opts.registry.delete(this.#jobType, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background' });
    } catch (err) {
      this.#event(cronJob, 'Warning', 'FailedDelete', `Deleted job: ${messageOf(err)}`);
      this.opts.log.warn('could not delete a job of a cronjob', { job: keyOf(job), error: err });
      return false;
    }
    removeFromActive(cronJob, job.metadata.uid!);
    this.#event(cronJob, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    return true;
  }

  async #fresh(cronJob: CronJobObject): Promise<CronJobObject | undefined> {
    try {
      return (await this.opts.registry.get(this.#cronJobType, cronJob.metadata.namespace, cronJob.metadata.name!)) as CronJobObject;
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }

  /** The parsed schedule and the zone it is read in; a TZ= prefix still works in old objects, with a warning. */
  #schedule(cronJob: CronJobObject, warn: boolean): { schedule: CronSchedule; zone: string } | string {
    const text = cronJob.spec.schedule;
    if (text.includes('TZ') && warn) {
      this.#event(cronJob, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule "${text}" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/cronjobs/ for more details`);
    }
    const parsed = parseSchedule(text);
    if (typeof parsed === 'string') return parsed;
    const zone = parsed.timeZone ?? cronJob.spec.timeZone ?? LOCAL_ZONE;
    return { schedule: parsed, zone: zone === '' || zone === 'Local' ? LOCAL_ZONE : zone };
  }

  #cronJobChanged(key: string): void {
    const cronJob = this.#cronJobs.get(key) as CronJobObject | undefined;
    if (cronJob === undefined) {
      this.#schedules.delete(key);
      return;
    }
    const seen = `${cronJob.spec.schedule}\u0000${cronJob.spec.timeZone ?? ''}`;
    const before = this.#schedules.get(key);
    this.#schedules.set(key, seen);
    if (before !== undefined && before !== seen) {
      // A new schedule takes effect from its next time, not from times it would have had in the past.
      const schedule = this.#schedule(cronJob, false);
      if (typeof schedule !== 'string') {
        this.#queue.addAfter(key, Math.min(Math.max(nextScheduleMs(cronJob, this.#now(), schedule), 0), MAX_DELAY_MS));
        return;
      }
    }
    this.#queue.add(key);
  }

  #jobChanged(key: string): void {
    const job = this.#jobs.get(key);
    const ref = job?.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === 'CronJob');
    const owner = ref !== undefined ? `${job!.metadata.namespace}/${ref.name}` : this.#jobOwners.get(key);
    if (job !== undefined && ref !== undefined) this.#jobOwners.set(key, owner!);
    else this.#jobOwners.delete(key);
    if (owner !== undefined) this.#queue.add(owner);
  }

  #event(cronJob: CronJobObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#events.record(involved(cronJob, 'CronJob'), type, reason, message);
  }
}

/**
 * The most recent schedule time since the last one run (or the creation),
 * and how many were missed (upstream's mostRecentScheduleTime). With
 * `withDeadline`, nothing before now - startingDeadlineSeconds counts.
 */
function scheduleTimes(cronJob: CronJobObject, now: number, { schedule, zone }: { schedule: CronSchedule; zone: string }, withDeadline: boolean): ScheduleTimes {
  const lastScheduled = cronJob.status?.lastScheduleTime;
  let earliest = Date.parse(lastScheduled ?? cronJob.metadata.creationTimestamp!);
  const deadline = cronJob.spec.startingDeadlineSeconds;
  if (withDeadline && deadline !== undefined) earliest = Math.max(earliest, now - deadline * 1000);
  const t1 = nextFire(schedule, earliest, zone);
  if (t1 === undefined || now < t1) return { earliest, mostRecent: undefined, missed: 0 };
  const t2 = nextFire(schedule, t1, zone);
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 0 };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) return { earliest, mostRecent: undefined, missed: 0, error: 'time difference between two schedules is less than 1 second' };
  // A rough count: the interval between the first two times, fitted into the time since.
  const missed = Math.floor(Math.floor((now - t1) / 1000) / between) + 1;
  let mostRecent: number | undefined;
  for (let t = nextFire(schedule, t1 + (missed - 2) * between * 1000, zone); t !== undefined && t <= now; t = nextFire(schedule, t, zone)) mostRecent = t;
  return { earliest, mostRecent, missed };
}

/** How long until the schedule time after the most recent one (upstream's nextScheduleTimeDuration). */
function nextScheduleMs(cronJob: CronJobObject, now: number, parsed: { schedule: CronSchedule; zone: string }): number {
  const times = scheduleTimes(cronJob, now, parsed, false);
  const from = times.error !== undefined ? now : (times.mostRecent ?? times.earliest);
  const next = nextFire(parsed.schedule, from, parsed.zone);
  return next === undefined ? MAX_DELAY_MS : next + NEXT_SCHEDULE_DELTA_MS - now;
}

/** The same name for the same schedule time, so a Job is never made twice for it. */
function jobName(cronJob: CronJobObject, scheduledMs: number): string {
  return `${cronJob.metadata.name}-${Math.floor(scheduledMs / 60_000)}`;
}

function jobFor(cronJob: CronJobObject, name: string, scheduledMs: number): KubeObject {
  const template = cronJob.spec.jobTemplate;
  const job: KubeObject & Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cronJob.metadata.namespace!,
      labels: { ...template.metadata?.labels },
      annotations: { ...template.metadata?.annotations, [SCHEDULED_TIMESTAMP_ANNOTATION]: rfc3339In(scheduledMs, cronJob.spec.timeZone ?? 'UTC') },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata.name!, uid: cronJob.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(template.spec!),
  };
  return job;
}

function referenceTo(job: JobObject): ObjectReference {
  return { kind: 'Job', namespace: job.metadata.namespace!, name: job.metadata.name!, uid: job.metadata.uid!, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion! };
}

function inActiveList(cronJob: CronJobObject, uid: string): boolean {
  return (cronJob.status?.active ?? []).some((r) => r.uid === uid);
}

function removeFromActive(cronJob: CronJobObject, uid: string): void {
  const active = (cronJob.status!.active ?? []).filter((r) => r.uid !== uid);
  if (active.length > 0) cronJob.status!.active = active;
  else delete cronJob.status!.active;
}

/** Oldest start first; Jobs not started yet last, then by name. */
function byStartTime(a: JobObject, b: JobObject): number {
  const [sa, sb] = [a.status?.startTime, b.status?.startTime];
  if (sa === undefined || sb === undefined) return sa === sb ? a.metadata.name!.localeCompare(b.metadata.name!) : sa === undefined ? 1 : -1;
  return Date.parse(sa) - Date.parse(sb) || (a.metadata.name! < b.metadata.name! ? -1 : 1);
}

// Finished Jobs with spec.ttlSecondsAfterFinished are deleted that long
// after their Complete or Failed condition (upstream's TTL-after-finished
// controller): each Job is looked at again when its time is up, re-read from
// the store before the delete, and deleted only if it is still the same Job.
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { isGone } from './delete-all.js';
import { isJobFinished, type JobObject } from './job-controller.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';

/** setTimeout's longest delay; a Job expiring later is looked at again then. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface TtlAfterFinishedControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

export class TtlAfterFinishedController {
  readonly #jobs: SharedInformer;
  readonly #type: ResourceType;
  readonly #queue: WorkQueue;

  private constructor(private readonly opts: TtlAfterFinishedControllerOptions) {
    this.#type = opts.catalogue.get('batch', 'v1', 'jobs')!;
    this.#jobs = opts.informers.of('batch', 'v1', 'jobs');
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('could not clean up a finished job', { job: key, error: err, retryInMs }),
    );
    this.#jobs.subscribe((key) => this.#queue.add(key));
  }

  static async start(opts: TtlAfterFinishedControllerOptions): Promise<TtlAfterFinishedController> {
    const controller = new TtlAfterFinishedController(opts);
    await controller.#jobs.start();
    return controller;
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.#jobs.get(key) as JobObject | undefined;
    if (cached === undefined || !this.#expired(key, cached)) return;
    // The cache may be behind (a TTL just raised): decide on the stored Job.
    let fresh: JobObject;
    try {
      fresh = (await this.opts.registry.get(this.#type, cached.metadata.namespace, cached.metadata.name!)) as JobObject;
    } catch (err) {
      if (isGone(err)) return;
      throw err;
    }
    if (!this.#expired(key, fresh)) return;
    try {
      await this.opts.registry.delete(this.#type, fresh.metadata.namespace, fresh.metadata.name!, {
        // As upstream: the Job stays (foregroundDeletion) until the garbage collector has removed its pods.
        propagationPolicy: 'Foreground',
        preconditions: { uid: fresh.metadata.uid! },
      });
      this.opts.log.info('deleted a finished job past its TTL', { job: key });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }

  /** Whether the Job's time is up; if it will be later, looks again then. */
  #expired(key: string, job: JobObject): boolean {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (job.metadata.deletionTimestamp !== undefined || ttl === undefined || !isJobFinished(job)) return false;
    const finished = job.status!.conditions!.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')!;
    const leftMs = Date.parse(finished.lastTransitionTime!) + ttl * 1000 - Date.now();
    if (leftMs <= 0) return true;
    this.#queue.addAfter(key, Math.min(leftMs, MAX_DELAY_MS));
    return false;
  }
}

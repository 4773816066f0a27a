// Leader election through a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection runs it for kube-controller-manager and kube-scheduler: a
// candidate takes the Lease when it is free or its holder has not renewed it
// for leaseDuration (measured on the candidate's own clock, from when it last
// saw the record change, so clocks need not agree), renews it every
// retryPeriod while leading, and stops leading when it could not renew for
// renewDeadline. Leading starts the work; losing the lead stops it and the
// candidate campaigns again (the API keeps serving, unlike upstream's
// components, which exit). On close the Lease is released for the next one.
//
// Off unless servers share a store: with one server there is nobody to
// elect against, and a renewal every 2 s would be 43,200 writes a day on an SD card.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../common/log.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';

/** kube-controller-manager's and kube-scheduler's defaults (--leader-elect-*). */
export const DEFAULT_TIMING: ElectionTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
export const LEASE_NAMESPACE = 'kube-system';

export interface ElectionTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** The work a leader does: started on winning, closed on losing or at shutdown. */
export interface LeaderWork {
  close(): Promise<void>;
}

export interface LeaderElectionOptions {
  readonly registry: Registry;
  readonly leases: ResourceType;
  /** The Lease's name in kube-system: the component's (kube-controller-manager, kube-scheduler). */
  readonly name: string;
  /** Who campaigns, as upstream names it: hostname_uuid. */
  readonly identity?: string;
  readonly timing?: ElectionTiming;
  readonly lead: () => Promise<LeaderWork>;
  readonly log: Logger;
  readonly now?: () => number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

export class LeaderElection {
  readonly identity: string;
  readonly #timing: ElectionTiming;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  readonly #campaign: Promise<void>;
  /** The Lease's spec as last seen, and when (local clock) it last changed. */
  #observed: { spec: string; at: number } | undefined;
  #work: LeaderWork | undefined;

  private constructor(private readonly opts: LeaderElectionOptions) {
    this.identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
    this.#timing = opts.timing ?? DEFAULT_TIMING;
    this.#now = opts.now ?? Date.now;
    this.#campaign = this.#run();
  }

  /** Campaigns in the background from now on. */
  static start(opts: LeaderElectionOptions): LeaderElection {
    return new LeaderElection(opts);
  }

  get leading(): boolean {
    return this.#work !== undefined;
  }

  /** Stops campaigning; a leader stops its work and releases the Lease. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#campaign;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      if (!(await this.#tryAcquireOrRenew())) {
        await this.#sleep(jittered(this.#timing.retryPeriodMs));
        continue;
      }
      this.opts.log.info('became the leader', { lease: `${LEASE_NAMESPACE}/${this.opts.name}`, identity: this.identity });
      this.#work = await this.opts.lead();
      await this.#renewWhileLeading();
      const work = this.#work;
      this.#work = undefined;
      await work.close();
      if (signal.aborted) await this.#release();
      else this.opts.log.warn('lost the lead; its work is stopped until it wins again', { lease: `${LEASE_NAMESPACE}/${this.opts.name}`, identity: this.identity });
    }
  }

  /** Returns when renewing failed for renewDeadline, or at close. */
  async #renewWhileLeading(): Promise<void> {
    let lastRenewed = this.#now();
    while (!this.#stop.signal.aborted) {
      await this.#sleep(this.#timing.retryPeriodMs);
      if (this.#stop.signal.aborted) return;
      if (await this.#tryAcquireOrRenew()) lastRenewed = this.#now();
      else if (this.#now() - lastRenewed >= this.#timing.renewDeadlineMs) return;
    }
  }

  /** One attempt: true when this candidate holds the Lease afterwards. */
  async #tryAcquireOrRenew(): Promise<boolean> {
    const now = this.#now();
    const mine: LeaseSpec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.#timing.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      let current: Lease;
      try {
        current = (await this.opts.registry.get(this.opts.leases, LEASE_NAMESPACE, this.opts.name)) as Lease;
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
        await this.opts.registry.create(this.opts.leases, LEASE_NAMESPACE, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.name, namespace: LEASE_NAMESPACE }, spec: mine } as KubeObject, {});
        this.#observed = { spec: JSON.stringify(mine), at: now };
        return true;
      }
      const spec = current.spec ?? {};
      const seen = JSON.stringify(spec);
      if (this.#observed?.spec !== seen) this.#observed = { spec: seen, at: now };
      const held = spec.holderIdentity !== undefined && spec.holderIdentity !== '' && spec.holderIdentity !== this.identity;
      if (held && this.#observed.at + (spec.leaseDurationSeconds ?? 0) * 1000 > now) return false;
      const next: LeaseSpec =
        spec.holderIdentity === this.identity
          ? { ...mine, acquireTime: spec.acquireTime ?? mine.acquireTime, leaseTransitions: spec.leaseTransitions ?? 0 }
          : { ...mine, leaseTransitions: (spec.leaseTransitions ?? 0) + (spec.holderIdentity ? 1 : 0) };
      // Optimistic concurrency: of two candidates that read the same version, one write wins.
      await this.opts.registry.update(this.opts.leases, LEASE_NAMESPACE, this.opts.name, { ...current, spec: next }, {});
      this.#observed = { spec: JSON.stringify(next), at: now };
      return true;
    } catch (err) {
      // A conflict means another candidate wrote first; anything else is retried the same way.
      if (!(err instanceof ApiError && err.code === 409)) this.opts.log.warn('could not acquire or renew the lease', { lease: `${LEASE_NAMESPACE}/${this.opts.name}`, error: err });
      return false;
    }
  }

  /** Hands the Lease on at once (upstream's ReleaseOnCancel): no holder, a one-second duration. */
  async #release(): Promise<void> {
    try {
      const current = (await this.opts.registry.get(this.opts.leases, LEASE_NAMESPACE, this.opts.name)) as Lease;
      if (current.spec?.holderIdentity !== this.identity) return;
      const now = microTime(this.#now());
      await this.opts.registry.update(this.opts.leases, LEASE_NAMESPACE, this.opts.name, { ...current, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } }, {});
    } catch (err) {
      this.opts.log.warn('could not release the lease; the next leader waits for it to expire', { lease: `${LEASE_NAMESPACE}/${this.opts.name}`, error: err });
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.#stop.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

/** client-go's wait.Jitter with factor 1.2, so candidates do not retry in step. */
function jittered(ms: number): number {
  return ms + Math.random() * 1.2 * ms;
}

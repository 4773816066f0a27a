// Deletes CertificateSigningRequests nobody needs any more, as
// kube-controller-manager's csrcleaner (pkg/controller/certificates/cleaner,
// 1.31) does, so automated requests do not pile up: issued ones an hour after
// their approval or once their certificate has expired, denied and failed
// ones an hour after that condition, pending ones (no condition at all) a
// day after their creation. Approved requests not yet issued stay. Upstream
// looks at every request once an hour; here each request is also looked at
// when it changes and again when it falls due (within the hour), and every
// request once an hour as upstream's pass.
import type { CertificateSigningRequestCondition } from 'kubernetes-types/certificates/v1.js';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import type { Catalogue } from '../api/catalogue.js';
import type { CsrObject } from '../api/kinds/certificate-signing-requests.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { parseCertificate } from '../pki/certificates.js';
import { isGoneOrReplaced } from './api-errors.js';
import { keyOf } from './informer.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';

const HOUR_MS = 3_600_000;
/** Upstream's pollingInterval. */
const RESYNC_MS = HOUR_MS;
const APPROVED_TTL_MS = HOUR_MS;
const DENIED_TTL_MS = HOUR_MS;
const PENDING_TTL_MS = 24 * HOUR_MS;

export interface CsrCleanerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  readonly now?: () => number;
}

export class CsrCleaner {
  readonly #requests: SharedInformer;
  readonly #type: ResourceType;
  readonly #queue: WorkQueue;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: CsrCleanerOptions) {
    this.#now = opts.now ?? Date.now;
    this.#type = opts.catalogue.get('certificates.k8s.io', 'v1', 'certificatesigningrequests')!;
    this.#requests = opts.informers.of('certificates.k8s.io', 'v1', 'certificatesigningrequests');
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('could not clean a certificate signing request', { csr: key, error: err, retryInMs }),
    );
    this.#requests.subscribe((key) => this.#queue.add(key));
  }

  static async start(opts: CsrCleanerOptions): Promise<CsrCleaner> {
    const cleaner = new CsrCleaner(opts);
    await cleaner.#requests.start();
    cleaner.#timer = setInterval(() => cleaner.resync(), RESYNC_MS);
    cleaner.#timer.unref();
    return cleaner;
  }

  /** Upstream's hourly pass: every request looked at again. */
  resync(): void {
    for (const csr of this.#requests.values()) this.#queue.add(keyOf(csr));
  }

  async reconcile(key: string): Promise<void> {
    const csr = this.#requests.get(key) as CsrObject | undefined;
    if (csr === undefined || csr.metadata.deletionTimestamp !== undefined) return;
    const now = this.#now();
    const due = dueAt(csr);
    if (due === undefined) return;
    if (due > now) {
      // Looked at again when due; further off, the hourly pass finds it.
      if (due - now <= RESYNC_MS) this.#queue.addAfter(key, due - now);
      return;
    }
    try {
      await this.opts.registry.delete(this.#type, undefined, csr.metadata.name!, { preconditions: { uid: csr.metadata.uid! } });
      this.opts.log.info('deleted an old certificate signing request', { csr: key });
    } catch (err) {
      if (!isGoneOrReplaced(err)) throw err;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#queue.close();
  }
}

/** When upstream's criteria first hold for the request (the earliest of them); undefined when none ever will. */
function dueAt(csr: CsrObject): number | undefined {
  const conditions = csr.status?.conditions ?? [];
  if (conditions.length === 0) return after(csr.metadata.creationTimestamp, PENDING_TTL_MS);
  const issued = Boolean(csr.status?.certificate);
  const times: (number | undefined)[] = [];
  for (const c of conditions) {
    if (c.type === 'Approved' && issued) times.push(after(c.lastUpdateTime, APPROVED_TTL_MS), expiry(csr.status!.certificate!));
    if (c.type === 'Denied' || c.type === 'Failed') times.push(after(c.lastUpdateTime, DENIED_TTL_MS));
  }
  const known = times.filter((t): t is number => t !== undefined);
  return known.length === 0 ? undefined : Math.min(...known);
}

/** A zero (absent) time never passes, as upstream's isOlderThan has it; upstream wants strictly older. */
function after(time: CertificateSigningRequestCondition['lastUpdateTime'] | undefined, ttlMs: number): number | undefined {
  return time ? Date.parse(time) + ttlMs + 1 : undefined;
}

/** Just past the NotAfter of the first certificate of the issued PEM; undefined when it cannot be read. */
function expiry(certificate: string): number | undefined {
  const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(Buffer.from(certificate, 'base64').toString('latin1'));
  if (first === null) return undefined;
  try {
    return parseCertificate(first[0]).notAfter.getTime() + 1;
  } catch {
    return undefined;
  }
}

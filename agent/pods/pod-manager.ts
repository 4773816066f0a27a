// Runs the node's pods: every pod key ("namespace/name") that changed in the
// desired state, and every pod desired or on the runtime at each relist
// (so exits and pods deleted while the agent was away are noticed), goes
// through one de-duplicating queue to the pod worker; after each reconcile
// the pod's status is built and sent, but only when it differs from what the
// API holds and from what was last sent (kind to the server's SD card), or
// when a send seems lost (the API still differs a while later). A pod
// being deleted whose containers have all stopped is then asked to go
// (kubelet's final delete with grace 0), at each sync until it is gone.
//
// close() stops the queue and the relist, never the pods: an agent that
// restarts (an upgrade) finds them by their labels and adopts them.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { PodDeletion, PodStatusReport } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { ProbeManager } from '../probes/probe-manager.js';
import { buildPodStatus, sameStatus } from './pod-status.js';
import { type PodWorker, splitKey } from './pod-worker.js';

/** A status the API still does not show this long after it was sent is sent again. */
const RESEND_MS = 30_000;
/** Pods reconciled at once: a sandbox takes a few hundred ms, and a burst of pods must not wait in line (kubelet has a worker per pod). */
const POD_WORKERS = 4;

export interface PodManagerOptions {
  readonly worker: PodWorker;
  readonly desired: DesiredState;
  /** Sends a status to the server; false when there is no stream right now. */
  readonly send: (report: PodStatusReport) => boolean;
  /** Asks the server to delete a pod that stopped after its deletion; false when there is no stream right now. */
  readonly sendDeletion: (deletion: PodDeletion) => boolean;
  /** The node's InternalIP, for hostIP. */
  readonly hostIp: () => Promise<string | undefined>;
  readonly relistIntervalMs: number;
  /** The pods' liveness, readiness and startup probes; without it running containers are ready. */
  readonly probes?: ProbeManager;
  readonly log: Logger;
  readonly now?: () => Date;
}

export class PodManager {
  readonly #queue: WorkQueue;
  /** Pod key → the status last sent and when, with the pod's uid. */
  readonly #sent = new Map<string, { uid: string; status: PodStatus; at: number }>();
  #relist: NodeJS.Timeout | undefined;

  constructor(private readonly opts: PodManagerOptions) {
    this.#queue = new WorkQueue(
      (key) => this.#sync(key),
      (key, err, retryInMs) => opts.log.warn('could not run pod', { pod: key, error: err, retryInMs }),
      { workers: POD_WORKERS },
    );
  }

  start(): void {
    this.#relist ??= setInterval(() => void this.relist(), this.opts.relistIntervalMs);
  }

  /** DesiredState's onChange: the pods among `refs` ("pods/ns/name"). */
  changed(refs: readonly string[]): void {
    for (const ref of refs) if (ref.startsWith('pods/')) this.#queue.add(ref.slice('pods/'.length));
  }

  /** Queues the pod key ("namespace/name") again after `ms`. */
  requeue(key: string, ms: number): void {
    if (ms <= 0) this.#queue.add(key);
    else this.#queue.addAfter(key, ms);
  }

  /** Queues every pod desired or held by the runtime. */
  async relist(): Promise<void> {
    if (!this.opts.desired.synced) return;
    for (const held of this.opts.desired.list('pods')) this.#queue.add(`${held.key.namespace}/${held.key.name}`);
    try {
      for (const key of await this.opts.worker.runtimePodKeys()) this.#queue.add(key);
    } catch (err) {
      // The node's status already says the runtime is down; this would repeat it every interval.
      this.opts.log.debug('could not list the runtime’s pods', { error: err });
    }
  }

  /** Stops running pods' reconciles, not the pods. */
  async close(): Promise<void> {
    clearInterval(this.#relist);
    await this.#queue.close();
  }

  async #sync(key: string): Promise<void> {
    let failure: unknown;
    try {
      await this.opts.worker.reconcile(key);
    } catch (err) {
      failure = err;
    }
    await this.#report(key);
    // The queue tries again after a back-off.
    if (failure !== undefined) throw failure;
  }

  async #report(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const pod: Pod | undefined = this.opts.worker.desired(namespace, name);
    const uid = pod?.metadata?.uid;
    if (pod === undefined || uid === undefined) {
      this.#sent.delete(key);
      this.opts.probes?.forget(key);
      return;
    }
    const last = this.#sent.get(key);
    const sent = last?.uid === uid ? last : undefined;
    const runtime = await this.opts.worker.observe(pod);
    const observed = this.opts.probes === undefined ? runtime : { ...runtime, probes: this.opts.probes.observe(pod, runtime) };
    const now = (this.opts.now ?? (() => new Date()))();
    // Times (startTime, transitions) continue from what was sent, before the API shows it.
    const status = buildPodStatus({ pod, ...(sent !== undefined ? { previous: sent.status } : {}), observed, hostIp: await this.opts.hostIp(), now });
    this.opts.probes?.statusBuilt(pod, status);
    if (!sameStatus(pod.status, status) && !(sent !== undefined && sameStatus(sent.status, status) && now.getTime() - sent.at < RESEND_MS)) {
      if (this.opts.send({ namespace, name, uid, statusJson: Buffer.from(JSON.stringify(status)) })) {
        this.#sent.set(key, { uid, status, at: now.getTime() });
        this.opts.log.debug('pod status sent', { pod: key, phase: status.phase });
      }
    }
    // After its final status: the server writes them in order.
    if (observed.terminal && this.opts.sendDeletion({ namespace, name, uid })) this.opts.log.debug('pod stopped after its deletion: asked to delete it', { pod: key });
  }
}

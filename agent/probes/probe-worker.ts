// Probes one container for one probe kind, periodically, as kubelet's
// probe worker does (pkg/kubelet/prober/worker.go): every periodSeconds
// (a run asked for in between comes at once), against the pod's status as
// the agent last built it. Nothing before initialDelaySeconds since the
// container started; liveness and readiness wait for the container to have
// started (its startup probe succeeded), the startup probe stops counting
// then. A result counts once it repeats successThreshold (or
// failureThreshold) times. A new container starts over from the kind's
// initial value: readiness failure, liveness success, startup unknown.
// After a liveness or startup failure the worker holds until the container
// is replaced. It ends with the pod (terminal, or deleted: liveness and
// startup then say success, for a quiet shutdown) and with a container
// that exited and will not restart.
import type { Container, ContainerStatus, Pod, PodStatus, Probe } from 'kubernetes-types/core/v1.js';
import type { ProbeKind, ProbeVerdict } from './prober.js';

/** A result as the workers keep it: startup's is unknown until it is known. */
export type ProbeState = 'success' | 'failure' | 'unknown';

/** What a worker reads and writes through its manager. */
export interface ProbeWorkerHost {
  /** The pod as last desired (its spec, its deletionTimestamp). */
  pod(): Pod;
  /** The pod's status as the agent last built it; undefined before the first. */
  status(): PodStatus | undefined;
  probe(containerId: string, podIp: string): Promise<ProbeVerdict>;
  /** Records the result for the container (a change makes the pod's status due). */
  set(containerId: string, state: ProbeState): void;
  remove(containerId: string): void;
  /** The worker ended (it was stopped, or its pod or container is done). */
  ended(): void;
  now(): number;
}

const INITIAL: Readonly<Record<ProbeKind, ProbeState>> = { readiness: 'failure', liveness: 'success', startup: 'unknown' };

export class ProbeWorker {
  #containerId: string | undefined;
  #lastResult: ProbeState | undefined;
  #resultRun = 0;
  #onHold = false;
  #delay: NodeJS.Timeout | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #ended = false;

  constructor(
    readonly kind: ProbeKind,
    readonly container: Container,
    readonly spec: Probe,
    private readonly host: ProbeWorkerHost,
  ) {}

  /** Probes after `delayMs` (kubelet spreads the probes of a restarted agent over a period), then every period. */
  start(delayMs: number): void {
    this.#delay = setTimeout(() => {
      this.#delay = undefined;
      this.#ticker = setInterval(() => this.trigger(), (this.spec.periodSeconds || 10) * 1000);
      this.trigger();
    }, delayMs);
  }

  /** A run now, or right after the one under way. */
  trigger(): void {
    // Before its first period has begun, a worker waits its turn.
    if (this.#ended || this.#delay !== undefined) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    void this.#loop();
  }

  /** Ends the worker: its result is forgotten. Fine to repeat. */
  stop(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#delay);
    clearInterval(this.#ticker);
    if (this.#containerId !== undefined) this.host.remove(this.#containerId);
    this.host.ended();
  }

  get ended(): boolean {
    return this.#ended;
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      do {
        this.#again = false;
        if (!(await this.doProbe())) this.stop();
      } while (this.#again && !this.#ended);
    } finally {
      this.#running = false;
    }
  }

  /** One run: false when the worker should end. */
  async doProbe(): Promise<boolean> {
    const pod = this.host.pod();
    const status = this.host.status();
    // No status yet: the pod is not running here yet.
    if (status === undefined) return true;
    if (status.phase === 'Failed' || status.phase === 'Succeeded') return false;
    const c: ContainerStatus | undefined = status.containerStatuses?.find((s) => s.name === this.container.name && s.containerID);
    // Not created yet, or gone: wait.
    if (c === undefined) return true;
    const containerId = c.containerID!.replace(/^[a-z0-9]+:\/\//, '');
    if (containerId !== this.#containerId) {
      if (this.#containerId !== undefined) this.host.remove(this.#containerId);
      this.#containerId = containerId;
      this.host.set(containerId, INITIAL[this.kind]);
      this.#onHold = false;
    }
    if (this.#onHold) return true;
    if (c.state?.running === undefined) {
      this.host.set(containerId, 'failure');
      // A container that exited and will not run again has nothing left to probe.
      return c.state?.terminated === undefined || pod.spec?.restartPolicy !== 'Never';
    }
    if (pod.metadata?.deletionTimestamp !== undefined && this.kind !== 'readiness') {
      this.host.set(containerId, 'success');
      return false;
    }
    const startedAt = Date.parse(c.state.running.startedAt ?? '');
    if (Number.isFinite(startedAt) && Math.trunc((this.host.now() - startedAt) / 1000) < (this.spec.initialDelaySeconds ?? 0)) return true;
    // Startup probes stop once the container started (and resume for a new one); the others wait for it.
    if ((c.started === true) === (this.kind === 'startup')) return true;

    const verdict = await this.host.probe(containerId, status.podIP ?? '');
    // Stopped meanwhile, or the probe could not run: nothing to record.
    if (this.#ended || verdict === undefined) return true;
    if (verdict === this.#lastResult) this.#resultRun++;
    else {
      this.#lastResult = verdict;
      this.#resultRun = 1;
    }
    const threshold = verdict === 'failure' ? this.spec.failureThreshold || 3 : this.spec.successThreshold || 1;
    if (this.#resultRun < threshold) return true;
    this.host.set(containerId, verdict);
    if (verdict === 'failure' && this.kind !== 'readiness') {
      // The container is to be killed: nothing more until its replacement.
      this.#onHold = true;
      this.#resultRun = 0;
    }
    return true;
  }
}

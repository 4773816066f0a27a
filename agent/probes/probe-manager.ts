// The probes of the node's pods, as kubelet's prober manager runs them:
// one worker per container and probe kind of each pod, made when the pod
// is first seen (so a restarted agent probes the pods it adopts) and ended
// with it; results kept per container ID. They say whether each container
// has started and is ready (kubelet's UpdatePodStatus), and a running
// container whose liveness or startup probe failed is killed with the
// pod's grace period, as kubelet's pod sync does (its restart is the pod
// worker's, by the pod's restartPolicy). A result that changes makes the
// pod's status due at once, through `onChange`.
import type { Container, Pod, PodStatus, Probe } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import type { PodEvents } from '../pods/pod-events.js';
import type { ObservedPod } from '../pods/pod-worker.js';
import { type ProbeKind, Prober } from './prober.js';
import { ProbeWorker, type ProbeState } from './probe-worker.js';

/** A container's probed state, for its status. */
export interface ContainerProbeState {
  readonly started: boolean;
  readonly ready: boolean;
}

export interface ProbeManagerOptions {
  readonly runtime: Pick<RuntimeClient, 'execSync' | 'stopContainer'>;
  readonly events: PodEvents;
  /** A probe result of the pod `key` ("namespace/name") changed: its status is due. */
  readonly onChange: (key: string) => void;
  readonly log: Logger;
  readonly now?: () => number;
  /** In [0, 1): where in its first period a worker of a just-started agent begins. */
  readonly random?: () => number;
}

interface PodProbes {
  readonly key: string;
  readonly uid: string;
  pod: Pod;
  status: PodStatus | undefined;
  /** "container/kind" → its worker, while it runs. */
  readonly workers: Map<string, ProbeWorker>;
}

/** kubelet's minimumGracePeriodInSeconds. */
const MIN_GRACE_SECONDS = 2;

export class ProbeManager {
  readonly #prober: Prober;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #pods = new Map<string, PodProbes>();
  readonly #results: Record<ProbeKind, Map<string, ProbeState>> = { liveness: new Map(), readiness: new Map(), startup: new Map() };
  /** IDs of containers being stopped. */
  readonly #killing = new Set<string>();

  constructor(private readonly opts: ProbeManagerOptions) {
    this.#prober = new Prober(opts);
    this.#now = opts.now ?? Date.now;
    this.#startedAt = this.#now();
  }

  /**
   * What the runtime holds for `pod`, before its status is built: starts
   * the pod's workers the first time, kills its containers that failed
   * liveness or startup, and tells each container's started and ready.
   */
  observe(pod: Pod, observed: ObservedPod): Map<string, ContainerProbeState> {
    const entry = this.#entry(pod);
    const states = new Map<string, ContainerProbeState>();
    for (const container of pod.spec?.containers ?? []) {
      // The newest of its containers is the one that runs.
      const cri = observed.containers.get(container.name)?.[0];
      if (cri === undefined) continue;
      const running = cri.state === 'CONTAINER_RUNNING';
      if (running) {
        for (const kind of ['liveness', 'startup'] as const) {
          if (this.#results[kind].get(cri.id) === 'failure') this.#kill(entry, container, cri.id, kind);
        }
      }
      const started = running && this.#started(entry, container.name, cri.id);
      const ready = started && (this.#results.readiness.get(cri.id) === 'success' || !entry.workers.has(workerKey(container.name, 'readiness')));
      states.set(container.name, { started, ready });
    }
    return states;
  }

  /** The status the agent built for `pod`: what its workers probe against (kubelet's status manager). */
  statusBuilt(pod: Pod, status: PodStatus): void {
    const entry = this.#pods.get(podKey(pod));
    if (entry?.uid !== pod.metadata?.uid) return;
    entry!.pod = pod;
    entry!.status = status;
    // A started container that is not ready yet is probed now rather than at its next period.
    for (const c of status.containerStatuses ?? []) {
      if (c.started === true && !c.ready) entry!.workers.get(workerKey(c.name, 'readiness'))?.trigger();
    }
  }

  /** The pod `key` is gone from the node: its workers end. */
  forget(key: string): void {
    const entry = this.#pods.get(key);
    if (entry === undefined) return;
    this.#pods.delete(key);
    for (const worker of [...entry.workers.values()]) worker.stop();
  }

  close(): void {
    for (const key of [...this.#pods.keys()]) this.forget(key);
  }

  #entry(pod: Pod): PodProbes {
    const key = podKey(pod);
    const uid = pod.metadata?.uid ?? '';
    const known = this.#pods.get(key);
    if (known?.uid === uid) {
      known.pod = pod;
      return known;
    }
    // A new pod, or another one under the same name.
    this.forget(key);
    const entry: PodProbes = { key, uid, pod, status: undefined, workers: new Map() };
    this.#pods.set(key, entry);
    for (const container of pod.spec?.containers ?? []) {
      for (const [kind, spec] of [['startup', container.startupProbe], ['readiness', container.readinessProbe], ['liveness', container.livenessProbe]] as const) {
        if (spec !== undefined) this.#startWorker(entry, container, kind, spec);
      }
    }
    return entry;
  }

  #startWorker(entry: PodProbes, container: Container, kind: ProbeKind, spec: Probe): void {
    const name = workerKey(container.name, kind);
    const results = this.#results[kind];
    const worker: ProbeWorker = new ProbeWorker(kind, container, spec, {
      pod: () => entry.pod,
      status: () => entry.status,
      probe: (containerId, podIp) => this.#prober.probe(kind, spec, entry.pod, container, containerId, podIp),
      set: (containerId, state) => {
        if (results.get(containerId) === state) return;
        results.set(containerId, state);
        this.opts.onChange(entry.key);
      },
      remove: (containerId) => results.delete(containerId),
      ended: () => {
        if (entry.workers.get(name) === worker) entry.workers.delete(name);
      },
      now: this.#now,
    });
    entry.workers.set(name, worker);
    // Probes of a just-started agent's pods spread over their first period, not all at once.
    const periodMs = (spec.periodSeconds || 10) * 1000;
    worker.start(this.#now() - this.#startedAt < periodMs ? Math.floor((this.opts.random ?? Math.random)() * periodMs) : 0);
  }

  /** kubelet's isContainerStarted for a running container. */
  #started(entry: PodProbes, container: string, containerId: string): boolean {
    const result = this.#results.startup.get(containerId);
    if (result !== undefined) return result === 'success';
    // A startup probe that has not said yet holds the container.
    return !entry.workers.has(workerKey(container, 'startup'));
  }

  #kill(entry: PodProbes, container: Container, containerId: string, kind: 'liveness' | 'startup'): void {
    if (this.#killing.has(containerId)) return;
    this.#killing.add(containerId);
    const pod = entry.pod;
    const restart = pod.spec?.restartPolicy !== 'Never';
    const message = `Container ${container.name} failed ${kind} probe${restart ? ', will be restarted' : ''}`;
    this.opts.events.record(pod, 'Normal', 'Killing', message, `spec.containers{${container.name}}`);
    const grace = killGraceSeconds(pod, kind === 'liveness' ? container.livenessProbe : container.startupProbe);
    this.opts.log.info('killing unhealthy container', { pod: entry.key, container: container.name, id: containerId, probe: kind, graceSeconds: grace });
    this.opts.runtime
      .stopContainer(containerId, grace)
      .catch((err: unknown) => this.opts.log.warn('could not kill unhealthy container', { pod: entry.key, container: container.name, error: err }))
      .finally(() => {
        this.#killing.delete(containerId);
        // Its exit (or a failed stop, to try again) shows at the pod's next sync.
        this.opts.onChange(entry.key);
      });
  }
}

/**
 * kubelet's setTerminationGracePeriod for a probe's kill: the deletion's
 * grace if the pod is being deleted, else the probe's own, else the pod's;
 * never under 2 s.
 */
export function killGraceSeconds(pod: Pod, probe: Probe | undefined): number {
  const podGrace = pod.spec?.terminationGracePeriodSeconds;
  const grace = pod.metadata?.deletionGracePeriodSeconds ?? (podGrace === undefined ? MIN_GRACE_SECONDS : (probe?.terminationGracePeriodSeconds ?? podGrace));
  return Math.max(grace, MIN_GRACE_SECONDS);
}

function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

function workerKey(container: string, kind: ProbeKind): string {
  return `${container}/${kind}`;
}

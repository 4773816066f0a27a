// The latest resource usage of every node and of every pod, as nodes report
// it (kept in memory only: a store written every 15 s would wear an SD card
// out). A node's report replaces what the store held for that node, as a
// metrics-server scrape does; a pod sample is taken only for a pod that
// exists with that uid and is bound to the reporting node (from its
// certificate), so a node cannot speak for another node's pods. Samples go
// when their pod or node goes, or the node's agent disconnects.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerUsage, MetricsReport, NodeUsage, PodUsage, ResourceUsage, SampleTime } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import type { SharedInformer } from '../controllers/shared-informers.js';

export interface PodSample extends SampleTime {
  readonly node: string;
  readonly uid: string;
  readonly containers: readonly ContainerUsage[];
}

export type NodeSample = NodeUsage;

export interface MetricsStoreOptions {
  /** The shared caches of pods and nodes (the controllers start them). */
  readonly pods: SharedInformer;
  readonly nodes: SharedInformer;
  readonly log: Logger;
}

/** Containers a pod can report; more is a malformed report. */
const MAX_CONTAINERS = 256;

export class MetricsStore {
  readonly #nodes = new Map<string, NodeSample>();
  /** "namespace/name" → sample. */
  readonly #pods = new Map<string, PodSample>();
  readonly #podsByNode = new Map<string, Set<string>>();

  constructor(private readonly opts: MetricsStoreOptions) {
    opts.pods.subscribe((key) => this.#podChanged(key));
    opts.nodes.subscribe((name) => {
      if (opts.nodes.get(name) === undefined) this.forgetNode(name);
    });
  }

  /** Takes `report` from `node` in place of what the node reported before; returns how many pod samples it refused. */
  report(node: string, report: MetricsReport): number {
    this.#dropPodsOf(node);
    const nodeUsage = report.node ?? undefined;
    if (nodeUsage !== undefined && validTime(nodeUsage) && validUsage(nodeUsage.usage) && this.opts.nodes.get(node) !== undefined) {
      this.#nodes.set(node, { timestampMs: nodeUsage.timestampMs, windowNs: nodeUsage.windowNs, usage: usageOf(nodeUsage.usage) });
    } else {
      this.#nodes.delete(node);
    }
    let refused = 0;
    const keys = new Set<string>();
    for (const pod of report.pods ?? []) {
      const key = `${pod.namespace}/${pod.name}`;
      const problem = this.#podProblem(node, pod, key, keys);
      if (problem !== undefined) {
        refused++;
        this.opts.log.debug('pod usage refused', { node, pod: key, reason: problem });
        continue;
      }
      keys.add(key);
      this.#pods.set(key, {
        node,
        uid: pod.uid,
        timestampMs: pod.timestampMs,
        windowNs: pod.windowNs,
        containers: pod.containers.map((c) => ({ name: c.name, usage: usageOf(c.usage) })),
      });
    }
    if (keys.size > 0) this.#podsByNode.set(node, keys);
    return refused;
  }

  /** Drops all of the node's samples (its agent went away). */
  forgetNode(node: string): void {
    this.#nodes.delete(node);
    this.#dropPodsOf(node);
  }

  node(name: string): NodeSample | undefined {
    return this.#nodes.get(name);
  }

  pod(namespace: string, name: string): PodSample | undefined {
    return this.#pods.get(`${namespace}/${name}`);
  }

  /** Why the pod's sample is not taken, or undefined when it is. */
  #podProblem(node: string, pod: PodUsage, key: string, seen: ReadonlySet<string>): string | undefined {
    if (typeof pod.namespace !== 'string' || typeof pod.name !== 'string' || pod.namespace === '' || pod.name === '') return 'no namespace or name';
    if (seen.has(key)) return 'reported twice';
    if (!validTime(pod)) return 'no valid timestamp and window';
    const containers = pod.containers ?? [];
    if (containers.length === 0 || containers.length > MAX_CONTAINERS) return `${containers.length} containers`;
    const names = new Set(containers.map((c) => c.name));
    if (names.size !== containers.length || names.has('') || containers.some((c) => !validUsage(c.usage))) return 'malformed containers';
    const stored = this.opts.pods.get(key) as (Pod & { metadata: { uid?: string } }) | undefined;
    if (stored === undefined) return 'no such pod';
    if (stored.metadata.uid !== pod.uid) return `uid ${stored.metadata.uid ?? ''}, not ${pod.uid}`;
    if (stored.spec?.nodeName !== node) return `bound to ${JSON.stringify(stored.spec?.nodeName ?? '')}`;
    return undefined;
  }

  #podChanged(key: string): void {
    const sample = this.#pods.get(key);
    if (sample === undefined) return;
    const pod = this.opts.pods.get(key) as Pod | undefined;
    if (pod === undefined || pod.metadata?.uid !== sample.uid || pod.spec?.nodeName !== sample.node) {
      this.#pods.delete(key);
      this.#podsByNode.get(sample.node)?.delete(key);
    }
  }

  #dropPodsOf(node: string): void {
    for (const key of this.#podsByNode.get(node) ?? []) this.#pods.delete(key);
    this.#podsByNode.delete(node);
  }
}

function validTime(t: SampleTime): boolean {
  return Number.isSafeInteger(t.timestampMs) && t.timestampMs > 0 && Number.isSafeInteger(t.windowNs) && t.windowNs > 0;
}

function validUsage(u: ResourceUsage | null | undefined): u is ResourceUsage {
  return u !== null && u !== undefined && [u.cpuNanoCores, u.memoryWorkingSetBytes].every((n) => Number.isSafeInteger(n) && n >= 0);
}

function usageOf(u: ResourceUsage): ResourceUsage {
  return { cpuNanoCores: u.cpuNanoCores, memoryWorkingSetBytes: u.memoryWorkingSetBytes };
}

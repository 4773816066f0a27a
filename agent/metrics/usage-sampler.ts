// Samples what the node and its pods' running containers use and turns each
// pair of samples into rates (./usage-rate.ts). Keeps only the last sample of
// the node and of each running container (by container ID, so a restarted
// container starts afresh): memory stays bounded by the containers running.
import type { MetricsReport, PodUsage } from '../../common/agent-protocol.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import type { ContainerStats } from '../cri/types.js';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from '../pods/runtime-config.js';
import type { HostFiles } from '../status/host-files.js';
import { busyCpuNs, memoryWorkingSetBytes } from './node-usage.js';
import { type CumulativeSample, type Rated, usageBetween } from './usage-rate.js';

export interface UsageSamplerOptions {
  readonly runtime: Pick<RuntimeClient, 'listContainers' | 'listContainerStats'>;
  /** Where /proc is read. */
  readonly host: HostFiles;
  /** Wall clock, ms since the epoch. */
  readonly now?: () => number;
}

export class UsageSampler {
  #node: CumulativeSample | undefined;
  #containers = new Map<string, CumulativeSample>();

  constructor(private readonly opts: UsageSamplerOptions) {}

  /**
   * Samples once. The node's usage is there from the second call on; a pod
   * only once each of its running containers was sampled twice. A runtime
   * that does not answer gives no pods (and throws nothing: the node status
   * already says so).
   */
  async sample(): Promise<MetricsReport> {
    const node = await this.#sampleNode();
    return { ...(node === undefined ? {} : { node: { ...node.time, usage: node.usage } }), pods: await this.#samplePods().catch(() => []) };
  }

  async #sampleNode(): Promise<Rated | undefined> {
    const [stat, meminfo] = await Promise.all([this.opts.host.read('/proc/stat'), this.opts.host.read('/proc/meminfo')]);
    const last: CumulativeSample = { timestampNs: BigInt(this.#nowMs()) * 1_000_000n, cpuNs: busyCpuNs(stat), memoryWorkingSetBytes: memoryWorkingSetBytes(meminfo) };
    const prev = this.#node;
    this.#node = last;
    return prev === undefined ? undefined : usageBetween(prev, last);
  }

  async #samplePods(): Promise<PodUsage[]> {
    const [running, stats] = await Promise.all([
      this.opts.runtime.listContainers({ state: 'CONTAINER_RUNNING' }),
      this.opts.runtime.listContainerStats(),
    ]);
    const statsById = new Map(stats.flatMap((s) => (s.attributes === undefined ? [] : [[s.attributes.id, s] as const])));
    const samples = new Map<string, CumulativeSample>();
    const pods = new Map<string, PodUsage | null>();
    for (const container of running) {
      const { [POD_NAMESPACE_LABEL]: namespace, [POD_NAME_LABEL]: name, [POD_UID_LABEL]: uid, [CONTAINER_NAME_LABEL]: containerName } = container.labels;
      // Not one of our pods' containers (or one of another kubelet's).
      if (namespace === undefined || name === undefined || uid === undefined || containerName === undefined) continue;
      const last = cumulative(statsById.get(container.id));
      if (last !== undefined) samples.set(container.id, last);
      const prev = this.#containers.get(container.id);
      const rated = last === undefined || prev === undefined ? undefined : usageBetween(prev, last);
      const pod = pods.get(uid);
      // A pod with a container not rated yet is left out whole, as metrics-server leaves it.
      if (rated === undefined || pod === null) {
        pods.set(uid, null);
        continue;
      }
      const usage = { name: containerName, usage: rated.usage };
      if (pod === undefined) pods.set(uid, { namespace, name, uid, ...rated.time, containers: [usage] });
      else {
        pod.containers.push(usage);
        // The pod's time is its earliest container's.
        if (rated.time.timestampMs < pod.timestampMs) Object.assign(pod, rated.time);
      }
    }
    this.#containers = samples;
    return [...pods.values()].filter((p): p is PodUsage => p !== null).map((p) => ({ ...p, containers: p.containers.sort((a, b) => (a.name < b.name ? -1 : 1)) }));
  }

  #nowMs(): number {
    return (this.opts.now ?? Date.now)();
  }
}

/** A container's cumulative sample, or undefined when the runtime left something out. */
function cumulative(stats: ContainerStats | undefined): CumulativeSample | undefined {
  const cpu = stats?.cpu;
  const workingSet = stats?.memory?.workingSetBytes;
  if (cpu === undefined || cpu.usageCoreNanoSeconds === undefined || workingSet === undefined || cpu.timestamp === 0n) return undefined;
  return { timestampNs: cpu.timestamp, cpuNs: cpu.usageCoreNanoSeconds, memoryWorkingSetBytes: workingSet };
}

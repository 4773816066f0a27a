// Usage from two cumulative samples, as metrics-server computes it from what
// kubelet reports: CPU is the CPU time used between the samples divided by
// the time between them (nanocores), memory the later sample's working set.
import type { ResourceUsage, SampleTime } from '../../common/agent-protocol.js';

/** One reading of a container or of the node. */
export interface CumulativeSample {
  /** When it was taken, ns since the epoch. */
  readonly timestampNs: bigint;
  /** CPU time used since the container (or the machine) started, ns. */
  readonly cpuNs: bigint;
  readonly memoryWorkingSetBytes: bigint;
}

export interface Rated {
  readonly time: SampleTime;
  readonly usage: ResourceUsage;
}

/**
 * The usage between `prev` and `last`, or undefined where metrics-server
 * skips the pair: no time between them, or CPU time that went down (the
 * counter restarted).
 */
export function usageBetween(prev: CumulativeSample, last: CumulativeSample): Rated | undefined {
  const windowNs = last.timestampNs - prev.timestampNs;
  if (windowNs <= 0n || last.cpuNs < prev.cpuNs) return undefined;
  // Truncated, as metrics-server's uint64(cpuUsage).
  const nanoCores = ((last.cpuNs - prev.cpuNs) * 1_000_000_000n) / windowNs;
  return {
    time: { timestampMs: Number(last.timestampNs / 1_000_000n), windowNs: Number(windowNs) },
    usage: { cpuNanoCores: Number(nanoCores), memoryWorkingSetBytes: Number(last.memoryWorkingSetBytes) },
  };
}

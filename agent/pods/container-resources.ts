// A container's cgroup settings from its requests and limits, computed as
// kubelet computes them (kuberuntime_container_linux.go, cm/helpers_linux.go,
// qos/policy.go): CPU shares from the request (the limit when only that is
// given), a CFS quota over a 100 ms period from the CPU limit, the memory
// limit in bytes, and an OOM score adjustment by QoS class. containerd
// started with restrict_oom_score_adj raises a score below its own to its own.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { qosClass } from '../../common/pod-qos.js';
import { SYSTEM_CRITICAL_PRIORITY, SYSTEM_NODE_CRITICAL } from '../../common/system-priority-classes.js';
import type { LinuxContainerResources } from '../cri/types.js';
import { milliValue, value } from './quantities.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** The CFS period kubelet uses (µs). */
export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const SHARES_PER_CPU = 1024n;
const MIN_QUOTA_US = 1000;
const GUARANTEED_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;

/** The pod's QoS class: what the API set, else computed (kubelet's GetPodQOS). */
export function podQos(pod: Pod): QosClass {
  return (pod.status?.qosClass ?? qosClass(pod.spec ?? { containers: [] })) as QosClass;
}

/** MilliCPUToShares: 1024 per CPU, within the kernel's bounds; 2 (the kernel's minimum) without a request. */
export function milliCpuToShares(milliCpu: bigint): number {
  if (milliCpu === 0n) return MIN_SHARES;
  const shares = Number((milliCpu * SHARES_PER_CPU) / 1000n);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** MilliCPUToQuota: the CPU time (µs) allowed per period; 0 (no quota) without a limit, else at least 1 ms. */
export function milliCpuToQuota(milliCpu: bigint, periodUs: number): number {
  if (milliCpu === 0n) return 0;
  return Math.max(MIN_QUOTA_US, Number((milliCpu * BigInt(periodUs)) / 1000n));
}

/**
 * GetContainerOOMScoreAdjust: Guaranteed and node-critical pods last,
 * BestEffort first, Burstable by how much of the machine's memory the
 * container requests (a sidecar no higher than the pod's smallest regular container).
 */
export function oomScoreAdj(pod: Pod, container: Container, memoryCapacityBytes: bigint): number {
  if (pod.spec?.priorityClassName === SYSTEM_NODE_CRITICAL && (pod.spec.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY) return GUARANTEED_OOM_SCORE_ADJ;
  const qos = podQos(pod);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  if (memoryCapacityBytes <= 0n) return BEST_EFFORT_OOM_SCORE_ADJ - 1;
  const adjustFor = (request: bigint) => 1000n - (1000n * request) / memoryCapacityBytes;
  let adjust = adjustFor(value(container.resources?.requests?.memory));
  const sidecar = (pod.spec?.initContainers ?? []).some((c) => c.name === container.name && c.restartPolicy === 'Always');
  if (sidecar) {
    const regular = (pod.spec?.containers ?? []).map((c) => value(c.resources?.requests?.memory));
    const smallest = regular.length === 0 ? 0n : regular.reduce((a, b) => (b < a ? b : a));
    const regularAdjust = adjustFor(smallest);
    if (adjust > regularAdjust) adjust = regularAdjust;
  }
  // Above any Guaranteed container (which scores at least 3), below BestEffort.
  if (adjust < BigInt(1000 + GUARANTEED_OOM_SCORE_ADJ)) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adjust === BigInt(BEST_EFFORT_OOM_SCORE_ADJ)) return BEST_EFFORT_OOM_SCORE_ADJ - 1;
  return Number(adjust);
}

export function linuxContainerResources(pod: Pod, container: Container, memoryCapacityBytes: bigint): LinuxContainerResources {
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  const cpuLimit = milliValue(limits['cpu']);
  // The API copies limits into missing requests; kubelet repeats it for older pods.
  const cpuShares = requests['cpu'] === undefined && cpuLimit !== 0n ? milliCpuToShares(cpuLimit) : milliCpuToShares(milliValue(requests['cpu']));
  const memoryLimit = value(limits['memory']);
  return {
    cpuPeriod: CPU_PERIOD_US,
    cpuQuota: milliCpuToQuota(cpuLimit, CPU_PERIOD_US),
    cpuShares,
    ...(memoryLimit !== 0n ? { memoryLimitInBytes: memoryLimit } : {}),
    oomScoreAdj: oomScoreAdj(pod, container, memoryCapacityBytes),
  };
}

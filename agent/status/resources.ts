// Capacity and allocatable as kubelet writes them: memory and
// ephemeral-storage in Ki, allocatable being capacity less the default hard
// eviction thresholds (no kube-reserved or system-reserved).
import { MEMORY_AVAILABLE_MIN_BYTES, NODEFS_AVAILABLE_MIN_FRACTION } from './pressure.js';

/** Kubelet's default --max-pods. */
export const MAX_PODS = 110;

export interface ResourceSample {
  readonly cpus: number;
  readonly memoryBytes: number;
  /** Of the filesystem that holds the data dir. */
  readonly fsCapacityBytes: number;
}

export interface Resources {
  readonly capacity: Record<string, string>;
  readonly allocatable: Record<string, string>;
}

export function resources(s: ResourceSample): Resources {
  // Kubelet truncates the percentage threshold to whole bytes.
  const storageThreshold = Math.floor(s.fsCapacityBytes * NODEFS_AVAILABLE_MIN_FRACTION);
  return {
    capacity: {
      cpu: String(s.cpus),
      memory: ki(s.memoryBytes),
      pods: String(MAX_PODS),
      'ephemeral-storage': ki(s.fsCapacityBytes),
    },
    allocatable: {
      cpu: String(s.cpus),
      memory: ki(s.memoryBytes - MEMORY_AVAILABLE_MIN_BYTES),
      pods: String(MAX_PODS),
      'ephemeral-storage': ki(s.fsCapacityBytes - storageThreshold),
    },
  };
}

/** Whole KiB, rounded down, never negative: "16351208Ki". */
function ki(bytes: number): string {
  return `${Math.max(0, Math.floor(bytes / 1024))}Ki`;
}

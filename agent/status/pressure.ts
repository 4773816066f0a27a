// The node's pressure conditions, as kubelet reports them, from one sample of
// the machine. Pure: tests drive each threshold directly. The thresholds are
// kubelet's default hard eviction thresholds, which allocatable also subtracts.
import type { NodeCondition } from '../../common/agent-protocol.js';

/** memory.available<100Mi */
export const MEMORY_AVAILABLE_MIN_BYTES = 100 * 1024 * 1024;
/** nodefs.available<10% */
export const NODEFS_AVAILABLE_MIN_FRACTION = 0.1;
/** nodefs.inodesFree<5% */
export const NODEFS_INODES_FREE_MIN_FRACTION = 0.05;
/**
 * Kubelet sets no default pid.available threshold; we call it pressure when
 * tasks pass 90% of the limit, leaving room to evict before fork() fails.
 */
export const PIDS_MAX_FRACTION = 0.9;

export interface PressureSample {
  /** MemAvailable of /proc/meminfo. */
  readonly memoryAvailableBytes: number;
  /** Of the filesystem that holds the data dir. */
  readonly fsCapacityBytes: number;
  readonly fsAvailableBytes: number;
  /** 0 on filesystems without an inode table (btrfs): no inode pressure there. */
  readonly fsInodes: number;
  readonly fsInodesFree: number;
  /** Processes and threads now. */
  readonly tasks: number;
  /** The most the kernel allows: min(pid_max, threads-max). */
  readonly taskLimit: number;
}

/** MemoryPressure, DiskPressure and PIDPressure, in kubelet's order. */
export function pressureConditions(s: PressureSample): NodeCondition[] {
  return [memoryPressure(s), diskPressure(s), pidPressure(s)];
}

export function memoryPressure(s: Pick<PressureSample, 'memoryAvailableBytes'>): NodeCondition {
  return s.memoryAvailableBytes < MEMORY_AVAILABLE_MIN_BYTES
    ? condition('MemoryPressure', true, 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available')
    : condition('MemoryPressure', false, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available');
}

export function diskPressure(s: Pick<PressureSample, 'fsCapacityBytes' | 'fsAvailableBytes' | 'fsInodes' | 'fsInodesFree'>): NodeCondition {
  const lowSpace = s.fsAvailableBytes < s.fsCapacityBytes * NODEFS_AVAILABLE_MIN_FRACTION;
  const lowInodes = s.fsInodes > 0 && s.fsInodesFree < s.fsInodes * NODEFS_INODES_FREE_MIN_FRACTION;
  return lowSpace || lowInodes
    ? condition('DiskPressure', true, 'KubeletHasDiskPressure', 'kubelet has disk pressure')
    : condition('DiskPressure', false, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure');
}

export function pidPressure(s: Pick<PressureSample, 'tasks' | 'taskLimit'>): NodeCondition {
  return s.tasks > s.taskLimit * PIDS_MAX_FRACTION
    ? condition('PIDPressure', true, 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available')
    : condition('PIDPressure', false, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available');
}

function condition(type: string, pressure: boolean, reason: string, message: string): NodeCondition {
  return { type, status: pressure ? 'True' : 'False', reason, message };
}

// The node's own cumulative usage from procfs: CPU time from the first line
// of /proc/stat, the memory working set as kubelet reports it for the node
// (memory in use, less the inactive file cache the kernel can drop at once).
import { parseMeminfo } from '../status/procfs.js';

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture. */
const NS_PER_TICK = 10_000_000n;

/**
 * CPU time spent on anything but idle and I/O wait, summed over cores, in ns,
 * from the "cpu" line of /proc/stat (user nice system idle iowait irq softirq
 * steal …; guest time is already part of user).
 */
export function busyCpuNs(stat: string): bigint {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  const fields = line?.trim().split(/\s+/).slice(1).map((f) => (/^\d+$/.test(f) ? BigInt(f) : undefined));
  if (fields === undefined || fields.length < 8 || fields.slice(0, 8).some((f) => f === undefined)) {
    throw new Error(`unexpected /proc/stat: ${JSON.stringify(line ?? stat.slice(0, 80))}`);
  }
  const [user, nice, system, , , irq, softirq, steal] = fields as bigint[];
  return (user! + nice! + system! + irq! + softirq! + steal!) * NS_PER_TICK;
}

/** MemTotal − MemFree − Inactive(file) of /proc/meminfo, in bytes. */
export function memoryWorkingSetBytes(meminfo: string): bigint {
  const m = parseMeminfo(meminfo);
  const [total, free, inactiveFile] = [m['MemTotal'], m['MemFree'], m['Inactive(file)']];
  if (total === undefined || free === undefined || inactiveFile === undefined) {
    throw new Error('/proc/meminfo lacks MemTotal, MemFree or Inactive(file)');
  }
  const kib = BigInt(total) - BigInt(free) - BigInt(inactiveFile);
  return (kib < 0n ? 0n : kib) * 1024n;
}

// Per-process figures from Linux's /proc.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * CPU time the process (all its threads) has used, user plus system: fields
 * 14 and 15 of /proc/PID/stat, in clock ticks (see `clockTicksPerSecond`).
 */
export async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Field 2, the command name, is in parentheses and may itself hold spaces or ')'; field 3 starts after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`/proc/${pid}/stat has no utime and stime: ${JSON.stringify(stat)}`);
  return utime + stime;
}

/**
 * CPU time all processes of the machine have used, all cores summed: the busy
 * fields (user, nice, system, irq, softirq, steal) of the `cpu` line of
 * /proc/stat, in clock ticks. Guest time is already inside user and nice.
 */
export async function machineBusyTicks(): Promise<number> {
  const stat = await readFile('/proc/stat', 'utf8');
  const fields = /^cpu\s+(.*)$/m.exec(stat)?.[1]?.split(/\s+/).map(Number);
  if (fields === undefined || fields.length < 8 || fields.some((n) => !Number.isInteger(n))) throw new Error('/proc/stat has no cpu line');
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return user + nice + system + irq + softirq + steal;
}

/** The unit of `cpuTicks` (USER_HZ, usually 100), from `getconf CLK_TCK`. */
export async function clockTicksPerSecond(): Promise<number> {
  const { stdout } = await promisify(execFile)('getconf', ['CLK_TCK']);
  const hz = Number(stdout.trim());
  if (!Number.isInteger(hz) || hz <= 0) throw new Error(`\`getconf CLK_TCK\` printed ${JSON.stringify(stdout)}, not a tick rate`);
  return hz;
}

/** Bytes the process (all its threads) caused to be written to storage: `write_bytes` of /proc/PID/io. */
export async function writeBytes(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const m = /^write_bytes:\s*(\d+)$/m.exec(io);
  if (m === null) throw new Error(`/proc/${pid}/io has no write_bytes line`);
  return Number(m[1]);
}

export interface Memory {
  /** Resident set size now (VmRSS), MiB. */
  readonly rssMb: number;
  /** Peak resident set size (VmHWM), MiB. */
  readonly peakMb: number;
  /** The private part of the RSS (RssAnon: heap, stacks), MiB; the rest is mostly the executable's pages, shared with every process running it. */
  readonly anonMb: number;
}

export async function memory(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { rssMb: statusKb(status, 'VmRSS') / 1024, peakMb: statusKb(status, 'VmHWM') / 1024, anonMb: statusKb(status, 'RssAnon') / 1024 };
}

function statusKb(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s*(\\d+) kB$`, 'm').exec(status);
  if (m === null) throw new Error(`/proc status has no ${field} line`);
  return Number(m[1]);
}

/**
 * Waits until the process has written nothing for `quietMs` (at most `maxMs`),
 * so background writes left over from earlier work do not count against the next.
 */
export async function waitForDiskQuiet(pid: number, quietMs = 1000, maxMs = 15_000): Promise<void> {
  const step = 250;
  let last = await writeBytes(pid);
  let quietFor = 0;
  for (let waited = 0; quietFor < quietMs && waited < maxMs; waited += step) {
    await sleep(step);
    const now = await writeBytes(pid);
    quietFor = now === last ? quietFor + step : 0;
    last = now;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The soft limit on open files of a running process ("Max open files" of /proc/PID/limits); Infinity when unlimited. */
export async function openFilesLimit(pid: number): Promise<number> {
  const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
  const m = /^Max open files\s+(\S+)/m.exec(limits);
  if (m === null) throw new Error(`/proc/${pid}/limits has no "Max open files" line`);
  return m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

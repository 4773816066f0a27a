// Per-process figures from Linux's /proc.
import { readFile } from 'node:fs/promises';

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
}

export async function memory(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { rssMb: statusKb(status, 'VmRSS') / 1024, peakMb: statusKb(status, 'VmHWM') / 1024 };
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

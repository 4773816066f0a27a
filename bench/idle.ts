// `bench idle`: what an idle `bramble server` costs a machine (CPU, disk
// writes, memory), beside an idle etcd. Both run at once with no client
// talking to either, and are read from /proc over the same window.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBrambleServer } from './bramble-process.js';
import { describeExit, type Exit } from './child.js';
import type { Cleanup } from './cleanup.js';
import { etcdVersion, findOrInstallEtcd, startEtcd } from './etcd-process.js';
import { clockTicksPerSecond, cpuTicks, memory, sleep, writeBytes } from './proc.js';
import { runInfo, type RunInfo } from './report.js';

export const IDLE = {
  /** Start-up work (opening the store, etcd's first commits, Node's JIT) is not idle cost: let it finish first. */
  settleMs: 5000,
  defaultSeconds: 60,
} as const;

export interface IdleFigures {
  /** CPU time (user + system, all threads) over the window, as % of one core. */
  readonly cpuPercent: number;
  /** write_bytes of /proc/PID/io over the window. */
  readonly diskBytes: number;
  /** `diskBytes` scaled from the window to one hour. */
  readonly diskBytesPerHour: number;
  /** VmRSS at the end of the window, MiB. */
  readonly rssMb: number;
}

export interface IdleBenchReport extends RunInfo {
  /** The window both were measured over, seconds. */
  readonly idleSeconds: number;
  readonly bramble: IdleFigures;
  readonly etcd: IdleFigures;
}

interface Server {
  readonly name: string;
  readonly exited: Promise<Exit>;
}

interface Reading {
  readonly ticks: number;
  readonly writeBytes: number;
  readonly rssMb: number;
}

export async function runIdleBench(seconds: number, cleanup: Cleanup, log: (line: string) => void): Promise<IdleBenchReport> {
  const bin = await findOrInstallEtcd(log);
  const version = await etcdVersion(bin);
  const hz = await clockTicksPerSecond();
  const root = await mkdtemp(join(tmpdir(), 'bramble-bench-'));
  cleanup.add(() => rm(root, { recursive: true, force: true }));
  log(`starting etcd ${version} on loopback and bramble server (data in ${root})`);
  const etcd = await startEtcd(bin, join(root, 'etcd'), cleanup);
  const bramble = await startBrambleServer(join(root, 'bramble'), cleanup);
  const servers: Server[] = [
    { name: 'bramble server', exited: bramble.exited },
    { name: 'etcd', exited: etcd.exited },
  ];

  log(`both ready; letting them settle for ${IDLE.settleMs / 1000} s`);
  await idleFor(IDLE.settleMs, servers);
  log(`measuring both for ${seconds} s`);
  const [brambleBefore, etcdBefore] = await Promise.all([reading(bramble.pid), reading(etcd.pid)]);
  const start = performance.now();
  await idleFor(seconds * 1000, servers);
  const [brambleAfter, etcdAfter] = await Promise.all([reading(bramble.pid), reading(etcd.pid)]);
  const idleSeconds = (performance.now() - start) / 1000;

  await bramble.stop();
  await etcd.stop();
  return {
    ...runInfo(version),
    idleSeconds,
    bramble: figures(brambleBefore, brambleAfter, idleSeconds, hz),
    etcd: figures(etcdBefore, etcdAfter, idleSeconds, hz),
  };
}

async function reading(pid: number): Promise<Reading> {
  const [ticks, written, mem] = await Promise.all([cpuTicks(pid), writeBytes(pid), memory(pid)]);
  return { ticks, writeBytes: written, rssMb: mem.rssMb };
}

function figures(before: Reading, after: Reading, seconds: number, ticksPerSecond: number): IdleFigures {
  const diskBytes = after.writeBytes - before.writeBytes;
  return {
    cpuPercent: ((after.ticks - before.ticks) / ticksPerSecond / seconds) * 100,
    diskBytes,
    diskBytesPerHour: (diskBytes * 3600) / seconds,
    rssMb: after.rssMb,
  };
}

/** Waits `ms`, but fails as soon as a server exits: idle figures of a dead process would mean nothing. */
async function idleFor(ms: number, servers: readonly Server[]): Promise<void> {
  const deaths = servers.map(async ({ name, exited }) => {
    throw new Error(`${name} exited while idle (${describeExit(await exited)})`);
  });
  await Promise.race([sleep(ms), ...deaths]);
}

// `bench store`: the same workload against Bramble's embedded store and a real
// etcd, one after the other (never at once, so neither steals the other's
// CPU or disk), each on a fresh data folder, every write fsynced.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../server/store/etcd/client.js';
import { openLevelStore } from '../server/store/level-store.js';
import type { Cleanup } from './cleanup.js';
import { etcdVersion, findOrInstallEtcd, startEtcd } from './etcd-process.js';
import { memory, sleep, waitForDiskQuiet, writeBytes } from './proc.js';
import { runInfo, type RunInfo } from './report.js';
import { median, percentile } from './stats.js';
import { brambleTarget, etcdTarget, type StoreTarget } from './store-targets.js';

export const WORKLOAD = {
  valueBytes: 1024,
  /** Writes before the latency run, not counted: JIT, connection, first files. */
  warmupWrites: 100,
  latencyWrites: 2000,
  writers: 64,
  throughputMs: 5000,
  listKeys: 10_000,
  listRepeats: 5,
  watchers: 100,
  watchWrites: 1000,
  /** A write not seen by every watcher by then fails the run rather than hang it. */
  watchDeliveryTimeoutMs: 10_000,
  updates: 1000,
  /** etcd commits its backend every 100 ms; wait well past that before reading write_bytes. */
  settleMs: 1000,
} as const;

export interface StoreFigures {
  readonly writeP50Ms: number;
  readonly writeP99Ms: number;
  readonly writesPerS: number;
  /** write_bytes per write over the writers' run and the background work it left (LevelDB compactions, etcd's backend). */
  readonly bytesPerWrite: number;
  readonly list10kMs: number;
  readonly watchP50Ms: number;
  readonly watchP99Ms: number;
  readonly bytesPerUpdate: number;
  /** VmRSS of the store's process at the end of its run, MiB. */
  readonly rssMb: number;
  /** VmHWM of the store's process at the end of its run, MiB. */
  readonly rssPeakMb: number;
}

export interface StoreBenchReport extends RunInfo {
  readonly bramble: StoreFigures;
  readonly etcd: StoreFigures;
}

export async function runStoreBench(cleanup: Cleanup, log: (line: string) => void): Promise<StoreBenchReport> {
  // etcd first: a missing or broken etcd should fail the run before a minute of Bramble figures.
  const bin = await findOrInstallEtcd(log);
  const version = await etcdVersion(bin);
  const root = await mkdtemp(join(tmpdir(), 'bramble-bench-'));
  cleanup.add(() => rm(root, { recursive: true, force: true }));
  log(`starting etcd ${version} on loopback (data in ${root})`);
  const etcd = await startEtcd(bin, join(root, 'etcd'), cleanup);

  const store = await openLevelStore({ path: join(root, 'bramble') });
  cleanup.add(() => store.close());
  const brambleFigures = await measure(brambleTarget(store), log);
  await store.close();

  const client = new EtcdClient({ endpoint: etcd.endpoint });
  cleanup.add(() => client.close());
  const etcdFigures = await measure(etcdTarget(client, etcd.pid), log);
  client.close();
  await etcd.stop();

  return { ...runInfo(version), bramble: brambleFigures, etcd: etcdFigures };
}

async function measure(target: StoreTarget, log: (line: string) => void): Promise<StoreFigures> {
  const w = WORKLOAD;
  log(`${target.name}: ${w.warmupWrites} warm-up writes, then ${w.latencyWrites} sequential writes`);
  for (let i = 0; i < w.warmupWrites; i++) await target.create(`/bench/warmup/${i}`, value());
  const latency = await writeLatencies(target);

  log(`${target.name}: ${w.writers} concurrent writers for ${w.throughputMs / 1000} s`);
  const { writesPerS, bytesPerWrite } = await throughput(target);

  log(`${target.name}: writing ${w.listKeys} keys, then listing them ${w.listRepeats} times`);
  const list10kMs = await listTime(target);

  log(`${target.name}: ${w.watchers} watchers, ${w.watchWrites} sequential writes`);
  const watch = await watchLatencies(target);

  log(`${target.name}: ${w.updates} updates of one key, counting bytes written to disk`);
  const bytesPerUpdate = await diskBytesPerUpdate(target);

  const mem = await memory(target.pid);
  return {
    writeP50Ms: percentile(latency, 50),
    writeP99Ms: percentile(latency, 99),
    writesPerS,
    bytesPerWrite,
    list10kMs,
    watchP50Ms: percentile(watch, 50),
    watchP99Ms: percentile(watch, 99),
    bytesPerUpdate,
    rssMb: mem.rssMb,
    rssPeakMb: mem.peakMb,
  };
}

/** Milliseconds of each of `latencyWrites` sequential creates of distinct keys. */
async function writeLatencies(target: StoreTarget): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < WORKLOAD.latencyWrites; i++) {
    const v = value();
    const t0 = performance.now();
    await target.create(`/bench/latency/${i}`, v);
    samples.push(performance.now() - t0);
  }
  return samples;
}

/**
 * Creates per second completed by `writers` writers looping for `throughputMs`,
 * and the disk bytes written per create, counted until the disk is quiet again
 * so that the compactions the run caused are part of it (what an SD card sees).
 */
async function throughput(target: StoreTarget): Promise<{ writesPerS: number; bytesPerWrite: number }> {
  await waitForDiskQuiet(target.pid);
  const bytesBefore = await writeBytes(target.pid);
  let done = 0;
  const start = performance.now();
  const deadline = start + WORKLOAD.throughputMs;
  await Promise.all(
    Array.from({ length: WORKLOAD.writers }, async (_, writer) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await target.create(`/bench/throughput/${writer}/${n}`, value());
        done++;
      }
    }),
  );
  const writesPerS = done / ((performance.now() - start) / 1000);
  await waitForDiskQuiet(target.pid, WORKLOAD.settleMs * 2);
  return { writesPerS, bytesPerWrite: ((await writeBytes(target.pid)) - bytesBefore) / done };
}

/** Median milliseconds of one full list of `listKeys` keys under a fresh prefix. */
async function listTime(target: StoreTarget): Promise<number> {
  const prefix = '/bench/list/';
  let next = 0;
  // Loaded by concurrent writers only to save time; the loading is not measured.
  await Promise.all(
    Array.from({ length: WORKLOAD.writers }, async () => {
      for (let i = next++; i < WORKLOAD.listKeys; i = next++) await target.create(`${prefix}${i}`, value());
    }),
  );
  const samples: number[] = [];
  for (let i = 0; i < WORKLOAD.listRepeats; i++) {
    const t0 = performance.now();
    const n = await target.list(prefix);
    samples.push(performance.now() - t0);
    if (n !== WORKLOAD.listKeys) throw new Error(`${target.name}: the list returned ${n} keys, not ${WORKLOAD.listKeys}`);
  }
  return median(samples);
}

/**
 * Milliseconds from just before each write is issued to each watcher's
 * receipt of it, for every (write, watcher) pair. The next write waits until
 * every watcher has the previous one, so no backlog builds up across writes.
 */
async function watchLatencies(target: StoreTarget): Promise<number[]> {
  const prefix = '/bench/watch/';
  const samples: number[] = [];
  const waiting = new Map<string, { sentAt: number; left: number; delivered: () => void }>();
  let failWatch!: (err: Error) => void;
  const watchFailed = new Promise<never>((_, reject) => (failWatch = reject));
  watchFailed.catch(() => undefined);
  const onPut = (key: string) => {
    const receivedAt = performance.now();
    const w = waiting.get(key);
    if (w === undefined) return;
    samples.push(receivedAt - w.sentAt);
    if (--w.left === 0) {
      waiting.delete(key);
      w.delivered();
    }
  };
  const closers: (() => void)[] = [];
  try {
    for (let i = 0; i < WORKLOAD.watchers; i++) {
      closers.push(await target.watch(prefix, onPut, (err) => failWatch(new Error(`${target.name}: a watch failed: ${err.message}`))));
    }
    for (let i = 0; i < WORKLOAD.watchWrites; i++) {
      const key = `${prefix}${i}`;
      const v = value();
      const entry = { sentAt: 0, left: WORKLOAD.watchers, delivered: () => {} };
      const delivered = new Promise<void>((resolve) => (entry.delivered = resolve));
      waiting.set(key, entry);
      entry.sentAt = performance.now();
      await target.create(key, v);
      await within(Promise.race([delivered, watchFailed]), WORKLOAD.watchDeliveryTimeoutMs, `${target.name}: write ${key} did not reach every watcher`);
    }
  } finally {
    for (const close of closers) close();
  }
  return samples;
}

/** write_bytes of the store's process across `updates` updates of one key, per update. */
async function diskBytesPerUpdate(target: StoreTarget): Promise<number> {
  const key = '/bench/update';
  let revision = await target.create(key, value());
  // Background writes left from the earlier phases (LevelDB compaction, etcd's backend) are not this phase's.
  await waitForDiskQuiet(target.pid);
  const before = await writeBytes(target.pid);
  for (let i = 0; i < WORKLOAD.updates; i++) revision = await target.update(key, value(), revision);
  await sleep(WORKLOAD.settleMs);
  return ((await writeBytes(target.pid)) - before) / WORKLOAD.updates;
}

/** A fresh random value each time: incompressible, so neither store's compression flatters it. */
function value(): Buffer {
  return randomBytes(WORKLOAD.valueBytes);
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

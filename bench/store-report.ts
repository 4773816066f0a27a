// How `bench store` shows its figures: a table for people, or one flat JSON
// object for scripts (field names fixed: CI and docs compare against them).
import { WORKLOAD, type StoreBenchReport, type StoreFigures } from './store.js';
import { bothJson, comparisonTable, count, mib, round, runInfoJson, runInfoLine, type Row } from './report.js';

const w = WORKLOAD;
const ROWS: readonly Row<StoreFigures>[] = [
  { label: 'write latency p50, 1 writer', better: 'lower', format: ms, pick: (f) => f.writeP50Ms },
  { label: 'write latency p99, 1 writer', better: 'lower', format: ms, pick: (f) => f.writeP99Ms },
  { label: `writes/s, ${w.writers} writers for ${w.throughputMs / 1000} s`, better: 'higher', format: count, pick: (f) => f.writesPerS },
  { label: `list ${count(w.listKeys)} keys (median of ${w.listRepeats})`, better: 'lower', format: ms, pick: (f) => f.list10kMs },
  { label: `watch delivery p50, ${w.watchers} watchers`, better: 'lower', format: ms, pick: (f) => f.watchP50Ms },
  { label: `watch delivery p99, ${w.watchers} watchers`, better: 'lower', format: ms, pick: (f) => f.watchP99Ms },
  { label: `disk bytes written per write, ${w.writers} writers (compactions included)`, better: 'lower', format: count, pick: (f) => f.bytesPerWrite },
  { label: 'disk bytes written per update', better: 'lower', format: count, pick: (f) => f.bytesPerUpdate },
  { label: 'RSS at the end of the run', better: 'lower', format: mib, pick: (f) => f.rssMb },
  { label: 'peak RSS', better: 'lower', format: mib, pick: (f) => f.rssPeakMb },
];

export function storeTable(r: StoreBenchReport): string {
  return [
    `Bramble store vs etcd ${r.etcdVersion}: ${w.valueBytes} B values, every write fsynced on both sides`,
    runInfoLine(r),
    '',
    ...comparisonTable(ROWS, r.bramble, r.etcd),
    '',
    'Bramble is measured in-process through its library API (it is embedded in `bramble server`);',
    'etcd over gRPC on loopback (127.0.0.1) with our own client, as a Kubernetes API server uses it.',
    `Write latency: ${w.latencyWrites} sequential creates of distinct keys. Watch delivery: from just before each of`,
    `${w.watchWrites} sequential writes is issued to each watcher's receipt of it (all in this process).`,
    `Disk bytes: write_bytes of /proc/PID/io (this process for Bramble, etcd's for etcd) over the ${w.writers} writers' run,`,
    `read once the disk is quiet again, and over ${w.updates} updates of one key, read ${w.settleMs} ms after the last. RSS: VmRSS/VmHWM of this process (Node, bench and Bramble)`,
    "and of etcd's process, each at the end of its own run.",
    ...(diskBytesMissing(r) ? ['NOTE: write_bytes read 0 for both; this filesystem does not report disk writes, so disk bytes were not measured.'] : []),
  ].join('\n');
}

export function storeJson(r: StoreBenchReport): Record<string, number | string> {
  const figures = (f: StoreFigures) => ({
    writes_per_s: round(f.writesPerS, 0),
    write_p50_ms: round(f.writeP50Ms, 3),
    write_p99_ms: round(f.writeP99Ms, 3),
    watch_p50_ms: round(f.watchP50Ms, 3),
    watch_p99_ms: round(f.watchP99Ms, 3),
    list_10k_ms: round(f.list10kMs, 3),
    bytes_per_write: round(f.bytesPerWrite, 0),
    bytes_per_update: round(f.bytesPerUpdate, 0),
    rss_mb: round(f.rssMb, 1),
    rss_peak_mb: round(f.rssPeakMb, 1),
  });
  return {
    benchmark: 'store',
    ...runInfoJson(r),
    value_bytes: w.valueBytes,
    ...bothJson(r.bramble, r.etcd, figures),
    ...(diskBytesMissing(r) ? { disk_bytes_note: 'write_bytes read 0 for both stores; disk bytes were not measured on this filesystem' } : {}),
  };
}

function diskBytesMissing(r: StoreBenchReport): boolean {
  return r.bramble.bytesPerUpdate === 0 && r.etcd.bytesPerUpdate === 0;
}

function ms(n: number): string {
  return `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
}

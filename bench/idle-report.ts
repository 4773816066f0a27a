// How `bench idle` shows its figures: a table for people, or one flat JSON
// object for scripts (field names fixed: CI and docs compare against them).
import { IDLE, type IdleBenchReport, type IdleFigures } from './idle.js';
import { bothJson, comparisonTable, count, mib, round, runInfoJson, runInfoLine, type Row } from './report.js';

function rows(seconds: number): readonly Row<IdleFigures>[] {
  return [
    { label: 'CPU, % of one core', better: 'lower', format: percent, pick: (f) => f.cpuPercent },
    { label: 'disk writes per hour (extrapolated)', better: 'lower', format: bytes, pick: (f) => f.diskBytesPerHour },
    { label: `disk bytes written in the ${seconds.toFixed(0)} s`, better: 'lower', format: count, pick: (f) => f.diskBytes },
    { label: 'RSS at the end', better: 'lower', format: mib, pick: (f) => f.rssMb },
  ];
}

export function idleTable(r: IdleBenchReport): string {
  return [
    `Idle bramble server vs idle etcd ${r.etcdVersion}: both at once, no clients, measured over the same ${r.idleSeconds.toFixed(1)} s`,
    runInfoLine(r),
    '',
    ...comparisonTable(rows(r.idleSeconds), r.bramble, r.etcd),
    '',
    '`bramble server` runs as a user starts it (node and the package.json bin; loopback, a free port), etcd as one member on',
    `127.0.0.1; each has a fresh data folder, and the window starts ${IDLE.settleMs / 1000} s after both are ready. Per process, from /proc/PID:`,
    'CPU is utime + stime of stat (all threads) over the window; disk is the growth of write_bytes in io, also scaled',
    'to one hour; RSS is VmRSS of status at the end of the window.',
  ].join('\n');
}

export function idleJson(r: IdleBenchReport): Record<string, number | string> {
  const figures = (f: IdleFigures) => ({
    rss_mb: round(f.rssMb, 1),
    cpu_percent: round(f.cpuPercent, 3),
    disk_bytes_per_hour: round(f.diskBytesPerHour, 0),
    disk_bytes: f.diskBytes,
  });
  return {
    benchmark: 'idle',
    ...runInfoJson(r),
    idle_seconds: round(r.idleSeconds, 2),
    ...bothJson(r.bramble, r.etcd, figures),
  };
}

function percent(n: number): string {
  return `${n.toFixed(2)} %`;
}

/** Bytes in the largest binary unit that keeps the number at 1 or more. */
function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return i === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${units[i]}`;
}

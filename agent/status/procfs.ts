// Parsers for the few /proc and /etc files the status needs. Pure, so tests
// feed them text.

/** /proc/meminfo: "MemTotal:  16351208 kB" → { MemTotal: 16351208 } (values in KiB). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (m !== null) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** PRETTY_NAME of /etc/os-release ("Debian GNU/Linux 12 (bookworm)"), or "" without one. */
export function prettyName(osRelease: string): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  if (m === null) return '';
  const value = m[1]!.trim();
  const quoted = /^(["'])(.*)\1$/.exec(value);
  return quoted === null ? value : quoted[2]!.replace(/\\(.)/g, '$1');
}

/** The "Serial" line of /proc/cpuinfo (a Raspberry Pi's board serial), lower-case, or "" without one. */
export function cpuSerial(cpuinfo: string): string {
  return /^Serial\s*:\s*(\S+)\s*$/m.exec(cpuinfo)?.[1]?.toLowerCase() ?? '';
}

/**
 * Kernel scheduling entities (processes and threads) now: the total in the
 * 4th field of /proc/loadavg ("0.47 0.67 1.32 1/82 29523" → 82). One small
 * read, where counting /proc/[pid]/task would walk every process.
 */
export function taskCount(loadavg: string): number {
  const m = /^\S+ \S+ \S+ \d+\/(\d+) /.exec(loadavg);
  if (m === null) throw new Error(`unexpected /proc/loadavg: ${JSON.stringify(loadavg)}`);
  return Number(m[1]);
}

/**
 * The interface of the default IPv4 route in /proc/net/route (lowest metric
 * wins), or undefined without one.
 */
export function defaultRouteInterface(route: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of route.split('\n').slice(1)) {
    const [iface, destination, , flags, , , metric, mask] = line.trim().split(/\s+/);
    if (iface === undefined || metric === undefined || mask === undefined) continue;
    const up = (parseInt(flags ?? '0', 16) & 0x1) !== 0;
    if (!up || destination !== '00000000' || mask !== '00000000') continue;
    if (best === undefined || Number(metric) < best.metric) best = { iface, metric: Number(metric) };
  }
  return best?.iface;
}

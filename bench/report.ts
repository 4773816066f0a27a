// What the bench reports share: the facts of the run (when, on what), a
// Bramble-beside-etcd table with a verdict column, aligned columns, and number formats.
import { cpus } from 'node:os';

/** When and on what machine a bench ran. */
export interface MachineInfo {
  readonly date: string;
  readonly cpus: number;
  readonly nodeVersion: string;
}

/** When and on what a bench beside etcd ran; every such report carries these. */
export interface RunInfo extends MachineInfo {
  readonly etcdVersion: string;
}

export function machineInfo(): MachineInfo {
  return { date: new Date().toISOString(), cpus: cpus().length, nodeVersion: process.version };
}

export function runInfo(etcdVersion: string): RunInfo {
  return { ...machineInfo(), etcdVersion };
}

/** The line under a table's title: "2026-11-22, 2 cores, Node v20.20.2". */
export function runInfoLine(r: MachineInfo): string {
  return `${r.date.slice(0, 10)}, ${r.cpus} cores, Node ${r.nodeVersion}`;
}

export function machineInfoJson(r: MachineInfo): Record<string, number | string> {
  return { date: r.date, cpus: r.cpus, node_version: r.nodeVersion };
}

export function runInfoJson(r: RunInfo): Record<string, number | string> {
  return { ...machineInfoJson(r), etcd_version: r.etcdVersion };
}

/** Bramble's fields as `fields` names them, then etcd's under the same names with an `etcd_` prefix. */
export function bothJson<F>(bramble: F, etcd: F, fields: (f: F) => Record<string, number>): Record<string, number> {
  const etcdFields = Object.entries(fields(etcd)).map(([name, value]) => [`etcd_${name}`, value] as const);
  return { ...fields(bramble), ...Object.fromEntries(etcdFields) };
}

type Direction = 'higher' | 'lower';

export interface Row<F> {
  readonly label: string;
  readonly better: Direction;
  readonly format: (n: number) => string;
  readonly pick: (f: F) => number;
}

/** Header and one line a row: label, Bramble's figure, etcd's, and how Bramble compares. */
export function comparisonTable<F>(rows: readonly Row<F>[], bramble: F, etcd: F): string[] {
  const header = ['', 'Bramble', 'etcd', 'Bramble vs etcd'];
  const body = rows.map((row) => {
    const b = row.pick(bramble);
    const e = row.pick(etcd);
    return [row.label, row.format(b), row.format(e), comparison(b, e, row.better)];
  });
  return alignColumns([header, ...body]);
}

/** Rows of cells as lines: the first column padded on the right, the others on the left, three spaces apart. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const columns = Math.max(...rows.map((cells) => cells.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(...rows.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ').trimEnd();
  return rows.map(line);
}

/** "2.1× better" / "1.3× worse" / "same", from Bramble's side. */
function comparison(bramble: number, etcd: number, better: Direction): string {
  if (bramble === etcd) return 'same';
  if (bramble === 0 || etcd === 0) return '';
  const ratio = better === 'higher' ? bramble / etcd : etcd / bramble;
  return ratio >= 1 ? `${ratio.toFixed(1)}× better` : `${(1 / ratio).toFixed(1)}× worse`;
}

export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** "0.32 ms", "44.6 ms". */
export function milliseconds(n: number): string {
  return `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
}

export function mib(n: number): string {
  return `${n.toFixed(1)} MiB`;
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

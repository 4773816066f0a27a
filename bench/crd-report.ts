// How `bench crd` shows its figures: a table for people, or one JSON object
// for scripts (field names fixed: docs compare against them).
import type { CrdBenchReport, Kind } from './crd.js';
import { alignColumns, machineInfoJson, milliseconds, round, runInfoLine } from './report.js';

const LABELS: Readonly<Record<Kind, string>> = {
  configmap: 'ConfigMap (no schema)',
  schema: 'Gadget: its schema, no rules',
  rules: 'RuledGadget: the schema and CEL rules',
};

export function crdTable(r: CrdBenchReport): string {
  return [
    `Writes of custom resources on bramble server: ${r.clients} clients, each creating an object then updating it, ${r.rounds} rounds of ${r.seconds} s per kind`,
    runInfoLine(r),
    '',
    ...alignColumns([
      ['', 'create p50', 'create p99', 'update p99', 'writes/s', 'server CPU per write'],
      ...r.kinds.map((k) => [LABELS[k.kind], milliseconds(k.createP50Ms), milliseconds(k.createP99Ms), milliseconds(k.updateP99Ms), k.writesPerS.toFixed(0), `${k.serverCpuUsPerWrite.toFixed(0)} µs`]),
    ]),
    '',
    `The schema types 12 fields (with defaults, an enum, a pattern, a map list, a duration); RuledGadget's CRD adds ${r.rules} CEL rules`,
    '(on the root, the spec, three fields, the list and its items; one a transition rule). Each kind has the same share of the run,',
    'its windows alternating with the others, so the machine’s changing speed falls on each alike.',
  ].join('\n');
}

export function crdJson(r: CrdBenchReport): Record<string, unknown> {
  return {
    benchmark: 'crd',
    ...machineInfoJson(r),
    clients: r.clients,
    seconds: r.seconds,
    rounds: r.rounds,
    rules: r.rules,
    kinds: r.kinds.map((k) => ({
      kind: k.kind,
      create_p50_ms: round(k.createP50Ms, 2),
      create_p99_ms: round(k.createP99Ms, 2),
      update_p99_ms: round(k.updateP99Ms, 2),
      writes_per_s: round(k.writesPerS, 0),
      server_cpu_us_per_write: round(k.serverCpuUsPerWrite, 1),
    })),
  };
}

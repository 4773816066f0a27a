// `bench crd`: what a CustomResourceDefinition's schema and CEL rules cost a
// write, on a real `bramble server` over HTTPS. The same clients create and
// then update objects of three kinds in turn: ConfigMaps (no schema), a
// custom resource with an operator-sized schema (types, defaults, an enum, a
// pattern, a map list), and the same custom resource whose CRD adds CEL
// rules (x-kubernetes-validations) on the root, the spec, a field, a list and
// its items. The kinds take turns in short windows, several rounds, so the
// machine's changing speed falls on each alike.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whileRunning } from './api.js';
import { ApiClient } from './api-client.js';
import { configMapData } from './api-objects.js';
import { startBrambleServer } from './bramble-process.js';
import type { Cleanup } from './cleanup.js';
import { clockTicksPerSecond, cpuTicks, sleep } from './proc.js';
import { machineInfo, type MachineInfo } from './report.js';
import { percentile } from './stats.js';

export const CRD_BENCH = {
  defaultSeconds: 5,
  rounds: 3,
  clients: 50,
  warmupMs: 2000,
  namespace: 'default',
  group: 'bench.bramble.dev',
} as const;

export const KINDS = ['configmap', 'schema', 'rules'] as const;
export type Kind = (typeof KINDS)[number];

export interface KindFigures {
  readonly kind: Kind;
  readonly createP50Ms: number;
  readonly createP99Ms: number;
  readonly updateP99Ms: number;
  readonly writesPerS: number;
  /** CPU time of the server (user + system, all threads) per write, µs, over all its windows. */
  readonly serverCpuUsPerWrite: number;
}

export interface CrdBenchReport extends MachineInfo {
  readonly clients: number;
  /** Each window's length; every kind has `rounds` of them. */
  readonly seconds: number;
  readonly rounds: number;
  readonly rules: number;
  readonly kinds: readonly KindFigures[];
}

/** The schema: what an operator's CRD typically declares. */
function schema(withRules: boolean): Record<string, unknown> {
  const rules = (...r: [string, string][]) => (withRules ? { 'x-kubernetes-validations': r.map(([rule, message]) => ({ rule, message })) } : {});
  return {
    type: 'object',
    ...rules(["self.metadata.name.startsWith('g-')", 'names start with g-']),
    properties: {
      spec: {
        type: 'object',
        required: ['replicas', 'image'],
        ...rules(['self.minReplicas <= self.replicas && self.replicas <= self.maxReplicas', 'replicas must be within minReplicas and maxReplicas']),
        properties: {
          replicas: { type: 'integer', minimum: 0 },
          minReplicas: { type: 'integer', default: 1 },
          maxReplicas: { type: 'integer', default: 10 },
          image: { type: 'string', pattern: '^[a-z0-9./:-]+$', ...rules(["self.contains(':')", 'the image needs a tag']) },
          zone: { type: 'string', ...rules(['self == oldSelf', 'zone is immutable']) },
          mode: { type: 'string', enum: ['fast', 'safe'], default: 'safe' },
          timeout: { type: 'string', format: 'duration', ...rules(["self <= duration('5m')", 'at most 5 minutes']) },
          env: { type: 'object', additionalProperties: { type: 'string' } },
          ports: {
            type: 'array',
            maxItems: 16,
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            ...rules(["self.filter(p, p.protocol == 'UDP').size() <= 1", 'at most one UDP port']),
            items: {
              type: 'object',
              required: ['name', 'port'],
              ...rules(['self.port > 1024', 'ports must be unprivileged'], ["!has(self.protocol) || self.protocol in ['TCP', 'UDP']", 'TCP or UDP']),
              properties: { name: { type: 'string' }, port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } },
            },
          },
        },
      },
    },
  };
}

/** How many rules the schema with rules carries. */
const RULES = JSON.stringify(schema(true)).split('"rule":').length - 1;

function definition(plural: string, kind: string, withRules: boolean): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${CRD_BENCH.group}` },
    spec: {
      group: CRD_BENCH.group,
      scope: 'Namespaced',
      names: { plural, singular: kind.toLowerCase(), kind },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema(withRules) } }],
    },
  };
}

const TYPES: Readonly<Record<Kind, { readonly path: string; readonly body: (name: string) => Record<string, unknown> }>> = {
  configmap: {
    path: `/api/v1/namespaces/${CRD_BENCH.namespace}/configmaps`,
    body: (name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: configMapData() }),
  },
  schema: { path: customPath('gadgets'), body: (name) => gadget('Gadget', name) },
  rules: { path: customPath('ruledgadgets'), body: (name) => gadget('RuledGadget', name) },
};

function customPath(plural: string): string {
  return `/apis/${CRD_BENCH.group}/v1/namespaces/${CRD_BENCH.namespace}/${plural}`;
}

function gadget(kind: string, name: string): Record<string, unknown> {
  const env = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`SETTING_${i}`, configMapData()['settings.conf']!.slice(0, 96)]));
  return {
    apiVersion: `${CRD_BENCH.group}/v1`,
    kind,
    metadata: { name },
    spec: { replicas: 3, maxReplicas: 5, image: 'registry.local/app:1.4.2', zone: 'a', timeout: '30s', env, ports: [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }] },
  };
}

export async function runCrdBench(seconds: number, cleanup: Cleanup, log: (line: string) => void): Promise<CrdBenchReport> {
  const root = await mkdtemp(join(tmpdir(), 'bramble-bench-'));
  cleanup.add(() => rm(root, { recursive: true, force: true }));
  log(`starting bramble server on 127.0.0.1 (data in ${root})`);
  const server = await startBrambleServer(join(root, 'bramble'), cleanup, [], ['--disable-scheduler']);
  const client = await ApiClient.fromKubeconfig(server.kubeconfigPath, CRD_BENCH.clients);
  cleanup.add(() => client.close());
  const alive = <T>(work: Promise<T>) => whileRunning(work, server.exited);

  const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  await alive(client.expect(201, 'POST', crds, { body: definition('gadgets', 'Gadget', false) }));
  await alive(client.expect(201, 'POST', crds, { body: definition('ruledgadgets', 'RuledGadget', true) }));
  for (const kind of KINDS) await alive(served(client, TYPES[kind].path));

  const hz = await clockTicksPerSecond();
  const samples = Object.fromEntries(KINDS.map((k) => [k, { creates: [] as number[], updates: [] as number[], ticks: 0, ms: 0 }])) as Record<
    Kind,
    { creates: number[]; updates: number[]; ticks: number; ms: number }
  >;
  log(`${CRD_BENCH.clients} clients: ${CRD_BENCH.warmupMs / 1000} s of warm-up per kind, then ${CRD_BENCH.rounds} rounds of ${seconds} s per kind (${KINDS.join(', ')})`);
  for (const kind of KINDS) await alive(writes(client, kind, CRD_BENCH.warmupMs, undefined));
  for (let round = 0; round < CRD_BENCH.rounds; round++) {
    for (const kind of KINDS) {
      const ticks = await cpuTicks(server.pid);
      const started = performance.now();
      await alive(writes(client, kind, seconds * 1000, samples[kind]));
      samples[kind].ms += performance.now() - started;
      samples[kind].ticks += (await cpuTicks(server.pid)) - ticks;
    }
  }
  client.close();
  await server.stop();

  return {
    ...machineInfo(),
    clients: CRD_BENCH.clients,
    seconds,
    rounds: CRD_BENCH.rounds,
    rules: RULES,
    kinds: KINDS.map((kind) => {
      const s = samples[kind];
      const count = s.creates.length + s.updates.length;
      return {
        kind,
        createP50Ms: percentile(s.creates, 50),
        createP99Ms: percentile(s.creates, 99),
        updateP99Ms: percentile(s.updates, 99),
        writesPerS: count / (s.ms / 1000),
        serverCpuUsPerWrite: ((s.ticks / hz) * 1e6) / count,
      };
    }),
  };
}

/** Waits until the custom resource is served (the CRD's types appear moments after it is stored). */
async function served(client: ApiClient, path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await client.request('GET', `${path}?limit=1`)).status === 200) return;
    await sleep(100);
  }
  throw new Error(`${path} is not served 10 s after its CRD was created`);
}

let serial = 0;

/** Every client creates an object, then updates it (one field changed), until `ms` have passed. */
async function writes(client: ApiClient, kind: Kind, ms: number, into: { creates: number[]; updates: number[] } | undefined): Promise<void> {
  const { path, body } = TYPES[kind];
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: CRD_BENCH.clients }, async () => {
      while (performance.now() < end) {
        const name = `g-${serial++}`;
        const created = await client.expect(201, 'POST', path, { body: body(name) });
        const object = JSON.parse(created.body.toString('utf8')) as Record<string, unknown>;
        if (kind === 'configmap') object['data'] = configMapData();
        else (object['spec'] as { replicas: number }).replicas = 4;
        const updated = await client.expect(200, 'PUT', `${path}/${name}`, { body: object });
        into?.creates.push(created.ms);
        into?.updates.push(updated.ms);
      }
    }),
  );
}

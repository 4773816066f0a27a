// `bench api`: the Kubernetes API of a real `bramble server`, over HTTPS with
// client certificates from the kubeconfig it wrote, driven on loopback as
// client-go drives an API server (plain REST, JSON bodies, kept-alive
// connections): request latency under concurrent clients, large pod lists as
// JSON and as Table, and what the server process holds in memory by then.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient, type ApiResponse } from './api-client.js';
import { configMap, configMapData, nginxPod, podName, runningStatus } from './api-objects.js';
import { cpuProfileOf, startBrambleServer } from './bramble-process.js';
import { pkiDir } from '../common/paths.js';
import { describeExit, type Exit } from './child.js';
import type { Cleanup } from './cleanup.js';
import { clockTicksPerSecond, cpuTicks, machineBusyTicks, memory, sleep } from './proc.js';
import { startReferenceServer } from './reference-process.js';
import { machineInfo, type MachineInfo } from './report.js';
import { median, percentile } from './stats.js';

export const API = {
  defaultSeconds: 30,
  clients: 50,
  /** The same mix before the window, not counted: TLS handshakes of every connection, Node's JIT on both sides. */
  warmupMs: 3000,
  mixNamespace: 'default',
  listLimit: 50,
  pods: 5000,
  podNamespace: 'bench',
  /** Concurrent creators loading the pods (not timed). */
  podLoaders: 50,
  listRepeats: 5,
  createP99TargetMs: 20,
  /** The window is also shown in slices this long: how its speed varied. */
  sliceSeconds: 5,
  /** The same mix against the reference server, right after the window, after its own warm-up. */
  referenceSeconds: 10,
  referenceWarmupMs: 2000,
} as const;

/** What `kubectl get` asks for first. */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export const VERBS = ['create', 'get', 'update', 'list'] as const;
export type Verb = (typeof VERBS)[number];

export interface VerbFigures {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
}

/**
 * A slice of the window. The build and the mix stay the same throughout, so
 * the server's CPU time per request shows how fast the machine ran then (a
 * shared VM's host takes cycles that no steal figure shows).
 */
export interface SliceFigures {
  /** Start, seconds after the window's. */
  readonly fromS: number;
  readonly requestsPerS: number;
  readonly createP99Ms: number;
  /** CPU time of the server (user + system, all threads) per request answered in the slice, µs. */
  readonly serverCpuUsPerRequest: number;
}

/** The mix against Node alone (reference-server.ts): how fast the machine ran in this run, apart from bramble's work. */
export interface ReferenceFigures {
  readonly seconds: number;
  readonly requestsPerS: number;
  readonly createP99Ms: number;
  /** CPU time of the reference server (user + system, all threads) per request, µs. */
  readonly serverCpuUsPerRequest: number;
}

export interface ListFigures {
  /** Median of `listRepeats` full lists. */
  readonly ms: number;
  /** Bytes of the response body. */
  readonly bytes: number;
}

export interface ApiBenchReport extends MachineInfo {
  readonly clients: number;
  /** The window asked for (--seconds). */
  readonly seconds: number;
  /** From the window's start until the last client finished its last iteration. */
  readonly measuredSeconds: number;
  readonly requestsPerS: number;
  /** ConfigMaps in the mix's namespace at the end, the warm-up's included (none is deleted). */
  readonly configMaps: number;
  /** CPU time (user + system, all threads) over the window as % of one core: the server's, and this process's (the clients). */
  readonly serverCpuPercent: number;
  readonly clientCpuPercent: number;
  /** The rest of the machine's busy CPU over the window, % of one core: other processes competing for the cores. */
  readonly otherCpuPercent: number;
  /** The server's CPU time (user + system, all threads) per request over the window, µs. */
  readonly serverCpuUsPerRequest: number;
  readonly verbs: Readonly<Record<Verb, VerbFigures>>;
  /** The window's whole slices (the last, partial one is left out). */
  readonly slices: readonly SliceFigures[];
  readonly reference: ReferenceFigures;
  readonly podsJson: ListFigures;
  readonly podsTable: ListFigures;
  /** VmRSS / VmHWM of the server process at the end, MiB. */
  readonly rssMb: number;
  readonly rssPeakMb: number;
  /** Where the server's CPU profile went, when --cpu-prof asked for one. */
  readonly cpuProfile?: string;
}

export interface ApiBenchOptions {
  readonly seconds: number;
  /** Run the server under `node --cpu-prof`, writing its profile into this folder. */
  readonly cpuProfDir?: string;
}

/** How long a failed request waits for the server's exit, to tell a dead server from a bad answer. */
const EXIT_WAIT_MS = 1000;

const CONFIGMAPS = `/api/v1/namespaces/${API.mixNamespace}/configmaps`;
const PODS = `/api/v1/namespaces/${API.podNamespace}/pods`;

export async function runApiBench(opts: ApiBenchOptions, cleanup: Cleanup, log: (line: string) => void): Promise<ApiBenchReport> {
  const root = await mkdtemp(join(tmpdir(), 'bramble-bench-'));
  cleanup.add(() => rm(root, { recursive: true, force: true }));
  const profDir = opts.cpuProfDir === undefined ? undefined : resolve(opts.cpuProfDir);
  if (profDir !== undefined) await mkdir(profDir, { recursive: true });
  const nodeArgs = profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  log(`starting bramble server on 127.0.0.1${profDir === undefined ? '' : ` under node --cpu-prof (profile into ${profDir})`} (data in ${root})`);
  // The API alone: with the scheduler on, every pod the bench creates (there are no nodes) would also get an Unschedulable status write.
  const server = await startBrambleServer(join(root, 'bramble'), cleanup, nodeArgs, ['--disable-scheduler']);
  const client = await ApiClient.fromKubeconfig(server.kubeconfigPath, API.clients);
  cleanup.add(() => client.close());
  // A phase that fails because the server died says so.
  const alive = <T>(work: Promise<T>) => whileRunning(work, server.exited);

  log(`${API.clients} clients: ${API.warmupMs / 1000} s of warm-up, then ${opts.seconds} s of create/get/update/list of ConfigMaps in "${API.mixNamespace}"`);
  const warmup = await alive(mix(client, API.warmupMs, 'warmup'));
  const { window, slices, serverCpuPercent, clientCpuPercent, otherCpuPercent } = await alive(measuredMix(client, opts.seconds, server.pid));
  log(`the same mix against Node alone, answering bramble's bodies: ${API.referenceWarmupMs / 1000} s of warm-up, then ${API.referenceSeconds} s`);
  const reference = await alive(referenceMix(client, pkiDir(join(root, 'bramble')), root, cleanup));

  log(`creating ${API.pods} pods in namespace "${API.podNamespace}" (not timed)`);
  await alive(loadPods(client));
  log(`listing the ${API.pods} pods ${API.listRepeats} times as JSON, then ${API.listRepeats} times as Table`);
  const podsJson = await alive(listPods(client, undefined));
  const podsTable = await alive(listPods(client, TABLE_ACCEPT));

  const mem = await memory(server.pid);
  client.close();
  await server.stop();
  const cpuProfile = profDir === undefined ? undefined : await cpuProfileOf(profDir, server.pid);
  if (cpuProfile !== undefined) log(`server CPU profile: ${cpuProfile}`);

  const verb = (v: Verb): VerbFigures => ({ p50Ms: percentile(window.samples[v], 50), p99Ms: percentile(window.samples[v], 99), requests: window.samples[v].length });
  const requests = VERBS.reduce((n, v) => n + window.samples[v].length, 0);
  return {
    ...machineInfo(),
    clients: API.clients,
    seconds: opts.seconds,
    measuredSeconds: window.seconds,
    requestsPerS: requests / window.seconds,
    configMaps: warmup.samples.create.length + window.samples.create.length,
    serverCpuPercent,
    clientCpuPercent,
    otherCpuPercent,
    serverCpuUsPerRequest: ((serverCpuPercent / 100) * window.seconds * 1e6) / requests,
    verbs: { create: verb('create'), get: verb('get'), update: verb('update'), list: verb('list') },
    slices,
    reference,
    podsJson,
    podsTable,
    rssMb: mem.rssMb,
    rssPeakMb: mem.peakMb,
    ...(cpuProfile === undefined ? {} : { cpuProfile }),
  };
}

interface MixResult {
  readonly samples: Record<Verb, number[]>;
  /** When each sample's response arrived (performance.now()), in the order of `samples`. */
  readonly arrivals: Record<Verb, number[]>;
  readonly seconds: number;
}

/** The server's CPU ticks at a moment (performance.now()). */
interface TickReading {
  readonly at: number;
  readonly ticks: number;
}

/** The mix for `seconds`, with the CPU the server, this process (the clients) and all else used meanwhile, as % of one core, and its slices. */
async function measuredMix(client: ApiClient, seconds: number, serverPid: number) {
  const hz = await clockTicksPerSecond();
  const [serverBefore, machineBefore] = await Promise.all([cpuTicks(serverPid), machineBusyTicks()]);
  const clientBefore = process.cpuUsage();
  const readings: TickReading[] = [{ at: performance.now(), ticks: serverBefore }];
  const ticker = setInterval(() => {
    const at = performance.now();
    void cpuTicks(serverPid).then(
      (ticks) => readings.push({ at, ticks }),
      () => undefined,
    );
  }, API.sliceSeconds * 1000);
  const window = await mix(client, seconds * 1000, 'cm').finally(() => clearInterval(ticker));
  const clientCpu = process.cpuUsage(clientBefore);
  const [serverAfter, machineAfter] = await Promise.all([cpuTicks(serverPid), machineBusyTicks()]);
  const percent = (ticks: number) => (ticks / hz / window.seconds) * 100;
  const serverCpuPercent = percent(serverAfter - serverBefore);
  const clientCpuPercent = percent(((clientCpu.user + clientCpu.system) / 1e6) * hz);
  return {
    window,
    slices: slicesOf(window, readings, hz),
    serverCpuPercent,
    clientCpuPercent,
    // Never below 0: the three readings are not taken at exactly the same instant.
    otherCpuPercent: Math.max(0, percent(machineAfter - machineBefore) - serverCpuPercent - clientCpuPercent),
  };
}

/**
 * The mix against the reference server (reference-server.ts), which answers
 * with the object and the list page bramble answered the mix with, over
 * the same kind of connection, with bramble's serving certificate.
 */
async function referenceMix(client: ApiClient, pki: string, dir: string, cleanup: Cleanup): Promise<ReferenceFigures> {
  const text = async (path: string) => (await client.expect(200, 'GET', path)).body.toString('utf8');
  const bodies = { item: await text(`${CONFIGMAPS}/cm-0-0`), list: await text(`${CONFIGMAPS}?limit=${API.listLimit}`) };
  const server = await startReferenceServer(pki, bodies, dir, cleanup);
  const reference = client.atPort(server.port);
  try {
    await mix(reference, API.referenceWarmupMs, 'warmup');
    const hz = await clockTicksPerSecond();
    const before = await cpuTicks(server.pid);
    const window = await mix(reference, API.referenceSeconds * 1000, 'cm');
    const ticks = (await cpuTicks(server.pid)) - before;
    const requests = VERBS.reduce((n, v) => n + window.samples[v].length, 0);
    return {
      seconds: window.seconds,
      requestsPerS: requests / window.seconds,
      createP99Ms: percentile(window.samples.create, 99),
      serverCpuUsPerRequest: ((ticks / hz) * 1e6) / requests,
    };
  } finally {
    reference.close();
    await server.stop();
  }
}

/** One slice between each two readings of the server's ticks, its requests counted by when their responses arrived. */
function slicesOf(window: MixResult, readings: readonly TickReading[], hz: number): SliceFigures[] {
  const slices: SliceFigures[] = [];
  for (let i = 0; i + 1 < readings.length; i++) {
    const from = readings[i]!;
    const to = readings[i + 1]!;
    const within = (v: Verb) => window.samples[v].filter((_, j) => window.arrivals[v][j]! >= from.at && window.arrivals[v][j]! < to.at);
    const creates = within('create');
    const requests = VERBS.reduce((n, v) => n + within(v).length, 0);
    if (requests === 0) continue;
    slices.push({
      fromS: (from.at - readings[0]!.at) / 1000,
      requestsPerS: requests / ((to.at - from.at) / 1000),
      createP99Ms: percentile(creates, 99),
      serverCpuUsPerRequest: (((to.ticks - from.ticks) / hz) * 1e6) / requests,
    });
  }
  return slices;
}

/**
 * `clients` clients, each looping until `ms` have passed: create one of its
 * own ConfigMaps, get it, update it (with the resourceVersion the get
 * returned), list the namespace's ConfigMaps with limit=50. A client finishes
 * the iteration it is in when time is up; the window ends when the last does.
 */
async function mix(client: ApiClient, ms: number, prefix: string): Promise<MixResult> {
  const samples: Record<Verb, number[]> = { create: [], get: [], update: [], list: [] };
  const arrivals: Record<Verb, number[]> = { create: [], get: [], update: [], list: [] };
  const call = async (verb: Verb, status: number, method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const res = await client.expect(status, method, path, body === undefined ? {} : { body });
    samples[verb].push(res.ms);
    arrivals[verb].push(performance.now());
    return res;
  };
  let failed = false;
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: API.clients }, async (_, c) => {
      try {
        for (let n = 0; performance.now() < deadline && !failed; n++) {
          const name = `${prefix}-${c}-${n}`;
          await call('create', 201, 'POST', CONFIGMAPS, configMap(name));
          const got = await call('get', 200, 'GET', `${CONFIGMAPS}/${name}`);
          const obj = JSON.parse(got.body.toString('utf8')) as { data?: Record<string, string> };
          obj.data = configMapData();
          await call('update', 200, 'PUT', `${CONFIGMAPS}/${name}`, obj);
          await call('list', 200, 'GET', `${CONFIGMAPS}?limit=${API.listLimit}`);
        }
      } catch (err) {
        // The other clients stop too: one failure fails the run.
        failed = true;
        throw err;
      }
    }),
  );
  return { samples, arrivals, seconds: (performance.now() - start) / 1000 };
}

/** Creates the pods, then writes each one's running status through pods/status, as the kubelet reports it. */
async function loadPods(client: ApiClient): Promise<void> {
  await client.expect(201, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: API.podNamespace } } });
  let next = 0;
  await Promise.all(
    Array.from({ length: API.podLoaders }, async () => {
      for (let i = next++; i < API.pods; i = next++) {
        const created = await client.expect(201, 'POST', PODS, { body: nginxPod(API.podNamespace, i) });
        const pod = { ...(JSON.parse(created.body.toString('utf8')) as object), status: runningStatus(i) };
        await client.expect(200, 'PUT', `${PODS}/${podName(i)}/status`, { body: pod });
      }
    }),
  );
}

/** Median time of `listRepeats` full lists (no limit) of the pods, as JSON or (with `accept`) as Table; each must hold every pod. */
async function listPods(client: ApiClient, accept: string | undefined): Promise<ListFigures> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < API.listRepeats; i++) {
    const res = await client.expect(200, 'GET', PODS, accept === undefined ? {} : { accept });
    const body = JSON.parse(res.body.toString('utf8')) as { kind?: string; items?: unknown[]; rows?: unknown[] };
    const got = accept === undefined ? body.items?.length : body.rows?.length;
    const kind = accept === undefined ? 'PodList' : 'Table';
    if (body.kind !== kind || got !== API.pods) throw new Error(`GET ${PODS} answered a ${body.kind} of ${got} pods, not a ${kind} of ${API.pods}`);
    times.push(res.ms);
    bytes = res.body.length;
  }
  return { ms: median(times), bytes };
}


/** `work`; if it fails because the server died under it, the failure says how the server exited. */
export async function whileRunning<T>(work: Promise<T>, exited: Promise<Exit>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    // A dead server first shows as a failed request ("socket hang up"); its exit follows within moments.
    const exit = await Promise.race([exited, sleep(EXIT_WAIT_MS).then(() => undefined)]);
    if (exit !== undefined) throw new Error(`bramble server exited during the run (${describeExit(exit)})`);
    throw err;
  }
}

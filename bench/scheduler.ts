// `bench scheduler`: how fast the scheduler binds a backlog, as
// kube-scheduler's own throughput tests measure it. A real `bramble server`
// started with --disable-scheduler gets 1,000 simulated Nodes (Ready, 4 CPUs,
// 8 GiB, 110 pods; no agent needed to decide where a pod goes) through the
// API, and 100 ReplicaSets of 100 pods each (100m CPU and 64 MiB), whose
// 10,000 pending pods the server's ReplicaSet controller makes (real owners,
// so the garbage collector keeps them and the spreading score has work). Then it is restarted with its scheduler (which starts with the API
// ready), and a watch from the revision before the restart sees every pod
// bound: pods bound per second from the ready line to the last binding.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiClient } from './api-client.js';
import { cpuProfileOf, startBrambleServer } from './bramble-process.js';
import type { Cleanup } from './cleanup.js';
import { clockTicksPerSecond, cpuTicks, memory } from './proc.js';
import { machineInfo, type MachineInfo } from './report.js';

export const SCHEDULER = {
  nodes: 1000,
  pods: 10_000,
  podsPerOwner: 100,
  createConcurrency: 20,
  /** Nodes without agents must not turn Unknown (and tainted) during the run. */
  serverArgs: ['--node-monitor-grace-period', '24h'],
  timeoutMs: 10 * 60_000,
  targetPodsPerS: 500,
} as const;

export interface SchedulerBenchReport extends MachineInfo {
  readonly nodes: number;
  readonly pods: number;
  /** Creating the Nodes and ReplicaSets through the API until the ReplicaSet controller made every pod (scheduler off), s. */
  readonly createSeconds: number;
  /** From the restarted server's ready line until the watch saw the last pod bound, s. */
  readonly bindSeconds: number;
  readonly podsPerS: number;
  /** The server's CPU over that span, % of one core, and its RSS at the end, MiB. */
  readonly serverCpuPercent: number;
  readonly rssMb: number;
  /** Pods on the emptiest and the fullest node at the end. */
  readonly minPodsPerNode: number;
  readonly maxPodsPerNode: number;
  readonly cpuProfile?: string;
}

export async function runSchedulerBench(cpuProfDir: string | undefined, cleanup: Cleanup, log: (line: string) => void): Promise<SchedulerBenchReport> {
  const root = await mkdtemp(join(tmpdir(), 'bramble-bench-'));
  cleanup.add(() => rm(root, { recursive: true, force: true }));
  const dataDir = join(root, 'bramble');
  const { nodes, pods } = SCHEDULER;

  log(`starting bramble server --disable-scheduler (data in ${root}); creating ${nodes} Nodes and ReplicaSets of ${pods} pending pods`);
  const filling = await startBrambleServer(dataDir, cleanup, [], ['--disable-scheduler', ...SCHEDULER.serverArgs]);
  const createStarted = performance.now();
  let revision: string;
  const api = await ApiClient.fromKubeconfig(filling.kubeconfigPath, SCHEDULER.createConcurrency);
  try {
    await inParallel(nodes, (i) => api.expect(201, 'POST', '/api/v1/nodes', { body: node(i) }));
    const sample = JSON.parse((await api.expect(200, 'GET', `/api/v1/nodes/${nodeName(0)}`)).body.toString()) as { status?: { allocatable?: unknown } };
    if (sample.status?.allocatable === undefined) throw new Error('the server dropped the status of a created Node; the bench needs its allocatable');
    await inParallel(pods / SCHEDULER.podsPerOwner, (i) => api.expect(201, 'POST', '/apis/apps/v1/namespaces/default/replicasets', { body: replicaSet(i) }));
    revision = await untilPods(api, pods);
  } finally {
    api.close();
  }
  const createSeconds = (performance.now() - createStarted) / 1000;
  await filling.stop();

  const profDir = cpuProfDir === undefined ? undefined : resolve(cpuProfDir);
  if (profDir !== undefined) await mkdir(profDir, { recursive: true });
  log(`created in ${createSeconds.toFixed(1)} s; restarting the server with its scheduler${profDir === undefined ? '' : ' under node --cpu-prof'}`);
  const server = await startBrambleServer(dataDir, cleanup, profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`], SCHEDULER.serverArgs);
  const ready = performance.now();
  const hz = await clockTicksPerSecond();
  const ticks = await cpuTicks(server.pid);
  const watcher = await ApiClient.fromKubeconfig(server.kubeconfigPath, 2);
  const bound = new Map<string, string>();
  let lastBound = ready;
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), SCHEDULER.timeoutMs);
  try {
    const all = new Promise<void>((resolveAll) => {
      void watcher
        .stream(
          `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${revision}`,
          (line) => {
            const event = JSON.parse(line) as { object?: { metadata?: { name?: string }; spec?: { nodeName?: string } } };
            const name = event.object?.metadata?.name;
            const nodeNameOf = event.object?.spec?.nodeName;
            if (name === undefined || !nodeNameOf || bound.has(name)) return;
            bound.set(name, nodeNameOf);
            lastBound = performance.now();
            if (bound.size === pods) resolveAll();
          },
          stop.signal,
        )
        .finally(resolveAll);
    });
    await all;
  } finally {
    clearTimeout(timer);
    stop.abort();
    watcher.close();
  }
  if (bound.size < pods) throw new Error(`only ${bound.size} of ${pods} pods were bound within ${SCHEDULER.timeoutMs / 1000} s`);
  const bindSeconds = (lastBound - ready) / 1000;
  const serverCpuPercent = (((await cpuTicks(server.pid)) - ticks) / hz / bindSeconds) * 100;
  const { rssMb } = await memory(server.pid);
  await server.stop();
  const perNode = new Map<string, number>();
  for (const name of bound.values()) perNode.set(name, (perNode.get(name) ?? 0) + 1);
  const counts = Array.from({ length: nodes }, (_, i) => perNode.get(nodeName(i)) ?? 0);
  const cpuProfile = profDir === undefined ? undefined : await cpuProfileOf(profDir, server.pid);
  await rm(root, { recursive: true, force: true });
  return {
    ...machineInfo(),
    nodes,
    pods,
    createSeconds,
    bindSeconds,
    podsPerS: pods / bindSeconds,
    serverCpuPercent,
    rssMb,
    minPodsPerNode: Math.min(...counts),
    maxPodsPerNode: Math.max(...counts),
    ...(cpuProfile === undefined ? {} : { cpuProfile }),
  };
}

/** Waits until the ReplicaSet controller has made `count` pods; the list's revision then. */
async function untilPods(api: ApiClient, count: number): Promise<string> {
  const deadline = Date.now() + SCHEDULER.timeoutMs;
  for (;;) {
    const list = JSON.parse((await api.expect(200, 'GET', '/api/v1/namespaces/default/pods')).body.toString()) as { items: unknown[]; metadata: { resourceVersion: string } };
    if (list.items.length >= count) return list.metadata.resourceVersion;
    if (Date.now() > deadline) throw new Error(`the ReplicaSet controller made ${list.items.length} of ${count} pods within ${SCHEDULER.timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function inParallel(count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: SCHEDULER.createConcurrency }, async () => {
      for (let i = next++; i < count; i = next++) await work(i);
    }),
  );
}

function nodeName(i: number): string {
  return `sched-${String(i).padStart(4, '0')}`;
}

function node(i: number): object {
  const resources = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '30Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: nodeName(i), labels: { 'kubernetes.io/hostname': nodeName(i), 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64' } },
    status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] },
  };
}

/** One of the ReplicaSets whose pods make the backlog: created by the server's own ReplicaSet controller. */
function replicaSet(i: number): object {
  const labels = { app: `app-${i}` };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `app-${i}` },
    spec: {
      replicas: SCHEDULER.podsPerOwner,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'registry.local/app:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
      },
    },
  };
}

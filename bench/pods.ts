// `bench pods`: how fast a pod starts on a real node, and what the agent
// costs while pods run. A real registry, containerd (with a CNI network of
// its own), `bramble server` and `bramble agent`, as the end-to-end tests
// set them up (the same helpers). With the image already on the node, 50
// pods are created at a steady rate; a watch sees each bound and Running:
// the startup latency is create → Running as that watch observes it (the
// Kubernetes SLO's definition, images pre-pulled). Then 20 pods stay and the
// agent's CPU and RSS are read over a window, containerd's beside them.
import { join } from 'node:path';
import { RuntimeClient } from '../agent/cri/runtime-client.js';
import { startContainerd } from '../test/helpers/containerd.js';
import { removeEveryPod } from '../test/helpers/pod-node.js';
import { startRegistry } from '../test/helpers/registry.js';
import type { Teardown } from '../test/helpers/teardown.js';
import { tempDir } from '../test/helpers/temp.js';
import { publicImage, pushTestImages } from '../test/helpers/test-images.js';
import { ApiClient } from './api-client.js';
import { startBrambleAgent, startBrambleServer } from './bramble-process.js';
import type { Cleanup } from './cleanup.js';
import { clockTicksPerSecond, cpuTicks, memory, sleep } from './proc.js';
import { machineInfo, type MachineInfo } from './report.js';

export const PODS = {
  startupPods: 50,
  /** Creations per second: a steady rate, as the SLO's load tests create pods. */
  createPerS: 5,
  runningPods: 20,
  defaultSeconds: 30,
  targetP99Ms: 1000,
  targetAgentRssMb: 60,
  timeoutMs: 3 * 60_000,
} as const;

const NODE = 'bench-pi';
const NAMESPACE = 'default';

export interface PodsBenchReport extends MachineInfo {
  readonly pods: number;
  readonly createPerS: number;
  /** create sent → Running seen by the watch, ms. */
  readonly startupP50Ms: number;
  readonly startupP99Ms: number;
  readonly startupMaxMs: number;
  /** create sent → bound seen by the watch (the scheduler's share), ms. */
  readonly boundP50Ms: number;
  readonly runningPods: number;
  readonly seconds: number;
  /** Over the window with `runningPods` pods: % of one core, and RSS at its end, MiB. */
  readonly agentCpuPercent: number;
  readonly agentRssMb: number;
  /** Of the agent's RSS, what is its own (RssAnon): the rest is Node's executable, shared with every Node process. */
  readonly agentAnonMb: number;
  readonly containerdCpuPercent: number;
  readonly containerdRssMb: number;
}

export async function runPodsBench(seconds: number, cleanup: Cleanup, log: (line: string) => void): Promise<PodsBenchReport> {
  // Removed last, after the agent has stopped, with whatever its pods' volumes left mounted in it.
  const root = await tempDir(teardownIn(cleanup), 'bramble-bench-');
  const parts = teardownIn(cleanup);

  log('starting a registry with the test images and a containerd with its own pod network');
  const registry = await startRegistry(parts);
  await pushTestImages(registry);
  const containerd = await startContainerd(parts, { registry, podNetwork: true });
  const runtime = RuntimeClient.connect(containerd.endpoint);
  // Runs before containerd stops (steps run newest first): shims outlive containerd, so the pods go first.
  cleanup.add(async () => {
    try {
      await removeEveryPod(runtime);
    } finally {
      runtime.close();
    }
  });

  log('starting bramble server and bramble agent');
  const serverDir = join(root, 'server');
  const server = await startBrambleServer(serverDir, cleanup);
  const agent = await startBrambleAgent({ kubeconfigPath: server.kubeconfigPath, dataDir: serverDir }, join(root, 'agent'), NODE, containerd.endpoint, cleanup);
  const api = await ApiClient.fromKubeconfig(server.kubeconfigPath, 8);
  cleanup.add(() => api.close());
  await untilTrue(async () => nodeReady(api), 'the agent’s node to be Ready');

  log('pulling the image once (a pod run and deleted)');
  await api.expect(201, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, { body: pod('warm-up') });
  await untilTrue(async () => (await phase(api, 'warm-up')) === 'Running', 'the warm-up pod to run');
  await deletePods(api, ['warm-up']);

  log(`creating ${PODS.startupPods} pods, ${PODS.createPerS} a second, watching each until it runs`);
  const list = JSON.parse((await api.expect(200, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods`)).body.toString()) as { metadata: { resourceVersion: string } };
  const sent = new Map<string, number>();
  const bound = new Map<string, number>();
  const running = new Map<string, number>();
  const names = Array.from({ length: PODS.startupPods }, (_, i) => `start-${String(i).padStart(2, '0')}`);
  const stop = new AbortController();
  let allRunning: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allRunning = resolve));
  const watch = api.stream(
    `/api/v1/namespaces/${NAMESPACE}/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`,
    (line) => {
      const now = performance.now();
      const object = (JSON.parse(line) as { object?: { metadata?: { name?: string }; spec?: { nodeName?: string }; status?: { phase?: string } } }).object;
      const name = object?.metadata?.name;
      if (name === undefined || !sent.has(name)) return;
      if (object?.spec?.nodeName && !bound.has(name)) bound.set(name, now);
      if (object?.status?.phase === 'Running' && !running.has(name)) running.set(name, now);
      if (running.size === names.length) allRunning();
    },
    stop.signal,
  );
  const timer = setTimeout(() => stop.abort(), PODS.timeoutMs);
  try {
    const started = performance.now();
    await Promise.all(
      names.map(async (name, i) => {
        await sleep(Math.max(0, started + (i * 1000) / PODS.createPerS - performance.now()));
        sent.set(name, performance.now());
        await api.expect(201, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, { body: pod(name) });
      }),
    );
    await Promise.race([done, watch]);
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  if (running.size < names.length) throw new Error(`only ${running.size} of ${names.length} pods ran within ${PODS.timeoutMs / 1000} s`);
  const startup = names.map((name) => running.get(name)! - sent.get(name)!).sort((a, b) => a - b);
  const toBind = names.map((name) => (bound.get(name) ?? running.get(name)!) - sent.get(name)!).sort((a, b) => a - b);

  log(`keeping ${PODS.runningPods} pods; measuring the agent and containerd over ${seconds} s`);
  await deletePods(api, names.slice(PODS.runningPods));
  await untilTrue(async () => (await runtime.listPodSandbox()).length === PODS.runningPods, `the node to hold ${PODS.runningPods} pods`);
  // Let the deletions' work settle before the window opens.
  await sleep(5000);
  const hz = await clockTicksPerSecond();
  const before = { agent: await cpuTicks(agent.pid), containerd: await cpuTicks(containerd.pid) };
  await sleep(seconds * 1000);
  const percent = (ticks: number) => (ticks / hz / seconds) * 100;
  const agentMemory = await memory(agent.pid);
  const report: PodsBenchReport = {
    ...machineInfo(),
    pods: names.length,
    createPerS: PODS.createPerS,
    startupP50Ms: quantile(startup, 0.5),
    startupP99Ms: quantile(startup, 0.99),
    startupMaxMs: startup.at(-1)!,
    boundP50Ms: quantile(toBind, 0.5),
    runningPods: PODS.runningPods,
    seconds,
    agentCpuPercent: percent((await cpuTicks(agent.pid)) - before.agent),
    agentRssMb: agentMemory.rssMb,
    agentAnonMb: agentMemory.anonMb,
    containerdCpuPercent: percent((await cpuTicks(containerd.pid)) - before.containerd),
    containerdRssMb: (await memory(containerd.pid)).rssMb,
  };
  await deletePods(api, names.slice(0, PODS.runningPods));
  return report;
}

/** The sorted sample's value at quantile `q` (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * The test helpers' teardown on the bench's cleanup: the helpers register
 * their steps in the order they must run (node:test runs after-hooks first
 * registered, first run), the bench's cleanup runs newest first, so they are
 * kept together as one step.
 */
function teardownIn(cleanup: Cleanup): Teardown {
  const steps: (() => unknown)[] = [];
  cleanup.add(async () => {
    for (const step of steps) await step();
  });
  return { after: (step) => void steps.push(step) };
}

function pod(name: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench' } },
    spec: {
      // sleep as PID 1 ignores SIGTERM: a short grace keeps the deletions short.
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: publicImage('busybox:1.36'), imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  };
}

async function nodeReady(api: ApiClient): Promise<boolean> {
  const res = await api.request('GET', `/api/v1/nodes/${NODE}`);
  if (res.status !== 200) return false;
  const node = JSON.parse(res.body.toString()) as { status?: { conditions?: { type: string; status: string }[] } };
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

async function phase(api: ApiClient, name: string): Promise<string | undefined> {
  const res = await api.expect(200, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods/${name}`);
  return (JSON.parse(res.body.toString()) as { status?: { phase?: string } }).status?.phase;
}

/** Deletes the pods and waits until the API no longer has them. */
async function deletePods(api: ApiClient, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => api.request('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods/${name}`)));
  await untilTrue(async () => {
    const statuses = await Promise.all(names.map(async (name) => (await api.request('GET', `/api/v1/namespaces/${NAMESPACE}/pods/${name}`)).status));
    return statuses.every((status) => status === 404);
  }, `${names.length} pods to be deleted`);
}

async function untilTrue(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + PODS.timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${PODS.timeoutMs / 1000} s`);
    await sleep(250);
  }
}

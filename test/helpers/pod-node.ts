// One node that runs real pods, for end-to-end tests: a real local registry
// with the test images, a real containerd using it (and a CNI network of the
// test's own), a `bramble server` and a `bramble agent` on that containerd,
// Ready. When the test ends, pass or fail, the agent goes first (or it would
// run the pods again), then every pod through CRI, before containerd's own
// teardown: shims outlive containerd; then the agent's volume mounts (tmpfs),
// before its data dir is removed.
import type { TestContext } from 'node:test';
import { RuntimeClient } from '../../agent/cri/runtime-client.js';
import { unmountAll } from '../../agent/volumes/tmpfs.js';
import { type BrambleProcess, startAgent, startBramble } from './bramble.js';
import { agentArgs, type Cluster, cluster, waitReady } from './cluster.js';
import { type Containerd, startContainerd } from './containerd.js';
import { startRegistry } from './registry.js';
import { pushTestImages } from './test-images.js';

export interface PodNode {
  readonly cluster: Cluster & { args: string[] };
  readonly containerd: Containerd;
  /** The test's own CRI client on the node's containerd. */
  readonly runtime: RuntimeClient;
  readonly agent: BrambleProcess;
  /** Stops the agent and starts it again (with its certificate, no token); its pods keep running. */
  restartAgent(): Promise<BrambleProcess>;
  /** Stops the agent (SIGTERM); its pods keep running. */
  stopAgent(): Promise<void>;
  /**
   * Starts the stopped agent again (with its certificate, no token) and
   * waits until it is connected, or with `serverDown` only until it runs.
   */
  startAgent(opts?: { serverDown?: boolean }): Promise<BrambleProcess>;
}

export interface PodNodeOptions {
  /** More `bramble agent` flags (e.g. a shorter --metric-resolution). */
  readonly agentFlags?: readonly string[];
}

/**
 * Every container and sandbox on the runtime, removed (shims outlive
 * containerd, so this goes before it stops); one failure does not stop the
 * rest, and they are all reported at the end.
 */
export async function removeEveryPod(runtime: RuntimeClient): Promise<void> {
  const errors: unknown[] = [];
  const attempt = (p: Promise<unknown>) => p.catch((err: unknown) => errors.push(err));
  for (const container of await runtime.listContainers()) await attempt(runtime.removeContainer(container.id));
  for (const sandbox of await runtime.listPodSandbox()) {
    await attempt(runtime.stopPodSandbox(sandbox.id));
    await attempt(runtime.removePodSandbox(sandbox.id));
  }
  if (errors.length > 0) throw new AggregateError(errors, 'cleaning up through CRI failed');
}

export async function startPodNode(t: TestContext, name: string, opts: PodNodeOptions = {}): Promise<PodNode> {
  let runtime: RuntimeClient | undefined;
  let agent: BrambleProcess | undefined;
  let dataDir: string | undefined;
  // Registered before containerd's teardown, so it runs first.
  t.after(async () => {
    await agent?.kill();
    if (runtime === undefined) return;
    try {
      await removeEveryPod(runtime);
    } finally {
      runtime.close();
      if (dataDir !== undefined) await unmountAll(dataDir);
    }
  });
  const registry = await startRegistry(t);
  await pushTestImages(registry);
  const containerd = await startContainerd(t, { registry, podNetwork: true });
  runtime = RuntimeClient.connect(containerd.endpoint);
  // No agent reports for the simulated parts; the real one does, but a slow machine must not make its node Unknown.
  const c = await cluster(t, undefined, ['--node-monitor-grace-period', '1h']);
  dataDir = c.dir;
  agent = await startAgent(t, [...agentArgs(c, name, containerd.endpoint), ...(opts.agentFlags ?? [])]);
  await waitReady(c.k, name, 'True');
  const node: PodNode = {
    cluster: c,
    containerd,
    runtime,
    get agent() {
      return agent!;
    },
    restartAgent: async () => {
      await node.stopAgent();
      return node.startAgent();
    },
    stopAgent: async () => {
      await agent!.stop();
    },
    startAgent: async ({ serverDown = false } = {}) => {
      const args = [...agentArgs(c, name, containerd.endpoint, undefined), ...(opts.agentFlags ?? [])];
      agent = serverDown ? await startBramble(t, ['agent', ...args], /msg="bramble agent running"/) : await startAgent(t, args);
      return agent;
    },
  };
  return node;
}

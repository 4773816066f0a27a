// `bramble agent` (also run inside `bramble server`): joins or reuses the
// node's credentials, then keeps its link to the server, reporting status
// built from this machine and its container runtime, and runs the pods
// bound to the node on that runtime; this file only wires the parts together.
import type { Taint } from '../common/agent-protocol.js';
import type { Logger } from '../common/log.js';
import { goArch, goOs } from '../common/version.js';
import { join } from 'node:path';
import { ImageClient } from './cri/image-client.js';
import { RuntimeClient } from './cri/runtime-client.js';
import { DesiredState } from './desired/desired-state.js';
import { ensureJoined } from './join/join-cluster.js';
import { ServerLink } from './link/server-link.js';
import { PodEventSender } from './pods/pod-event-sender.js';
import { PodManager } from './pods/pod-manager.js';
import { PodWorker } from './pods/pod-worker.js';
import { ProbeManager } from './probes/probe-manager.js';
import { nodeAddresses } from './status/addresses.js';
import { HostFiles } from './status/host-files.js';
import { NodeStatusCollector } from './status/node-status-collector.js';

export interface AgentConfig {
  readonly serverUrl: URL;
  /** Needed only until the node has joined. */
  readonly token: string | undefined;
  /** The agent's data dir (credentials, pod logs). */
  readonly dir: string;
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly runtimeEndpoint: string;
  readonly statusIntervalMs: number;
  readonly nodeIp?: string;
  readonly log: Logger;
}

export interface RunningAgent {
  close(): Promise<void>;
}

export async function runAgent(config: AgentConfig): Promise<RunningAgent> {
  const log = config.log;
  const credentials = await ensureJoined({ serverUrl: config.serverUrl, token: config.token, nodeName: config.nodeName, dir: config.dir, log });
  const runtime = RuntimeClient.connect(config.runtimeEndpoint);
  const images = ImageClient.connect(config.runtimeEndpoint);
  const collector = new NodeStatusCollector({
    dataDir: config.dir,
    runtime,
    hostname: config.nodeName,
    ...(config.nodeIp !== undefined ? { nodeIp: config.nodeIp } : {}),
  });
  // Declared before the manager it calls: changes arrive only once the link has started.
  const desired: DesiredState = new DesiredState({ log, onChange: (refs) => pods.changed(refs) });
  const link = new ServerLink({
    serverUrl: config.serverUrl,
    dir: config.dir,
    nodeName: config.nodeName,
    credentials,
    hello: { labels: { ...wellKnownLabels(config.nodeName), ...config.labels }, taints: [...config.taints] },
    collectStatus: () => collector.collect(),
    statusIntervalMs: config.statusIntervalMs,
    desired,
    log,
  });
  const host = new HostFiles('/');
  // What kubelet records about pods (Created, Started, Pulling, Unhealthy, …), for every part that runs them.
  const events = new PodEventSender((event) => link.sendPodEvent(event), log);
  // A probe result that changes makes its pod's status due at once.
  const probes = new ProbeManager({ runtime, events, onChange: (key) => pods.requeue(key, 0), log });
  const pods: PodManager = new PodManager({
    worker: new PodWorker({ runtime, images, desired, logRoot: join(config.dir, 'pod-logs'), events, requeue: (key, ms) => pods.requeue(key, ms), log }),
    desired,
    send: (report) => link.sendPodStatus(report),
    sendDeletion: (deletion) => link.sendPodDeletion(deletion),
    hostIp: async () => (await nodeAddresses(host, config.nodeName, config.nodeIp)).find((a) => a.type === 'InternalIP')?.address,
    // With the node status: exits are noticed within one interval.
    relistIntervalMs: config.statusIntervalMs,
    probes,
    log,
  });
  link.start();
  pods.start();
  log.info('bramble agent running', { node: config.nodeName, server: config.serverUrl.origin, runtime: config.runtimeEndpoint });
  return {
    // The pods keep running: a restarted agent finds them by their labels and adopts them.
    close: async () => {
      await pods.close();
      probes.close();
      await link.close();
      images.close();
      runtime.close();
      log.info('bramble agent stopped');
    },
  };
}

/** What kubelet labels every node with. */
function wellKnownLabels(nodeName: string): Record<string, string> {
  return {
    'kubernetes.io/arch': goArch(),
    'kubernetes.io/os': goOs(),
    'kubernetes.io/hostname': nodeName,
    'beta.kubernetes.io/arch': goArch(),
    'beta.kubernetes.io/os': goOs(),
  };
}

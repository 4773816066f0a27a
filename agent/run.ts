// `bramble agent` (also run inside `bramble server`): joins or reuses the
// node's credentials, then keeps its link to the server, reporting status
// built from this machine and its container runtime. Later issues add the
// pods here; this file only wires the parts together.
import type { Taint } from '../common/agent-protocol.js';
import type { Logger } from '../common/log.js';
import { goArch, goOs } from '../common/version.js';
import { RuntimeClient } from './cri/runtime-client.js';
import { DesiredState } from './desired/desired-state.js';
import { ensureJoined } from './join/join-cluster.js';
import { ServerLink } from './link/server-link.js';
import { NodeStatusCollector } from './status/node-status-collector.js';

export interface AgentConfig {
  readonly serverUrl: URL;
  /** Needed only until the node has joined. */
  readonly token: string | undefined;
  /** The agent's data dir (credentials; later its pod cache). */
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
  const collector = new NodeStatusCollector({
    dataDir: config.dir,
    runtime,
    hostname: config.nodeName,
    ...(config.nodeIp !== undefined ? { nodeIp: config.nodeIp } : {}),
  });
  const link = new ServerLink({
    serverUrl: config.serverUrl,
    dir: config.dir,
    nodeName: config.nodeName,
    credentials,
    hello: { labels: { ...wellKnownLabels(config.nodeName), ...config.labels }, taints: [...config.taints] },
    collectStatus: () => collector.collect(),
    statusIntervalMs: config.statusIntervalMs,
    desired: new DesiredState({ log }),
    log,
  });
  link.start();
  log.info('bramble agent running', { node: config.nodeName, server: config.serverUrl.origin, runtime: config.runtimeEndpoint });
  return {
    close: async () => {
      await link.close();
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

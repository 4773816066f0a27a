// `bramble agent` (also run inside `bramble server`): joins or reuses the
// node's credentials, then keeps its link to the server, reporting status
// built from this machine and its container runtime, and runs the pods
// bound to the node on that runtime; this file only wires the parts together.
//
// At start it imports the image archives in DATA/agent/images (air-gap
// images), and opens its cache of what the node holds: when the server
// cannot be reached (the link fails, or says nothing for a while) the node
// runs what it held before, until the server's first snapshot replaces that.
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { NodeStatus, Taint } from '../common/agent-protocol.js';
import type { Logger } from '../common/log.js';
import { goArch, goOs } from '../common/version.js';
import { join } from 'node:path';
import { ImageClient } from './cri/image-client.js';
import { RuntimeClient } from './cri/runtime-client.js';
import { DesiredCache } from './desired/desired-cache.js';
import { DesiredState } from './desired/desired-state.js';
import { importImageArchives } from './images/image-archives.js';
import { MetricsReporter } from './metrics/metrics-reporter.js';
import { UsageSampler } from './metrics/usage-sampler.js';
import { ensureJoined } from './join/join-cluster.js';
import { ServerLink, type ServerLinkOptions } from './link/server-link.js';
import { ImagePuller } from './pods/image-puller.js';
import { PodEventSender } from './pods/pod-event-sender.js';
import { PodManager } from './pods/pod-manager.js';
import { PodWorker } from './pods/pod-worker.js';
import { RuntimeHandlers } from './pods/runtime-handlers.js';
import { ProbeManager } from './probes/probe-manager.js';
import { nodeAddresses } from './status/addresses.js';
import { HostFiles } from './status/host-files.js';
import { Claims } from './volumes/claims.js';
import { NodeApi } from './volumes/node-api.js';
import { PodTokens } from './volumes/pod-tokens.js';
import { VolumeManager } from './volumes/volume-manager.js';
import { VolumeSweeper } from './volumes/volume-sweeper.js';
import { NodeStatusCollector } from './status/node-status-collector.js';

/** With no word from the server this long after start, the node runs from its cache. */
const OFFLINE_AFTER_MS = 10_000;

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
  /** How often resource usage is sampled and sent (metrics-server's --metric-resolution). */
  readonly metricResolutionMs: number;
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
  // Before any pod runs, as k3s does, so pods that name these images find them.
  await importImageArchives({
    dir: join(config.dir, 'images'),
    stateFile: join(config.dir, 'images-imported.json'),
    containerdSocket: socketPath(config.runtimeEndpoint),
    log,
  }).catch((err: unknown) => log.warn('could not import the image archives', { error: err }));
  const cache = await DesiredCache.open({ dir: join(config.dir, 'cache'), log });
  const cached = await cache.load();
  const collector = new NodeStatusCollector({
    dataDir: config.dir,
    runtime,
    hostname: config.nodeName,
    ...(config.nodeIp !== undefined ? { nodeIp: config.nodeIp } : {}),
  });
  // The pods' containers read the node's addresses and resources from its latest status, as kubelet reads its Node.
  let lastStatus: Promise<NodeStatus> | undefined;
  const nodeFacts = async () => {
    const status = await (lastStatus ??= collector.collect());
    return { hostIps: status.addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address), capacity: status.capacity, allocatable: status.allocatable };
  };
  const logRoot = join(config.dir, 'pod-logs');
  const streamLog = log.with({ component: 'streams' });
  // The streaming code (SPDY, log following, the tunnel) loads with the first kubectl logs/exec/port-forward:
  // many nodes never serve one, and a Pi's RAM would hold it all the same.
  const serveStream: ServerLinkOptions['openStream'] = (open, client) =>
    void Promise.all([import('./streams/node-streams.js'), import('./streams/tunnel-client.js')])
      .then(([{ NodeStreams }, { serveTunnel }]) => {
        const streams = new NodeStreams({ runtime, logRoot });
        return serveTunnel(open, client.tunnel(), (request) => streams.open(request), streamLog);
      })
      .catch((err: unknown) => streamLog.error('could not serve a stream', { error: err }));
  // Declared before the manager it calls: changes arrive only once the link has started.
  const desired: DesiredState = new DesiredState({
    log,
    onChange: (refs) => {
      // A changed ConfigMap or Secret also reaches the pods that use it: their volumes are updated in place.
      pods.changed([...refs, ...volumes.podsUsing(refs)]);
      void cache.update(desired, refs);
    },
  });
  // An empty cache (a node that never held anything, or lost it) is no reason to stop the pods the runtime has.
  const runFromCache = () => {
    clearTimeout(offline);
    if (cached.length > 0) desired.loadCached(cached);
  };
  const offline = setTimeout(runFromCache, OFFLINE_AFTER_MS);
  const link = new ServerLink({
    serverUrl: config.serverUrl,
    dir: config.dir,
    nodeName: config.nodeName,
    credentials,
    hello: { labels: { ...wellKnownLabels(config.nodeName), ...config.labels }, taints: [...config.taints] },
    collectStatus: () => (lastStatus = collector.collect()),
    statusIntervalMs: config.statusIntervalMs,
    desired,
    onUnreachable: runFromCache,
    openStream: serveStream,
    log,
  });
  const host = new HostFiles('/');
  const api = new NodeApi({ serverUrl: config.serverUrl, dir: config.dir });
  const claims = new Claims(api);
  const volumeLog = log.with({ component: 'volumes' });
  const volumes = new VolumeManager({ dir: config.dir, desired, tokens: new PodTokens(api), claims, allocatable: async () => (await nodeFacts()).allocatable, log: volumeLog });
  const sweeper = new VolumeSweeper({
    volumes,
    desired,
    runtime,
    api,
    claims,
    nodeName: config.nodeName,
    storageDir: join(config.dir, 'storage'),
    intervalMs: config.statusIntervalMs,
    log: volumeLog,
  });
  // What kubelet records about pods (Created, Started, Pulling, Unhealthy, …), for every part that runs them.
  const events = new PodEventSender((event) => link.sendPodEvent(event), log);
  const puller = new ImagePuller({ images, events, secret: (namespace, name) => desired.get('secrets', namespace, name)?.object as Secret | undefined, log });
  // A probe result that changes makes its pod's status due at once.
  const runtimeHandlers = new RuntimeHandlers(api);
  const probes = new ProbeManager({ runtime, events, onChange: (key) => pods.requeue(key, 0), log });
  const pods: PodManager = new PodManager({
    worker: new PodWorker({
      runtime,
      images,
      puller,
      desired,
      logRoot,
      node: nodeFacts,
      events,
      requeue: (key, ms) => pods.requeue(key, ms),
      volumes,
      runtimeHandler: (pod) => runtimeHandlers.handlerOf(pod),
      log,
    }),
    desired,
    send: (report) => link.sendPodStatus(report),
    sendDeletion: (deletion) => link.sendPodDeletion(deletion),
    hostIp: async () => (await nodeAddresses(host, config.nodeName, config.nodeIp)).find((a) => a.type === 'InternalIP')?.address,
    // With the node status: exits are noticed within one interval.
    relistIntervalMs: config.statusIntervalMs,
    probes,
    log,
  });
  const metrics = new MetricsReporter({
    sampler: new UsageSampler({ runtime, host }),
    send: (report) => link.sendMetrics(report),
    resolutionMs: config.metricResolutionMs,
    log,
  });
  link.start();
  pods.start();
  sweeper.start();
  metrics.start();
  log.info('bramble agent running', { node: config.nodeName, server: config.serverUrl.origin, runtime: config.runtimeEndpoint });
  return {
    // The pods keep running: a restarted agent finds them by their labels and adopts them.
    close: async () => {
      clearTimeout(offline);
      await metrics.close();
      await sweeper.close();
      await pods.close();
      probes.close();
      await link.close();
      await cache.close();
      images.close();
      runtime.close();
      log.info('bramble agent stopped');
    },
  };
}

/** The socket's path of a CRI endpoint (unix:///path or /path), for containerd's own API. */
function socketPath(endpoint: string): string {
  return endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint;
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

// `bramble server`: opens the store, makes sure the cluster PKI exists, and
// starts what serves them: the Kubernetes API and the agent service behind
// one TLS port, the controllers. Later issues add the scheduler here; this
// file only wires them together.
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../common/log.js';
import { adminSocketPath, pkiDir, serverDir, storeDir } from '../common/paths.js';
import { startAdminServer } from './admin/admin-server.js';
import { BootstrapTokens } from './agents/bootstrap-tokens.js';
import { startAgentService } from './agents/agent-service.js';
import type { PodStreams } from '../common/pod-streams.js';
import { JoinService } from './agents/join-service.js';
import { withLiveNodeLeases } from './agents/live-leases.js';
import { NodeFeed } from './agents/node-feed.js';
import { NodeKeeper } from './agents/node-keeper.js';
import { Scheduler } from './scheduler/scheduler.js';
import { LeaderElection, type LeaderWork } from './leader/leader-election.js';
import { SharedInformers } from './controllers/shared-informers.js';
import { NodePasswords } from './agents/node-passwords.js';
import { PodDeleter } from './agents/pod-deleter.js';
import { PodEventWriter } from './agents/pod-event-writer.js';
import { PodStatusWriter } from './agents/pod-status-writer.js';
import { createApiServer } from './api/api-server.js';
import { bootstrapCluster } from './api/bootstrap.js';
import { BUILTIN_RESOURCES, Catalogue } from './api/catalogue.js';
import { CrdCatalogue } from './api/crd/crd-catalogue.js';
import { withCustomResourceRules } from './api/crd/rules.js';
import { rulesFor, withServiceRanges } from './api/kinds/index.js';
import { withLimitRanger } from './api/kinds/limit-ranger.js';
import { withPriorityAdmission } from './api/kinds/priority-admission.js';
import { withRuntimeClassAdmission } from './api/kinds/runtime-class-admission.js';
import { withServiceAccountAdmission } from './api/kinds/service-account-admission.js';
import { withServiceAccountVolume } from './api/kinds/service-account-volume.js';
import { withDefaultStorageClass } from './api/kinds/storage.js';
import { ServiceRanges } from './api/kinds/service-ranges.js';
import { withResourceQuota } from './api/quota/quota-admission.js';
import { Registry } from './api/registry/registry.js';
import { startControllers } from './controllers/controller-manager.js';
import { METRICS_RESOURCES, MetricsApi } from './metrics/metrics-api.js';
import { MetricsStore } from './metrics/metrics-store.js';
import { openFrontDoor } from './front-door.js';
import { ensureClusterPki, writeKubeconfig } from './pki/index.js';
import { type LevelStore, openLevelStore } from './store/level-store.js';

export interface ServerConfig {
  readonly dataDir: string;
  readonly logger: Logger;
  readonly bindAddress: string;
  /** 0 picks a free port (tests). */
  readonly httpsPort: number;
  readonly kubeconfigPath: string;
  readonly kubeconfigMode: number;
  readonly tlsSans: readonly string[];
  /** How long an agent may stay silent before its node is Unknown (upstream's --node-monitor-grace-period). */
  readonly nodeMonitorGracePeriodMs?: number;
  /** Runs the scheduler (default); k3s's --disable-scheduler turns it off. */
  readonly scheduler?: boolean;
  /** Runs the controllers and the scheduler only while holding their Leases (upstream's --leader-elect). */
  readonly leaderElect?: boolean;
}

export interface RunningServer {
  readonly store: LevelStore;
  /** The server's own join token (DATA/server/token), which its embedded agent joins with. */
  readonly serverToken: string;
  readonly httpsPort: number;
  /** How local clients reach it (the kubeconfig's server, the embedded agent's). */
  readonly url: string;
  /** Logs, exec, attach and port-forward on the nodes, through their agents. */
  readonly podStreams: PodStreams;
  close(): Promise<void>;
}

export async function runServer(config: ServerConfig): Promise<RunningServer> {
  const log = config.logger;
  await mkdir(serverDir(config.dataDir), { recursive: true, mode: 0o700 });
  // The store's lock first: it keeps a second server on this data dir from creating its own CA.
  // A watch consumer 1,000 events behind is ended (it resumes from where it was):
  // a stuck client costs at most that much memory.
  const store = await openLevelStore({ path: storeDir(config.dataDir), logger: log, watchBufferLimit: 1000 });
  const stack: { close(): Promise<void> }[] = [store];
  const closeAll = async () => {
    for (const part of stack.reverse()) await part.close();
  };
  try {
    const pki = await ensureClusterPki({ dir: pkiDir(config.dataDir), sans: config.tlsSans, logger: log });
    const tokens = new BootstrapTokens(store, pki.caCertPem);
    const serverToken = await tokens.ensureServerToken(config.dataDir);
    stack.push(await startAdminServer(adminSocketPath(config.dataDir), store, pkiDir(config.dataDir), tokens, log.with({ component: 'admin' })));
    // metrics.k8s.io is served from memory (kubectl top), as metrics-server serves it through aggregation.
    const catalogue = new Catalogue([...BUILTIN_RESOURCES, ...METRICS_RESOURCES]);
    // The keeper needs the registry and the registry shows the keeper's heartbeats: bound once both exist.
    let keeper: NodeKeeper | undefined;
    const serviceAccounts = catalogue.get('', 'v1', 'serviceaccounts')!;
    const admitted = withLiveNodeLeases(
      withCustomResourceRules(
        withRuntimeClassAdmission(
          withDefaultStorageClass(
            withPriorityAdmission(
              withLimitRanger(
                withServiceAccountVolume(withServiceAccountAdmission(withServiceRanges(rulesFor, new ServiceRanges(store)), store, serviceAccounts), store, serviceAccounts),
                store,
                catalogue.get('', 'v1', 'limitranges')!,
              ),
              store,
              catalogue.get('scheduling.k8s.io', 'v1', 'priorityclasses')!,
            ),
            store,
            catalogue.get('storage.k8s.io', 'v1', 'storageclasses')!,
          ),
          store,
          catalogue.get('node.k8s.io', 'v1', 'runtimeclasses')!,
        ),
        log.with({ component: 'crd' }),
      ),
      (node) => keeper?.lastSeen(node),
    );
    // ResourceQuota last, as upstream's plugin order has it; it writes the quotas' status through the registry these rules make.
    const rules = withResourceQuota(admitted, { store, quotas: catalogue.get('', 'v1', 'resourcequotas')!, registry: () => registry });
    const registry: Registry = new Registry(store, rules, log.with({ component: 'registry' }));
    await bootstrapCluster(registry, catalogue, log.with({ component: 'rbac' }));
    // Before the API serves: the custom resources of stored CRDs are there from the first request.
    stack.push(await CrdCatalogue.start({ registry, catalogue, log: log.with({ component: 'crd' }) }));
    // One cache per resource type for everything below; closed after all of them (pushed first, closed last).
    const informers = new SharedInformers(registry, catalogue, log.with({ component: 'informers' }));
    stack.push(informers);
    const metrics = new MetricsStore({ pods: informers.of('', 'v1', 'pods'), nodes: informers.of('', 'v1', 'nodes'), log: log.with({ component: 'metrics' }) });
    const leases = catalogue.get('coordination.k8s.io', 'v1', 'leases')!;
    // With --leader-elect, a component runs only while its Lease is held (as kube-controller-manager and kube-scheduler do).
    const component = async (name: string, start: () => Promise<LeaderWork>): Promise<LeaderWork> =>
      config.leaderElect === true
        ? LeaderElection.start({ registry, leases, name, lead: start, log: log.with({ component: 'leader' }) })
        : start();
    stack.push(await component('kube-controller-manager', () => startControllers({ registry, catalogue, informers, metrics, clusterCaPem: pki.caCertPem, signCertificateRequest: pki.signCertificateRequest, log })));
    keeper = await NodeKeeper.start({
      registry,
      catalogue,
      informers,
      log: log.with({ component: 'nodes' }),
      ...(config.nodeMonitorGracePeriodMs !== undefined ? { graceMs: config.nodeMonitorGracePeriodMs } : {}),
    });
    stack.push(keeper);
    const feed = await NodeFeed.start({ registry, catalogue, informers, log: log.with({ component: 'feed' }) });
    stack.push(feed);
    const nodes = catalogue.get('', 'v1', 'nodes')!;
    const join = new JoinService({
      tokens,
      pki,
      passwords: new NodePasswords(store),
      nodeExists: (name) => registry.get(nodes, undefined, name).then(() => true, () => false),
      log: log.with({ component: 'join' }),
    });
    const podStatus = new PodStatusWriter({ registry, catalogue });
    const podEvents = new PodEventWriter({ registry, catalogue, log: log.with({ component: 'kubelet-events' }) });
    const podDeleter = new PodDeleter({ registry, catalogue });
    const agents = startAgentService({ join, keeper, feed, pki, podStatus, podEvents, podDeleter, metrics, log: log.with({ component: 'agents' }) });
    const metricsApi = new MetricsApi({ store: metrics, pods: informers.of('', 'v1', 'pods'), nodes: informers.of('', 'v1', 'nodes') });
    const api = createApiServer({
      registry,
      catalogue,
      caPem: pki.caCertPem,
      serviceAccountKeyPem: pki.serviceAccountKeyPem,
      podStreams: agents.podStreams,
      informers,
      metrics: metricsApi,
      healthChecks: [{ name: 'store', check: () => store.writeRefusal }],
      logger: log,
    });
    const door = await openFrontDoor({
      tls: { certPem: pki.servingCertPem, keyPem: pki.servingKeyPem, caPem: pki.caCertPem },
      bindAddress: config.bindAddress,
      port: config.httpsPort,
      api: api.http,
      agents,
      log: log.with({ component: 'tls' }),
    });
    // Closed in reverse: connections first (the door waits for them), then the door.
    stack.push(door, agents, api);
    // Last, as kube-scheduler is a client of a running API: pods bind from the moment the server says it is ready.
    if (config.scheduler !== false) stack.push(await component('kube-scheduler', () => Scheduler.start({ registry, catalogue, informers, log: log.with({ component: 'scheduler' }) })));
    const host = config.bindAddress === '0.0.0.0' || config.bindAddress === '::' ? '127.0.0.1' : config.bindAddress;
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${door.port}`;
    await writeKubeconfig(config.kubeconfigPath, {
      server,
      caCertPem: pki.caCertPem,
      clientCertPem: pki.adminCertPem,
      clientKeyPem: pki.adminKeyPem,
      mode: config.kubeconfigMode,
    });
    log.info('bramble server ready', { dataDir: config.dataDir, revision: store.revision, server, kubeconfig: config.kubeconfigPath });
    return {
      store,
      serverToken,
      httpsPort: door.port,
      url: server,
      podStreams: agents.podStreams,
      close: async () => {
        await closeAll();
        log.info('bramble server stopped');
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

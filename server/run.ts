// `bramble server`: opens the store, makes sure the cluster PKI exists, and
// starts what serves them. Later issues add the scheduler, controllers and
// the embedded agent here; this file only wires them together.
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../common/log.js';
import { adminSocketPath, pkiDir, serverDir, storeDir } from '../common/paths.js';
import { startAdminServer } from './admin/admin-server.js';
import { type ApiServer, startApiServer } from './api/api-server.js';
import { bootstrapCluster } from './api/bootstrap.js';
import { BUILTIN_RESOURCES, Catalogue } from './api/catalogue.js';
import { CrdCatalogue } from './api/crd/crd-catalogue.js';
import { withCustomResourceRules } from './api/crd/rules.js';
import { rulesFor, withServiceRanges } from './api/kinds/index.js';
import { ServiceRanges } from './api/kinds/service-ranges.js';
import { Registry } from './api/registry/registry.js';
import { NamespaceController } from './controllers/namespace-controller.js';
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
}

export interface RunningServer {
  readonly store: LevelStore;
  readonly httpsPort: number;
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
    stack.push(await startAdminServer(adminSocketPath(config.dataDir), store, pkiDir(config.dataDir), log.with({ component: 'admin' })));
    const catalogue = new Catalogue(BUILTIN_RESOURCES);
    const registry = new Registry(store, withCustomResourceRules(withServiceRanges(rulesFor, new ServiceRanges(store))), log.with({ component: 'registry' }));
    await bootstrapCluster(registry, catalogue);
    // Before the API serves: the custom resources of stored CRDs are there from the first request.
    stack.push(await CrdCatalogue.start({ registry, catalogue, log: log.with({ component: 'crd' }) }));
    stack.push(await NamespaceController.start({ registry, catalogue, log: log.with({ component: 'namespaces' }) }));
    const api: ApiServer = await startApiServer({
      registry,
      catalogue,
      tls: { certPem: pki.servingCertPem, keyPem: pki.servingKeyPem, caPem: pki.caCertPem },
      serviceAccountKeyPem: pki.serviceAccountKeyPem,
      bindAddress: config.bindAddress,
      port: config.httpsPort,
      logger: log,
    });
    stack.push(api);
    const host = config.bindAddress === '0.0.0.0' || config.bindAddress === '::' ? '127.0.0.1' : config.bindAddress;
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${api.port}`;
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
      httpsPort: api.port,
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

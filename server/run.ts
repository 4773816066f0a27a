// `bramble server`: opens the store and starts what serves it. Later issues
// add the API server, scheduler, controllers and the embedded agent here;
// this file only wires them together.
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../common/log.js';
import { adminSocketPath, serverDir, storeDir } from '../common/paths.js';
import { type AdminServer, startAdminServer } from './admin/admin-server.js';
import { type LevelStore, openLevelStore } from './store/level-store.js';

export interface ServerConfig {
  readonly dataDir: string;
  readonly logger: Logger;
}

export interface RunningServer {
  readonly store: LevelStore;
  close(): Promise<void>;
}

export async function runServer(config: ServerConfig): Promise<RunningServer> {
  const log = config.logger;
  await mkdir(serverDir(config.dataDir), { recursive: true, mode: 0o700 });
  const store = await openLevelStore({ path: storeDir(config.dataDir), logger: log });
  let admin: AdminServer;
  try {
    admin = await startAdminServer(adminSocketPath(config.dataDir), store, log.with({ component: 'admin' }));
  } catch (err) {
    await store.close();
    throw err;
  }
  log.info('bramble server ready', { dataDir: config.dataDir, revision: store.revision });
  return {
    store,
    close: async () => {
      await admin.close();
      await store.close();
      log.info('bramble server stopped');
    },
  };
}

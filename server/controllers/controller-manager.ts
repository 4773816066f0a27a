// The controllers `bramble server` runs (kube-controller-manager's part of
// it): each a level-triggered reconcile loop that reads the shared informers'
// caches and converges one key at a time (namespace-controller.ts shows the
// shape). Started in this order, closed in the reverse one.
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { Registry } from '../api/registry/registry.js';
import { NamespaceController } from './namespace-controller.js';
import type { SharedInformers } from './shared-informers.js';
import { TaintEvictionController } from './taint-eviction-controller.js';

export interface ControllerDeps {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

export interface RunningController {
  close(): Promise<void>;
}

export interface ControllerManager {
  close(): Promise<void>;
}

export async function startControllers(deps: ControllerDeps): Promise<ControllerManager> {
  const running: RunningController[] = [];
  const close = async () => {
    for (const controller of running.reverse()) await controller.close();
  };
  const start = async (component: string, make: (deps: ControllerDeps) => Promise<RunningController>) => {
    running.push(await make({ ...deps, log: deps.log.with({ component }) }));
  };
  try {
    await start('namespaces', (d) => NamespaceController.start(d));
    await start('taint-eviction', (d) => TaintEvictionController.start(d));
    // (garbage collector: started here)
    // (replicasets and deployments: started here)
    // (serviceaccounts, endpoints and endpointslices: started here)
    // (jobs and cronjobs: started here)
  } catch (err) {
    await close();
    throw err;
  }
  return { close };
}

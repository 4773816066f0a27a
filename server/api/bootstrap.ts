// What a new cluster has before anyone asks: the system namespaces.
import type { Catalogue } from './catalogue.js';
import { SYSTEM_NAMESPACES } from './kinds/namespaces.js';
import type { Registry } from './registry/registry.js';
import { ApiError } from './status.js';

export async function bootstrapCluster(registry: Registry, catalogue: Catalogue): Promise<void> {
  const namespaces = catalogue.get('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await registry.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, {});
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }
}

// Emptying a scope (a namespace being deleted, a CRD's objects): ask every
// object to go and report what is still there, held by finalizers.
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';

/** Deletes every object of `type` (in `namespace`, or everywhere); returns how many remain. */
export async function deleteAll(registry: Registry, type: ResourceType, namespace?: string): Promise<number> {
  const list = await registry.list(type, namespace, {});
  for (const item of list.items) {
    if (item.metadata.deletionTimestamp !== undefined) continue;
    try {
      await registry.delete(type, item.metadata.namespace, item.metadata.name!, {});
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
  return list.items.length === 0 ? 0 : (await registry.list(type, namespace, {})).items.length;
}

export function isGone(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}

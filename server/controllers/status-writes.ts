// Writing the status a workload controller (ReplicaSet, DaemonSet,
// StatefulSet) computed in a reconcile back to the object it read.
import { semanticEqual } from '../api/kinds/equality.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { isGone } from './delete-all.js';
import type { SharedInformer } from './shared-informers.js';

export interface StatusTarget {
  readonly registry: Registry;
  /** The type of the objects whose status is written. */
  readonly type: ResourceType;
  /** Their informer, told of every write. */
  readonly informer: SharedInformer;
}

/**
 * Writes `status` to `obj` unless `same` (semanticEqual by default) finds
 * the cached one equal: a write that changes nothing would only wake every
 * watcher. The write goes to that incarnation only: one deleted, or
 * replaced by another of the same name, meanwhile is left alone (the
 * status describes pods and a generation the new one does not have; its own
 * reconcile writes its status). The written object goes to the cache at
 * once, so the next reconcile compares with it.
 */
export async function writeStatus<S>(
  target: StatusTarget,
  obj: KubeObject,
  status: S,
  same: (cached: S | undefined, next: S) => boolean = semanticEqual,
): Promise<void> {
  if (same(obj['status'] as S | undefined, status)) return;
  try {
    const written = await target.registry.patch(
      target.type,
      obj.metadata.namespace,
      obj.metadata.name!,
      (current) => {
        if (current.metadata.uid !== obj.metadata.uid) throw new ApiError(404, 'NotFound', `${target.type.singular} replaced`);
        current['status'] = status;
        return current;
      },
      { subresource: 'status' },
    );
    target.informer.remember(written);
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}

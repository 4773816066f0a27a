// kubelet's last word on a pod: once a pod being deleted has stopped on its
// node, the node asks for it to go, and it is deleted with grace period 0
// and a uid precondition (as kubelet's status manager deletes it). Only for
// the node's own pods (node-pods.ts) that are already being deleted: a node
// cannot delete a pod nobody asked to delete.
import type { PodDeletion } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { nodePod } from './node-pods.js';

export interface PodDeleterOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
}

export class PodDeleter {
  readonly #pods: ResourceType;

  constructor(private readonly opts: PodDeleterOptions) {
    this.#pods = opts.catalogue.get('', 'v1', 'pods')!;
  }

  async delete(node: string, request: PodDeletion, log: Logger): Promise<void> {
    const pod = `${request.namespace}/${request.name}`;
    const found = await nodePod(this.opts.registry, this.#pods, node, request);
    if (typeof found === 'string') return log.debug('pod deletion dropped: not this node’s pod', { pod, reason: found });
    if (found.metadata.deletionTimestamp === undefined) return log.warn('pod deletion refused: the pod is not being deleted', { pod });
    try {
      await this.opts.registry.delete(this.#pods, request.namespace, request.name, { gracePeriodSeconds: 0, preconditions: { uid: request.uid } });
      log.debug('pod deleted after its containers stopped', { pod });
    } catch (err) {
      // Gone already, or replaced: nothing left to do.
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }
}

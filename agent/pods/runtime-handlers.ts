// The CRI runtime handler a pod runs with, as kubelet's RuntimeClass manager
// finds it (pkg/kubelet/runtimeclass): none for a pod that names no class,
// else the handler of its node.k8s.io/v1 RuntimeClass, read from the API
// with the node's credentials when its sandbox is made. A class that is gone
// fails with kubelet's lister error; while the API cannot be reached, the
// handler last read is used, as kubelet's informer cache would be.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeClass } from 'kubernetes-types/node/v1.js';
import { ApiRequestError, type NodeApi } from '../volumes/node-api.js';

export class RuntimeHandlers {
  /** Class name → the handler last read. */
  readonly #known = new Map<string, string>();

  constructor(private readonly api: Pick<NodeApi, 'get'>) {}

  /** The handler for `pod`'s sandbox ("" is the runtime's default); throws when it cannot be known. */
  async handlerOf(pod: Pod): Promise<string> {
    const name = pod.spec?.runtimeClassName;
    if (!name) return '';
    try {
      const handler = (await this.api.get<RuntimeClass>(`/apis/node.k8s.io/v1/runtimeclasses/${encodeURIComponent(name)}`)).handler ?? '';
      this.#known.set(name, handler);
      return handler;
    } catch (err) {
      if (err instanceof ApiRequestError && err.code === 404) {
        this.#known.delete(name);
        throw new Error(`runtimeclass.node.k8s.io "${name}" not found`);
      }
      const known = this.#known.get(name);
      if (known !== undefined) return known;
      throw new Error(`failed to lookup RuntimeClass ${name}: ${(err as Error).message}`);
    }
  }
}

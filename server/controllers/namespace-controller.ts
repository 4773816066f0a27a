// Namespaces being deleted: level-triggered, each reconcile reads the
// namespace as it is now; while it has a deletionTimestamp, every namespaced
// object in it is asked to go, and once none is left the "kubernetes"
// finalizer is removed so the namespace itself goes (upstream's namespace
// controller does the same).
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject } from '../api/objects.js';
import { prefixOf, type Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { deleteAll, isGone } from './delete-all.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';

/** How often a namespace being emptied looks again for objects that finalizers still hold. */
const RECHECK_MS = 1000;
export const NAMESPACE_FINALIZER = 'kubernetes';

export interface NamespaceControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

export class NamespaceController {
  readonly #namespaces: SharedInformer;
  readonly #queue: WorkQueue;
  readonly #type: ResourceType;

  private constructor(private readonly opts: NamespaceControllerOptions) {
    this.#type = opts.catalogue.get('', 'v1', 'namespaces')!;
    this.#queue = new WorkQueue(
      (name) => this.reconcile(name),
      (name, err, retryInMs) => opts.log.warn('namespace reconcile failed', { namespace: name, error: err, retryInMs }),
    );
    this.#namespaces = opts.informers.of('', 'v1', 'namespaces');
    this.#namespaces.subscribe((name) => this.#queue.add(name));
  }

  static async start(opts: NamespaceControllerOptions): Promise<NamespaceController> {
    const controller = new NamespaceController(opts);
    await controller.#namespaces.start();
    return controller;
  }

  async reconcile(name: string): Promise<void> {
    const ns = this.#namespaces.get(name);
    if (ns?.metadata.deletionTimestamp === undefined) return;
    const finalizers = specFinalizers(ns);
    if (!finalizers.includes(NAMESPACE_FINALIZER)) return;
    let remaining = 0;
    for (const type of this.#storedTypes()) remaining += await deleteAll(this.opts.registry, type, name);
    if (remaining > 0) {
      this.opts.log.debug('waiting for objects to go', { namespace: name, remaining });
      this.#queue.addAfter(name, RECHECK_MS);
      return;
    }
    try {
      await this.opts.registry.patch(this.#type, undefined, name, (current) => {
        (current['spec'] as { finalizers?: string[] }).finalizers = specFinalizers(current).filter((f) => f !== NAMESPACE_FINALIZER);
        return current;
      }, { subresource: 'finalize' });
      this.opts.log.info('namespace emptied and deleted', { namespace: name });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  /** Resolves once every change seen so far has been reconciled (tests). */
  settled(): Promise<void> {
    return this.#queue.drained();
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }

  /** One type per place in the store: the versions of a custom resource share theirs, and both groups' Events theirs. */
  #storedTypes(): ResourceType[] {
    const seen = new Set<string>();
    return this.opts.catalogue.all().filter((t) => {
      const key = prefixOf(t);
      if (!t.namespaced || seen.has(key)) return false;
      seen.add(key);
      return t.verbs.includes('delete');
    });
  }
}

function specFinalizers(obj: KubeObject): string[] {
  return (obj['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? [];
}

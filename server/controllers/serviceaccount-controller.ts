// A "default" ServiceAccount in every active namespace, as upstream's
// serviceaccounts controller keeps one (pkg/controller/serviceaccount):
// level-triggered by namespace, it creates the account when a namespace
// appears or the account is deleted, and never in a namespace being deleted.
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';

const DEFAULT_SERVICE_ACCOUNT = 'default';

export interface ServiceAccountControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

export class ServiceAccountController {
  readonly #namespaces: SharedInformer;
  readonly #accounts: SharedInformer;
  readonly #queue: WorkQueue;
  readonly #type: ResourceType;

  private constructor(private readonly opts: ServiceAccountControllerOptions) {
    this.#type = opts.catalogue.get('', 'v1', 'serviceaccounts')!;
    this.#queue = new WorkQueue(
      (namespace) => this.reconcile(namespace),
      (namespace, err, retryInMs) => opts.log.warn('serviceaccount reconcile failed', { namespace, error: err, retryInMs }),
    );
    this.#namespaces = opts.informers.of('', 'v1', 'namespaces');
    this.#accounts = opts.informers.of('', 'v1', 'serviceaccounts');
  }

  static async start(opts: ServiceAccountControllerOptions): Promise<ServiceAccountController> {
    const controller = new ServiceAccountController(opts);
    // Accounts listed before the first reconcile, so existing ones are not created again.
    await Promise.all([controller.#namespaces.start(), controller.#accounts.start()]);
    controller.#namespaces.subscribe((name) => controller.#queue.add(name));
    // Only a deleted default account matters (upstream watches deletions alone).
    controller.#accounts.subscribe((key) => {
      const [namespace, name] = key.split('/') as [string, string];
      if (name === DEFAULT_SERVICE_ACCOUNT && controller.#accounts.get(key) === undefined) controller.#queue.add(namespace);
    });
    return controller;
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.#namespaces.get(namespace);
    if ((ns?.['status'] as { phase?: string } | undefined)?.phase !== 'Active') return;
    if (this.#accounts.get(`${namespace}/${DEFAULT_SERVICE_ACCOUNT}`) !== undefined) return;
    try {
      const created = await this.opts.registry.create(
        this.#type,
        namespace,
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } },
        {},
      );
      this.#accounts.remember(created);
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return;
      // The namespace started terminating (403) or went (404) since the cache saw it: nothing goes there now.
      if (err instanceof ApiError && (err.code === 403 || err.code === 404) && err.details?.kind === 'namespaces') return;
      throw err;
    }
  }

  /** Resolves once every change seen so far has been reconciled (tests). */
  settled(): Promise<void> {
    return this.#queue.drained();
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }
}

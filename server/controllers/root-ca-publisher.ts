// The kube-root-ca.crt ConfigMap in every active namespace, holding the
// cluster CA (upstream's root-ca-cert-publisher): what the projected
// kube-api-access volume gives pods to verify the API server with. Made
// when a namespace appears, put back when someone deletes or edits it.
// Only that one ConfigMap per namespace is followed, never all of them.
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import { ReferencedObjects } from '../agents/referenced-objects.js';
import type { Catalogue } from '../api/catalogue.js';
import { ROOT_CA_CONFIGMAP } from '../api/kinds/service-account-volume.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';

const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface RootCaPublisherOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  /** The cluster CA certificate, PEM. */
  readonly caPem: string;
  readonly log: Logger;
}

export class RootCaPublisher {
  readonly #namespaces: SharedInformer;
  readonly #configMaps: ReferencedObjects;
  readonly #type: ResourceType;
  readonly #queue: WorkQueue;
  /** Namespaces whose ConfigMap is followed. */
  readonly #tracked = new Set<string>();

  private constructor(private readonly opts: RootCaPublisherOptions) {
    this.#type = opts.catalogue.get('', 'v1', 'configmaps')!;
    this.#queue = new WorkQueue(
      (namespace) => this.reconcile(namespace),
      (namespace, err, retryInMs) => opts.log.warn('could not publish the cluster CA', { namespace, error: err, retryInMs }),
    );
    this.#namespaces = opts.informers.of('', 'v1', 'namespaces');
    this.#configMaps = new ReferencedObjects({
      registry: opts.registry,
      type: this.#type,
      log: opts.log,
      onChange: (key) => this.#queue.add(key.slice(0, key.indexOf('/'))),
    });
  }

  static async start(opts: RootCaPublisherOptions): Promise<RootCaPublisher> {
    const publisher = new RootCaPublisher(opts);
    await publisher.#namespaces.start();
    publisher.#configMaps.start();
    publisher.#namespaces.subscribe((namespace) => publisher.#queue.add(namespace));
    return publisher;
  }

  async reconcile(namespace: string): Promise<void> {
    const key = `${namespace}/${ROOT_CA_CONFIGMAP}`;
    const ns = this.#namespaces.get(namespace);
    if ((ns?.['status'] as { phase?: string } | undefined)?.phase !== 'Active') {
      if (ns === undefined && this.#tracked.delete(namespace)) this.#configMaps.untrack(key);
      return;
    }
    if (!this.#tracked.has(namespace)) {
      this.#tracked.add(namespace);
      // The first read comes back through onChange.
      this.#configMaps.track(key);
      return;
    }
    const held = this.#configMaps.get(key);
    if (!held.loaded) return;
    const current = held.object as (KubeObject & ConfigMap) | undefined;
    try {
      if (current === undefined) {
        await this.opts.registry.create(
          this.#type,
          namespace,
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data: { 'ca.crt': this.opts.caPem } },
          {},
        );
      } else if (current.data?.['ca.crt'] !== this.opts.caPem || Object.keys(current.data ?? {}).length !== 1 || current.binaryData !== undefined) {
        await this.opts.registry.patch(
          this.#type,
          namespace,
          ROOT_CA_CONFIGMAP,
          (latest) => {
            latest['data'] = { 'ca.crt': this.opts.caPem };
            delete latest['binaryData'];
            latest.metadata.annotations = { ...latest.metadata.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION };
            return latest;
          },
          {},
        );
      }
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return;
      // The namespace started terminating or went since the cache saw it.
      if (err instanceof ApiError && (err.code === 403 || err.code === 404)) return;
      throw err;
    }
  }

  /** Resolves once every change seen so far has been reconciled (tests). */
  settled(): Promise<void> {
    return this.#queue.drained();
  }

  async close(): Promise<void> {
    await this.#queue.close();
    await this.#configMaps.close();
  }
}

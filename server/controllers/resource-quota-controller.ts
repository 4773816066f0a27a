// Upstream's resource quota controller (pkg/controller/resourcequota, 1.31):
// each ResourceQuota's status.hard is its spec.hard, and status.used what
// its namespace uses of each hard resource, counted afresh from the store
// by the evaluators admission charges with (../api/quota/evaluators.ts).
// Level-triggered: a quota is recounted when its spec changes, when an object of
// a kind it tracks changes in its namespace (the core kinds quota names,
// and the kinds its count/ resources name, custom resources included,
// followed once a quota names them and for as long as they are served),
// when a pod it charges reaches the end of its grace period, and every
// five minutes (upstream's full resync). Admission raises usage as objects
// come; this brings it back down as they go. Changes are followed by watches that
// decode nothing outside namespaces with a quota, not by informers: those
// would hold every ConfigMap and Secret of the cluster in memory.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject } from '../api/objects.js';
import { chargedUntil, type Evaluator, evaluatorFor, type Quota, usageStats } from '../api/quota/evaluators.js';
import { equal, listOf, mask, sum, type Usage, usageOf } from '../api/quota/usage-lists.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType, Verb } from '../api/resources.js';
import { isGone } from './delete-all.js';
import { keyOf } from './informer.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';

/** Upstream's --resource-quota-sync-period. */
const RESYNC_MS = 5 * 60_000;
/** The core kinds upstream's evaluators have names for besides count/. */
const CORE_TRACKED = ['pods', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets', 'resourcequotas', 'replicationcontrollers'];
const NAMESPACE_INDEX = 'namespace';
/** How long a watch that ended waits before it follows again. */
const REWATCH_MS = 1000;
/** Verbs a resource needs to be counted (GetQuotableResources). */
const QUOTABLE_VERBS: readonly Verb[] = ['create', 'list', 'watch', 'delete'];

export interface ResourceQuotaControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  /** The full resync's period; upstream's five minutes by default. */
  readonly resyncMs?: number;
}

interface Tracked {
  readonly type: ResourceType;
  readonly evaluator: Evaluator;
}

export class ResourceQuotaController {
  readonly #quotas: SharedInformer;
  readonly #quotaType: ResourceType;
  readonly #queue: WorkQueue;
  /** Built-in kinds whose changes are followed, by "group/resource". */
  readonly #followed = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  /** Each quota's spec as last seen: only a change of it makes a recount (a status write is admission's charge, or ours). */
  readonly #specs = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: ResourceQuotaControllerOptions) {
    this.#quotaType = opts.catalogue.get('', 'v1', 'resourcequotas')!;
    this.#quotas = opts.informers.of('', 'v1', 'resourcequotas');
    this.#quotas.addIndex(NAMESPACE_INDEX, (obj) => [obj.metadata.namespace!]);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('resource quota sync failed', { quota: key, error: err, retryInMs }),
    );
    this.#quotas.subscribe((key) => this.#quotaChanged(key));
  }

  static async start(opts: ResourceQuotaControllerOptions): Promise<ResourceQuotaController> {
    const controller = new ResourceQuotaController(opts);
    await controller.#quotas.start();
    for (const type of controller.#coreTypes()) controller.#follow(type);
    controller.#timer = setInterval(() => {
      for (const quota of controller.#quotas.values()) controller.#queue.add(keyOf(quota));
    }, opts.resyncMs ?? RESYNC_MS);
    controller.#timer.unref();
    return controller;
  }

  async reconcile(key: string): Promise<void> {
    const quota = this.#quotas.get(key) as Quota | undefined;
    if (quota === undefined) return;
    const namespace = quota.metadata.namespace!;
    const hard = usageOf(quota.spec?.hard);
    const names = [...hard.keys()];
    const now = Date.now();
    const tracked = this.#trackedFor(names);
    const measured = new Set(tracked.flatMap(({ evaluator }) => evaluator.matchingResources(names)));
    let counted: Usage = new Map();
    let recountAt: number | undefined;
    for (const { type, evaluator } of tracked) {
      const resources = evaluator.matchingResources([...measured]);
      if (resources.length === 0) continue;
      const items = (await this.opts.registry.list(type, namespace, {})).items;
      counted = sum(counted, usageStats(evaluator, quota, items, resources, now));
      // A pod stops being charged when its grace period ends, which no event tells.
      for (const item of items) {
        const until = type.plural === 'pods' ? chargedUntil(item) : undefined;
        if (until !== undefined && until >= now) recountAt = Math.min(recountAt ?? until, until);
      }
    }
    if (recountAt !== undefined) this.#queue.addAfter(key, recountAt - now + 1000);
    // What could not be counted keeps what admission charged; resources no longer limited go.
    const used = mask(new Map([...usageOf(quota.status?.used), ...mask(counted, measured)]), names);
    const status = quota.status ?? {};
    if (status.hard !== undefined && status.used !== undefined && equal(hard, usageOf(status.hard)) && equal(used, usageOf(status.used))) return;
    const next = { ...quota, status: { hard: { ...quota.spec?.hard }, used: listOf(used) } } as KubeObject;
    try {
      // At the version read: a write since (admission's) makes this a 409, and the queue counts again.
      this.#quotas.remember(await this.opts.registry.update(this.#quotaType, namespace, quota.metadata.name!, next, { subresource: 'status' }));
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  /**
   * A new quota, or one whose spec changed, is counted; a status write is
   * not: a recount then could take back what admission just charged for an
   * object not yet stored (upstream's controller ignores status updates
   * too). A quota come or gone changes what quotas counting quotas count.
   */
  #quotaChanged(key: string): void {
    const quota = this.#quotas.get(key);
    const spec = quota === undefined ? undefined : JSON.stringify(quota['spec'] ?? {});
    const was = this.#specs.get(key);
    if (spec === was) return;
    if (spec === undefined) this.#specs.delete(key);
    else this.#specs.set(key, spec);
    this.#queue.add(key);
    if (spec === undefined || was === undefined) this.#recountNamespace(key, evaluatorFor('', 'resourcequotas')!);
  }

  /** Queues the quotas in the namespace of the object `key` that limit something `evaluator` measures. */
  #recountNamespace(key: string, evaluator: Evaluator): void {
    for (const quota of this.#quotas.byIndex(NAMESPACE_INDEX, key.split('/')[0]!)) {
      if (evaluator.matchingResources(Object.keys((quota as Quota).spec?.hard ?? {})).length > 0) this.#queue.add(keyOf(quota));
    }
  }

  /** Resolves once every change seen so far has been counted (tests). */
  settled(): Promise<void> {
    return this.#queue.drained();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#abort.abort();
    await Promise.all(this.#followed.values());
    await this.#queue.close();
  }

  /** The kinds whose objects the quota's resources count, each once: the core kinds, and those its count/ names name. */
  #trackedFor(names: readonly string[]): Tracked[] {
    const types = this.#coreTypes();
    for (const name of names) {
      if (!name.startsWith('count/')) continue;
      const [resource, ...group] = name.slice('count/'.length).split('.');
      const type = this.#quotableType(group.join('.'), resource!);
      if (type !== undefined && !types.some((t) => t.group === type.group && t.plural === type.plural)) types.push(type);
    }
    return types.flatMap((type) => {
      const evaluator = evaluatorFor(type.group, type.plural);
      if (evaluator === undefined) return [];
      this.#follow(type);
      return [{ type, evaluator }];
    });
  }

  /** Those of the core kinds served (Bramble serves no replication controllers). */
  #coreTypes(): ResourceType[] {
    return CORE_TRACKED.flatMap((plural) => this.opts.catalogue.get('', 'v1', plural) ?? []);
  }

  /** A namespaced resource served with the verbs quota needs, in any version. */
  #quotableType(group: string, plural: string): ResourceType | undefined {
    return this.opts.catalogue.all().find((t) => t.group === group && t.plural === plural && t.namespaced && QUOTABLE_VERBS.every((v) => t.verbs.includes(v)));
  }

  /** Follows a kind's changes (quotas themselves come through #quotaChanged). */
  #follow(type: ResourceType): void {
    const id = `${type.group}/${type.plural}`;
    if (id === '/resourcequotas' || this.#followed.has(id)) return;
    const following: Promise<void> = this.#watch(type, evaluatorFor(type.group, type.plural)!).finally(() => this.#followed.delete(id));
    this.#followed.set(id, following);
  }

  /**
   * A metadata watch of the kind: changes in a namespace with a quota queue
   * its quotas; elsewhere (most namespaces, most writes) nothing is decoded.
   * A watch that ends early (410, a slow consumer) may have missed changes:
   * every quota is counted again and the kind followed from now. A kind no
   * longer served (its CRD gone) is no longer followed, until a quota names
   * it again once it is back.
   */
  async #watch(type: ResourceType, evaluator: Evaluator): Promise<void> {
    const signal = this.#abort.signal;
    const wants = (key: string) => this.#quotas.hasIndexed(NAMESPACE_INDEX, key.slice(0, key.indexOf('/')));
    const served = () => this.#quotableType(type.group, type.plural) !== undefined;
    let from = this.opts.registry.revision;
    while (!signal.aborted && served()) {
      try {
        for await (const event of this.opts.registry.watch(type, undefined, { resourceVersion: String(from), wants, metadataOnly: true, signal })) {
          if (event.type === 'ERROR') break;
          const obj = event.object as KubeObject;
          from = Number(obj.metadata.resourceVersion);
          if (event.type !== 'BOOKMARK') this.#recountNamespace(keyOf(obj), evaluator);
          // The store's progress messages come to a quiet watch too: the moment to notice a kind gone.
          else if (!served()) break;
        }
      } catch (err) {
        if (signal.aborted) return;
        this.opts.log.warn('cannot follow a kind quota counts', { resource: type.plural, error: err });
      }
      if (signal.aborted) return;
      from = this.opts.registry.revision;
      for (const quota of this.#quotas.values()) this.#queue.add(keyOf(quota));
      await sleep(REWATCH_MS, undefined, { signal }).catch(() => undefined);
    }
  }

}

// Keeps the Catalogue in step with the stored CustomResourceDefinitions,
// level-triggered: it lists them, follows them with a watch from the list's
// revision, and for each one that changes reconciles: it reads the CRD as
// it is now and converges what is served (a type per served version, under
// the names accepted for it) and the CRD's status (NamesAccepted,
// Established, acceptedNames). A CRD being deleted has its custom
// resources deleted, then its cleanup finalizer removed.
import type { Logger } from '../../../common/log.js';
import { deleteAll, isGone } from '../../controllers/delete-all.js';
import { Informer } from '../../controllers/informer.js';
import { WorkQueue } from '../../../common/work-queue.js';
import type { Catalogue } from '../catalogue.js';
import type { Registry } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { ApiError } from '../status.js';
import { acceptNames, takenNames } from './accepted-names.js';
import {
  CLEANUP_FINALIZER,
  type Condition,
  CRD_GROUP,
  CRD_PLURAL,
  type Definition,
  isConditionTrue,
  pluralAndGroupOf,
  withCondition,
} from './definition.js';
import { type CustomResourceType, isCustomResourceType, resourceTypesOf } from './resource-types.js';
import { loadValidationRules } from './validation-rules.js';
import { metaTime } from '../objects.js';

/** How often a CRD being deleted looks again for custom resources that finalizers still hold. */
const CLEANUP_POLL_MS = 1000;

const ESTABLISHED: Condition & { type: 'Established' } = {
  type: 'Established',
  status: 'True',
  reason: 'InitialNamesAccepted',
  message: 'the initial names have been accepted',
};
const NOT_ESTABLISHED: Condition & { type: 'Established' } = { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' };
const TERMINATING: Condition & { type: 'Terminating' } = {
  type: 'Terminating',
  status: 'True',
  reason: 'InstanceDeletionInProgress',
  message: 'CustomResource deletion is in progress',
};

export interface CrdCatalogueOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly log: Logger;
}

export class CrdCatalogue {
  readonly #registry: Registry;
  readonly #catalogue: Catalogue;
  readonly #log: Logger;
  readonly #crdType: ResourceType;
  /** The CRDs as last listed or watched (or written by this reconciler), by name. */
  readonly #crds: Informer;
  readonly #queue: WorkQueue;

  /** Serves what the stored CRDs define before it returns, then follows their changes. */
  static async start(opts: CrdCatalogueOptions): Promise<CrdCatalogue> {
    const crds = new CrdCatalogue(opts);
    try {
      await crds.#crds.start();
      await crds.#queue.drained();
    } catch (err) {
      await crds.close();
      throw err;
    }
    return crds;
  }

  private constructor(opts: CrdCatalogueOptions) {
    this.#registry = opts.registry;
    this.#catalogue = opts.catalogue;
    this.#log = opts.log;
    const crdType = opts.catalogue.get(CRD_GROUP, 'v1', CRD_PLURAL);
    if (crdType === undefined) throw new Error('the catalogue has no apiextensions.k8s.io/v1 customresourcedefinitions');
    this.#crdType = crdType;
    this.#queue = new WorkQueue(
      (name) => this.reconcile(name),
      (name, err, retryInMs) => this.#log.warn('reconcile failed', { crd: name, error: err, retryInMs }),
    );
    this.#crds = new Informer({ registry: this.#registry, type: crdType, log: this.#log, onChange: (name) => this.#changed(name) });
  }

  /** Resolves once every change seen so far has been reconciled (tests). */
  settled(): Promise<void> {
    return this.#queue.drained();
  }

  async close(): Promise<void> {
    await this.#crds.close();
    await this.#queue.close();
  }

  /** Converges what is served for the CRD `name`, and its status, to the CRD as it is now. */
  async reconcile(name: string): Promise<void> {
    const crd = this.#crds.get(name) as Definition | undefined;
    const { plural, group } = pluralAndGroupOf(name);
    if (crd === undefined) return this.#serve(group, plural, []);
    if (crd.metadata.deletionTimestamp !== undefined) return this.#cleanUp(crd);

    const others = ([...this.#crds.values()] as Definition[]).filter((c) => c.metadata.name !== name);
    const builtins = this.#catalogue.all().filter((r) => !isCustomResourceType(r));
    const { names, condition } = acceptNames(crd, takenNames(group, others, builtins));
    const established = isConditionTrue(crd, 'Established') || condition.status === 'True';
    // Served before Established is written: whoever waits for it may use the types at once.
    await this.#serve(group, plural, established ? resourceTypesOf(crd, names) : []);
    const time = metaTime();
    let conditions = withCondition(crd.status?.conditions ?? [], condition, time);
    if (!isConditionTrue(crd, 'Established')) conditions = withCondition(conditions, established ? ESTABLISHED : NOT_ESTABLISHED, time);
    await this.#writeStatus(crd, { acceptedNames: names, conditions, storedVersions: crd.status?.storedVersions ?? [] });
  }

  /** Deletes the CRD's custom resources, then lets the CRD go by removing the cleanup finalizer. */
  async #cleanUp(crd: Definition): Promise<void> {
    const name = crd.metadata.name!;
    const { plural, group } = pluralAndGroupOf(name);
    const served = this.#served(group, plural);
    // Still served, so finalizers on the objects can be removed, but refusing new ones.
    if (served.length > 0) await this.#serve(group, plural, resourceTypesOf(crd, crd.status?.acceptedNames ?? crd.spec.names));
    if (!crd.metadata.finalizers?.includes(CLEANUP_FINALIZER)) return;
    const conditions = withCondition(crd.status?.conditions ?? [], TERMINATING, metaTime());
    await this.#writeStatus(crd, { ...crd.status, conditions });

    // Every version's objects share one place in the store: one type reads them all.
    const type = served[0];
    if (type !== undefined) {
      const remaining = await deleteAll(this.#registry, type);
      if (remaining > 0) {
        this.#log.debug('waiting for custom resources to go', { crd: name, remaining });
        this.#queue.addAfter(name, CLEANUP_POLL_MS);
        return;
      }
    }
    try {
      await this.#registry.patch(
        this.#crdType,
        undefined,
        name,
        (current) => {
          current.metadata.finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
          return current;
        },
        {},
      );
      this.#log.info('custom resources deleted with their definition', { crd: name });
    } catch (err) {
      // Gone already: an earlier pass removed the finalizer before its deletion reached the cache.
      if (!isGone(err)) throw err;
    }
  }

  /** Makes `desired` what the Catalogue serves for the CRD's group and plural, touching only what differs. */
  async #serve(group: string, plural: string, desired: readonly CustomResourceType[]): Promise<void> {
    if (desired.some((type) => type.hasValidationRules)) await loadValidationRules();
    for (const type of desired) {
      const current = this.#catalogue.get(type.group, type.version, type.plural);
      // A built-in type is never replaced; accepted names already keep them apart.
      if (current !== undefined && (!isCustomResourceType(current) || JSON.stringify(current) === JSON.stringify(type))) continue;
      this.#catalogue.add(type);
      const fields = { resource: `${type.plural}.${type.group}`, version: type.version, terminating: type.terminating };
      if (current === undefined) this.#log.info('serving custom resource', fields);
      else this.#log.debug('custom resource changed', fields);
    }
    for (const type of this.#served(group, plural)) {
      if (desired.some((d) => d.version === type.version)) continue;
      this.#catalogue.remove(type.group, type.version, type.plural);
      this.#log.info('no longer serving custom resource', { resource: `${type.plural}.${type.group}`, version: type.version });
    }
  }

  #served(group: string, plural: string): CustomResourceType[] {
    return this.#catalogue.all().filter((r): r is CustomResourceType => isCustomResourceType(r) && r.group === group && r.plural === plural);
  }

  /** Writes the status when it differs, against the revision it was computed from. */
  async #writeStatus(crd: Definition, status: NonNullable<Definition['status']>): Promise<void> {
    if (JSON.stringify(crd.status ?? {}) === JSON.stringify(status)) return;
    try {
      const written = await this.#registry.update(this.#crdType, undefined, crd.metadata.name!, { ...crd, status }, { subresource: 'status' });
      this.#crds.remember(written);
    } catch (err) {
      // Changed or deleted since: the watch brings that, and another reconcile.
      if (!isGone(err) && !(err instanceof ApiError && err.code === 409)) throw err;
    }
  }

  /** A CRD changed or went away: reconcile it, and when it went, the CRDs of its group still waiting for its names. */
  #changed(name: string): void {
    this.#queue.add(name);
    if (this.#crds.get(name) !== undefined) return;
    const { group } = pluralAndGroupOf(name);
    for (const other of this.#crds.values() as IterableIterator<Definition>) {
      if (other.spec.group === group && !isConditionTrue(other, 'NamesAccepted')) this.#queue.add(other.metadata.name!);
    }
  }
}

// Generic object semantics over the store, for every resource type: keys,
// uid / creationTimestamp / resourceVersion / generation, optimistic
// concurrency, the status subresource, finalizers and deletionTimestamp,
// list paging on one revision, and watches with selectors. Kind-specific
// rules (defaults, validation) plug in through KindRules.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../common/log.js';
import { isStoreError } from '../../store/errors.js';
import { isCustomResourceType } from '../crd/resource-types.js';
import { CRD_GROUP } from '../crd/definition.js';
import type { KeyValue, Store } from '../../store/types.js';
import { apiVersionOf, type KubeList, type KubeObject, metaTime } from '../objects.js';
import type { ResourceType } from '../resources.js';
import { type FieldSelector, type LabelSelector, selectableFields } from '../selectors.js';
import { ApiError, errors, optionsKind, type StatusCause } from '../status.js';
import { applyConfig, fieldTypeOf, type FieldManager, type OwnershipContext, recordUpdate, zeroObject } from '../fields/index.js';
import { checkName, generatedName, nameRuleOf } from './names.js';
import { validateObjectMeta } from './object-meta.js';
import { decodeMetadata, decodeObject, encodeObject, objectJson, objectsJson } from './stored-object.js';

export interface KindRules {
  /** Fills in what users omit, as the real API does. */
  readonly defaults?: (obj: KubeObject, old: KubeObject | undefined) => void;
  /**
   * What upstream's decoder does to every object of the kind a client sends
   * (custom resources: pruning of undeclared fields, schema defaults), before
   * anything else sees it. In place.
   */
  readonly decodeInput?: (obj: KubeObject) => void;
  /** Causes for a 422 Invalid; empty when valid. */
  readonly validate?: (obj: KubeObject, old: KubeObject | undefined) => StatusCause[];
  /**
   * Upstream's WarningsOnCreate / WarningsOnUpdate (`old` on update): what
   * the writer is told of its object (deprecated fields, values that do not
   * do what they seem to), once defaults ran and validation passed. Writes of
   * subresources that bypass `validate` get none: upstream's status
   * strategies warn of nothing.
   */
  readonly warnings?: (obj: KubeObject, old: KubeObject | undefined) => string[];
  /** Causes for a 422 Invalid on a write of the status subresource, which bypasses `validate`. */
  readonly validateStatus?: (obj: KubeObject, old: KubeObject) => StatusCause[];
  /** What the status strategy's PrepareForUpdate does to a write of the status subresource (no `defaults` runs there), before `validateStatus`. In place. */
  readonly prepareStatus?: (obj: KubeObject, old: KubeObject) => void;
  /** The same two for a write of a CertificateSigningRequest's approval subresource (its conditions alone). */
  readonly prepareApproval?: (obj: KubeObject, old: KubeObject) => void;
  readonly validateApproval?: (obj: KubeObject, old: KubeObject) => StatusCause[];
  /** Mutating admission that reads other objects (the ServiceAccount and LimitRanger plugins), on create after defaults and before validation. */
  readonly admit?: (obj: KubeObject) => Promise<void>;
  /**
   * Validating admission that reads other objects (LimitRanger): on create
   * and on updates that run the kind's rules (not the narrow writes of
   * status and the like), `old` on update, once validation passed, as
   * upstream's validating admission runs after the strategy's validation.
   * Throws to refuse; dry runs included (`dryRun` tells them, as upstream's
   * attributes do, so a plugin that records what it admitted (ResourceQuota)
   * records nothing).
   */
  readonly validateAdmission?: (obj: KubeObject, old: KubeObject | undefined, request: AdmissionRequest) => Promise<void>;
  /** Claims what the object needs from shared ranges (cluster IPs, node ports) that `old` did not hold. */
  readonly claim?: (obj: KubeObject, old: KubeObject | undefined) => Promise<void>;
  /** Gives back what `obj` holds and `keep` does not. */
  readonly release?: (obj: KubeObject, keep: KubeObject | undefined) => Promise<void>;
  /** metadata.generation counts spec changes (workloads, custom resources); other kinds have none. */
  readonly tracksGeneration?: boolean;
  /**
   * Why deleting the object `name` is refused (a 403), whether it exists or
   * not: upstream's REST storages that override Delete (the system
   * PriorityClasses). A deletecollection does not ask, as upstream's does not.
   */
  readonly deleteRefusal?: (name: string) => string | undefined;
  /** Finalizers kept outside metadata (a namespace's spec.finalizers): they hold a deletion too. */
  readonly finalizersOf?: (obj: KubeObject) => readonly string[];
  /** Fills in, on every read, fields kept in memory rather than written each time they change (node heartbeats). */
  readonly present?: (obj: KubeObject) => void;
  /** Objects of this kind delete themselves this long after their last write (events, as upstream's --event-ttl). */
  readonly ttlSeconds?: number;
  /**
   * Kinds deleted gracefully (pods, as upstream's CheckGracefulDelete): the
   * grace period in seconds a deletion of `obj` gets, given what the request
   * asked for. More than 0: the object is only marked (deletionTimestamp,
   * deletionGracePeriodSeconds) and whoever runs it deletes it with grace 0.
   */
  readonly gracePeriod?: (obj: KubeObject, requested: number | undefined) => number;
  /** Served versions other than the stored one, by version: how their objects become stored ones and back. */
  readonly conversions?: Readonly<Record<string, VersionConversion>>;
}

/** What validating admission learns of the request beyond the objects. */
export interface AdmissionRequest {
  readonly dryRun: boolean;
}

/**
 * One more served version of a stored resource (autoscaling/v1 HPAs over the
 * stored autoscaling/v2). Requests in that version are converted to the
 * stored version before the kind's defaults and validation, and every object
 * read, written, deleted or watched is converted back.
 */
export interface VersionConversion {
  /** The object as the stored version holds it; a malformed input is a 400 (ApiError). Leaves `obj` as it is. */
  readonly toStored: (obj: KubeObject) => KubeObject;
  /** The stored object as this version shows it. Leaves `obj` as it is. */
  readonly fromStored: (obj: KubeObject) => KubeObject;
}

export interface Selectors {
  readonly labelSelector?: LabelSelector;
  readonly fieldSelector?: FieldSelector;
}

export interface ListOptions extends Selectors {
  readonly limit?: number;
  readonly continue?: string;
  /** "" or "0": the newest; otherwise, with match Exact, that revision. */
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: string;
}

export interface WriteOptions {
  readonly dryRun?: boolean;
  /**
   * The caller gives `input` up (a request body decoded for this write alone):
   * the registry fills it in and writes it instead of a copy. Without it,
   * `input` is left as it was. The copy (structuredClone) was a few % of the
   * API server's CPU when most requests are writes.
   */
  readonly adoptInput?: boolean;
  /**
   * The request's own check of the object as it will be stored (after
   * defaults, before validation), with the stored object for an update; it
   * throws to refuse. How the API server checks what only its user may write
   * (RBAC escalation), or fills in what only it knows (a new
   * CertificateSigningRequest's requester), without the registry knowing users.
   */
  readonly check?: (obj: KubeObject, old: KubeObject | undefined) => Promise<void>;
  /**
   * Who writes, for metadata.managedFields: the write is recorded as this
   * manager's Update of the fields it changed. Without one (the server's own
   * controllers), an object's managedFields stay as they were.
   */
  readonly manager?: FieldManager;
  /**
   * Where the kind's warnings on this write go (upstream's warning.AddWarning
   * into the request), dry run or not. Without it (the server's own
   * controllers) they are not worked out.
   */
  readonly warn?: (warning: string) => void;
}

export interface UpdateOptions extends WriteOptions {
  /** "status" writes only the status; the main resource writes everything else. */
  readonly subresource?: string;
}

export interface ApplyOptions extends UpdateOptions {
  readonly manager: FieldManager;
  /** Take the fields other managers own instead of failing with a conflict. */
  readonly force: boolean;
}

export interface DeleteOptions extends WriteOptions {
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  /** What becomes of the dependents: Background (the default), Foreground or Orphan. */
  readonly propagationPolicy?: string;
  /** The deprecated form of propagationPolicy: true is Orphan, false Background. */
  readonly orphanDependents?: boolean;
  readonly gracePeriodSeconds?: number;
}

/** Held by these, a deleted object waits for the garbage collector to orphan its dependents, or to delete those that block it. */
export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

export interface DeleteOutcome {
  readonly object: KubeObject;
  /** True when the object stays until its finalizers are removed. */
  readonly pending: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface ApiWatchEvent {
  readonly type: WatchEventType;
  readonly object: unknown;
}

export interface WatchOptions extends Selectors {
  readonly resourceVersion?: string;
  readonly allowBookmarks?: boolean;
  /**
   * Only objects whose key ("namespace/name", or "name" when cluster-scoped)
   * this accepts are sent after the initial list; other changes cost the
   * watch nothing (the store skips them). BOOKMARKs come while nothing it
   * accepts does (the store's progress, every 10 s), so the caller still
   * learns how far the watch got.
   */
  readonly wants?: (key: string) => boolean;
  /**
   * Objects come with apiVersion, kind and metadata alone, only their
   * metadata parsed (upstream's metadata-only watch, which its garbage
   * collector uses). Not with selectors.
   */
  readonly metadataOnly?: boolean;
  readonly signal: AbortSignal;
}

const CONFLICT_RETRIES = 5;

/** Subresources that write only the fields they own, bypassing the kind's update rules. */
const NARROW_WRITES: Readonly<Record<string, (obj: KubeObject, next: KubeObject) => void>> = {
  status: (obj, next) => {
    if (next['status'] === undefined) delete obj['status'];
    else obj['status'] = next['status'];
  },
  // A CertificateSigningRequest's conditions.
  approval: (obj, next) => {
    const conditions = (next['status'] as { conditions?: unknown } | undefined)?.conditions;
    const status = { ...(obj['status'] as Record<string, unknown> | undefined) };
    if (conditions === undefined) delete status['conditions'];
    else status['conditions'] = conditions;
    obj['status'] = status;
  },
  // A namespace's finalizers.
  finalize: (obj, next) => {
    (obj['spec'] as Record<string, unknown>)['finalizers'] = (next['spec'] as { finalizers?: unknown } | undefined)?.finalizers ?? [];
  },
  // A pod's node, set once by whoever schedules it, with the annotations and condition the binding brings.
  binding: (obj, next) => {
    (obj['spec'] as Record<string, unknown>)['nodeName'] = (next['spec'] as { nodeName?: unknown } | undefined)?.nodeName;
    obj.metadata.annotations = next.metadata.annotations;
    obj['status'] = next['status'];
  },
};

export class Registry {
  /**
   * Each kind's rules, made once: admission wrappers build a new object per
   * call, and a request looks its kind's rules up several times, reads too.
   * A kind's rules follow from its type alone (a CRD's new state is a new type).
   */
  private readonly rulesByType = new WeakMap<ResourceType, KindRules>();

  constructor(
    private readonly store: Store,
    private readonly makeRules: (type: ResourceType) => KindRules,
    private readonly log: Logger,
  ) {}

  private rules(type: ResourceType): KindRules {
    let rules = this.rulesByType.get(type);
    if (rules === undefined) {
      rules = this.makeRules(type);
      this.rulesByType.set(type, rules);
    }
    return rules;
  }

  /** The store's latest committed revision: a read that starts now sees at least this. */
  get revision(): number {
    return this.store.revision;
  }

  // --- reads --------------------------------------------------------------

  async get(type: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.store.get(keyOf(type, namespace, name));
    if (kv === undefined) throw errors.notFound(type, name);
    return this.decode(type, kv);
  }

  async list(type: ResourceType, namespace: string | undefined, opts: ListOptions): Promise<KubeList> {
    const { page, metadata } = await this.page(type, namespace, opts);
    const items = page.items.map((kv) => this.decode(type, kv)).filter((obj) => matches(type, obj, opts));
    // Built-in list items carry no kind/apiVersion upstream; custom resources' do.
    const listed = isCustomResourceType(type) ? items : items.map(stripTypeMeta);
    return { kind: type.listKind, apiVersion: apiVersionOf(type.group, type.version), metadata, items: listed };
  }

  /** The JSON of `list` without selectors, made from the stored bytes (no parse and serialize per item). */
  async listJson(type: ResourceType, namespace: string | undefined, opts: Omit<ListOptions, keyof Selectors>): Promise<Buffer> {
    if (this.rewritesReads(type)) return Buffer.from(JSON.stringify(await this.list(type, namespace, opts)));
    const { page, metadata } = await this.page(type, namespace, opts);
    const head = JSON.stringify({ kind: type.listKind, apiVersion: apiVersionOf(type.group, type.version), metadata }).slice(0, -1);
    return objectsJson(`${head},"items":[`, type, page.items, isCustomResourceType(type), ']}');
  }

  /** The JSON of `get`, made from the stored bytes. */
  async getJson(type: ResourceType, namespace: string | undefined, name: string): Promise<Buffer> {
    if (this.rewritesReads(type)) return Buffer.from(JSON.stringify(await this.get(type, namespace, name)));
    const kv = await this.store.get(keyOf(type, namespace, name));
    if (kv === undefined) throw errors.notFound(type, name);
    return objectJson(type, kv, true);
  }

  private async page(type: ResourceType, namespace: string | undefined, opts: ListOptions) {
    const revision = listRevision(opts);
    let page;
    try {
      page = await this.store.list(prefixOf(type, namespace), {
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        ...(opts.continue !== undefined ? { continue: opts.continue } : {}),
        ...(revision !== undefined ? { revision } : {}),
      });
    } catch (err) {
      throw storeReadError(err, opts.continue !== undefined);
    }
    const metadata: KubeList['metadata'] = { resourceVersion: String(page.revision) };
    if (page.continue !== undefined) {
      metadata.continue = page.continue;
      // Upstream leaves the count out when selectors make it unknowable.
      if (opts.labelSelector === undefined && opts.fieldSelector === undefined) metadata.remainingItemCount = page.remaining;
    }
    return { page, metadata };
  }

  // --- writes -------------------------------------------------------------

  async create(type: ResourceType, namespace: string | undefined, input: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    return this.served(type, await this.createStored(type, namespace, this.stored(type, input), opts));
  }

  private async createStored(type: ResourceType, namespace: string | undefined, input: KubeObject, opts: WriteOptions, applied = false): Promise<KubeObject> {
    const obj = opts.adoptInput ? input : structuredClone(input);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = generatedName(meta.generateName);
    if (!meta.name) throw errors.invalid(type, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
    this.checkNamespace(type, namespace, obj);
    if (type.namespaced) await this.requireNamespace(namespace!);
    const rules = this.rules(type);
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.uid = randomUUID();
    meta.creationTimestamp = metaTime();
    if (rules.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    rules.decodeInput?.(obj);
    rules.defaults?.(obj, undefined);
    await rules.admit?.(obj);
    await opts.check?.(obj, undefined);
    if (!applied) this.recordOwnership(type, undefined, obj, opts);
    this.validate(type, obj, undefined, rules);
    if (opts.warn !== undefined) for (const warning of rules.warnings?.(obj, undefined) ?? []) opts.warn(warning);
    await rules.validateAdmission?.(obj, undefined, { dryRun: opts.dryRun === true });
    const key = keyOf(type, namespace, meta.name);
    if ((await this.store.get(key)) !== undefined) throw errors.alreadyExists(type, meta.name);
    await rules.claim?.(obj, undefined);
    if (opts.dryRun) {
      // A dry run shows what would be allocated, then gives it back.
      await rules.release?.(obj, undefined);
      return withTypeMeta(type, obj);
    }
    try {
      const { revision } = await this.store.create(key, encodeObject(obj), ttlOf(rules));
      meta.resourceVersion = String(revision);
    } catch (err) {
      await rules.release?.(obj, undefined);
      if (isStoreError(err, 'KeyExists')) throw errors.alreadyExists(type, meta.name);
      throw err;
    }
    return withTypeMeta(type, obj);
  }

  async update(type: ResourceType, namespace: string | undefined, name: string, input: KubeObject, opts: UpdateOptions): Promise<KubeObject> {
    const kv = await this.store.get(keyOf(type, namespace, name));
    if (kv === undefined) throw errors.notFound(type, name);
    const current = decodeObject(type, kv);
    const requested = input.metadata.resourceVersion;
    if (requested !== undefined && requested !== '' && requested !== current.metadata.resourceVersion) throw errors.conflict(type, name);
    if (input.metadata.name !== undefined && input.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    }
    this.checkNamespace(type, namespace, input);
    return this.served(type, await this.replace(type, current, kv.modRevision, this.stored(type, opts.adoptInput ? input : structuredClone(input)), opts));
  }

  /**
   * Read-modify-write with retries on conflict (GuaranteedUpdate): `mutate`
   * gets the current object and returns the new one.
   */
  async patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    mutate: (current: KubeObject) => KubeObject,
    opts: UpdateOptions,
  ): Promise<KubeObject> {
    return this.readModifyWrite(type, namespace, name, mutate, opts, false);
  }

  /**
   * Server-side apply of `config` by `opts.manager` (see ../fields/apply.ts):
   * the object is created when it is missing, except through a subresource.
   * A conflict with other managers' fields is a 409 unless `opts.force`.
   */
  async apply(type: ResourceType, namespace: string | undefined, name: string, config: KubeObject, opts: ApplyOptions): Promise<{ object: KubeObject; created: boolean }> {
    const ownership = this.ownership(type, opts);
    for (let attempt = 0; ; attempt++) {
      try {
        const object = await this.readModifyWrite(type, namespace, name, (live) => applyConfig(live, structuredClone(config), opts.manager, opts.force, ownership), opts, true);
        return { object, created: false };
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'NotFound') || opts.subresource !== undefined) throw err;
      }
      const obj = applyConfig(undefined, structuredClone(config), opts.manager, opts.force, ownership);
      obj.metadata.name = name;
      try {
        return { object: this.served(type, await this.createStored(type, namespace, this.stored(type, obj), opts, true)), created: true };
      } catch (err) {
        // Created meanwhile by another writer: apply to it.
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists') || attempt > 0) throw err;
      }
    }
  }

  /** Read-modify-write with retries on conflict (GuaranteedUpdate); `applied`: `mutate` sets the managedFields itself. */
  private async readModifyWrite(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    mutate: (current: KubeObject) => KubeObject,
    opts: UpdateOptions,
    applied: boolean,
  ): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(keyOf(type, namespace, name));
      if (kv === undefined) throw errors.notFound(type, name);
      const current = decodeObject(type, kv);
      const next = this.stored(type, mutate(this.served(type, structuredClone(current))));
      if (next.metadata.name !== undefined && next.metadata.name !== name) {
        throw errors.badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
      }
      try {
        return this.served(type, await this.replace(type, current, kv.modRevision, next, opts, applied));
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'Conflict') || attempt >= CONFLICT_RETRIES) throw err;
      }
    }
  }

  /**
   * Deletes (or marks for deletion) the object. Like etcd3's conditional
   * delete upstream, a write that raced this one (a controller updating the
   * status) does not fail it: the object is read again and the preconditions
   * checked again.
   */
  async delete(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions): Promise<DeleteOutcome> {
    const refusal = this.rules(type).deleteRefusal?.(name);
    if (refusal !== undefined) throw errors.forbidden(type, name, refusal);
    return this.deleteRetrying(type, namespace, name, opts);
  }

  private async deleteRetrying(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions): Promise<DeleteOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { object, pending } = await this.deleteOnce(type, namespace, name, opts);
        return { object: this.served(type, object), pending };
      } catch (err) {
        if (!(err instanceof Raced)) throw err;
        if (attempt >= CONFLICT_RETRIES) throw errors.conflict(type, name);
      }
    }
  }

  private async deleteOnce(type: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions): Promise<DeleteOutcome> {
    const key = keyOf(type, namespace, name);
    const kv = await this.store.get(key);
    if (kv === undefined) throw errors.notFound(type, name);
    checkDeleteOptions(opts);
    const current = decodeObject(type, kv);
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
      throw errors.conflict(type, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw errors.conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    const rules = this.rules(type);
    const graceful = gracefulDeletion(rules, current, opts);
    // A graceful deletion under way that this one does not shorten: nothing changes (upstream's pendingGraceful).
    if (graceful === 'pending') return { object: current, pending: true };
    const finalizers = deletionFinalizers(type, current.metadata.finalizers ?? [], opts);
    const marked = structuredClone(current);
    if (finalizers !== undefined) {
      if (finalizers.length > 0) marked.metadata.finalizers = finalizers;
      else delete marked.metadata.finalizers;
    }
    const waits = graceful !== 'immediate' && graceful.seconds > 0;
    if (isHeld(marked, rules) || waits) {
      // Finalizers or a grace period hold the object: mark it; whoever owns a finalizer removes it,
      // whoever runs it deletes it once it stopped. Asked again, only a change of what becomes of
      // the dependents, or a shorter grace period, is written.
      if (current.metadata.deletionTimestamp !== undefined && finalizers === undefined && graceful === 'immediate') return { object: current, pending: true };
      const fresh = marked.metadata.deletionTimestamp === undefined;
      if (graceful !== 'immediate') {
        marked.metadata.deletionTimestamp = graceful.deletionTimestamp;
        marked.metadata.deletionGracePeriodSeconds = graceful.seconds;
      } else if (fresh) {
        marked.metadata.deletionTimestamp = metaTime();
        marked.metadata.deletionGracePeriodSeconds = 0;
      }
      if (fresh) {
        if (marked.metadata.generation !== undefined) marked.metadata.generation++;
        // What depends on being deleted (a namespace's Terminating phase) follows.
        rules.defaults?.(marked, current);
      }
      if (opts.dryRun) return { object: marked, pending: true };
      try {
        return { object: await this.write(type, key, marked, kv.modRevision), pending: true };
      } catch (err) {
        // The preconditions held a moment ago: the object changed under us.
        if (err instanceof ApiError && err.code === 409) throw new Raced();
        throw err;
      }
    }
    // Nothing holds it (any more: a Background deletion of an object waiting in the foreground lets it go now).
    if (opts.dryRun) return { object: current, pending: false };
    try {
      const { revision } = await this.store.delete(key, { expectedRevision: kv.modRevision });
      current.metadata.resourceVersion = String(revision);
    } catch (err) {
      if (isStoreError(err, 'Conflict')) throw new Raced();
      if (isStoreError(err, 'NotFound')) throw errors.notFound(type, name);
      throw err;
    }
    await rules.release?.(current, undefined);
    return { object: current, pending: false };
  }

  async deleteCollection(type: ResourceType, namespace: string | undefined, selectors: Selectors, opts: DeleteOptions): Promise<KubeList> {
    const list = await this.list(type, namespace, selectors);
    const deleted: KubeObject[] = [];
    for (const item of list.items) {
      try {
        deleted.push((await this.deleteRetrying(type, item.metadata.namespace, item.metadata.name!, opts)).object);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return { ...list, items: isCustomResourceType(type) ? deleted : deleted.map(stripTypeMeta) };
  }

  // --- watch --------------------------------------------------------------

  /**
   * Events after `resourceVersion`; with none (or "0"), first an ADDED for
   * every current object, as the apiserver does. A start revision older than
   * the store keeps ends the stream with an ERROR event carrying 410 Expired.
   */
  async *watch(type: ResourceType, namespace: string | undefined, opts: WatchOptions): AsyncGenerator<ApiWatchEvent> {
    const prefix = prefixOf(type, namespace);
    const typePrefix = prefixOf(type);
    const selecting = opts.labelSelector !== undefined || opts.fieldSelector !== undefined;
    if (selecting && opts.metadataOnly) throw new Error('a metadata-only watch takes no selectors');
    const decode = (kv: KeyValue) => (opts.metadataOnly ? decodeMetadata(type, kv) : this.decode(type, kv));
    let from: number;
    if (opts.resourceVersion === undefined || opts.resourceVersion === '' || opts.resourceVersion === '0') {
      let cont: string | undefined;
      let revision = 0;
      do {
        const page = await this.store.list(prefix, { limit: 500, ...(cont !== undefined ? { continue: cont } : {}) });
        revision = page.revision;
        for (const kv of page.items) {
          const obj = decode(kv);
          if (matches(type, obj, opts)) yield { type: 'ADDED', object: obj };
        }
        cont = page.continue;
      } while (cont !== undefined);
      from = revision;
    } else {
      from = parseResourceVersion(opts.resourceVersion);
    }
    let watch;
    try {
      const { wants } = opts;
      const keys = wants === undefined ? {} : { keys: (key: string) => wants(key.slice(typePrefix.length)) };
      watch = this.store.watch(prefix, from, { signal: opts.signal, ...keys });
    } catch (err) {
      if (isStoreError(err, 'Compacted')) {
        yield { type: 'ERROR', object: errors.expired(`too old resource version: ${from} (${err.revision ?? 0})`).toStatus() };
        return;
      }
      throw err;
    }
    try {
      for await (const message of watch) {
        if (message.kind === 'progress') {
          if (opts.allowBookmarks || opts.wants !== undefined) yield { type: 'BOOKMARK', object: bookmark(type, message.revision) };
          continue;
        }
        const { event } = message;
        const current = event.type === 'PUT' ? decode(event.kv) : undefined;
        if (current !== undefined && !selecting) {
          // Sent whatever came before it: only whether something did matters, so the previous state is not decoded.
          yield { type: event.prev === undefined ? 'ADDED' : 'MODIFIED', object: current };
          continue;
        }
        const previous = event.prev === undefined ? undefined : opts.metadataOnly ? decodeMetadata(type, event.prev) : this.served(type, decodeObject(type, event.prev));
        const isNow = current !== undefined && matches(type, current, opts);
        const wasBefore = previous !== undefined && matches(type, previous, opts);
        if (isNow) yield { type: wasBefore ? 'MODIFIED' : 'ADDED', object: current };
        else if (wasBefore) {
          // Deleted, or no longer selected: the last state, at the event's revision.
          previous.metadata.resourceVersion = String(event.kv.modRevision);
          yield { type: 'DELETED', object: previous };
        }
      }
    } catch (err) {
      // A consumer too slow for the store's buffer: end the stream; the client re-watches from its last revision.
      if (isStoreError(err, 'WatchOverflow')) {
        this.log.debug('watch closed: consumer too slow', { resource: type.plural });
        return;
      }
      if (isStoreError(err, 'Closed')) return;
      throw err;
    } finally {
      watch.close();
    }
  }

  // --- helpers ------------------------------------------------------------

  /** A stored object as readers see it. */
  private decode(type: ResourceType, kv: KeyValue): KubeObject {
    const obj = decodeObject(type, kv);
    this.rules(type).present?.(obj);
    return this.served(type, obj);
  }

  /** Reads that cannot send the stored bytes as they are. */
  private rewritesReads(type: ResourceType): boolean {
    const rules = this.rules(type);
    return rules.present !== undefined || rules.conversions?.[type.version] !== undefined;
  }

  /** A stored object in the type's version. */
  private served(type: ResourceType, obj: KubeObject): KubeObject {
    const conversion = this.rules(type).conversions?.[type.version];
    return conversion === undefined ? obj : withTypeMeta(type, conversion.fromStored(obj));
  }

  /** An object of the type's version in the stored version. */
  private stored(type: ResourceType, obj: KubeObject): KubeObject {
    const conversion = this.rules(type).conversions?.[type.version];
    return conversion === undefined ? obj : conversion.toStored(obj);
  }

  private async replace(type: ResourceType, current: KubeObject, modRevision: number, next: KubeObject, opts: UpdateOptions, applied = false): Promise<KubeObject> {
    const rules = this.rules(type);
    const hasStatus = type.subresources.some((s) => s.name === 'status');
    let obj: KubeObject;
    const narrow = opts.subresource === undefined ? undefined : NARROW_WRITES[opts.subresource];
    rules.decodeInput?.(next);
    if (narrow !== undefined) {
      obj = structuredClone(current);
      narrow(obj, next);
      if (opts.subresource === 'status') rules.prepareStatus?.(obj, current);
      if (opts.subresource === 'approval') rules.prepareApproval?.(obj, current);
      if (applied) obj.metadata.managedFields = next.metadata.managedFields;
      else this.recordOwnership(type, current, obj, opts);
      await opts.check?.(obj, current);
      const validate = opts.subresource === 'status' ? rules.validateStatus : opts.subresource === 'approval' ? rules.validateApproval : undefined;
      const causes = validate?.(obj, current) ?? [];
      if (causes.length > 0) throw errors.invalid(type, current.metadata.name!, causes);
    } else {
      obj = next;
      // System fields are the server's, whatever the client sent.
      const meta = obj.metadata;
      meta.uid = current.metadata.uid!;
      meta.creationTimestamp = current.metadata.creationTimestamp!;
      if (current.metadata.namespace !== undefined) meta.namespace = current.metadata.namespace;
      else delete meta.namespace;
      if (current.metadata.deletionTimestamp !== undefined) meta.deletionTimestamp = current.metadata.deletionTimestamp;
      else delete meta.deletionTimestamp;
      if (current.metadata.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
      // With a status subresource, the main resource cannot change the status.
      if (hasStatus) {
        if (current['status'] === undefined) delete obj['status'];
        else obj['status'] = current['status'];
      }
      rules.defaults?.(obj, current);
      // Compared once defaulted, as upstream's strategies compare decoded objects: a field left out that defaults to what it was is no change.
      if (current.metadata.generation !== undefined) {
        meta.generation = current.metadata.generation + (specChanged(current, obj) ? 1 : 0);
      }
      if (!applied) this.recordOwnership(type, current, obj, opts);
      await opts.check?.(obj, current);
      this.validate(type, obj, current, rules);
      if (opts.warn !== undefined) for (const warning of rules.warnings?.(obj, current) ?? []) opts.warn(warning);
      await rules.validateAdmission?.(obj, current, { dryRun: opts.dryRun === true });
    }
    obj.metadata.resourceVersion = current.metadata.resourceVersion!;
    const key = keyOf(type, current.metadata.namespace, current.metadata.name!);
    // The last finalizer removed from an object being deleted: now it goes.
    if (obj.metadata.deletionTimestamp !== undefined && !isHeld(obj, rules)) {
      if (opts.dryRun) return withTypeMeta(type, obj);
      try {
        const { revision } = await this.store.delete(key, { expectedRevision: modRevision });
        obj.metadata.resourceVersion = String(revision);
      } catch (err) {
        if (isStoreError(err, 'Conflict') || isStoreError(err, 'NotFound')) throw errors.conflict(type, current.metadata.name!);
        throw err;
      }
      await rules.release?.(current, undefined);
      return withTypeMeta(type, obj);
    }
    await rules.claim?.(obj, current);
    if (opts.dryRun) {
      await rules.release?.(obj, current);
      return withTypeMeta(type, obj);
    }
    let written: KubeObject;
    try {
      written = await this.write(type, key, obj, modRevision);
    } catch (err) {
      await rules.release?.(obj, current);
      throw err;
    }
    await rules.release?.(current, written);
    return written;
  }

  private async write(type: ResourceType, key: string, obj: KubeObject, expectedRevision: number): Promise<KubeObject> {
    try {
      const { revision } = await this.store.update(key, encodeObject(obj), { expectedRevision, ...ttlOf(this.rules(type)) });
      obj.metadata.resourceVersion = String(revision);
    } catch (err) {
      if (isStoreError(err, 'Conflict') || isStoreError(err, 'NotFound')) throw errors.conflict(type, obj.metadata.name!);
      throw err;
    }
    return withTypeMeta(type, obj);
  }

  /**
   * metadata.managedFields after a write that is no apply: the manager's
   * Update once the object has been applied (it has managedFields), else as
   * they were. Objects never applied keep none: recording every write of
   * every object cost about 15 % of the server's CPU per operation in the
   * API bench's mix (bigger objects everywhere, and the field sets), and a
   * first apply gives what such an object holds to before-first-apply, as
   * upstream does for objects written before managed fields.
   */
  private recordOwnership(type: ResourceType, old: KubeObject | undefined, obj: KubeObject, opts: UpdateOptions): void {
    const tracked = (old?.metadata.managedFields?.length ?? 0) > 0;
    if (opts.manager !== undefined && tracked) return recordUpdate(old, obj, opts.manager, this.ownership(type, opts));
    if (old?.metadata.managedFields !== undefined) obj.metadata.managedFields = old.metadata.managedFields;
    else delete obj.metadata.managedFields;
  }

  private ownership(type: ResourceType, opts: UpdateOptions): OwnershipContext {
    const fields = fieldTypeOf(type);
    return {
      fields,
      apiVersion: apiVersionOf(type.group, type.version),
      zero: () => zeroObject(type, fields),
      owns: opts.subresource === 'status' || opts.subresource === 'approval' ? 'status' : opts.subresource === undefined && type.subresources.some((s) => s.name === 'status') ? 'all but status' : 'all',
    };
  }

  private validate(type: ResourceType, obj: KubeObject, old: KubeObject | undefined, rules: KindRules): void {
    const name = obj.metadata.name!;
    const builtin = !isCustomResourceType(type) && type.group !== CRD_GROUP;
    const causes = [...(old === undefined ? checkName(name, nameRuleOf(type.group, type.plural)) : []), ...validateObjectMeta(obj, old, builtin), ...(rules.validate?.(obj, old) ?? [])];
    if (causes.length > 0) throw errors.invalid(type, name, causes);
  }

  /** The namespace of the URL and of the body must agree; cluster-scoped objects have none. */
  private checkNamespace(type: ResourceType, namespace: string | undefined, obj: KubeObject): void {
    if (!type.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (namespace === undefined) throw errors.badRequest(`the namespace of the provided object does not match the namespace sent on the request`);
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '' && obj.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace;
  }

  private async requireNamespace(namespace: string): Promise<void> {
    const kv = await this.store.get(`/registry/namespaces/${namespace}`);
    if (kv === undefined) throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    const ns = JSON.parse(Buffer.from(kv.value).toString('utf8')) as KubeObject;
    if (ns.metadata.deletionTimestamp !== undefined) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`, {
        name: namespace,
        kind: 'namespaces',
      });
    }
  }
}

/** Where objects of a type live in the store: /registry/<plural>/… for the core group, /registry/<group>/<plural>/… else (the storage group's). */
export function prefixOf(type: ResourceType, namespace?: string): string {
  const group = type.storageGroup ?? type.group;
  const base = group === '' ? `/registry/${type.plural}/` : `/registry/${group}/${type.plural}/`;
  return type.namespaced && namespace !== undefined ? `${base}${namespace}/` : base;
}

export function keyOf(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${prefixOf(type, type.namespaced ? namespace : undefined)}${name}`;
}

function withTypeMeta(type: ResourceType, obj: KubeObject): KubeObject {
  obj.apiVersion = apiVersionOf(type.group, type.version);
  obj.kind = type.kind;
  return obj;
}

/** List items of built-in types carry no kind/apiVersion upstream; the list does. */
function stripTypeMeta(obj: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return rest as KubeObject;
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

/** Upstream's ValidateDeleteOptions: a 422 for DeleteOptions, after the object was found. */
function checkDeleteOptions(opts: DeleteOptions): void {
  const policy = opts.propagationPolicy;
  const causes: StatusCause[] = [];
  if (opts.orphanDependents !== undefined && policy !== undefined) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set`, field: 'propagationPolicy' });
  }
  if (policy !== undefined && !PROPAGATION_POLICIES.includes(policy)) {
    const supported = [...PROPAGATION_POLICIES, 'nil'].map((p) => JSON.stringify(p)).join(', ');
    causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: ${supported}`, field: 'propagationPolicy' });
  }
  if (causes.length > 0) throw errors.invalid(optionsKind('DeleteOptions'), '', causes);
}

/**
 * Upstream's BeforeDelete for kinds deleted gracefully: 'immediate' (no grace
 * period, or a deletion already marked with none), 'pending' (a graceful
 * deletion under way that this request does not shorten), or the deletion
 * time and grace period to write (a shorter one moves the time earlier).
 */
function gracefulDeletion(rules: KindRules, current: KubeObject, opts: DeleteOptions): 'immediate' | 'pending' | { deletionTimestamp: string; seconds: number } {
  if (rules.gracePeriod === undefined) return 'immediate';
  const meta = current.metadata;
  if (meta.deletionTimestamp !== undefined) {
    const existing = meta.deletionGracePeriodSeconds;
    if (existing === undefined || existing === 0) return 'immediate';
    const asked = opts.gracePeriodSeconds;
    if (asked === undefined || asked >= existing) return 'pending';
    return { deletionTimestamp: metaTime(new Date(Date.parse(meta.deletionTimestamp) + (asked - existing) * 1000)), seconds: asked };
  }
  const seconds = rules.gracePeriod(current, opts.gracePeriodSeconds);
  return { deletionTimestamp: metaTime(new Date(Date.now() + seconds * 1000)), seconds };
}

/** Events are never garbage-collected: upstream's policy for them is Unsupported, and its collector ignores them. */
export function isGarbageCollected(type: ResourceType): boolean {
  return !(type.plural === 'events' && (type.group === '' || type.group === 'events.k8s.io'));
}

/** The finalizers a deletion leaves (upstream's deletionFinalizersForGarbageCollection), or undefined when they stay as they are. */
function deletionFinalizers(type: ResourceType, existing: readonly string[], opts: DeleteOptions): string[] | undefined {
  if (!isGarbageCollected(type)) return undefined;
  const wanted = existing.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  const policy = propagationOf(existing, opts);
  if (policy === 'Orphan') wanted.push(ORPHAN_FINALIZER);
  if (policy === 'Foreground') wanted.push(FOREGROUND_FINALIZER);
  const same = new Set(wanted).size === new Set(existing).size && wanted.every((f) => existing.includes(f));
  return same ? undefined : wanted;
}

/** The policy asked for (orphanDependents first), else the one an earlier deletion asked for, else Background: the default of every type we serve. */
function propagationOf(existing: readonly string[], opts: DeleteOptions): string {
  if (opts.orphanDependents !== undefined) return opts.orphanDependents ? 'Orphan' : 'Background';
  if (opts.propagationPolicy !== undefined) return opts.propagationPolicy;
  const earlier = existing.find((f) => f === ORPHAN_FINALIZER || f === FOREGROUND_FINALIZER);
  return earlier === ORPHAN_FINALIZER ? 'Orphan' : earlier === FOREGROUND_FINALIZER ? 'Foreground' : 'Background';
}

function isHeld(obj: KubeObject, rules: KindRules): boolean {
  return (obj.metadata.finalizers?.length ?? 0) > 0 || (rules.finalizersOf?.(obj).length ?? 0) > 0;
}

function matches(type: ResourceType, obj: KubeObject, sel: Selectors): boolean {
  if (sel.labelSelector !== undefined && !sel.labelSelector.matches(obj.metadata.labels)) return false;
  if (sel.fieldSelector !== undefined && !sel.fieldSelector.matches(selectableFields(type.group, type.kind, obj))) return false;
  return true;
}

function specChanged(a: KubeObject, b: KubeObject): boolean {
  const { metadata: _m1, status: _s1, ...restA } = a;
  const { metadata: _m2, status: _s2, ...restB } = b;
  return JSON.stringify(restA) !== JSON.stringify(restB);
}

/** A delete's compare-and-swap lost to another write: read again and retry. */
class Raced extends Error {}

function ttlOf(rules: KindRules): { ttlSeconds?: number } {
  return rules.ttlSeconds === undefined ? {} : { ttlSeconds: rules.ttlSeconds };
}

function bookmark(type: ResourceType, revision: number): KubeObject {
  return { apiVersion: apiVersionOf(type.group, type.version), kind: type.kind, metadata: { resourceVersion: String(revision) } };
}

export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  return Number(rv);
}

function listRevision(opts: ListOptions): number | undefined {
  if (opts.continue !== undefined) return undefined;
  const rv = opts.resourceVersion;
  if (rv === undefined || rv === '' || rv === '0') return undefined;
  const revision = parseResourceVersion(rv);
  // NotOlderThan (the default) is met by the newest revision; Exact reads at that one.
  return opts.resourceVersionMatch === 'Exact' ? revision : undefined;
}

function storeReadError(err: unknown, continuing: boolean): unknown {
  if (isStoreError(err, 'Compacted')) {
    return errors.expired(
      continuing
        ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
        : `too old resource version: ${err.message}`,
    );
  }
  if (isStoreError(err, 'InvalidArgument')) return errors.badRequest(`invalid continue token: ${err.message}`);
  if (isStoreError(err, 'FutureRevision')) return new ApiError(504, 'Timeout', `Too large resource version: ${err.message}`, { retryAfterSeconds: 1 });
  return err;
}

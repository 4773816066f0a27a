// Garbage collection through ownerReferences, as upstream's garbage collector
// does it: an object whose owners are all gone is deleted, and one with an
// owner still alive only loses the references to those that are gone. An
// owner deleted with propagationPolicy Foreground (finalizer
// foregroundDeletion) has its dependents deleted and goes once none that
// blocks it (blockOwnerDeletion) is left; one deleted with Orphan (finalizer
// orphan) goes once no dependent names it any more. Level-triggered on uids:
// each reconcile reads the object and its owners as they are now, so it is
// idempotent, and a restart rebuilds the graph by listing.
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { groupVersionOf, type KubeObject, type ObjectMeta, type OwnerReference } from '../api/objects.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { isGone } from './delete-all.js';
import { type GraphNode, isDeletingDependents, OwnerGraph } from './owner-graph.js';
import type { SharedInformers } from './shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';

export interface GarbageCollectorOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

/**
 * Retried with back-off and logged quietly, as upstream requeues such items:
 * an owner of a kind nothing serves yet (a CRD may come), or an owner the
 * API has that the graph has not seen yet (were it deleted before its type
 * is followed, no event would ever say so).
 */
class NotYet extends Error {}

/** Thrown from a patch's mutate to write nothing. */
const UNCHANGED = new Error('unchanged');

type Policy = 'Background' | 'Foreground' | 'Orphan';

export class GarbageCollector {
  readonly #graph: OwnerGraph;
  readonly #queue: WorkQueue;

  private constructor(private readonly opts: GarbageCollectorOptions) {
    this.#queue = new WorkQueue(
      (uid) => this.reconcile(uid),
      (uid, err, retryInMs) => {
        const fields = { uid, error: err, retryInMs };
        if (err instanceof NotYet) opts.log.debug('owner not known yet', fields);
        else opts.log.warn('garbage collection failed', fields);
      },
    );
    this.#graph = new OwnerGraph({ ...opts, enqueue: (uid) => this.#queue.add(uid) });
  }

  static async start(opts: GarbageCollectorOptions): Promise<GarbageCollector> {
    const collector = new GarbageCollector(opts);
    try {
      await collector.#graph.start();
    } catch (err) {
      await collector.close();
      throw err;
    }
    return collector;
  }

  async reconcile(uid: string): Promise<void> {
    // An owner's dependents are all known only once every type is listed.
    await this.#graph.synced();
    const node = this.#graph.get(uid);
    // Gone: its dependents were queued when it went.
    if (node === undefined) return;
    if (node.deletionTimestamp === undefined) return this.#collect(node);
    const latest = await this.#read(node);
    const finalizers = latest?.metadata.finalizers ?? [];
    if (finalizers.includes(ORPHAN_FINALIZER)) await this.#orphanDependents(node);
    if (finalizers.includes(FOREGROUND_FINALIZER)) await this.#deleteDependents(node);
    // Otherwise being deleted is a one-way trip: its dependents are looked at once it is gone.
  }

  async close(): Promise<void> {
    await this.#graph.close();
    await this.#queue.close();
  }

  /** Upstream's attemptToDeleteItem: deletes `node` when none of its owners is left, or drops the references to those gone. */
  async #collect(node: GraphNode): Promise<void> {
    if (node.owners.every((ref) => this.#graph.isAlive(ref, node))) return;
    const latest = await this.#read(node);
    const refs = latest?.metadata.ownerReferences ?? [];
    if (latest === undefined || latest.metadata.deletionTimestamp !== undefined || refs.length === 0) return;
    const solid: OwnerReference[] = [];
    const gone: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const ownerType = this.#typeOf(ref);
      if (node.namespace === undefined && ownerType.namespaced) {
        // Never valid, and no retry makes it so (upstream gives up on the object too).
        this.opts.log.warn('cluster-scoped object names a namespaced owner; left alone', { kind: node.followed.type.kind, name: node.name, owner: `${ref.kind}/${ref.name}` });
        return;
      }
      const owner = await this.#ownerOf(ownerType, ref, node);
      if (owner === undefined) gone.push(ref);
      else if (owner.metadata.deletionTimestamp !== undefined && owner.metadata.finalizers?.includes(FOREGROUND_FINALIZER)) waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length > 0) {
      // Kept for the live owner; an owner waiting in the foreground must not wait for it.
      const drop = new Set([...gone, ...waiting].map((ref) => ref.uid));
      if (drop.size > 0) await this.#patchMeta(node, (meta) => removeOwners(meta, drop));
      const unseen = solid.find((ref) => this.#graph.get(ref.uid) === undefined);
      if (unseen !== undefined) throw new NotYet(`owner ${unseen.kind} ${unseen.name} not seen yet`);
      return;
    }
    const dependents = this.#graph.dependentsOf(node.uid);
    if (waiting.length > 0 && dependents.length > 0) {
      // Its own dependents go first. One of them waiting in the foreground as well may be a cycle: unblocking breaks it.
      if (dependents.some(isDeletingDependents)) await this.#patchMeta(node, unblockOwners);
      return this.#delete(node, latest, 'Foreground');
    }
    await this.#delete(node, latest, policyOf(latest.metadata.finalizers ?? []));
  }

  /** Upstream's attemptToOrphan: no dependent names the owner any more, then it goes. */
  async #orphanDependents(owner: GraphNode): Promise<void> {
    const uids = new Set([owner.uid]);
    for (const dependent of this.#graph.dependentsOf(owner.uid)) await this.#patchMeta(dependent, (meta) => removeOwners(meta, uids));
    await this.#patchMeta(owner, (meta) => removeFinalizer(meta, ORPHAN_FINALIZER));
    this.opts.log.debug('dependents orphaned', { kind: owner.followed.type.kind, namespace: owner.namespace, name: owner.name });
  }

  /** Upstream's processDeletingDependentsItem: the dependents go; the owner once none that blocks it is left. */
  async #deleteDependents(owner: GraphNode): Promise<void> {
    const dependents = this.#graph.dependentsOf(owner.uid);
    for (const dependent of dependents) if (dependent.deletionTimestamp === undefined) this.#queue.add(dependent.uid);
    const blocking = dependents.filter((d) => d.owners.some((ref) => ref.uid === owner.uid && ref.blockOwnerDeletion === true));
    if (blocking.length > 0) {
      this.opts.log.debug('waiting for blocking dependents', { name: owner.name, blocking: blocking.length });
      return;
    }
    await this.#patchMeta(owner, (meta) => removeFinalizer(meta, FOREGROUND_FINALIZER));
  }

  /** Deletes the object as it was read; if it changed meanwhile, only when its owners did not (upstream's deleteObject). */
  async #delete(node: GraphNode, latest: KubeObject, policy: Policy): Promise<void> {
    try {
      await this.#deleteNow(node, policy, latest.metadata.resourceVersion);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
      const now = await this.#read(node);
      if (now === undefined) return;
      // Adopted or released since: the retry decides again.
      if (JSON.stringify(now.metadata.ownerReferences ?? []) !== JSON.stringify(latest.metadata.ownerReferences ?? [])) throw err;
      await this.#deleteNow(node, policy);
    }
    this.opts.log.debug('dependent deleted', { kind: node.followed.type.kind, namespace: node.namespace, name: node.name, propagationPolicy: policy });
  }

  async #deleteNow(node: GraphNode, policy: Policy, resourceVersion?: string): Promise<void> {
    try {
      await this.opts.registry.delete(node.followed.type, node.namespace, node.name, {
        propagationPolicy: policy,
        preconditions: { uid: node.uid, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
      });
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  /** The object `node` stands for, as it is now; undefined when gone or replaced by another of the same name. */
  async #read(node: GraphNode): Promise<KubeObject | undefined> {
    try {
      const obj = await this.opts.registry.get(node.followed.type, node.namespace, node.name);
      return obj.metadata.uid === node.uid ? obj : undefined;
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }

  #typeOf(ref: OwnerReference): ResourceType {
    const { group, version } = groupVersionOf(ref.apiVersion);
    const type = this.opts.catalogue.byKind(group, version, ref.kind);
    if (type === undefined) throw new NotYet(`no resource of kind ${ref.kind} in ${ref.apiVersion}`);
    return type;
  }

  /** The owner `ref` names, read from the API (the graph may lag); undefined when gone or another object has its name. */
  async #ownerOf(type: ResourceType, ref: OwnerReference, dependent: GraphNode): Promise<KubeObject | undefined> {
    try {
      const owner = await this.opts.registry.get(type, type.namespaced ? dependent.namespace : undefined, ref.name);
      return owner.metadata.uid === ref.uid ? owner : undefined;
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }

  /** Changes the metadata of the object `node` stands for (not one that took its name since); writes nothing when `change` changes nothing. */
  async #patchMeta(node: GraphNode, change: (meta: ObjectMeta) => boolean): Promise<void> {
    try {
      await this.opts.registry.patch(
        node.followed.type,
        node.namespace,
        node.name,
        (current) => {
          if (current.metadata.uid !== node.uid || !change(current.metadata)) throw UNCHANGED;
          return current;
        },
        {},
      );
    } catch (err) {
      if (err !== UNCHANGED && !isGone(err)) throw err;
    }
  }
}

/** An orphan or foregroundDeletion finalizer already on the object says how its own dependents go (upstream honours it), else Background. */
function policyOf(finalizers: readonly string[]): Policy {
  if (finalizers.includes(ORPHAN_FINALIZER)) return 'Orphan';
  return finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
}

function removeOwners(meta: ObjectMeta, uids: ReadonlySet<string>): boolean {
  const refs = meta.ownerReferences ?? [];
  const kept = refs.filter((ref) => !uids.has(ref.uid));
  if (kept.length === refs.length) return false;
  if (kept.length > 0) meta.ownerReferences = kept;
  else delete meta.ownerReferences;
  return true;
}

function unblockOwners(meta: ObjectMeta): boolean {
  const blocking = (meta.ownerReferences ?? []).filter((ref) => ref.blockOwnerDeletion === true);
  for (const ref of blocking) ref.blockOwnerDeletion = false;
  return blocking.length > 0;
}

function removeFinalizer(meta: ObjectMeta, finalizer: string): boolean {
  if (!meta.finalizers?.includes(finalizer)) return false;
  const kept = meta.finalizers.filter((f) => f !== finalizer);
  if (kept.length > 0) meta.finalizers = kept;
  else delete meta.finalizers;
  return true;
}

// The garbage collector's view of the cluster (upstream's GraphBuilder): every
// object of every type it can list, watch and delete, by uid, with only what
// ownership needs (type, namespace, name, ownerReferences, deletionTimestamp,
// finalizers), and for every uid the objects naming it as an owner. Each type
// is followed by a list-then-watch of its own that keeps metadata only (no
// Secret or ConfigMap is held whole); pods through the shared informer the
// other controllers keep anyway. Custom resources come and go with the
// catalogue. The graph decides which uids need a look; the collector acts.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject, OwnerReference } from '../api/objects.js';
import { FOREGROUND_FINALIZER, isGarbageCollected, ORPHAN_FINALIZER, type Registry } from '../api/registry/registry.js';
import type { ResourceType, Verb } from '../api/resources.js';
import { keyOf } from './informer.js';
import type { SharedInformers } from './shared-informers.js';

const RELIST_DELAY_MS = 200;
const LIST_PAGE = 500;
/** How often the catalogue is looked at for types that came or went (custom resources); upstream rediscovers every 30 s. */
const TYPES_RESYNC_MS = 1000;
const NEEDED_VERBS: readonly Verb[] = ['list', 'watch', 'delete'];

/** One followed type: where it is stored ("group/plural"), the served version of it now (a custom resource's may change), and the uid at each key. */
export interface Followed {
  readonly at: string;
  type: ResourceType;
  readonly keys: Map<string, string>;
  /** Resolves once the type has been listed (or the graph closed). */
  readonly listed: Promise<void>;
  close(): Promise<void>;
}

export interface GraphNode {
  readonly uid: string;
  readonly followed: Followed;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly owners: readonly OwnerReference[];
  readonly deletionTimestamp: string | undefined;
  readonly finalizers: readonly string[];
}

export interface OwnerGraphOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  /** Called with the uid of every object the collector should look at. */
  readonly enqueue: (uid: string) => void;
}

export class OwnerGraph {
  readonly #nodes = new Map<string, GraphNode>();
  /** Owner uid → uids of the objects naming it (whether or not the owner is known). */
  readonly #dependents = new Map<string, Set<string>>();
  /** "group/plural" (one place in the store, whatever the version) → the type followed there. */
  readonly #followed = new Map<string, Followed>();
  #generation = -1;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(private readonly opts: OwnerGraphOptions) {}

  /** Follows every type the catalogue serves, resolving once all are listed. */
  async start(): Promise<void> {
    this.#syncTypes();
    this.#timer = setInterval(() => this.#syncTypes(), TYPES_RESYNC_MS);
    await this.synced();
  }

  /** Resolves once every type followed now has been listed: until then an owner's dependents may be missing. */
  async synced(): Promise<void> {
    await Promise.all([...this.#followed.values()].map((f) => f.listed));
  }

  get(uid: string): GraphNode | undefined {
    return this.#nodes.get(uid);
  }

  dependentsOf(uid: string): GraphNode[] {
    return [...(this.#dependents.get(uid) ?? [])].flatMap((dep) => this.#nodes.get(dep) ?? []);
  }

  /** The owner `ref` names is known here, alive, and not deleting its dependents: nothing to check with the API. */
  isAlive(ref: OwnerReference, dependent: GraphNode): boolean {
    const owner = this.#nodes.get(ref.uid);
    return (
      owner !== undefined &&
      owner.name === ref.name &&
      owner.followed.type.kind === ref.kind &&
      (owner.namespace === undefined || owner.namespace === dependent.namespace) &&
      !isDeletingDependents(owner)
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const followed of this.#followed.values()) await followed.close();
  }

  /** Follows the types the catalogue serves now, and stops following those it no longer does. */
  #syncTypes(): void {
    const { catalogue } = this.opts;
    if (this.#closed || catalogue.generation === this.#generation) return;
    this.#generation = catalogue.generation;
    const wanted = new Map<string, ResourceType>();
    for (const type of catalogue.all()) {
      const at = `${type.group}/${type.plural}`;
      if (collectable(type) && !wanted.has(at)) wanted.set(at, type);
    }
    for (const [at, followed] of this.#followed) {
      if (wanted.has(at)) continue;
      // No longer served (its CRD went): its objects are out of reach, not deleted, so nothing is queued.
      this.#followed.delete(at);
      void followed.close();
      for (const uid of followed.keys.values()) this.#forget(uid);
      followed.keys.clear();
    }
    for (const [at, type] of wanted) {
      const followed = this.#followed.get(at);
      if (followed !== undefined) followed.type = type;
      else if (at === '/pods') this.#followPods(type);
      else this.#follow(at, type);
    }
  }

  #followPods(type: ResourceType): void {
    const informer = this.opts.informers.of('', 'v1', 'pods');
    const followed: Followed = { at: '/pods', type, keys: new Map(), listed: informer.start(), close: async () => undefined };
    // Followed before subscribing: pods already cached are reported at once.
    this.#followed.set(followed.at, followed);
    informer.subscribe((key) => this.#observe(followed, key, informer.get(key)));
  }

  /** List-then-watch of one type, listing again whenever a watch ends (410 Expired, a consumer too slow), as informers do. */
  #follow(at: string, type: ResourceType): void {
    const abort = new AbortController();
    let markListed!: () => void;
    const listed = new Promise<void>((resolve) => (markListed = resolve));
    const followed: Followed = {
      at,
      type,
      keys: new Map(),
      listed,
      close: async () => {
        abort.abort();
        await following;
      },
    };
    const following = (async () => {
      const { signal } = abort;
      while (!signal.aborted) {
        try {
          const from = await this.#relist(followed);
          markListed();
          // Metadata alone, as upstream's collector watches: every write of every object comes here.
          for await (const event of this.opts.registry.watch(followed.type, undefined, { resourceVersion: from, metadataOnly: true, signal })) {
            if (event.type === 'ERROR') break;
            if (event.type === 'BOOKMARK') continue;
            const obj = event.object as KubeObject;
            this.#observe(followed, keyOf(obj), event.type === 'DELETED' ? undefined : obj);
          }
        } catch (err) {
          if (!signal.aborted) this.opts.log.warn('watch failed; listing again', { resource: followed.type.plural, error: err });
        }
        await sleep(RELIST_DELAY_MS, undefined, { signal }).catch(() => undefined);
      }
      // Closed before a list came: nobody waits for it.
      markListed();
    })();
    this.#followed.set(at, followed);
  }

  /** Lists a page at a time (one revision); what was known and is not listed went meanwhile. */
  async #relist(followed: Followed): Promise<string> {
    const seen = new Set<string>();
    let revision: string;
    let cont: string | undefined;
    do {
      const page = await this.opts.registry.list(followed.type, undefined, { limit: LIST_PAGE, ...(cont !== undefined ? { continue: cont } : {}) });
      revision = page.metadata.resourceVersion!;
      cont = page.metadata.continue;
      for (const item of page.items) {
        const key = keyOf(item);
        seen.add(key);
        this.#observe(followed, key, item);
      }
    } while (cont !== undefined);
    for (const key of [...followed.keys.keys()]) if (!seen.has(key)) this.#observe(followed, key, undefined);
    return revision;
  }

  /** The object at `key` is now `obj` (undefined: gone); keeps its metadata and queues what the change concerns. */
  #observe(followed: Followed, key: string, obj: KubeObject | undefined): void {
    // Events still coming from a watch being closed are not ours any more.
    if (this.#closed || this.#followed.get(followed.at) !== followed) return;
    const knownUid = followed.keys.get(key);
    const known = knownUid === undefined ? undefined : this.#nodes.get(knownUid);
    const meta = obj?.metadata;
    if (known !== undefined && known.uid !== meta?.uid) {
      followed.keys.delete(key);
      this.#forget(known.uid);
      // Its dependents may be garbage now; an owner waiting for it to go may go.
      for (const uid of this.#dependents.get(known.uid) ?? []) this.opts.enqueue(uid);
      this.#enqueueWaitingOwners(known.owners);
    }
    if (meta?.uid === undefined) return;
    const node: GraphNode = {
      uid: meta.uid,
      followed,
      namespace: meta.namespace,
      name: meta.name!,
      owners: meta.ownerReferences ?? [],
      deletionTimestamp: meta.deletionTimestamp,
      finalizers: meta.finalizers ?? [],
    };
    const previous = known?.uid === node.uid ? known : undefined;
    followed.keys.set(key, node.uid);
    this.#nodes.set(node.uid, node);
    this.#link(node.uid, previous?.owners ?? [], node.owners);
    // Being deleted with a finalizer of ours: orphan its dependents, or delete them.
    if (node.deletionTimestamp !== undefined && (node.finalizers.includes(ORPHAN_FINALIZER) || node.finalizers.includes(FOREGROUND_FINALIZER))) {
      this.opts.enqueue(node.uid);
    }
    if (previous !== undefined && JSON.stringify(previous.owners) === JSON.stringify(node.owners)) return;
    // New owners to check; owners it no longer blocks may go.
    if (node.owners.length > 0) this.opts.enqueue(node.uid);
    if (previous !== undefined) this.#enqueueWaitingOwners(previous.owners);
  }

  #enqueueWaitingOwners(refs: readonly OwnerReference[]): void {
    for (const ref of refs) {
      const owner = this.#nodes.get(ref.uid);
      if (owner !== undefined && isDeletingDependents(owner)) this.opts.enqueue(owner.uid);
    }
  }

  #forget(uid: string): void {
    const node = this.#nodes.get(uid);
    if (node === undefined) return;
    this.#nodes.delete(uid);
    this.#link(uid, node.owners, []);
  }

  #link(uid: string, before: readonly OwnerReference[], after: readonly OwnerReference[]): void {
    for (const ref of before) {
      const dependents = this.#dependents.get(ref.uid);
      dependents?.delete(uid);
      if (dependents?.size === 0) this.#dependents.delete(ref.uid);
    }
    for (const ref of after) this.#dependents.set(ref.uid, (this.#dependents.get(ref.uid) ?? new Set()).add(uid));
  }
}

/** Deleted in the foreground: it waits for the dependents that block it. */
export function isDeletingDependents(node: GraphNode): boolean {
  return node.deletionTimestamp !== undefined && node.finalizers.includes(FOREGROUND_FINALIZER);
}

/** Types upstream's collector follows: those it can list, watch and delete, events aside. */
function collectable(type: ResourceType): boolean {
  return isGarbageCollected(type) && NEEDED_VERBS.every((verb) => type.verbs.includes(verb));
}

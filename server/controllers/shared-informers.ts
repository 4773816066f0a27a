// One informer per resource type for the whole server, as client-go's
// SharedInformerFactory gives controllers: every controller that follows
// pods reads the same cache (one copy of the pods in memory, one watch) and
// subscribes to its keys. Each cache also indexes objects by the uid of
// their owners, since most controllers ask "what does this object own?".
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { Informer, keyOf } from './informer.js';

export class SharedInformer {
  readonly #informer: Informer;
  readonly #subscribers: ((key: string) => void)[] = [];
  /** Owner uid → keys of the objects that name it in ownerReferences. */
  readonly #owned = new Map<string, Set<string>>();
  readonly #ownersOf = new Map<string, readonly string[]>();
  #starting: Promise<void> | undefined;

  constructor(registry: Registry, type: ResourceType, log: Logger) {
    this.#informer = new Informer({ registry, type, log, onChange: (key) => this.#changed(key) });
  }

  /** Calls `onChange` with the key of every object that changes or goes; keys already cached are reported at once. */
  subscribe(onChange: (key: string) => void): void {
    this.#subscribers.push(onChange);
    for (const obj of this.#informer.values()) onChange(keyOf(obj));
  }

  /** Lists (reporting every key to the subscribers so far) and follows; every caller after the first waits for the same list. */
  start(): Promise<void> {
    this.#starting ??= this.#informer.start();
    return this.#starting;
  }

  get(key: string): KubeObject | undefined {
    return this.#informer.get(key);
  }

  values(): IterableIterator<KubeObject> {
    return this.#informer.values();
  }

  /** Cached objects whose ownerReferences name `uid`. */
  ownedBy(uid: string): KubeObject[] {
    return [...(this.#owned.get(uid) ?? [])].flatMap((key) => this.#informer.get(key) ?? []);
  }

  /** An object this process just wrote, seen before the watch brings it. */
  remember(obj: KubeObject): void {
    this.#informer.remember(obj);
  }

  close(): Promise<void> {
    return this.#informer.close();
  }

  #changed(key: string): void {
    const owners = (this.#informer.get(key)?.metadata.ownerReferences ?? []).map((ref) => ref.uid);
    for (const uid of this.#ownersOf.get(key) ?? []) {
      const keys = this.#owned.get(uid);
      keys?.delete(key);
      if (keys?.size === 0) this.#owned.delete(uid);
    }
    if (owners.length > 0) this.#ownersOf.set(key, owners);
    else this.#ownersOf.delete(key);
    for (const uid of owners) this.#owned.set(uid, (this.#owned.get(uid) ?? new Set()).add(key));
    for (const onChange of this.#subscribers) onChange(key);
  }
}

export class SharedInformers {
  readonly #informers = new Map<string, SharedInformer>();

  constructor(
    private readonly registry: Registry,
    private readonly catalogue: Catalogue,
    private readonly log: Logger,
  ) {}

  /** The informer of a built-in type ("" for the core group), made on first use. */
  of(group: string, version: string, plural: string): SharedInformer {
    const key = `${group}/${version}/${plural}`;
    let informer = this.#informers.get(key);
    if (informer === undefined) {
      const type = this.catalogue.get(group, version, plural);
      if (type === undefined) throw new Error(`no resource ${key} in the catalogue`);
      informer = new SharedInformer(this.registry, type, this.log.with({ informer: plural }));
      this.#informers.set(key, informer);
    }
    return informer;
  }

  async close(): Promise<void> {
    for (const informer of this.#informers.values()) await informer.close();
  }
}

// One informer per resource type for the whole server, as client-go's
// SharedInformerFactory gives controllers: every controller that follows
// pods reads the same cache (one copy of the pods in memory, one watch) and
// subscribes to its keys. A cache can keep indexes (client-go's indexers):
// every one has the owner index, since most controllers ask "what does this
// object own?".
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { Informer, keyOf } from './informer.js';

/** The values an object is filed under in one index. */
export type IndexFunction = (obj: KubeObject) => readonly string[];

interface Index {
  readonly values: IndexFunction;
  /** Value → keys of the objects filed under it. */
  readonly keys: Map<string, Set<string>>;
  /** Key → the values it is filed under now. */
  readonly filed: Map<string, readonly string[]>;
}

const OWNER_INDEX = 'owner';

export class SharedInformer {
  readonly #informer: Informer;
  readonly #subscribers: ((key: string) => void)[] = [];
  readonly #indexes = new Map<string, Index>();
  #starting: Promise<void> | undefined;

  constructor(registry: Registry, type: ResourceType, log: Logger) {
    this.#informer = new Informer({ registry, type, log, onChange: (key) => this.#changed(key) });
    this.addIndex(OWNER_INDEX, (obj) => (obj.metadata.ownerReferences ?? []).map((ref) => ref.uid));
  }

  /** Files every object under `values(obj)` from now on (objects already cached included); a second call with the same name is a no-op. */
  addIndex(name: string, values: IndexFunction): void {
    if (this.#indexes.has(name)) return;
    const index: Index = { values, keys: new Map(), filed: new Map() };
    this.#indexes.set(name, index);
    for (const obj of this.#informer.values()) refile(index, keyOf(obj), obj);
  }

  /** Whether any cached object is filed under `value` in the index `name` (no list made: for checks on hot paths). */
  hasIndexed(name: string, value: string): boolean {
    return this.#indexes.get(name)?.keys.has(value) === true;
  }

  /** Cached objects filed under `value` in the index `name`. */
  byIndex(name: string, value: string): KubeObject[] {
    return [...(this.#indexes.get(name)?.keys.get(value) ?? [])].flatMap((key) => this.#informer.get(key) ?? []);
  }

  /** Calls `onChange` with the key of every object that changes or goes; keys already cached are reported at once. */
  subscribe(onChange: (key: string) => void): void {
    this.#subscribers.push(onChange);
    for (const obj of this.#informer.values()) onChange(keyOf(obj));
  }

  /**
   * Lists (reporting every key to the subscribers so far) and follows; every
   * caller after the first waits for the same list. A list that failed (the
   * store refusing, at boot) is not remembered: the next caller lists again.
   */
  start(): Promise<void> {
    this.#starting ??= this.#informer.start().catch((err: unknown) => {
      this.#starting = undefined;
      throw err;
    });
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
    return this.byIndex(OWNER_INDEX, uid);
  }

  /** An object this process just wrote, seen before the watch brings it. */
  remember(obj: KubeObject): void {
    this.#informer.remember(obj);
  }

  close(): Promise<void> {
    return this.#informer.close();
  }

  #changed(key: string): void {
    const obj = this.#informer.get(key);
    for (const index of this.#indexes.values()) refile(index, key, obj);
    for (const onChange of this.#subscribers) onChange(key);
  }
}

/** Files `key` under the values of `obj` (none when it is gone), taking it out of those it no longer has. */
function refile(index: Index, key: string, obj: KubeObject | undefined): void {
  for (const value of index.filed.get(key) ?? []) {
    const keys = index.keys.get(value);
    keys?.delete(key);
    if (keys?.size === 0) index.keys.delete(value);
  }
  const values = obj === undefined ? [] : index.values(obj);
  if (values.length > 0) index.filed.set(key, values);
  else index.filed.delete(key);
  for (const value of values) index.keys.set(value, (index.keys.get(value) ?? new Set()).add(key));
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

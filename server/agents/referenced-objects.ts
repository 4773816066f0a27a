// The ConfigMaps or Secrets that pods on connected nodes use, kept current
// without holding every one in memory (a home lab's Helm release Secrets
// alone weigh megabytes): one watch over the resource, and a copy of only
// the keys someone tracks. A key is read when first tracked and followed by
// the watch afterwards; revisions order the two, so a watch event that
// arrives late never replaces a newer read.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../common/log.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { keyOf } from '../controllers/informer.js';

const RETRY_MS = 1000;

export interface ReferencedObjectsOptions {
  readonly registry: Registry;
  readonly type: ResourceType;
  readonly log: Logger;
  /** A tracked key ("ns/name") was read for the first time, changed or went away. */
  readonly onChange: (key: string) => void;
}

/** A tracked key once read: its object, or undefined when there is none. */
export type Tracked = { readonly loaded: false } | { readonly loaded: true; readonly object: KubeObject | undefined };

interface Entry {
  users: number;
  loaded: boolean;
  object: KubeObject | undefined;
  /** The revision as of which `object` is known. */
  revision: number;
}

export class ReferencedObjects {
  readonly #entries = new Map<string, Entry>();
  readonly #abort = new AbortController();
  #following: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ReferencedObjectsOptions) {}

  start(): void {
    this.#following = this.#follow(this.opts.registry.revision);
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#following;
  }

  /** One more user of `key`; the first one has it read. */
  track(key: string): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.users++;
      return;
    }
    this.#entries.set(key, { users: 1, loaded: false, object: undefined, revision: 0 });
    void this.#load(key);
  }

  /** One user fewer; the copy is dropped with the last. */
  untrack(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    if (--entry.users === 0) this.#entries.delete(key);
  }

  get(key: string): Tracked {
    const entry = this.#entries.get(key);
    return entry?.loaded === true ? { loaded: true, object: entry.object } : { loaded: false };
  }

  async #load(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#abort.signal.aborted) return;
    // What the read returns is current as of at least this revision.
    const before = this.opts.registry.revision;
    const [namespace, name] = key.split('/') as [string, string];
    try {
      const object = await this.opts.registry.get(this.opts.type, namespace, name).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 404) return undefined;
        throw err;
      });
      if (this.#entries.get(key) !== entry) return;
      this.#offer(key, object, Math.max(before, Number(object?.metadata.resourceVersion ?? 0)));
    } catch (err) {
      this.opts.log.warn('could not read an object a node needs; retrying', { resource: this.opts.type.plural, key, error: err });
      await sleep(RETRY_MS, undefined, { signal: this.#abort.signal }).catch(() => undefined);
      if (this.#entries.get(key) === entry) await this.#load(key);
    }
  }

  /** Takes a state of `key` as of `revision` unless a newer one is known. */
  #offer(key: string, object: KubeObject | undefined, revision: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined || (entry.loaded && revision <= entry.revision)) return;
    entry.loaded = true;
    entry.object = object;
    entry.revision = revision;
    this.opts.onChange(key);
  }

  async #follow(start: number): Promise<void> {
    const signal = this.#abort.signal;
    let from = start;
    while (!signal.aborted) {
      let expired = false;
      try {
        // Untracked objects (most of them) are not decoded: they come as bookmarks.
        const wants = (key: string) => this.#entries.has(key);
        for await (const event of this.opts.registry.watch(this.opts.type, undefined, { resourceVersion: String(from), wants, signal })) {
          if (event.type === 'ERROR') {
            expired = true;
            break;
          }
          const obj = event.object as KubeObject;
          const revision = Number(obj.metadata.resourceVersion);
          from = revision;
          if (event.type !== 'BOOKMARK') this.#offer(keyOf(obj), event.type === 'DELETED' ? undefined : obj, revision);
        }
      } catch (err) {
        if (signal.aborted) break;
        this.opts.log.warn('watch failed; reading tracked objects again', { resource: this.opts.type.plural, error: err });
        expired = true;
      }
      if (signal.aborted) break;
      if (expired) {
        // Changes were missed: read every tracked key afresh and follow from here.
        from = this.opts.registry.revision;
        for (const key of this.#entries.keys()) void this.#load(key);
        await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}

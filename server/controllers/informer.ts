// A local copy of one resource type, kept current by list-then-watch (as
// client-go's informers keep theirs): controllers read state from it and are
// told which key changed, never what the change was. However a watch ends
// (410 Expired, a consumer too slow for the store), it lists afresh, so no
// change is lost.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../common/log.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';

const RELIST_DELAY_MS = 200;

export interface InformerOptions {
  readonly registry: Registry;
  readonly type: ResourceType;
  readonly log: Logger;
  /** Called with the key ("ns/name", or "name" when cluster-scoped) of every object that changed or went away. */
  readonly onChange: (key: string) => void;
}

export class Informer {
  readonly #cache = new Map<string, KubeObject>();
  readonly #abort = new AbortController();
  #following: Promise<void> = Promise.resolve();

  constructor(private readonly opts: InformerOptions) {}

  /** Lists (reporting every key) before it returns, then follows changes in the background. */
  async start(): Promise<void> {
    const revision = await this.#relist();
    this.#following = this.#follow(revision);
  }

  get(key: string): KubeObject | undefined {
    return this.#cache.get(key);
  }

  values(): IterableIterator<KubeObject> {
    return this.#cache.values();
  }

  /** Records an object this process just wrote, so reconciles read it before the watch brings it. */
  remember(obj: KubeObject): void {
    const key = keyOf(obj);
    const cached = this.#cache.get(key);
    // The watch may still bring versions older than one we wrote.
    if (cached !== undefined && Number(cached.metadata.resourceVersion) > Number(obj.metadata.resourceVersion)) return;
    this.#cache.set(key, obj);
    this.opts.onChange(key);
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#following;
  }

  async #relist(): Promise<string> {
    const list = await this.opts.registry.list(this.opts.type, undefined, {});
    const listed = new Set<string>();
    for (const item of list.items) {
      const key = keyOf(item);
      listed.add(key);
      this.#cache.set(key, item);
      this.opts.onChange(key);
    }
    for (const key of [...this.#cache.keys()]) {
      if (listed.has(key)) continue;
      this.#cache.delete(key);
      this.opts.onChange(key);
    }
    return list.metadata.resourceVersion!;
  }

  async #follow(revision: string): Promise<void> {
    const signal = this.#abort.signal;
    let from: string | undefined = revision;
    while (!signal.aborted) {
      try {
        from ??= await this.#relist();
        for await (const event of this.opts.registry.watch(this.opts.type, undefined, { resourceVersion: from, signal })) {
          // ERROR is 410 Expired: the store no longer has that revision.
          if (event.type === 'ERROR') break;
          if (event.type === 'BOOKMARK') continue;
          const obj = event.object as KubeObject;
          if (event.type === 'DELETED') {
            this.#cache.delete(keyOf(obj));
            this.opts.onChange(keyOf(obj));
          } else {
            this.remember(obj);
          }
        }
      } catch (err) {
        if (!signal.aborted) this.opts.log.warn('watch failed; listing again', { resource: this.opts.type.plural, error: err });
      }
      from = undefined;
      await sleep(RELIST_DELAY_MS, undefined, { signal }).catch(() => undefined);
    }
  }
}

export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

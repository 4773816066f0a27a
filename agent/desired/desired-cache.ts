// The agent's own copy of what it holds (its pods and the ConfigMaps and
// Secrets they use), so that a node restarted while the server is away
// (a Pi rebooted on a flaky link) runs its pods again: edge autonomy, as
// KubeEdge and OpenYurt have it (k3s and k0s do not).
//
// Kind to SD cards: a write happens only when an object changes in what the
// node acts on (desired-state.ts nodeView: spec, metadata, whether a pod ended),
// never for a pod's status reports coming back; each change of the view is
// one batch; nothing is written periodically.
//
// Secrets are in it: the folder is 0700 and its files 0600 (set after
// opening and after each write, since LevelDB creates its files with the
// process's umask; the folder already keeps others out in between).
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import type { NodeResource } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import { type DesiredState, type HeldObject, nodeView, refOf } from './desired-state.js';

const RESOURCES: ReadonlySet<string> = new Set<NodeResource>(['pods', 'configmaps', 'secrets']);

export interface DesiredCacheOptions {
  /** The cache's own folder (DATA/agent/cache). */
  readonly dir: string;
  readonly log: Logger;
}

export class DesiredCache {
  /** Ref → digest of the view last written, to skip writes that change nothing. */
  readonly #written = new Map<string, string>();
  /** Writes run one after another, in order. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Level<string, string>,
    private readonly opts: DesiredCacheOptions,
  ) {}

  static async open(opts: DesiredCacheOptions): Promise<DesiredCache> {
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    await chmod(opts.dir, 0o700);
    const db = new Level<string, string>(opts.dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    const cache = new DesiredCache(db, opts);
    await cache.#restrictFiles();
    return cache;
  }

  /** Everything cached; an entry that does not read back is dropped with a warning, the rest still load. */
  async load(): Promise<HeldObject[]> {
    const held: HeldObject[] = [];
    const broken: string[] = [];
    for await (const [ref, value] of this.db.iterator()) {
      const entry = parseEntry(ref, value);
      if (entry === undefined) {
        broken.push(ref);
        continue;
      }
      held.push(entry);
      this.#written.set(ref, digest(entry));
    }
    if (broken.length > 0) {
      // The key names the object; the value (maybe a Secret) is never logged.
      this.opts.log.warn('dropping unreadable entries of the agent cache', { entries: broken.join(', ') });
      await this.db.batch(broken.map((key) => ({ type: 'del' as const, key })));
    }
    return held;
  }

  /**
   * DesiredState's onChange: writes the objects among `refs` whose view
   * changed and removes what the cache holds and the state does not (after a
   * snapshot, pods deleted while the agent was away), in one batch.
   */
  update(desired: DesiredState, refs: readonly string[]): Promise<void> {
    const ops: ({ type: 'put'; key: string; value: string } | { type: 'del'; key: string })[] = [];
    for (const ref of new Set([...refs, ...this.#written.keys()])) {
      const held = desired.getRef(ref);
      if (held === undefined) {
        if (this.#written.delete(ref)) ops.push({ type: 'del', key: ref });
        continue;
      }
      const d = digest(held);
      if (this.#written.get(ref) === d) continue;
      this.#written.set(ref, d);
      ops.push({ type: 'put', key: ref, value: JSON.stringify({ resourceVersion: held.resourceVersion, object: held.object }) });
    }
    if (ops.length === 0) return this.#writing;
    this.#writing = this.#writing
      .then(async () => {
        await this.db.batch(ops);
        await this.#restrictFiles();
        this.opts.log.debug('agent cache written', { changes: ops.length });
      })
      .catch((err: unknown) => {
        // The next change writes again what this one could not: forget what it was to write.
        for (const op of ops) this.#written.delete(op.key);
        this.opts.log.warn('could not write the agent cache', { error: err });
      });
    return this.#writing;
  }

  async close(): Promise<void> {
    await this.#writing;
    await this.db.close();
  }

  /** Every file in the cache's folder readable by the agent alone; only new files are changed (a chmod is a write too). */
  async #restrictFiles(): Promise<void> {
    for (const entry of await readdir(this.opts.dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = join(this.opts.dir, entry.name);
      // A file LevelDB removed meanwhile (a compaction) needs nothing.
      const mode = await stat(file).then((s) => s.mode & 0o777, () => 0o600);
      if (mode !== 0o600) await chmod(file, 0o600).catch(() => undefined);
    }
  }
}

function digest(held: HeldObject): string {
  return createHash('sha256').update(nodeView(held)).digest('base64');
}

/** A cached entry, checked to be what its key names; undefined when it is not. */
function parseEntry(ref: string, value: string): HeldObject | undefined {
  const [resource, namespace, name, ...rest] = ref.split('/');
  if (resource === undefined || !RESOURCES.has(resource) || !namespace || !name || rest.length > 0) return undefined;
  let entry: { resourceVersion?: unknown; object?: HeldObject['object'] };
  try {
    entry = JSON.parse(value) as typeof entry;
  } catch {
    return undefined;
  }
  const key = { resource: resource as NodeResource, namespace, name };
  const meta = entry?.object?.metadata;
  if (typeof entry?.resourceVersion !== 'string' || meta?.namespace !== namespace || meta.name !== name || refOf(key) !== ref) return undefined;
  return { key, resourceVersion: entry.resourceVersion, object: entry.object! };
}

// The agent's own copy of what it holds (its pods and the ConfigMaps and
// Secrets they use), so that a node restarted while the server is away
// (a Pi rebooted on a flaky link) runs its pods again: edge autonomy, as
// KubeEdge and OpenYurt have it (k3s and k0s do not).
//
// One file per object, replaced whole by a rename, in a folder of its own.
// A node holds tens of objects, written only when one changes, so a database
// would buy nothing here, and LevelDB cost the agent about 1.4 MB of RSS.
// Like LevelDB's unsynced writes, a change is not fsynced: a power cut can
// lose the last changes (each object is whole, old or new), and the server's
// first snapshot after the restart replaces the cached view anyway.
//
// Kind to SD cards: a write happens only when an object changes in what the
// node acts on (desired-state.ts nodeView: spec, metadata, whether a pod ended),
// never for a pod's status reports coming back; nothing is written periodically.
//
// Secrets are in it: the folder is 0700 and its files are created 0600.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeResource } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import { type DesiredState, type HeldObject, nodeView, refOf } from './desired-state.js';

const RESOURCES: ReadonlySet<string> = new Set<NodeResource>(['pods', 'configmaps', 'secrets']);
/** An entry's file: its ref ("pods/default/web"), which has slashes, URI-encoded. */
const SUFFIX = '.json';

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

  private constructor(private readonly opts: DesiredCacheOptions) {}

  static async open(opts: DesiredCacheOptions): Promise<DesiredCache> {
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    await chmod(opts.dir, 0o700);
    return new DesiredCache(opts);
  }

  /**
   * Everything cached; an entry that does not read back is dropped with a
   * warning, the rest still load. Files the cache did not write (a rename a
   * crash cut short, an older agent's LevelDB files) are removed.
   */
  async load(): Promise<HeldObject[]> {
    const held: HeldObject[] = [];
    const broken: string[] = [];
    for (const file of (await readdir(this.opts.dir)).sort()) {
      const ref = file.endsWith(SUFFIX) ? refOfFile(file) : undefined;
      const entry = ref === undefined ? undefined : parseEntry(ref, await readFile(join(this.opts.dir, file), 'utf8'));
      if (entry === undefined) {
        if (ref !== undefined) broken.push(ref);
        await rm(join(this.opts.dir, file), { recursive: true, force: true });
        continue;
      }
      held.push(entry);
      this.#written.set(ref!, digest(entry));
    }
    // The ref names the object; the file (maybe a Secret) is never logged.
    if (broken.length > 0) this.opts.log.warn('dropping unreadable entries of the agent cache', { entries: broken.join(', ') });
    return held;
  }

  /**
   * DesiredState's onChange: writes the objects among `refs` whose view
   * changed and removes what the cache holds and the state does not (after a
   * snapshot, pods deleted while the agent was away).
   */
  update(desired: DesiredState, refs: readonly string[]): Promise<void> {
    const puts = new Map<string, string>();
    const dels: string[] = [];
    for (const ref of new Set([...refs, ...this.#written.keys()])) {
      const held = desired.getRef(ref);
      if (held === undefined) {
        if (this.#written.delete(ref)) dels.push(ref);
        continue;
      }
      const d = digest(held);
      if (this.#written.get(ref) === d) continue;
      this.#written.set(ref, d);
      puts.set(ref, JSON.stringify({ resourceVersion: held.resourceVersion, object: held.object }));
    }
    if (puts.size + dels.length === 0) return this.#writing;
    this.#writing = this.#writing
      .then(async () => {
        for (const [ref, value] of puts) {
          const file = join(this.opts.dir, fileOf(ref));
          await writeFile(`${file}.tmp`, value, { mode: 0o600 });
          await rename(`${file}.tmp`, file);
        }
        for (const ref of dels) await rm(join(this.opts.dir, fileOf(ref)), { force: true });
        this.opts.log.debug('agent cache written', { changes: puts.size + dels.length });
      })
      .catch((err: unknown) => {
        // The next change writes again what this one could not: forget what it was to write.
        for (const ref of [...puts.keys(), ...dels]) this.#written.delete(ref);
        this.opts.log.warn('could not write the agent cache', { error: err });
      });
    return this.#writing;
  }

  /** Waits for the writes under way. */
  async close(): Promise<void> {
    await this.#writing;
  }
}

function fileOf(ref: string): string {
  return encodeURIComponent(ref) + SUFFIX;
}

/** The ref a file name encodes; undefined when it is not one fileOf gives. */
function refOfFile(file: string): string | undefined {
  try {
    const ref = decodeURIComponent(file.slice(0, -SUFFIX.length));
    return fileOf(ref) === file ? ref : undefined;
  } catch {
    return undefined;
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

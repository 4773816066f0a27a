// The embedded store backend on LevelDB. One writer loop commits every write
// waiting at that moment in one synced LevelDB batch (group commit): a write
// is acknowledged only once it is on disk, yet concurrent writers share the
// cost of each fsync. Reads go through the in-memory KeyIndex and fetch
// values from disk; watches replay history from the records and then follow
// commits live.
import { mkdir, readdir } from 'node:fs/promises';
import { Level } from 'level';
import { isMissingOrEmptyDir } from '../../common/fs.js';
import type { Logger } from '../../common/log.js';
import {
  decodeRecord,
  decodeU64,
  encodeRecord,
  encodeU64,
  FORMAT_VERSION,
  META_COMPACTED,
  META_FORMAT,
  META_REVISION,
  RecordType,
  revisionKey,
  revisionOfKey,
  revisionRange,
} from './codec.js';
import { StoreError } from './errors.js';
import { type IndexEntry, KeyIndex } from './key-index.js';
import { type RetentionPolicy, RetentionClock } from './retention.js';
import type {
  DeleteOptions,
  DeleteResult,
  KeyValue,
  ListOptions,
  ListResult,
  PutOptions,
  ReadOptions,
  Revision,
  Store,
  UpdateOptions,
  Watch,
  WatchEvent,
  WatchOptions,
  WriteResult,
} from './types.js';
import { ValueCache } from './value-cache.js';
import { Watcher } from './watcher.js';

export interface LevelStoreOptions {
  /** Folder of the LevelDB database; created when missing or empty. */
  readonly path: string;
  readonly logger?: Logger;
  readonly retention?: Partial<RetentionPolicy>;
  /** How often compaction considers advancing. */
  readonly compactionIntervalMs?: number;
  /** Idle watches get a progress message this often. */
  readonly progressIntervalMs?: number;
  /** Events a watch may hold for a slow consumer before it is closed (resumable). */
  readonly watchBufferLimit?: number;
  /** Bytes of recent values kept in memory, so most reads skip LevelDB. */
  readonly valueCacheBytes?: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { retainMs: 5 * 60_000, retainRevisions: 1000 };
const DEFAULT_COMPACTION_INTERVAL_MS = 30_000;
const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;
const DEFAULT_WATCH_BUFFER = 10_000;
const DEFAULT_VALUE_CACHE_BYTES = 16 << 20;
/** Bounds one batch so one fsync never carries an unbounded amount of data. */
const MAX_BATCH_OPS = 1000;
const MAX_KEY_BYTES = 4096;
/** Above Kubernetes' own 3 MiB request limit; bounds what one write can cost the disk and memory. */
export const MAX_VALUE_BYTES = 4 << 20;
const REPLAY_CHUNK = 256;
const READ_CHUNK = 500;
const COMPACT_CHUNK = 10_000;
const EMPTY = new Uint8Array(0);
const NOTHING_TO_PUBLISH = (): void => undefined;

type DB = Level<Buffer, Buffer>;

type WriteOp =
  | { kind: 'create'; key: string; value: Uint8Array; expiresAt: number }
  | { kind: 'update'; key: string; value: Uint8Array; expiresAt: number; expected?: Revision }
  | { kind: 'delete'; key: string; expected?: Revision }
  /** A TTL ran out: delete unless the key was written again since. */
  | { kind: 'expire'; key: string; expected: Revision };

interface Pending {
  readonly op: WriteOp;
  resolve(result: { revision: Revision; prev?: KeyValue }): void;
  reject(err: Error): void;
}

interface Applied {
  readonly pending: Pending;
  readonly entry: IndexEntry;
  readonly value: Uint8Array;
  readonly prevEntry?: IndexEntry;
}

export async function openLevelStore(opts: LevelStoreOptions): Promise<LevelStore> {
  const fresh = await isMissingOrEmptyDir(opts.path);
  if (fresh) await mkdir(opts.path, { recursive: true });
  else await requireLevelDb(opts.path);
  const db: DB = new Level<Buffer, Buffer>(opts.path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    // Never create over existing files: LevelDB would start an empty database beside them.
    await db.open({ createIfMissing: fresh, errorIfExists: false });
  } catch (err) {
    throw openError(opts.path, err);
  }
  try {
    const store = new LevelStore(db, opts);
    await store.load(fresh);
    return store;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

export class LevelStore implements Store {
  private index = new KeyIndex();
  private readonly watchers = new Set<Watcher>();
  /** Read revisions in use (revision → readers): compaction never passes them. */
  private readonly pins = new Map<Revision, number>();
  /** Live keys with a TTL, committed state only. */
  private readonly expiries = new Map<string, number>();
  private readonly retention: RetentionClock;
  private readonly log: Logger | undefined;
  private readonly watchBufferLimit: number;
  private readonly progressIntervalMs: number;
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private committed: Revision = 0;
  /** The newest revision given to a write: `committed`, or the last of the batch on its way to disk or not yet published. */
  private assigned: Revision = 0;
  private compacted: Revision = 0;
  private compactTarget: Revision = 0;
  private closing = false;
  /**
   * Set once the disk refused a write. LevelDB's log may then end in a torn
   * record, after which further records are written out of step with its
   * blocks and lost when the log is read back: a later acknowledged write
   * would not survive a restart. So no write is taken until the store is
   * opened again (a restart), whose recovery drops the torn record.
   */
  private diskFailure: StoreError | undefined;
  private compactionTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private expiryTimerAt = Infinity;
  private readonly counters = { commits: 0, writes: 0 };
  private readonly values: ValueCache;

  /** @internal use openLevelStore */
  constructor(
    private readonly db: DB,
    private readonly opts: LevelStoreOptions,
  ) {
    this.log = opts.logger?.with({ component: 'store' });
    this.retention = new RetentionClock({ ...DEFAULT_RETENTION, ...opts.retention });
    this.watchBufferLimit = opts.watchBufferLimit ?? DEFAULT_WATCH_BUFFER;
    this.progressIntervalMs = opts.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    this.values = new ValueCache(opts.valueCacheBytes ?? DEFAULT_VALUE_CACHE_BYTES);
  }

  get revision(): Revision {
    return this.committed;
  }

  get compactRevision(): Revision {
    return this.compacted;
  }

  /** Why the store refuses every write (its disk refused one), or undefined while it takes them. */
  get writeRefusal(): string | undefined {
    return this.diskFailure?.message;
  }

  /** Synced batches and the writes they carried: writes/commits is the group-commit factor. */
  get stats(): { readonly commits: number; readonly writes: number } {
    return { ...this.counters };
  }

  /** @internal Checks the format and rebuilds the index from the records. */
  async load(fresh: boolean): Promise<void> {
    const format = await this.db.get(META_FORMAT);
    if (format === undefined) {
      if (!fresh && !(await this.isEmpty())) {
        throw new StoreError('Corrupt', `${this.opts.path} holds a LevelDB database that is not a Bramble store (no format version)`);
      }
      await this.db.put(META_FORMAT, Buffer.from(String(FORMAT_VERSION)), { sync: true });
    } else if (format.toString() !== String(FORMAT_VERSION)) {
      throw new StoreError(
        'UnsupportedFormat',
        `the store at ${this.opts.path} has format version ${JSON.stringify(format.toString())}; this bramble reads version ${FORMAT_VERSION} (use the bramble release that wrote it, or restore a backup)`,
      );
    }
    const rev = await this.db.get(META_REVISION);
    const compacted = await this.db.get(META_COMPACTED);
    // The revision is the newest record's, or `mrev` when compaction dropped that record (see compact()).
    let newest = rev === undefined ? 0 : decodeU64(rev, 'revision');
    this.compacted = compacted === undefined ? 0 : decodeU64(compacted, 'compacted revision');
    // Records come in revision order, so each key's entries end up oldest first.
    const history = new Map<string, IndexEntry[]>();
    for await (const [key, raw] of this.db.iterator(revisionRange(0, Number.MAX_SAFE_INTEGER))) {
      const revision = revisionOfKey(key);
      const r = decodeRecord(raw, revision);
      const entries = history.get(r.key);
      if (entries === undefined) history.set(r.key, [entryOf(r, revision)]);
      else entries.push(entryOf(r, revision));
      newest = Math.max(newest, revision);
    }
    this.committed = newest;
    this.assigned = newest;
    this.index = new KeyIndex(history);
    this.index.scan('', this.committed, undefined, (key, entry) => {
      if (entry.expiresAt > 0) this.expiries.set(key, entry.expiresAt);
      return true;
    });
    this.scheduleExpiry();
    const interval = this.opts.compactionIntervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS;
    this.compactionTimer = setInterval(() => this.considerCompaction(), interval).unref();
    this.retention.tick(Date.now(), this.committed);
    this.log?.debug('store opened', { path: this.opts.path, revision: this.committed, compacted: this.compacted });
  }

  async create(key: string, value: Uint8Array, opts: PutOptions = {}): Promise<WriteResult> {
    return this.enqueue({ kind: 'create', key: checkKey(key), value: checkValue(value), expiresAt: expiryOf(opts) });
  }

  async update(key: string, value: Uint8Array, opts: UpdateOptions = {}): Promise<WriteResult> {
    const op: WriteOp = { kind: 'update', key: checkKey(key), value: checkValue(value), expiresAt: expiryOf(opts) };
    if (opts.expectedRevision !== undefined) op.expected = opts.expectedRevision;
    const { revision } = await this.enqueue(op);
    return { revision };
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const op: WriteOp = { kind: 'delete', key: checkKey(key) };
    if (opts.expectedRevision !== undefined) op.expected = opts.expectedRevision;
    const { revision, prev } = await this.enqueue(op);
    return { revision, prev: prev! };
  }

  async get(key: string, opts: ReadOptions = {}): Promise<KeyValue | undefined> {
    const revision = this.readRevision(opts.revision);
    const entry = this.index.at(key, revision);
    if (entry === undefined) return undefined;
    const [kv] = this.cachedValues([[key, entry.revision]]) ?? (await this.pinned(revision, () => this.readValues([[key, entry.revision]])));
    return kv;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    let revision: Revision;
    let startAfter: string | undefined;
    if (opts.continue !== undefined) {
      ({ revision, startAfter } = decodeContinue(opts.continue, prefix));
      this.readRevision(revision);
    } else {
      revision = this.readRevision(opts.revision);
    }
    const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : Infinity;
    const page: [string, Revision][] = [];
    let more = false;
    this.index.scan(prefix, revision, startAfter, (key, entry) => {
      if (page.length === limit) {
        more = true;
        return false;
      }
      page.push([key, entry.revision]);
      return true;
    });
    const items = this.cachedValues(page) ?? (await this.pinned(revision, () => this.readValues(page)));
    if (!more) return { items, revision, remaining: 0 };
    const last = page[page.length - 1]![0];
    // Walking every later key to count them exactly would make each page cost as much as the whole list.
    return { items, revision, remaining: Math.max(1, this.index.estimateAfter(prefix, last)), continue: encodeContinue(revision, last, prefix) };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    let n = 0;
    this.index.scan(prefix, this.committed, undefined, () => {
      n++;
      return true;
    });
    return n;
  }

  watch(prefix: string, fromRevision: Revision, opts: WatchOptions = {}): Watch {
    this.checkOpen();
    if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) {
      throw new StoreError('InvalidArgument', `watch start revision must be a non-negative integer, not ${fromRevision}`);
    }
    if (fromRevision < this.compacted) {
      throw new StoreError(
        'Compacted',
        `revision ${fromRevision} has been compacted; the oldest watchable revision is ${this.compacted}`,
        this.compacted,
      );
    }
    const replayTo = this.committed;
    const replaying = fromRevision < replayTo;
    const { signal } = opts;
    const abort = () => watcher.close();
    const watcher = new Watcher(
      prefix,
      fromRevision,
      this.watchBufferLimit,
      (w) => {
        this.removeWatcher(w);
        signal?.removeEventListener('abort', abort);
      },
      replaying,
      opts.keys,
    );
    this.watchers.add(watcher);
    // Not unref'd: an open watch keeps the process alive, as an open socket would.
    this.progressTimer ??= setInterval(() => this.sendProgress(), this.progressIntervalMs);
    if (replaying) {
      void this.pinned(fromRevision, () => this.replay(watcher, fromRevision, replayTo)).catch((err: Error) => watcher.fail(err));
    }
    if (signal?.aborted) watcher.close();
    else signal?.addEventListener('abort', abort, { once: true });
    return watcher;
  }

  /**
   * Every LevelDB entry as of one moment (an iterator reads from the snapshot
   * taken when it is created), for backups; writes go on meanwhile.
   */
  snapshotEntries(): AsyncIterable<[Buffer, Buffer]> {
    this.checkOpen();
    return this.db.iterator();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.compactionTimer);
    clearInterval(this.progressTimer);
    clearTimeout(this.expiryTimer);
    while (this.writing !== undefined) await this.writing;
    for (const w of [...this.watchers]) w.fail(new StoreError('Closed', 'the store was closed'));
    await this.db.close();
  }

  // --- writes -------------------------------------------------------------

  private enqueue(op: WriteOp): Promise<{ revision: Revision; prev?: KeyValue }> {
    if (this.closing) return Promise.reject(new StoreError('Closed', 'the store is closed'));
    if (this.diskFailure !== undefined) return Promise.reject(this.diskFailure);
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.kickWriter();
    });
  }

  private kickWriter(): void {
    this.writing ??= this.writeLoop().finally(() => {
      this.writing = undefined;
      // Work that arrived while the loop was finishing.
      if (this.queue.length > 0 || this.compactTarget > this.compacted) this.kickWriter();
    });
  }

  /**
   * One batch on its way to disk at a time. A synced batch is published (made
   * visible, acknowledged, sent to watchers) just after the next batch's write
   * has been handed to LevelDB, in the same synchronous step: the next fsync
   * then runs while the main thread answers the acknowledged requests,
   * instead of after them.
   */
  private async writeLoop(): Promise<void> {
    let publish = NOTHING_TO_PUBLISH;
    try {
      while (this.diskFailure === undefined && (this.queue.length > 0 || this.compactTarget > this.compacted)) {
        if (this.queue.length > 0) {
          const committing = this.commit(this.queue.splice(0, MAX_BATCH_OPS));
          publish();
          publish = await committing;
        } else {
          publish();
          publish = NOTHING_TO_PUBLISH;
          await this.compact(this.compactTarget);
        }
      }
    } finally {
      publish();
    }
  }

  /**
   * Applies a batch in one synced write, or none of it. Resolves to what
   * publishes it. Runs synchronously up to handing the write to LevelDB when
   * the previous values are in memory, so the caller can publish the batch
   * before this one right after.
   */
  private async commit(batch: Pending[]): Promise<() => void> {
    const base = this.assigned;
    const applied: Applied[] = [];
    let prevs: Map<Revision, KeyValue>;
    let written = false;
    try {
      const ops = this.prepare(batch, applied);
      if (applied.length === 0) return NOTHING_TO_PUBLISH;
      this.assigned = base + applied.length;
      const found = this.previousValues(applied);
      // Awaiting a value that is already there would still give way to other work before the write.
      prevs = found instanceof Map ? found : await found;
      written = true;
      await this.writeSynced(ops);
    } catch (err) {
      this.assigned = base;
      for (const a of applied) this.index.truncateAfter(a.pending.op.key, base);
      const failure = new StoreError('Unavailable', `the write could not be made durable: ${(err as Error).message}`, undefined, { cause: err });
      // Writes refused in prepare are settled already; this settles the rest.
      for (const pending of batch) pending.reject(failure);
      if (!written) {
        this.log?.error('store write failed', { error: failure });
        return NOTHING_TO_PUBLISH;
      }
      this.diskFailure = new StoreError('Unavailable', `the store takes no writes since its disk refused one (${(err as Error).message}); restart the server once the disk is fixed`);
      this.log?.error('store write failed; no more writes until the server restarts', { error: failure });
      for (const pending of this.queue.splice(0)) pending.reject(this.diskFailure);
      return NOTHING_TO_PUBLISH;
    }
    return () => {
      this.committed = base + applied.length;
      this.counters.commits++;
      this.counters.writes += applied.length;
      this.publish(applied, prevs);
    };
  }

  /**
   * Checks each write against the state left by the ones before it, gives it
   * the next revision and adds it to the index (readers ignore entries above
   * `committed`). Refused writes are rejected here; the rest land in `applied`.
   */
  private prepare(batch: readonly Pending[], applied: Applied[]): { key: Buffer; value: Buffer }[] {
    let revision = this.assigned;
    const ops: { key: Buffer; value: Buffer }[] = [];
    for (const pending of batch) {
      const { op } = pending;
      const newest = this.index.newest(op.key);
      const live = newest !== undefined && !newest.deleted ? newest : undefined;
      const refusal = refuse(op, live);
      if (refusal !== undefined) {
        if (op.kind === 'expire') pending.resolve({ revision: this.committed });
        else pending.reject(refusal);
        continue;
      }
      revision++;
      const deleting = op.kind === 'delete' || op.kind === 'expire';
      const written = deleting ? EMPTY : op.value;
      const entry: IndexEntry = {
        revision,
        createRevision: live?.createRevision ?? revision,
        version: deleting ? 0 : (live?.version ?? 0) + 1,
        deleted: deleting,
        expiresAt: deleting ? 0 : op.expiresAt,
      };
      const record = encodeRecord({
        type: deleting ? RecordType.Delete : RecordType.Put,
        key: op.key,
        createRevision: entry.createRevision,
        prevRevision: live?.revision ?? 0,
        version: entry.version,
        expiresAt: entry.expiresAt,
        value: written,
      });
      ops.push({ key: revisionKey(revision), value: record });
      // The record holds its own copy of the value (it ends it): events and the cache use that, never the caller's buffer.
      const value = record.subarray(record.length - written.length);
      this.index.append(op.key, entry);
      applied.push(live === undefined ? { pending, entry, value } : { pending, entry, value, prevEntry: live });
    }
    return ops;
  }

  /**
   * One synced LevelDB write. A chained batch, not db.batch(array): the
   * array form clones and checks every operation first, twice the main
   * thread's time per write.
   */
  private async writeSynced(ops: readonly { key: Buffer; value: Buffer }[]): Promise<void> {
    const batch = this.db.batch();
    try {
      for (const { key, value } of ops) batch.put(key, value);
    } catch (err) {
      await batch.close();
      throw err;
    }
    await batch.write({ sync: true });
  }

  /** Acknowledges committed writes and sends their events to watchers. */
  private publish(applied: readonly Applied[], prevs: Map<Revision, KeyValue>): void {
    const events: WatchEvent[] = [];
    for (const a of applied) {
      const key = a.pending.op.key;
      const kv = toKeyValue(key, a.entry, a.value);
      if (!a.entry.deleted) this.values.set(kv);
      const prev = a.prevEntry === undefined ? undefined : prevs.get(a.prevEntry.revision);
      if (a.entry.deleted) {
        this.expiries.delete(key);
        events.push({ type: 'DELETE', kv, prev: prev! });
      } else {
        if (a.entry.expiresAt > 0) this.expiries.set(key, a.entry.expiresAt);
        else this.expiries.delete(key);
        events.push(prev === undefined ? { type: 'PUT', kv } : { type: 'PUT', kv, prev });
      }
      a.pending.resolve(prev === undefined ? { revision: a.entry.revision } : { revision: a.entry.revision, prev });
    }
    this.scheduleExpiry();
    for (const w of this.watchers) for (const e of events) w.deliver(e);
  }

  /** Values before each write: from this batch when written in it, else from memory, else (asynchronously) from disk. */
  private previousValues(applied: readonly Applied[]): Map<Revision, KeyValue> | Promise<Map<Revision, KeyValue>> {
    const result = new Map<Revision, KeyValue>();
    const fromDisk: [string, Revision][] = [];
    const inBatch = new Map(applied.map((a) => [a.entry.revision, a]));
    for (const { pending, prevEntry } of applied) {
      if (prevEntry === undefined) continue;
      const same = inBatch.get(prevEntry.revision);
      if (same !== undefined) result.set(prevEntry.revision, toKeyValue(pending.op.key, prevEntry, same.value));
      else fromDisk.push([pending.op.key, prevEntry.revision]);
    }
    const add = (kvs: readonly KeyValue[]) => {
      for (const kv of kvs) result.set(kv.modRevision, kv);
      return result;
    };
    const cached = this.cachedValues(fromDisk);
    return cached !== undefined ? add(cached) : this.readValues(fromDisk).then(add);
  }

  // --- reads --------------------------------------------------------------

  private readRevision(requested: Revision | undefined): Revision {
    this.checkOpen();
    if (requested === undefined || requested === 0) return this.committed;
    if (!Number.isSafeInteger(requested) || requested < 0) {
      throw new StoreError('InvalidArgument', `revision must be a non-negative integer, not ${requested}`);
    }
    if (requested < this.compacted) {
      throw new StoreError('Compacted', `revision ${requested} has been compacted (oldest kept: ${this.compacted})`, this.compacted);
    }
    if (requested > this.committed) {
      throw new StoreError('FutureRevision', `revision ${requested} is newer than the store's revision ${this.committed}`, this.committed);
    }
    return requested;
  }

  /** The values written at these revisions, when all are in memory (no disk read, so no revision to pin). */
  private cachedValues(refs: readonly [string, Revision][]): KeyValue[] | undefined {
    const out = new Array<KeyValue>(refs.length);
    for (let i = 0; i < refs.length; i++) {
      const kv = this.values.get(refs[i]![1]);
      if (kv === undefined) return undefined;
      out[i] = kv;
    }
    return out;
  }

  /** The values written at these revisions (each a PUT of the key named with it), from the cache or disk. */
  private async readValues(refs: readonly [string, Revision][]): Promise<KeyValue[]> {
    const out = new Array<KeyValue>(refs.length);
    const missing: number[] = [];
    for (let i = 0; i < refs.length; i++) {
      const kv = this.values.get(refs[i]![1]);
      if (kv === undefined) missing.push(i);
      else out[i] = kv;
    }
    // Chunks: one getMany of tens of thousands of values leaves the native heap
    // fragmented (RSS stayed ~600 MiB after five 60k-key lists, ~275 MiB in chunks).
    for (let at = 0; at < missing.length; at += READ_CHUNK) {
      const chunk = missing.slice(at, at + READ_CHUNK);
      const raws = await this.db.getMany(chunk.map((i) => revisionKey(refs[i]![1])));
      chunk.forEach((i, j) => {
        const [key, revision] = refs[i]!;
        const raw = raws[j];
        if (raw === undefined) throw new StoreError('Corrupt', `store record at revision ${revision} for ${key} is missing`);
        const r = decodeRecord(raw, revision);
        const kv = toKeyValue(r.key, entryOf(r, revision), r.value);
        this.values.set(kv);
        out[i] = kv;
      });
    }
    return out;
  }

  private async pinned<T>(revision: Revision, read: () => Promise<T>): Promise<T> {
    this.pins.set(revision, (this.pins.get(revision) ?? 0) + 1);
    try {
      return await read();
    } finally {
      const n = this.pins.get(revision)! - 1;
      if (n === 0) this.pins.delete(revision);
      else this.pins.set(revision, n);
    }
  }

  // --- watches ------------------------------------------------------------

  private async replay(watcher: Watcher, from: Revision, to: Revision): Promise<void> {
    const chunk: [Revision, ReturnType<typeof decodeRecord>][] = [];
    const flush = async () => {
      const prevs = await this.readValues(chunk.filter(([, r]) => r.prevRevision > 0).map(([, r]) => [r.key, r.prevRevision]));
      const byRevision = new Map(prevs.map((kv) => [kv.modRevision, kv]));
      for (const [revision, r] of chunk) {
        const prev = r.prevRevision > 0 ? byRevision.get(r.prevRevision) : undefined;
        const kv = toKeyValue(r.key, entryOf(r, revision), r.value);
        const type = r.type === RecordType.Delete ? 'DELETE' : 'PUT';
        if (!(await watcher.replay(prev === undefined ? { type, kv } : { type, kv, prev }))) return false;
      }
      chunk.length = 0;
      return true;
    };
    for await (const [key, raw] of this.db.iterator(revisionRange(from + 1, to))) {
      if (watcher.closed) return;
      const revision = revisionOfKey(key);
      const r = decodeRecord(raw, revision);
      if (!watcher.matches(r.key)) continue;
      chunk.push([revision, r]);
      if (chunk.length >= REPLAY_CHUNK && !(await flush())) return;
    }
    if (await flush()) {
      // Records for revisions up to `to` that this prefix does not match still advance the watch.
      watcher.lastRevision = Math.max(watcher.lastRevision, to);
      watcher.endReplay();
    }
  }

  private removeWatcher(w: Watcher): void {
    this.watchers.delete(w);
    if (this.watchers.size === 0) {
      clearInterval(this.progressTimer);
      this.progressTimer = undefined;
    }
  }

  private sendProgress(): void {
    const idleSince = Date.now() - this.progressIntervalMs;
    for (const w of this.watchers) if (w.lastActivity <= idleSince && w.backlog === 0) w.progress(this.committed);
  }

  // --- compaction and expiry ----------------------------------------------

  private considerCompaction(): void {
    const target = this.retention.tick(Date.now(), this.committed);
    if (target > this.compactTarget) {
      this.compactTarget = target;
      this.kickWriter();
    }
  }

  private async compact(wanted: Revision): Promise<void> {
    // Pins are checked now, not when the target was chosen: a read may have started since.
    let target = wanted;
    for (const pinned of this.pins.keys()) target = Math.min(target, pinned);
    this.compactTarget = target;
    if (target <= this.compacted) return;
    // Readers check `compacted` before touching the index, so raise it first.
    this.compacted = target;
    const dropped = this.index.compact(target);
    try {
      // The newest record may be a dropped tombstone: `mrev` keeps the revision from going back at the next open.
      // Written before the deletes, in LevelDB's one ordered log, so no crash keeps the deletes without it.
      await this.db.put(META_REVISION, encodeU64(this.committed));
      for (let i = 0; i < dropped.length; i += COMPACT_CHUNK) {
        const ops = dropped.slice(i, i + COMPACT_CHUNK).map((rev) => ({ type: 'del' as const, key: revisionKey(rev) }));
        await this.db.batch(ops);
      }
      // Not synced: after a crash the dropped records are simply still there.
      await this.db.put(META_COMPACTED, encodeU64(target));
      this.log?.debug('store compacted', { revision: target, records: dropped.length });
    } catch (err) {
      this.log?.warn('store compaction failed; will retry', { error: err });
    }
  }

  private scheduleExpiry(): void {
    let next = Infinity;
    for (const at of this.expiries.values()) next = Math.min(next, at);
    if (next >= this.expiryTimerAt || this.closing) return;
    clearTimeout(this.expiryTimer);
    this.expiryTimerAt = next;
    this.expiryTimer = setTimeout(() => this.expire(), Math.max(0, next - Date.now())).unref();
  }

  private expire(): void {
    this.expiryTimerAt = Infinity;
    const now = Date.now();
    for (const [key, at] of this.expiries) {
      if (at > now) continue;
      this.expiries.delete(key);
      const entry = this.index.at(key, this.committed);
      if (entry !== undefined) this.enqueue({ kind: 'expire', key, expected: entry.revision }).catch(() => undefined);
    }
    this.scheduleExpiry();
  }

  // --- helpers ------------------------------------------------------------

  private checkOpen(): void {
    if (this.closing) throw new StoreError('Closed', 'the store is closed');
  }

  private async isEmpty(): Promise<boolean> {
    for await (const _ of this.db.keys({ limit: 1 })) return false;
    return true;
  }
}

/** Why a write cannot apply to the key's current state, or undefined if it can. */
function refuse(op: WriteOp, live: IndexEntry | undefined): StoreError | undefined {
  if (op.kind === 'create') {
    return live === undefined ? undefined : new StoreError('KeyExists', `key "${op.key}" already exists`, live.revision);
  }
  if (live === undefined) return new StoreError('NotFound', `key "${op.key}" not found`);
  if (op.expected !== undefined && op.expected !== live.revision) {
    return new StoreError(
      'Conflict',
      `key "${op.key}" is at revision ${live.revision}, not the expected ${op.expected}`,
      live.revision,
    );
  }
  return undefined;
}

function entryOf(r: ReturnType<typeof decodeRecord>, revision: Revision): IndexEntry {
  return {
    revision,
    createRevision: r.createRevision,
    version: r.version,
    deleted: r.type === RecordType.Delete,
    expiresAt: r.expiresAt,
  };
}

function toKeyValue(key: string, entry: IndexEntry, value: Uint8Array): KeyValue {
  const kv = { key, value, createRevision: entry.createRevision, modRevision: entry.revision, version: entry.version };
  return entry.expiresAt > 0 ? { ...kv, expiresAt: entry.expiresAt } : kv;
}

function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new StoreError('InvalidArgument', 'a key must be a non-empty string');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new StoreError('InvalidArgument', `a key may be at most ${MAX_KEY_BYTES} bytes`);
  return key;
}

function checkValue(value: Uint8Array): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new StoreError('InvalidArgument', 'a value must be bytes (a Uint8Array)');
  if (value.length > MAX_VALUE_BYTES) throw new StoreError('InvalidArgument', `a value may be at most ${MAX_VALUE_BYTES} bytes, not ${value.length}`);
  return value;
}

function expiryOf(opts: PutOptions): number {
  if (opts.ttlSeconds === undefined) return 0;
  if (!(opts.ttlSeconds > 0) || !Number.isFinite(opts.ttlSeconds)) {
    throw new StoreError('InvalidArgument', `ttlSeconds must be a positive number, not ${opts.ttlSeconds}`);
  }
  return Date.now() + Math.round(opts.ttlSeconds * 1000);
}

function encodeContinue(revision: Revision, lastKey: string, prefix: string): string {
  return Buffer.from(JSON.stringify({ v: 1, r: revision, k: lastKey, p: prefix })).toString('base64url');
}

function decodeContinue(token: string, prefix: string): { revision: Revision; startAfter: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const t = parsed as { v?: unknown; r?: unknown; k?: unknown; p?: unknown } | undefined;
  if (t?.v !== 1 || !Number.isSafeInteger(t.r) || typeof t.k !== 'string' || typeof t.p !== 'string') {
    throw new StoreError('InvalidArgument', 'the continue token is malformed');
  }
  if (t.p !== prefix) throw new StoreError('InvalidArgument', 'the continue token belongs to a different list');
  return { revision: t.r as number, startAfter: t.k };
}

async function requireLevelDb(path: string): Promise<void> {
  const files = await readdir(path);
  if (!files.includes('CURRENT')) {
    throw new StoreError(
      'Corrupt',
      `${path} is not empty but has no LevelDB CURRENT file: the store is damaged or this is not a store folder; restore from a backup into an empty folder`,
    );
  }
}

function openError(path: string, err: unknown): StoreError {
  const cause = (err as { cause?: Error }).cause ?? (err as Error);
  const detail = cause.message ?? String(err);
  if (/lock/i.test(detail)) {
    return new StoreError('Locked', `the store at ${path} is in use by another process (is bramble server running?)`, undefined, { cause: err });
  }
  if (/corrupt/i.test(detail)) {
    return new StoreError('Corrupt', `the store at ${path} is damaged (${detail}); restore from a backup into an empty folder`, undefined, { cause: err });
  }
  return new StoreError('Unavailable', `cannot open the store at ${path}: ${detail}`, undefined, { cause: err });
}

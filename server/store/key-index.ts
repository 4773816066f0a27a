// The in-memory revision index (etcd's treeIndex at our size): for every key,
// the revisions at which it was written, oldest first. It answers "which
// record holds key K as of revision R" without touching the disk, and keeps
// keys sorted for prefix ranges and paging. Values stay on disk.
import { SortedKeys } from './sorted-keys.js';

export interface IndexEntry {
  readonly revision: number;
  readonly createRevision: number;
  readonly version: number;
  /** A tombstone: the key was deleted at `revision`. */
  readonly deleted: boolean;
  readonly expiresAt: number;
}

export class KeyIndex {
  private readonly sortedKeys: SortedKeys;

  /** `history`: entries per key, oldest first (as loaded from the records at open). */
  constructor(private readonly history = new Map<string, IndexEntry[]>()) {
    // One sort at start-up instead of an insertion per key.
    this.sortedKeys = new SortedKeys([...history.keys()].sort());
  }

  /** The newest entry of a key, tombstones and uncommitted writes included. */
  newest(key: string): IndexEntry | undefined {
    const entries = this.history.get(key);
    return entries?.[entries.length - 1];
  }

  /** The live entry of a key as of a revision, or undefined if absent then. */
  at(key: string, revision: number): IndexEntry | undefined {
    const entries = this.history.get(key);
    if (entries === undefined) return undefined;
    const entry = lastAtOrBefore(entries, revision);
    return entry === undefined || entry.deleted ? undefined : entry;
  }

  append(key: string, entry: IndexEntry): void {
    const entries = this.history.get(key);
    if (entries !== undefined) {
      entries.push(entry);
      return;
    }
    this.history.set(key, [entry]);
    this.sortedKeys.insert(key);
  }

  /** Forgets entries newer than `revision` (a write batch the disk refused). */
  truncateAfter(key: string, revision: number): void {
    const entries = this.history.get(key);
    if (entries === undefined) return;
    while (entries.length > 0 && entries[entries.length - 1]!.revision > revision) entries.pop();
    if (entries.length === 0) this.removeKey(key);
  }

  /**
   * Visits live keys under `prefix` (after `startAfter`, exclusive) as of
   * `revision`, in key order, until `visit` returns false.
   */
  scan(prefix: string, revision: number, startAfter: string | undefined, visit: (key: string, entry: IndexEntry) => boolean): void {
    const after = startAfter !== undefined && startAfter >= prefix;
    this.sortedKeys.scan(after ? startAfter : prefix, after, (key) => {
      if (!key.startsWith(prefix)) return false;
      const entry = this.at(key, revision);
      return entry === undefined || visit(key, entry);
    });
  }

  /**
   * How many keys under `prefix` sort after `startAfter`, deleted ones not yet
   * compacted included: an estimate in O(log n), where counting live keys
   * would walk them all.
   */
  estimateAfter(prefix: string, startAfter: string): number {
    return Math.max(0, this.sortedKeys.rank(prefix + '\uffff', false) - this.sortedKeys.rank(startAfter, true));
  }

  /**
   * Drops what no read or watch at or after `revision` can need: every entry
   * superseded at or before it, and tombstones at or before it. The newest
   * entry at or before `revision` of a live key stays: it is the current value
   * and the previous value of the key's next event. Returns the revisions
   * whose records can be deleted from disk.
   */
  compact(revision: number): number[] {
    const dropped: number[] = [];
    let removedKeys = false;
    for (const [key, entries] of this.history) {
      let keep = 0;
      while (keep + 1 < entries.length && entries[keep + 1]!.revision <= revision) keep++;
      if (entries[keep]!.revision <= revision && entries[keep]!.deleted) keep++;
      if (keep === 0) continue;
      for (const e of entries.splice(0, keep)) dropped.push(e.revision);
      if (entries.length === 0) {
        this.history.delete(key);
        removedKeys = true;
      }
    }
    if (removedKeys) this.sortedKeys.retain((k) => this.history.has(k));
    return dropped;
  }

  private removeKey(key: string): void {
    this.history.delete(key);
    this.sortedKeys.delete(key);
  }
}

function lastAtOrBefore(entries: readonly IndexEntry[], revision: number): IndexEntry | undefined {
  // Most reads are of the newest entry; histories are short after compaction.
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.revision <= revision) return entries[i];
  return undefined;
}

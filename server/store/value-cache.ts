// Recently written or read values, by revision, within a byte budget. A
// record never changes once written, so an entry can never be stale: the
// cache needs no invalidation, only eviction, oldest entry first. (Moving an
// entry on every read, as an LRU does, cost 6 % of the API server's CPU in a
// map of tens of thousands of entries; reads mostly follow recent writes anyway.)
import type { KeyValue, Revision } from './types.js';

/** What an entry costs beyond its value's bytes (key, numbers, Map slot). */
const ENTRY_OVERHEAD = 128;

export class ValueCache {
  private readonly entries = new Map<Revision, KeyValue>();
  /**
   * Revisions in insertion order from `head`: the next to evict. Not the
   * Map's own order: iterating a Map from its start walks every slot deleted
   * since its last rehash, thousands of them here (6 µs per write).
   */
  private order: Revision[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly budget: number) {}

  get size(): number {
    return this.bytes;
  }

  get(revision: Revision): KeyValue | undefined {
    return this.entries.get(revision);
  }

  set(kv: KeyValue): void {
    const cost = costOf(kv);
    if (cost > this.budget || this.entries.has(kv.modRevision)) return;
    this.entries.set(kv.modRevision, kv);
    this.order.push(kv.modRevision);
    this.bytes += cost;
    while (this.bytes > this.budget) {
      const revision = this.order[this.head++]!;
      this.bytes -= costOf(this.entries.get(revision)!);
      this.entries.delete(revision);
    }
    // Drops the evicted revisions once they are half the array, so each is moved at most once.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}

function costOf(kv: KeyValue): number {
  return kv.value.byteLength + kv.key.length * 2 + ENTRY_OVERHEAD;
}

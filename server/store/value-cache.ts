// Recently written or read values, by revision, within a byte budget. A
// record never changes once written, so an entry can never be stale: the
// cache needs no invalidation, only eviction (least recently used first).
import type { KeyValue, Revision } from './types.js';

/** What an entry costs beyond its value's bytes (key, numbers, Map slot). */
const ENTRY_OVERHEAD = 128;

export class ValueCache {
  private readonly entries = new Map<Revision, KeyValue>();
  private bytes = 0;

  constructor(private readonly budget: number) {}

  get size(): number {
    return this.bytes;
  }

  get(revision: Revision): KeyValue | undefined {
    const kv = this.entries.get(revision);
    if (kv !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(revision);
      this.entries.set(revision, kv);
    }
    return kv;
  }

  set(kv: KeyValue): void {
    const cost = costOf(kv);
    if (cost > this.budget || this.entries.has(kv.modRevision)) return;
    this.entries.set(kv.modRevision, kv);
    this.bytes += cost;
    for (const [revision, old] of this.entries) {
      if (this.bytes <= this.budget) break;
      this.entries.delete(revision);
      this.bytes -= costOf(old);
    }
  }
}

function costOf(kv: KeyValue): number {
  return kv.value.byteLength + kv.key.length * 2 + ENTRY_OVERHEAD;
}

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
    this.bytes += cost;
    // Map iteration is insertion order: the oldest entries go first.
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

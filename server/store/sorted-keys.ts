// A sorted set of strings in chunks of at most CHUNK_MAX: a new key costs a
// binary search and a splice within one chunk, where one sorted array would
// move every later key (tens of thousands of them in a busy namespace). Keys
// stay in order for prefix ranges, and a key's rank (for the estimate of the
// keys after a page) sums the chunk sizes before it.

const CHUNK_MAX = 512;

export class SortedKeys {
  /** Non-empty chunks, each sorted, every key of a chunk below every key of the next. */
  private chunks: string[][];

  /** `sorted`: distinct keys in ascending order. */
  constructor(sorted: readonly string[] = []) {
    this.chunks = [];
    for (let i = 0; i < sorted.length; i += CHUNK_MAX / 2) this.chunks.push(sorted.slice(i, i + CHUNK_MAX / 2));
  }

  /** Adds a key not yet present. */
  insert(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      return;
    }
    const c = Math.min(this.chunkFor(key, false), this.chunks.length - 1);
    const chunk = this.chunks[c]!;
    chunk.splice(bound(chunk, key, false), 0, key);
    if (chunk.length > CHUNK_MAX) this.chunks.splice(c + 1, 0, chunk.splice(CHUNK_MAX / 2));
  }

  delete(key: string): void {
    const c = this.chunkFor(key, false);
    const chunk = this.chunks[c];
    if (chunk === undefined) return;
    const i = bound(chunk, key, false);
    if (chunk[i] !== key) return;
    chunk.splice(i, 1);
    if (chunk.length === 0) this.chunks.splice(c, 1);
  }

  /** Keeps only the keys `keep` accepts, in one pass. */
  retain(keep: (key: string) => boolean): void {
    this.chunks = new SortedKeys(this.chunks.flat().filter(keep)).chunks;
  }

  /** How many keys sort below `key` (`inclusive`: at or below it). */
  rank(key: string, inclusive: boolean): number {
    const c = this.chunkFor(key, inclusive);
    let n = 0;
    for (let i = 0; i < c; i++) n += this.chunks[i]!.length;
    const chunk = this.chunks[c];
    if (chunk !== undefined) n += bound(chunk, key, inclusive);
    return n;
  }

  /**
   * Visits keys in order from the first at or above `key` (`exclusive`: above
   * it) until `visit` returns false. A callback, not a generator: a page of a
   * list is the hot path, and generators cost twice as much per key.
   */
  scan(key: string, exclusive: boolean, visit: (key: string) => boolean): void {
    let c = this.chunkFor(key, exclusive);
    if (c >= this.chunks.length) return;
    let i = bound(this.chunks[c]!, key, exclusive);
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) if (!visit(chunk[i]!)) return;
    }
  }

  /**
   * The index of the first chunk whose last key is at or above `key`
   * (`past`: above it), chunks.length if none.
   */
  private chunkFor(key: string, past: boolean): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (before(chunk[chunk.length - 1]!, key, past)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The index of the first key at or above `key` (`past`: above it). */
function bound(keys: readonly string[], key: string, past: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(keys[mid]!, key, past)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether `k` comes before the position sought: below `key`, or also at it when `past`. */
function before(k: string, key: string, past: boolean): boolean {
  return past ? k <= key : k < key;
}

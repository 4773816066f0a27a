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
    const c = Math.min(this.chunkAbove(key), this.chunks.length - 1);
    const chunk = this.chunks[c]!;
    chunk.splice(lowerBound(chunk, key), 0, key);
    if (chunk.length > CHUNK_MAX) this.chunks.splice(c + 1, 0, chunk.splice(CHUNK_MAX / 2));
  }

  delete(key: string): void {
    const c = this.chunkAbove(key);
    const chunk = this.chunks[c];
    if (chunk === undefined) return;
    const i = lowerBound(chunk, key);
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
    const c = inclusive ? this.chunkAboveOrAt(key) : this.chunkAbove(key);
    let n = 0;
    for (let i = 0; i < c; i++) n += this.chunks[i]!.length;
    const chunk = this.chunks[c];
    if (chunk !== undefined) n += inclusive ? upperBound(chunk, key) : lowerBound(chunk, key);
    return n;
  }

  /**
   * Visits keys in order from the first at or above `key` (`exclusive`: above
   * it) until `visit` returns false. A callback, not a generator: a page of a
   * list is the hot path, and generators cost twice as much per key.
   */
  scan(key: string, exclusive: boolean, visit: (key: string) => boolean): void {
    let c = exclusive ? this.chunkAboveOrAt(key) : this.chunkAbove(key);
    if (c >= this.chunks.length) return;
    let i = exclusive ? upperBound(this.chunks[c]!, key) : lowerBound(this.chunks[c]!, key);
    for (; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) if (!visit(chunk[i]!)) return;
    }
  }

  /** The index of the first chunk whose last key is at or above `key` (chunks.length if none). */
  private chunkAbove(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (chunk[chunk.length - 1]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the first chunk whose last key is above `key` (chunks.length if none). */
  private chunkAboveOrAt(key: string): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (chunk[chunk.length - 1]! <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

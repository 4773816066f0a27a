// Per-key back-off as kubelet's flowcontrol.Backoff keeps it (image pulls:
// 10 s doubling to 5 min per pod and image): a key is "in back-off" for its
// current delay after its last failure; each failure doubles the delay up to
// the maximum; a key quiet for twice the maximum starts over.

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly now?: () => number;
}

interface Entry {
  delayMs: number;
  lastFailure: number;
}

export class Backoff {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(private readonly opts: BackoffOptions) {
    this.#now = opts.now ?? Date.now;
  }

  /** Whether `key` failed less than its current delay ago. */
  inBackoff(key: string): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && this.#now() - entry.lastFailure < entry.delayMs;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** One more failure of `key`: the next delay. */
  failed(key: string): number {
    const now = this.#now();
    const entry = this.#entries.get(key);
    const delayMs = entry === undefined || this.#expired(entry, now) ? this.opts.initialMs : Math.min(entry.delayMs * 2, this.opts.maxMs);
    this.#entries.set(key, { delayMs, lastFailure: now });
    return delayMs;
  }

  /** Forgets `key` (it succeeded, or its pod is gone). */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Drops keys quiet for twice the maximum, so the map does not grow. */
  gc(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (this.#expired(entry, now)) this.#entries.delete(key);
  }

  #expired(entry: Entry, now: number): boolean {
    return now - entry.lastFailure > 2 * this.opts.maxMs;
  }
}

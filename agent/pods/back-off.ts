// The restart back-off of crashing containers, as kubelet keeps it
// (client-go's flowcontrol.Backoff with 10 s doubling to 5 min): the first
// restart after an exit is at once; each later one waits the entry's
// current delay counted from the container's finishedAt, and the delay
// doubles with every restart. An entry last bumped more than twice the
// maximum before an exit (the container ran fine for 10 min) starts over.
// Kept in memory, as kubelet does: a restarted agent starts every entry
// afresh.

export const INITIAL_BACK_OFF_MS = 10_000;
export const MAX_BACK_OFF_MS = 300_000;

interface Entry {
  delayMs: number;
  lastUpdateMs: number;
}

export class BackOff {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly initialMs = INITIAL_BACK_OFF_MS,
    private readonly maxMs = MAX_BACK_OFF_MS,
  ) {}

  /** How long `key`, which exited at `eventMs`, must still wait before it may start again (0: it may). */
  remainingMs(key: string, eventMs: number): number {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#expired(entry, eventMs)) return 0;
    return Math.max(0, eventMs + entry.delayMs - this.now());
  }

  /** The delay now in force for `key` (what kubelet's message names). */
  delayMs(key: string): number {
    return this.#entries.get(key)?.delayMs ?? 0;
  }

  /** A restart of `key` (which exited at `eventMs`) happens now: the next one waits longer. */
  next(key: string, eventMs: number): void {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#expired(entry, eventMs)) this.#entries.set(key, { delayMs: this.initialMs, lastUpdateMs: this.now() });
    else {
      entry.delayMs = Math.min(entry.delayMs * 2, this.maxMs);
      entry.lastUpdateMs = this.now();
    }
  }

  /** Drops the entries whose key starts with `prefix` (a pod that is gone). */
  forget(prefix: string): void {
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }

  #expired(entry: Entry, eventMs: number): boolean {
    return eventMs - entry.lastUpdateMs > 2 * this.maxMs;
  }
}

/** A duration in whole milliseconds as Go's time.Duration prints it ("313ms", "10s", "1m20s", "5m0s"), for kubelet's messages. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const s = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
  if (hours > 0) return `${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${minutes}m${s}`;
  return s;
}

// Keys waiting for workers, as client-go's workqueue holds them: a key is
// queued at most once, never processed by two workers at once (a key queued
// while it is being processed runs again afterwards), and a key whose
// processing failed comes back after a delay that doubles with each failure
// in a row. One worker by default; more let slow keys (a pod's sandbox on a
// node) proceed side by side.
const FIRST_RETRY_MS = 200;
const LAST_RETRY_MS = 30_000;

export interface WorkQueueOptions {
  /** Keys processed at once; default 1. */
  readonly workers?: number;
}

export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #workers = new Set<Promise<void>>();
  readonly #maxWorkers: number;
  /** Workers in their loop, counted down in the same tick as a worker's last look for a key (not when its promise settles, a few microtasks later): a key added in between would wait unseen. */
  #active = 0;
  #closed = false;

  constructor(
    private readonly process: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown, retryInMs: number) => void,
    { workers = 1 }: WorkQueueOptions = {},
  ) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`a work queue needs at least one worker, not ${workers}`);
    this.#maxWorkers = workers;
  }

  add(key: string): void {
    if (this.#closed) return;
    this.#pending.add(key);
    // A key in hand comes round again when its worker is done with it.
    if (!this.#processing.has(key) && this.#active < this.#maxWorkers) {
      this.#active++;
      const worker: Promise<void> = this.#work().finally(() => this.#workers.delete(worker));
      this.#workers.add(worker);
    }
  }

  /** Queues `key` again in `ms` (work that waits on something no event announces). */
  addAfter(key: string, ms: number): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.add(key);
    }, ms);
    this.#timers.add(timer);
  }

  /** Resolves when no key is waiting or being processed (delayed ones aside). */
  async drained(): Promise<void> {
    while (this.#workers.size > 0) await Promise.all(this.#workers);
  }

  /** Drops what waits and lets the keys in hand finish. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pending.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.drained();
  }

  async #work(): Promise<void> {
    try {
      // Keys added meanwhile join the running workers' loops.
      for (let key = this.#next(); key !== undefined; key = this.#next()) {
        this.#pending.delete(key);
        this.#processing.add(key);
        try {
          await this.process(key);
          this.#failures.delete(key);
        } catch (err) {
          const failures = (this.#failures.get(key) ?? 0) + 1;
          this.#failures.set(key, failures);
          const delay = Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), LAST_RETRY_MS);
          this.onError(key, err, delay);
          this.addAfter(key, delay);
        } finally {
          this.#processing.delete(key);
        }
      }
    } finally {
      // Synchronously after the last look for a key: a key added from here on starts a worker.
      this.#active--;
    }
  }

  /** The oldest waiting key no worker holds. */
  #next(): string | undefined {
    for (const key of this.#pending) if (!this.#processing.has(key)) return key;
    return undefined;
  }
}

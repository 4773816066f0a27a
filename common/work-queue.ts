// Keys waiting for one worker, as client-go's workqueue holds them: a key
// is queued at most once, a key queued while it is being processed runs
// again afterwards, and a key whose processing failed comes back after a
// delay that doubles with each failure in a row.
const FIRST_RETRY_MS = 200;
const LAST_RETRY_MS = 30_000;

export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly process: (key: string) => Promise<void>,
    private readonly onError: (key: string, err: unknown, retryInMs: number) => void,
  ) {}

  add(key: string): void {
    if (this.#closed) return;
    this.#pending.add(key);
    this.#running ??= this.#run();
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
    while (this.#running !== undefined) await this.#running;
  }

  /** Drops what waits and lets the key in hand finish. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pending.clear();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.drained();
  }

  async #run(): Promise<void> {
    // Keys added while a key is processed join this same loop.
    for (let key = first(this.#pending); key !== undefined; key = first(this.#pending)) {
      this.#pending.delete(key);
      try {
        await this.process(key);
        this.#failures.delete(key);
      } catch (err) {
        const failures = (this.#failures.get(key) ?? 0) + 1;
        this.#failures.set(key, failures);
        const delay = Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), LAST_RETRY_MS);
        this.onError(key, err, delay);
        this.addAfter(key, delay);
      }
    }
    this.#running = undefined;
  }
}

function first(keys: ReadonlySet<string>): string | undefined {
  for (const key of keys) return key;
  return undefined;
}

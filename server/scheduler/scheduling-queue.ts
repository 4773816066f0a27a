// Pods waiting to be scheduled, as upstream's scheduling queue holds them:
// active ones are taken in order; a pod that did not fit waits, set aside,
// until the cluster changes (a node added or changed, a pod gone) and then
// after its back-off (1 s doubling to 10 s per failed attempt), so an
// unschedulable pod is retried when something could have made room and
// never in a busy loop. Pods set aside longer than five minutes are retried
// anyway, in case a change that helps was not one the scheduler watches.
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 10_000;
const MAX_UNSCHEDULABLE_MS = 5 * 60_000;
const FLUSH_EVERY_MS = 30_000;

export class SchedulingQueue {
  readonly #active = new Set<string>();
  readonly #backingOff = new Map<string, NodeJS.Timeout>();
  /** Key → when it was set aside. */
  readonly #unschedulable = new Map<string, number>();
  readonly #attempts = new Map<string, number>();
  #wake: (() => void) | undefined;
  readonly #flusher: NodeJS.Timeout;
  #closed = false;

  constructor(private readonly now: () => number = Date.now) {
    this.#flusher = setInterval(() => this.#flushOld(), FLUSH_EVERY_MS);
    this.#flusher.unref();
  }

  get length(): number {
    return this.#active.size;
  }

  /** A new or changed pod that wants a node: ready at once unless it is backing off. */
  add(key: string): void {
    if (this.#backingOff.has(key)) return;
    this.#unschedulable.delete(key);
    this.#active.add(key);
    this.#wake?.();
  }

  /** The next key to schedule; waits while there is none. Resolves undefined once closed. */
  async pop(): Promise<string | undefined> {
    while (!this.#closed) {
      for (const key of this.#active) {
        this.#active.delete(key);
        return key;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    return undefined;
  }

  /** The pod fits nowhere now: set aside until the cluster changes. */
  unschedulable(key: string): void {
    this.#attempts.set(key, (this.#attempts.get(key) ?? 0) + 1);
    this.#unschedulable.set(key, this.now());
  }

  /** Something failed on the way (a binding): back in after its back-off. */
  retryLater(key: string): void {
    this.#attempts.set(key, (this.#attempts.get(key) ?? 0) + 1);
    this.#backoff(key);
  }

  /** The cluster changed: every pod set aside gets another attempt, after its back-off. */
  moveAllToActive(): void {
    for (const key of this.#unschedulable.keys()) this.#backoff(key);
    this.#unschedulable.clear();
  }

  /** Scheduled, deleted or no longer this scheduler's: forgotten. */
  forget(key: string): void {
    this.#active.delete(key);
    this.#unschedulable.delete(key);
    this.#attempts.delete(key);
    clearTimeout(this.#backingOff.get(key));
    this.#backingOff.delete(key);
  }

  isUnschedulable(key: string): boolean {
    return this.#unschedulable.has(key);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#flusher);
    for (const timer of this.#backingOff.values()) clearTimeout(timer);
    this.#backingOff.clear();
    this.#wake?.();
  }

  #backoff(key: string): void {
    if (this.#backingOff.has(key) || this.#closed) return;
    const attempts = this.#attempts.get(key) ?? 1;
    const delay = Math.min(INITIAL_BACKOFF_MS * 2 ** (attempts - 1), MAX_BACKOFF_MS);
    const timer = setTimeout(() => {
      this.#backingOff.delete(key);
      this.add(key);
    }, delay);
    timer.unref();
    this.#backingOff.set(key, timer);
  }

  #flushOld(): void {
    const now = this.now();
    for (const [key, since] of this.#unschedulable) {
      if (now - since < MAX_UNSCHEDULABLE_MS) continue;
      this.#unschedulable.delete(key);
      this.#backoff(key);
    }
  }
}

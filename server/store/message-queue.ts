// A FIFO between a producer that pushes and a consumer that pulls with
// `for await`. It ends normally or with an error, which the consumer gets
// after everything already queued. Bounds are the owner's policy: the queue
// reports its size and lets a producer wait for room.

export class MessageQueue<T> implements AsyncIterable<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private waiter: { resolve(r: IteratorResult<T>): void; reject(err: Error): void } | undefined;
  private roomWaiter: (() => void) | undefined;
  private error: Error | undefined;
  private done = false;

  /** `onReturn` runs when the consumer stops early (a `break` out of `for await`). */
  constructor(private readonly onReturn: () => void) {}

  get size(): number {
    return this.items.length - this.head;
  }

  get ended(): boolean {
    return this.done;
  }

  push(item: T): void {
    if (this.done) return;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter.resolve({ value: item, done: false });
    else this.items.push(item);
  }

  /** Ends the queue; with an error, the consumer gets it after the items already queued. */
  end(error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) {
      if (error !== undefined) waiter.reject(error);
      else waiter.resolve({ value: undefined, done: true });
    }
    this.wakeProducer();
  }

  /** Drops what is queued: the consumer no longer wants it. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /** Resolves once fewer than `limit` items are queued, or the queue has ended. */
  async whenBelow(limit: number): Promise<void> {
    while (!this.done && this.size >= limit) await new Promise<void>((resolve) => (this.roomWaiter = resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.onReturn();
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head] as T;
      this.items[this.head++] = undefined;
      if (this.head === this.items.length) this.clear();
      else if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      this.wakeProducer();
      return Promise.resolve({ value, done: false });
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private wakeProducer(): void {
    const waiter = this.roomWaiter;
    this.roomWaiter = undefined;
    waiter?.();
  }
}

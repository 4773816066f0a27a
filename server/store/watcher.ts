// One watch: a bounded queue between the store (which pushes events as they
// commit, or as they are replayed from disk) and a consumer that pulls them
// with `for await`. Events at or below `lastRevision` are dropped, which is
// what makes the replay → live handover free of gaps and duplicates: live
// events that arrive during replay wait in `pending` and are released in
// order once replay has caught up.
import { StoreError } from './errors.js';
import type { Revision, Watch, WatchEvent, WatchMessage } from './types.js';

export class Watcher implements Watch {
  /** Revision of the newest event queued (or the start revision). */
  lastRevision: Revision;
  /** Unix ms of the last message queued; progress goes to watches idle longer than the interval. */
  lastActivity = Date.now();
  private readonly queue: WatchMessage[] = [];
  private head = 0;
  private pending: WatchEvent[] | undefined;
  private waiter: ((r: IteratorResult<WatchMessage>) => void) | undefined;
  private failWaiter: ((err: Error) => void) | undefined;
  private roomWaiter: (() => void) | undefined;
  private error: Error | undefined;
  private done = false;

  constructor(
    readonly prefix: string,
    fromRevision: Revision,
    private readonly limit: number,
    private readonly onClose: (w: Watcher) => void,
    replaying: boolean,
  ) {
    this.lastRevision = fromRevision;
    if (replaying) this.pending = [];
  }

  get closed(): boolean {
    return this.done;
  }

  /** Messages queued and not yet taken by the consumer. */
  get backlog(): number {
    return this.queue.length - this.head;
  }

  matches(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  /** A live event from a commit. */
  deliver(event: WatchEvent): void {
    if (this.done || !this.matches(event.kv.key)) return;
    if (this.pending !== undefined) {
      if (this.pending.length >= this.limit) this.overflow();
      else this.pending.push(event);
      return;
    }
    this.enqueueEvent(event);
  }

  /**
   * An event read back from history. Replay goes at the consumer's pace (only
   * live events can overflow), so this waits while the queue is full.
   * Resolves false once the watch is closed.
   */
  async replay(event: WatchEvent): Promise<boolean> {
    while (!this.done && this.backlog >= this.limit) await new Promise<void>((resolve) => (this.roomWaiter = resolve));
    if (!this.done) this.enqueueEvent(event);
    return !this.done;
  }

  /** Replay has reached the revision live delivery started from: release what waited. */
  endReplay(): void {
    const pending = this.pending ?? [];
    this.pending = undefined;
    for (const event of pending) this.enqueueEvent(event);
  }

  progress(revision: Revision): void {
    if (this.done || this.pending !== undefined || revision < this.lastRevision) return;
    this.push({ kind: 'progress', revision });
  }

  fail(err: Error): void {
    if (this.done) return;
    this.error = err;
    this.finish();
  }

  close(): void {
    this.queue.length = 0;
    this.head = 0;
    this.finish();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchMessage> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<WatchMessage>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as WatchMessage;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.wakeReplay();
      return Promise.resolve({ value, done: false });
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failWaiter = reject;
    });
  }

  private enqueueEvent(event: WatchEvent): void {
    if (event.kv.modRevision <= this.lastRevision) return;
    if (this.backlog >= this.limit) return this.overflow();
    this.lastRevision = event.kv.modRevision;
    this.push({ kind: 'event', event });
  }

  private push(message: WatchMessage): void {
    this.lastActivity = Date.now();
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = this.failWaiter = undefined;
      waiter({ value: message, done: false });
    } else {
      this.queue.push(message);
    }
  }

  /** The consumer keeps what was queued, then gets an error saying where to resume. */
  private overflow(): void {
    this.fail(
      new StoreError(
        'WatchOverflow',
        `watch on "${this.prefix}" fell more than ${this.limit} events behind; resume from revision ${this.lastRevision}`,
        this.lastRevision,
      ),
    );
  }

  private wakeReplay(): void {
    const waiter = this.roomWaiter;
    this.roomWaiter = undefined;
    waiter?.();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.pending = undefined;
    this.wakeReplay();
    this.onClose(this);
    const waiter = this.waiter;
    const failWaiter = this.failWaiter;
    this.waiter = this.failWaiter = undefined;
    if (this.error !== undefined && failWaiter !== undefined) failWaiter(this.error);
    else waiter?.({ value: undefined, done: true });
  }
}

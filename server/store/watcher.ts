// One watch: a bounded queue between the store (which pushes events as they
// commit, or as they are replayed from disk) and a consumer that pulls them
// with `for await`. Events at or below `lastRevision` are dropped: a watch
// from a revision not yet written starts after it, and live events that
// arrive during replay wait in `pending` and are released in order once
// replay has caught up, so the handover has no gap and no duplicate.
import { StoreError } from './errors.js';
import { MessageQueue } from './message-queue.js';
import type { Revision, Watch, WatchEvent, WatchMessage } from './types.js';

export class Watcher implements Watch {
  /** Revision of the newest event queued (or the start revision). */
  lastRevision: Revision;
  /** Unix ms of the last message queued; progress goes to watches idle longer than the interval. */
  lastActivity = Date.now();
  private readonly queue = new MessageQueue<WatchMessage>(() => this.close());
  private pending: WatchEvent[] | undefined;

  constructor(
    readonly prefix: string,
    fromRevision: Revision,
    private readonly limit: number,
    private readonly onClose: (w: Watcher) => void,
    replaying: boolean,
    private readonly keys?: (key: string) => boolean,
  ) {
    this.lastRevision = fromRevision;
    if (replaying) this.pending = [];
  }

  get closed(): boolean {
    return this.queue.ended;
  }

  /** Messages queued and not yet taken by the consumer. */
  get backlog(): number {
    return this.queue.size;
  }

  matches(key: string): boolean {
    return key.startsWith(this.prefix) && (this.keys === undefined || this.keys(key));
  }

  /** A live event from a commit. */
  deliver(event: WatchEvent): void {
    if (this.closed || !this.matches(event.kv.key)) return;
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
    await this.queue.whenBelow(this.limit);
    if (!this.closed) this.enqueueEvent(event);
    return !this.closed;
  }

  /** Replay has reached the revision live delivery started from: release what waited. */
  endReplay(): void {
    const pending = this.pending ?? [];
    this.pending = undefined;
    for (const event of pending) this.enqueueEvent(event);
  }

  progress(revision: Revision): void {
    if (this.closed || this.pending !== undefined || revision < this.lastRevision) return;
    this.push({ kind: 'progress', revision });
  }

  /** Ends the watch with an error, which the consumer gets after what is queued. */
  fail(err: Error): void {
    this.finish(err);
  }

  close(): void {
    this.queue.clear();
    this.finish();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchMessage> {
    return this.queue[Symbol.asyncIterator]();
  }

  private enqueueEvent(event: WatchEvent): void {
    if (event.kv.modRevision <= this.lastRevision) return;
    if (this.backlog >= this.limit) return this.overflow();
    this.lastRevision = event.kv.modRevision;
    this.push({ kind: 'event', event });
  }

  private push(message: WatchMessage): void {
    this.lastActivity = Date.now();
    this.queue.push(message);
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

  private finish(err?: Error): void {
    if (this.closed) return;
    this.pending = undefined;
    this.queue.end(err);
    this.onClose(this);
  }
}

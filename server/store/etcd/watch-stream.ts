// All watches of one client share one bidirectional Watch stream, as etcd's
// own client does: etcd answers create requests in the order they were sent,
// which is how each watch learns its watch_id, and tags every later response
// with that id. If the stream fails, every watch on it fails with the cause;
// the next watch opens a new stream.
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { MessageQueue } from '../message-queue.js';
import { EtcdError, fromGrpcError } from './errors.js';
import type { WatchCreateRequest, WatchRequest, WatchResponse, WireKeyValue } from './wire.js';

export interface EtcdKeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  /** Number of writes since creation (1 after create). */
  readonly version: number;
}

export interface EtcdEvent {
  readonly type: 'PUT' | 'DELETE';
  /** For DELETE: the key, with modRevision = the delete's revision and an empty value. */
  readonly kv: EtcdKeyValue;
  /** The value before the event, when the watch asked for it and there was one. */
  readonly prev?: EtcdKeyValue;
}

/**
 * Events in revision order. Iteration ends when the watch or the client is
 * closed, and throws an EtcdError when etcd ends the watch (Compacted,
 * Canceled), the stream fails (Unavailable) or the consumer falls behind
 * (WatchOverflow).
 */
export interface EtcdWatch extends AsyncIterable<EtcdEvent> {
  /** Settles once etcd has registered the watch: writes after that are seen. Rejects as iteration would throw. */
  readonly ready: Promise<void>;
  close(): void;
}

type DuplexCall = ClientDuplexStream<WatchRequest, WatchResponse>;

export class WatchStream {
  private call: DuplexCall | undefined;
  /** Watches whose create request awaits its `created` answer, in the order sent. */
  private readonly creating: StreamWatch[] = [];
  private readonly active = new Map<number, StreamWatch>();

  constructor(
    private readonly open: () => DuplexCall,
    private readonly bufferLimit: number,
  ) {}

  watch(request: WatchCreateRequest): EtcdWatch {
    const call = (this.call ??= this.start());
    const w = new StreamWatch(this.bufferLimit, (closed) => this.cancel(closed));
    this.creating.push(w);
    call.write({ create_request: request });
    return w;
  }

  /** Ends every watch normally and the stream with them. */
  close(): void {
    const call = this.call;
    this.call = undefined;
    for (const w of this.takeAll()) w.finish();
    call?.cancel();
  }

  private start(): DuplexCall {
    const call = this.open();
    call.on('data', (res: WatchResponse) => {
      if (call === this.call) this.receive(res);
    });
    call.on('error', (err: ServiceError) => {
      if (call === this.call) this.fail(fromGrpcError(err));
    });
    call.on('end', () => {
      if (call === this.call) this.fail(new EtcdError('Unavailable', 'etcd closed the watch stream'));
    });
    return call;
  }

  private receive(res: WatchResponse): void {
    if (res.created) {
      const w = this.creating.shift();
      if (w === undefined) return;
      if (res.canceled) {
        w.fail(new EtcdError('Canceled', `etcd refused the watch: ${res.cancel_reason || 'no reason given'}`));
      } else if (w.closed) {
        this.call?.write({ cancel_request: { watch_id: res.watch_id } });
      } else {
        w.id = res.watch_id;
        this.active.set(res.watch_id, w);
        w.created();
      }
      return;
    }
    const w = this.active.get(res.watch_id);
    if (w === undefined) return; // closed by us; etcd may still send what it had in flight
    if (res.canceled) {
      this.active.delete(res.watch_id);
      if (res.compact_revision > 0) {
        w.fail(new EtcdError('Compacted', `the watch's start revision has been compacted (oldest kept: ${res.compact_revision})`, res.compact_revision));
      } else {
        w.fail(new EtcdError('Canceled', `etcd canceled the watch: ${res.cancel_reason || 'no reason given'}`));
      }
      return;
    }
    for (const e of res.events) {
      if (e.kv === null) w.fail(new EtcdError('Internal', 'etcd sent a watch event without a key'));
      else w.push(e.prev_kv === null ? { type: e.type, kv: toKeyValue(e.kv) } : { type: e.type, kv: toKeyValue(e.kv), prev: toKeyValue(e.prev_kv) });
      if (w.closed) {
        this.cancel(w);
        return;
      }
    }
  }

  private cancel(w: StreamWatch): void {
    // A watch still being created is cancelled when its `created` answer comes.
    if (w.id === undefined || !this.active.delete(w.id)) return;
    this.call?.write({ cancel_request: { watch_id: w.id } });
  }

  private fail(err: EtcdError): void {
    const call = this.call;
    this.call = undefined;
    for (const w of this.takeAll()) w.fail(err);
    call?.cancel();
  }

  private takeAll(): StreamWatch[] {
    const all = [...this.creating, ...this.active.values()];
    this.creating.length = 0;
    this.active.clear();
    return all;
  }
}

/** One watch: a bounded queue between the stream and a `for await` consumer. */
class StreamWatch implements EtcdWatch {
  id: number | undefined;
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private markRefused!: (err: Error) => void;
  private readonly queue = new MessageQueue<EtcdEvent>(() => this.close());
  private lastRevision = 0;

  constructor(
    private readonly limit: number,
    private readonly onClose: (w: StreamWatch) => void,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.markRefused = reject;
    });
    // The failure also reaches the consumer through iteration; an unawaited `ready` must not crash the process.
    this.ready.catch(() => undefined);
  }

  get closed(): boolean {
    return this.queue.ended;
  }

  created(): void {
    this.markReady();
  }

  /** Queues an event, or fails the watch when its consumer is too far behind. */
  push(event: EtcdEvent): void {
    if (this.closed) return;
    if (this.queue.size >= this.limit) {
      this.fail(
        new EtcdError(
          'WatchOverflow',
          `watch fell more than ${this.limit} events behind; resume from revision ${this.lastRevision}`,
          this.lastRevision,
        ),
      );
      return;
    }
    this.lastRevision = event.kv.modRevision;
    this.queue.push(event);
  }

  fail(err: EtcdError): void {
    if (this.closed) return;
    this.markRefused(err);
    this.queue.end(err);
  }

  /** Ends iteration without an error (the client is closing). */
  finish(): void {
    if (this.closed) return;
    this.markRefused(new EtcdError('Closed', 'the etcd client is closed'));
    this.queue.end();
  }

  close(): void {
    if (this.closed) return;
    this.queue.clear();
    this.markRefused(new EtcdError('Closed', 'the watch is closed'));
    this.queue.end();
    this.onClose(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<EtcdEvent> {
    return this.queue[Symbol.asyncIterator]();
  }
}

export function toKeyValue(kv: WireKeyValue): EtcdKeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value,
    createRevision: kv.create_revision,
    modRevision: kv.mod_revision,
    version: kv.version,
  };
}

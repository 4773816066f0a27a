// A minimal etcd v3 client over gRPC: what a Bramble store backend on etcd
// needs and nothing more (no leases, auth, TLS or member failover yet).
// Keys are UTF-8 strings, values bytes. Conditional writes are Txns that
// compare the key's revisions, as the Kubernetes API server does; their
// outcome (done, or why not) is a value, while transport and server failures
// reject with an EtcdError.
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { EtcdError, fromGrpcError } from './errors.js';
import { toKeyValue, WatchStream, type EtcdKeyValue, type EtcdWatch } from './watch-stream.js';
import { loadEtcdMethods, type EtcdMethods, type Method, type RangeRequest, type TxnRequest, type WatchCreateRequest } from './wire.js';

export { EtcdError, type EtcdErrorCode } from './errors.js';
export type { EtcdEvent, EtcdKeyValue, EtcdWatch } from './watch-stream.js';

export interface EtcdClientOptions {
  /** host:port of an etcd member's plain-text client URL, e.g. 127.0.0.1:2379. */
  readonly endpoint: string;
  /** Deadline of each request other than watches. */
  readonly requestTimeoutMs?: number;
  /** Events a watch may hold for a slow consumer before it fails with WatchOverflow. */
  readonly watchBufferLimit?: number;
}

export interface RangeOptions {
  /** Every key that starts with the given key, not just the key itself. */
  readonly prefix?: boolean;
  /** At most this many keys (0 or absent: all). */
  readonly limit?: number;
  /** Read as of this revision (0 or absent: the newest). */
  readonly revision?: number;
}

export interface RangeResult {
  readonly kvs: EtcdKeyValue[];
  /** The store revision the range was read at. */
  readonly revision: number;
  /** More keys matched than `limit` let through. */
  readonly more: boolean;
  /** How many keys matched in all. */
  readonly count: number;
}

export interface UpdateOptions {
  /** Write only if the key's modRevision is this; absent: only if the key exists. */
  readonly expectedRevision?: number;
}

export type ConditionalWriteResult =
  | { readonly ok: true; readonly revision: number }
  | {
      readonly ok: false;
      /** KeyExists: create of an existing key. NotFound: update of a missing key. Conflict: expectedRevision did not match. */
      readonly code: 'KeyExists' | 'NotFound' | 'Conflict';
      /** The key as it is now (absent for NotFound). */
      readonly current?: EtcdKeyValue;
    };

export interface WatchOptions {
  readonly prefix?: boolean;
  /** First revision to deliver (inclusive, as in etcd); absent: from the next write on. */
  readonly startRevision?: number;
  /** Attach the previous value to each event. */
  readonly prevKv?: boolean;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_WATCH_BUFFER = 10_000;

export class EtcdClient {
  private readonly grpc: Client;
  private readonly methods: EtcdMethods = loadEtcdMethods();
  private readonly watches: WatchStream;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(opts: EtcdClientOptions) {
    // No receive limit: one range over a large prefix is easily over gRPC's default 4 MB.
    this.grpc = new Client(opts.endpoint, credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
    this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const watch = this.methods.watch;
    this.watches = new WatchStream(
      () => this.grpc.makeBidiStreamRequest(watch.path, watch.serialize, watch.deserialize),
      opts.watchBufferLimit ?? DEFAULT_WATCH_BUFFER,
    );
  }

  async put(key: string, value: Uint8Array): Promise<{ revision: number }> {
    const res = await this.unary(this.methods.put, { key: Buffer.from(key), value: asBuffer(value) });
    return { revision: res.header?.revision ?? 0 };
  }

  async range(key: string, opts: RangeOptions = {}): Promise<RangeResult> {
    const req: RangeRequest = { ...keyRange(key, opts.prefix), limit: opts.limit ?? 0, revision: opts.revision ?? 0 };
    const res = await this.unary(this.methods.range, req);
    return { kvs: res.kvs.map(toKeyValue), revision: res.header?.revision ?? 0, more: res.more, count: res.count };
  }

  /** Writes the key only if it does not exist. */
  async create(key: string, value: Uint8Array): Promise<ConditionalWriteResult> {
    const k = Buffer.from(key);
    return this.conditionalPut(k, value, { key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }, 'KeyExists');
  }

  async update(key: string, value: Uint8Array, opts: UpdateOptions = {}): Promise<ConditionalWriteResult> {
    const k = Buffer.from(key);
    return opts.expectedRevision === undefined
      ? this.conditionalPut(k, value, { key: k, target: 'CREATE', result: 'GREATER', create_revision: 0 }, 'Conflict')
      : this.conditionalPut(k, value, { key: k, target: 'MOD', result: 'EQUAL', mod_revision: opts.expectedRevision }, 'Conflict');
  }

  /** Events for the key (or prefix); see EtcdWatch. */
  watch(key: string, opts: WatchOptions = {}): EtcdWatch {
    if (this.closed) throw new EtcdError('Closed', 'the etcd client is closed');
    const req: WatchCreateRequest = { ...keyRange(key, opts.prefix), start_revision: opts.startRevision ?? 0, prev_kv: opts.prevKv ?? false };
    return this.watches.watch(req);
  }

  /** Ends every watch and the connection; later calls fail with Closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watches.close();
    this.grpc.close();
  }

  /** A Txn that puts the value if `compare` holds and otherwise reads the key back to say why not. */
  private async conditionalPut(
    key: Buffer,
    value: Uint8Array,
    compare: TxnRequest['compare'][number],
    refused: 'KeyExists' | 'Conflict',
  ): Promise<ConditionalWriteResult> {
    const res = await this.unary(this.methods.txn, {
      compare: [compare],
      success: [{ request_put: { key, value: asBuffer(value) } }],
      failure: [{ request_range: { key } }],
    });
    if (res.succeeded) return { ok: true, revision: res.header?.revision ?? 0 };
    const kv = res.responses[0]?.response_range?.kvs[0];
    if (kv === undefined) return { ok: false, code: 'NotFound' };
    return { ok: false, code: refused, current: toKeyValue(kv) };
  }

  private unary<Req, Res>(method: Method<Req, Res>, request: Req): Promise<Res> {
    if (this.closed) return Promise.reject(new EtcdError('Closed', 'the etcd client is closed'));
    return new Promise((resolve, reject) => {
      this.grpc.makeUnaryRequest(
        method.path,
        method.serialize,
        method.deserialize,
        request,
        { deadline: Date.now() + this.timeoutMs },
        (err: ServiceError | null, res?: Res) => {
          if (err !== null) reject(fromGrpcError(err));
          else if (res === undefined) reject(new EtcdError('Internal', `etcd sent no answer to ${method.path}`));
          else resolve(res);
        },
      );
    });
  }
}

/** The key, or every key under it as etcd spells a range: [key, range_end). */
function keyRange(key: string, prefix = false): { key: Buffer; range_end?: Buffer } {
  const k = Buffer.from(key);
  if (!prefix) return { key: k };
  // etcd refuses an empty key; "\0" to "\0" is its way of saying every key.
  return k.length === 0 ? { key: Buffer.from([0]), range_end: Buffer.from([0]) } : { key: k, range_end: prefixEnd(k) };
}

/** The end of the range of keys that start with `prefix`: the prefix with its last byte below 0xff raised by one. */
function prefixEnd(prefix: Buffer): Buffer {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  // Empty, or all 0xff: every key from the prefix on ("\0" means no upper bound to etcd).
  if (end === 0) return Buffer.from([0]);
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1]! += 1;
  return out;
}

function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

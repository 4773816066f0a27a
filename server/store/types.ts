// The store contract: a revisioned key-value store of bytes, as etcd v3 gives
// it. It knows nothing of Kubernetes; the API server layers meaning on top.
// Every backend (LevelDB today, etcd for several servers later) implements
// this interface with the same semantics.

/** One global, monotonically increasing counter; every write gets the next. */
export type Revision = number;

export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  /** Revision of the write that created this incarnation of the key. */
  readonly createRevision: Revision;
  /** Revision of the latest write to the key. */
  readonly modRevision: Revision;
  /** Number of writes since creation (1 after create). */
  readonly version: number;
  /** Unix milliseconds at which the key is deleted by itself, if it has a TTL. */
  readonly expiresAt?: number;
}

export interface PutOptions {
  /** Delete the key by itself this many seconds after the write. */
  readonly ttlSeconds?: number;
}

export interface UpdateOptions extends PutOptions {
  /** Compare-and-swap: fail with Conflict unless the key's modRevision is this. */
  readonly expectedRevision?: Revision;
}

export interface DeleteOptions {
  readonly expectedRevision?: Revision;
}

export interface WriteResult {
  readonly revision: Revision;
}

export interface DeleteResult extends WriteResult {
  /** The value as it was just before the delete. */
  readonly prev: KeyValue;
}

export interface ReadOptions {
  /** Read as of this revision (0 or absent: the current one). */
  readonly revision?: Revision;
}

export interface ListOptions extends ReadOptions {
  /** At most this many items (0 or absent: all). */
  readonly limit?: number;
  /** Token from a previous page; the list resumes at that page's revision. */
  readonly continue?: string;
}

export interface ListResult {
  readonly items: KeyValue[];
  /** The revision the whole list (every page of it) was read at. */
  readonly revision: Revision;
  /** Set when more items follow; pass it back to read the next page. */
  readonly continue?: string;
  /** About how many items follow this page (deleted keys not yet compacted may be counted); 0 on the last page. */
  readonly remaining: number;
}

export type WatchEventType = 'PUT' | 'DELETE';

export interface WatchEvent {
  readonly type: WatchEventType;
  /** For PUT the new value; for DELETE the key with modRevision = the delete's revision and an empty value. */
  readonly kv: KeyValue;
  /** The value before this event (absent for a create). */
  readonly prev?: KeyValue;
}

export type WatchMessage =
  | { readonly kind: 'event'; readonly event: WatchEvent }
  /** No events for this watch up to and including `revision`. */
  | { readonly kind: 'progress'; readonly revision: Revision };

export interface WatchOptions {
  readonly signal?: AbortSignal;
  /**
   * Only the keys under the prefix this accepts: other writes cost the watch
   * nothing. It still gets progress messages when nothing it accepts comes,
   * so it learns how far the store got.
   */
  readonly keys?: (key: string) => boolean;
}

/**
 * Every event for keys under a prefix after a start revision, in revision
 * order, with no gap and no duplicate. Iteration ends when the watch is closed
 * and throws a StoreError when the watch fails (Compacted, WatchOverflow).
 */
export interface Watch extends AsyncIterable<WatchMessage> {
  close(): void;
}

export interface Store {
  /** The latest committed revision. */
  readonly revision: Revision;
  /** The oldest revision still readable; reads and watches before it are Compacted. */
  readonly compactRevision: Revision;
  create(key: string, value: Uint8Array, opts?: PutOptions): Promise<WriteResult>;
  update(key: string, value: Uint8Array, opts?: UpdateOptions): Promise<WriteResult>;
  delete(key: string, opts?: DeleteOptions): Promise<DeleteResult>;
  get(key: string, opts?: ReadOptions): Promise<KeyValue | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  count(prefix: string): Promise<number>;
  /** Events after `fromRevision` (so a list at revision R is followed by watch(prefix, R)). */
  watch(prefix: string, fromRevision: Revision, opts?: WatchOptions): Watch;
  close(): Promise<void>;
}

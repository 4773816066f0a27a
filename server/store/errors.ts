// Errors as values with codes, so callers (the API server) map them to their
// own wire errors (404, 409, 410 …) without parsing messages.

export type StoreErrorCode =
  /** create of a key that exists */
  | 'KeyExists'
  /** update or delete of a key that does not exist */
  | 'NotFound'
  /** expectedRevision did not match the key's modRevision */
  | 'Conflict'
  /** the revision asked for is older than the compacted revision */
  | 'Compacted'
  /** the revision asked for has not been written yet */
  | 'FutureRevision'
  /** a watcher fell too far behind; resume from `revision` */
  | 'WatchOverflow'
  | 'InvalidArgument'
  | 'Closed'
  /** the data on disk is damaged or of an unknown format; never reset silently */
  | 'Corrupt'
  | 'UnsupportedFormat'
  /** another process holds the store */
  | 'Locked'
  /** the disk refused a write; nothing of the write was applied */
  | 'Unavailable';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** Conflict: the key's current modRevision. Compacted: the compacted revision. WatchOverflow: the last revision delivered. */
    readonly revision?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

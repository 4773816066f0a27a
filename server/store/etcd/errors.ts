// Failures of the etcd client as values with codes, so the store backend maps
// them to StoreError codes without parsing messages.
import { status, type ServiceError } from '@grpc/grpc-js';

export type EtcdErrorCode =
  /** etcd could not be reached, or dropped the connection */
  | 'Unavailable'
  /** no answer within the request deadline */
  | 'Timeout'
  /** the revision asked for has been compacted; `revision` is the compacted revision when etcd says it */
  | 'Compacted'
  /** the revision asked for has not been written yet */
  | 'FutureRevision'
  | 'InvalidArgument'
  /** etcd ended a watch for a reason other than compaction */
  | 'Canceled'
  /** a watch's consumer fell too far behind; resume from `revision` */
  | 'WatchOverflow'
  /** the client was closed */
  | 'Closed'
  /** anything else etcd answered with; see `grpcCode` and the message */
  | 'Internal';

export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    readonly code: EtcdErrorCode,
    message: string,
    /** Compacted: the compacted revision. WatchOverflow: the last revision delivered. */
    readonly revision?: number,
    /** The gRPC status code, when the error came from gRPC. */
    readonly grpcCode?: number,
  ) {
    super(message);
  }
}

export function fromGrpcError(err: ServiceError): EtcdError {
  // etcd puts its own error text (e.g. "etcdserver: mvcc: required revision has been compacted") in details.
  const detail = err.details || err.message;
  switch (err.code) {
    case status.UNAVAILABLE:
      return new EtcdError('Unavailable', `etcd is unavailable: ${detail}`, undefined, err.code);
    case status.DEADLINE_EXCEEDED:
      return new EtcdError('Timeout', `etcd did not answer in time: ${detail}`, undefined, err.code);
    case status.OUT_OF_RANGE:
      if (/compacted/.test(detail)) return new EtcdError('Compacted', detail, undefined, err.code);
      if (/future rev/.test(detail)) return new EtcdError('FutureRevision', detail, undefined, err.code);
      return new EtcdError('InvalidArgument', detail, undefined, err.code);
    case status.INVALID_ARGUMENT:
      return new EtcdError('InvalidArgument', detail, undefined, err.code);
    case status.CANCELLED:
      return new EtcdError('Canceled', `etcd request canceled: ${detail}`, undefined, err.code);
    default:
      return new EtcdError('Internal', `etcd: ${detail}`, undefined, err.code);
  }
}

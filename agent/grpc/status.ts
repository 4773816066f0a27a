// gRPC's status codes (grpc/doc/statuscodes.md) and the error a failed call
// ends with, shaped as grpc-js's ServiceError: code, details, and a message
// "14 UNAVAILABLE: connect ENOENT /run/containerd/containerd.sock".

export enum GrpcStatus {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

export class GrpcError extends Error {
  override readonly name = 'GrpcError';

  constructor(
    readonly code: GrpcStatus,
    /** The peer's grpc-message, or what went wrong on the way. */
    readonly details: string,
    cause?: unknown,
  ) {
    super(`${code} ${GrpcStatus[code] ?? 'UNKNOWN'}: ${details}`, { cause });
  }
}

/**
 * The status of a response that carries no grpc-status, from its HTTP status
 * (grpc/doc/http-grpc-status-mapping.md): a proxy or a server that is not gRPC.
 */
export function statusOfHttp(httpStatus: number): GrpcStatus {
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

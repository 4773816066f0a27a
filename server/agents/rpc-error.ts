// A refusal the agent shows its user: a gRPC status code and a one-line cause.
import { status } from '@grpc/grpc-js';

export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const refused = {
  unauthenticated: (message: string) => new RpcError(status.UNAUTHENTICATED, message),
  invalid: (message: string) => new RpcError(status.INVALID_ARGUMENT, message),
  incompatible: (message: string) => new RpcError(status.FAILED_PRECONDITION, message),
  taken: (message: string) => new RpcError(status.ALREADY_EXISTS, message),
};

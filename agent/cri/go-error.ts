// A failed CRI call as kubelet prints it in events and statuses: grpc-go's
// status error, "rpc error: code = Unknown desc = <the runtime's words>".
import { GrpcStatus } from '../grpc/status.js';
import { CriError } from './connection.js';

/** The gRPC status as Go prints it for a CRI error; any other error's own message. */
export function goErrorMessage(err: unknown): string {
  if (err instanceof CriError) return `rpc error: code = ${goCodeName(err.code)} desc = ${err.details}`;
  return (err as Error).message;
}

/** grpc-go's codes.Code names: CANCELLED → Canceled, NOT_FOUND → NotFound. */
function goCodeName(code: number): string {
  if (code === GrpcStatus.CANCELLED) return 'Canceled';
  const name = GrpcStatus[code];
  if (name === undefined) return `Code(${code})`;
  if (name === 'OK') return 'OK';
  return name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());
}

// One gRPC channel to a CRI endpoint (a unix socket), shared by the runtime
// and image clients. Every call has a deadline, and every failure is a
// CriError that names the endpoint, the call and the runtime's own message,
// ready to show on the Node or a Pod, with gRPC's status code kept for callers.
import { isAbsolute } from 'node:path';
import { GrpcChannel, type GrpcMethod } from '../grpc/channel.js';
import { GrpcError, GrpcStatus } from '../grpc/status.js';
import { type CriService, rpcCodec } from './codec.js';

/** gRPC status codes, to compare with CriError.code. */
export { GrpcStatus as CriStatus };

/** kubelet's limit on CRI messages both ways (a ListContainers of a busy node). */
const MAX_MESSAGE_BYTES = 16 << 20;

export class CriError extends Error {
  override readonly name = 'CriError';

  constructor(
    message: string,
    /** gRPC status code: CriStatus.NOT_FOUND, CriStatus.UNAVAILABLE, … */
    readonly code: GrpcStatus,
    /** "PullImage" */
    readonly rpc: string,
    readonly endpoint: string,
    /** The runtime's message (or the connection's error, for transport failures). */
    readonly details: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** True for a CRI "not found" (a container, sandbox or image that is not there). */
export function isNotFound(err: unknown): boolean {
  return err instanceof CriError && err.code === GrpcStatus.NOT_FOUND;
}

export interface CallOptions {
  readonly timeoutMs: number;
  /** What the call is about, for the message: an image name, a container ID. */
  readonly subject?: string;
}

export class CriConnection {
  private readonly grpc: GrpcChannel;

  /**
   * `endpoint`: "unix:///absolute/path.sock" or a bare absolute path.
   * Connects lazily: a runtime that is not up yet fails the calls, not this.
   */
  constructor(readonly endpoint: string) {
    this.grpc = new GrpcChannel({ socketPath: socketPathOf(endpoint) }, { maxReceiveBytes: MAX_MESSAGE_BYTES });
  }

  async unary<Res>(service: CriService, rpc: string, request: object, opts: CallOptions): Promise<Res> {
    // The codec decodes to the response type the caller names.
    const method = rpcCodec(service, rpc) as GrpcMethod<object, Res>;
    try {
      return await this.grpc.unary(method, request, { deadline: Date.now() + opts.timeoutMs });
    } catch (err) {
      throw err instanceof GrpcError ? this.failure(service, rpc, opts, err) : err;
    }
  }

  close(): void {
    this.grpc.close();
  }

  private failure(service: CriService, rpc: string, { timeoutMs, subject }: CallOptions, err: GrpcError): CriError {
    const at = `container runtime at ${this.endpoint}`;
    const call = subject === undefined ? rpc : `${rpc} ${subject}`;
    const error = (message: string) => new CriError(message, err.code, rpc, this.endpoint, err.details, err);
    switch (err.code) {
      case GrpcStatus.UNAVAILABLE:
        return error(`${at} is not reachable: ${err.details}`);
      case GrpcStatus.DEADLINE_EXCEEDED:
        return error(`${at} did not answer ${call} within ${timeoutMs} ms`);
      case GrpcStatus.UNIMPLEMENTED:
        return error(`${at} does not serve CRI v1 (runtime.v1.${service}/${rpc}): ${err.details}`);
      default:
        return error(`${at} failed ${call}: ${GrpcStatus[err.code] ?? err.code}: ${err.details}`);
    }
  }
}

/** The socket of a CRI endpoint; anything but a unix socket at an absolute path is refused. */
function socketPathOf(endpoint: string): string {
  const path = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint.includes('://') ? undefined : endpoint;
  if (path === undefined || path === '' || !isAbsolute(path)) {
    throw new Error(
      `container runtime endpoint ${JSON.stringify(endpoint)} is not supported: use unix:///absolute/path.sock (or the absolute path), e.g. unix:///run/containerd/containerd.sock`,
    );
  }
  return path;
}

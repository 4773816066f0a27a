// One gRPC channel to a CRI endpoint (a unix socket), shared by the runtime
// and image clients. Every call has a deadline, and every failure is a
// CriError that names the endpoint, the call and the runtime's own message,
// ready to show on the Node or a Pod, with gRPC's status code kept for callers.
import { Client, credentials, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { isAbsolute } from 'node:path';
import { type CriService, rpcCodec } from './codec.js';

/** gRPC status codes, to compare with CriError.code without importing grpc-js. */
export { grpcStatus as CriStatus };

export class CriError extends Error {
  override readonly name = 'CriError';

  constructor(
    message: string,
    /** gRPC status code: CriStatus.NOT_FOUND, CriStatus.UNAVAILABLE, … */
    readonly code: grpcStatus,
    /** "PullImage" */
    readonly rpc: string,
    readonly endpoint: string,
    /** The runtime's message (or grpc-js's, for transport failures). */
    readonly details: string,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** True for a CRI "not found" (a container, sandbox or image that is not there). */
export function isNotFound(err: unknown): boolean {
  return err instanceof CriError && err.code === grpcStatus.NOT_FOUND;
}

export interface CallOptions {
  readonly timeoutMs: number;
  /** What the call is about, for the message: an image name, a container ID. */
  readonly subject?: string;
}

export class CriConnection {
  private readonly grpc: Client;

  /**
   * `endpoint`: "unix:///absolute/path.sock" or a bare absolute path.
   * Connects lazily: a runtime that is not up yet fails the calls, not this.
   */
  constructor(readonly endpoint: string) {
    this.grpc = new Client(unixTarget(endpoint), credentials.createInsecure());
  }

  unary<Res>(service: CriService, rpc: string, request: object, opts: CallOptions): Promise<Res> {
    const codec = rpcCodec(service, rpc);
    return new Promise((resolve, reject) => {
      this.grpc.makeUnaryRequest(
        codec.path,
        (req: object) => codec.encode(req),
        (bytes: Buffer) => codec.decode(bytes) as Res,
        request,
        { deadline: Date.now() + opts.timeoutMs },
        (err: ServiceError | null, res?: Res) => {
          if (err !== null) reject(this.failure(service, rpc, opts, err));
          else if (res === undefined) reject(new CriError(`container runtime at ${this.endpoint} sent no answer to ${rpc}`, grpcStatus.INTERNAL, rpc, this.endpoint, ''));
          else resolve(res);
        },
      );
    });
  }

  close(): void {
    this.grpc.close();
  }

  private failure(service: CriService, rpc: string, { timeoutMs, subject }: CallOptions, err: ServiceError): CriError {
    const at = `container runtime at ${this.endpoint}`;
    const call = subject === undefined ? rpc : `${rpc} ${subject}`;
    const error = (message: string) => new CriError(message, err.code, rpc, this.endpoint, err.details, err);
    switch (err.code) {
      case grpcStatus.UNAVAILABLE:
        return error(`${at} is not reachable: ${unreachableCause(err.details)}`);
      case grpcStatus.DEADLINE_EXCEEDED:
        return error(`${at} did not answer ${call} within ${timeoutMs} ms`);
      case grpcStatus.UNIMPLEMENTED:
        return error(`${at} does not serve CRI v1 (runtime.v1.${service}/${rpc}): ${err.details}`);
      default:
        return error(`${at} failed ${call}: ${grpcStatus[err.code] ?? err.code}: ${err.details}`);
    }
  }
}

/** grpc-js's target for a CRI endpoint; anything but a unix socket at an absolute path is refused. */
function unixTarget(endpoint: string): string {
  const path = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint.includes('://') ? undefined : endpoint;
  if (path === undefined || path === '' || !isAbsolute(path)) {
    throw new Error(
      `container runtime endpoint ${JSON.stringify(endpoint)} is not supported: use unix:///absolute/path.sock (or the absolute path), e.g. unix:///run/containerd/containerd.sock`,
    );
  }
  return `unix://${path}`;
}

/**
 * The socket error inside grpc-js's UNAVAILABLE details: "No connection
 * established. Last error: Error: connect ENOENT /x.sock. Resolution note: ".
 */
function unreachableCause(details: string): string {
  const m = /Last error: (?:Error: )?(.+?)(?:\. Resolution note:.*)?$/s.exec(details);
  return m?.[1] ?? details;
}

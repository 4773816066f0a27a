// The agent's client for the container runtime (containerd) over CRI v1 on its
// unix socket. Every call has a deadline, and every failure is one Error that
// names the endpoint and the cause, ready to show on the Node.
import { Client, credentials, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type ServiceDefinition } from '@grpc/proto-loader';
import { isAbsolute } from 'node:path';
import { PROTO_ROOT } from '../../common/proto.js';

export interface RuntimeVersion {
  /** "containerd" */
  readonly runtimeName: string;
  /** "1.6.20" */
  readonly runtimeVersion: string;
  /** The CRI version the runtime serves: "v1". */
  readonly runtimeApiVersion: string;
}

export interface RuntimeCondition {
  /** "RuntimeReady", "NetworkReady", or one the runtime adds. */
  readonly type: string;
  readonly status: boolean;
  readonly reason: string;
  readonly message: string;
}

export interface RuntimeStatus {
  readonly conditions: RuntimeCondition[];
}

export interface RuntimeClientOptions {
  /** Deadline of each call; default 3 s (containerd answers Version/Status in about a millisecond). */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 3_000;
// What kubelet sends as its own runtime API version; runtimes ignore it.
const KUBELET_RUNTIME_API_VERSION = '0.1.0';

export class RuntimeClient {
  private readonly grpc: Client;
  private readonly timeoutMs: number;

  private constructor(
    /** As given, for messages: "unix:///run/containerd/containerd.sock". */
    readonly endpoint: string,
    target: string,
    opts: RuntimeClientOptions,
  ) {
    this.grpc = new Client(target, credentials.createInsecure());
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * A client for `endpoint`: "unix:///absolute/path.sock" or a bare absolute
   * path. Connects lazily: a runtime that is not up yet is not an error here,
   * only in the calls.
   */
  static connect(endpoint: string, opts: RuntimeClientOptions = {}): RuntimeClient {
    return new RuntimeClient(endpoint, unixTarget(endpoint), opts);
  }

  async version(): Promise<RuntimeVersion> {
    const res = await this.unary<{ version: string }, RuntimeVersion>('Version', { version: KUBELET_RUNTIME_API_VERSION });
    return { runtimeName: res.runtimeName, runtimeVersion: res.runtimeVersion, runtimeApiVersion: res.runtimeApiVersion };
  }

  async status(): Promise<RuntimeStatus> {
    const res = await this.unary<{ verbose: boolean }, { status: RuntimeStatus | null }>('Status', { verbose: false });
    const conditions = res.status?.conditions ?? [];
    return { conditions: conditions.map(({ type, status, reason, message }) => ({ type, status, reason, message })) };
  }

  close(): void {
    this.grpc.close();
  }

  private unary<Req, Res>(name: string, request: Req): Promise<Res> {
    const method = runtimeService()[name];
    if (method === undefined) throw new Error(`proto/cri/api.proto has no method ${name}`);
    return new Promise((resolve, reject) => {
      this.grpc.makeUnaryRequest(
        method.path,
        (req: Req) => method.requestSerialize(req as object),
        (bytes: Buffer) => method.responseDeserialize(bytes) as Res,
        request,
        { deadline: Date.now() + this.timeoutMs },
        (err: ServiceError | null, res?: Res) => {
          if (err !== null) reject(this.failure(name, err));
          else if (res === undefined) reject(new Error(`container runtime at ${this.endpoint} sent no answer to ${name}`));
          else resolve(res);
        },
      );
    });
  }

  private failure(call: string, err: ServiceError): Error {
    const at = `container runtime at ${this.endpoint}`;
    switch (err.code) {
      case grpcStatus.UNAVAILABLE:
        return new Error(`${at} is not reachable: ${unreachableCause(err.details)}`, { cause: err });
      case grpcStatus.DEADLINE_EXCEEDED:
        return new Error(`${at} did not answer ${call} within ${this.timeoutMs} ms`, { cause: err });
      case grpcStatus.UNIMPLEMENTED:
        return new Error(`${at} does not serve CRI v1 (runtime.v1.RuntimeService/${call}): ${err.details}`, { cause: err });
      default:
        return new Error(`${at} failed ${call}: ${grpcStatus[err.code] ?? err.code}: ${err.details}`, { cause: err });
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

let service: ServiceDefinition | undefined;

/** runtime.v1.RuntimeService from our subset, loaded once. */
function runtimeService(): ServiceDefinition {
  service ??= loadSync('cri/api.proto', {
    includeDirs: [PROTO_ROOT],
    keepCase: false,
    // CRI's int64 fields include nanosecond timestamps, beyond 2^53.
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  })['runtime.v1.RuntimeService'] as ServiceDefinition;
  return service;
}

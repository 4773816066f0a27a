// The agent's client for the container runtime's RuntimeService (containerd)
// over CRI v1 on its unix socket: pods, containers, exec, stats. Every call
// has a deadline, and every failure is a CriError (./connection.ts) that names
// the endpoint, the call and the cause, ready to show on the Node or the Pod.
import { type CallOptions, CriConnection } from './connection.js';
import type {
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatsFilter,
  ContainerStatus,
  ExecOptions,
  ExecSyncResult,
  LinuxContainerResources,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStats,
  PodSandboxStatsFilter,
  PodSandboxStatus,
  StringMap,
} from './types.js';

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
  /**
   * Deadline of queries (Version, Status, statuses, lists, stats, exec URLs);
   * default 3 s: containerd answers them in milliseconds.
   */
  readonly timeoutMs?: number;
  /**
   * Deadline of changes (run/stop/remove a sandbox, create/start/remove a
   * container, …), and the margin on top of StopContainer's and ExecSync's own
   * timeouts; default 2 min, kubelet's --runtime-request-timeout: a sandbox
   * with CNI on a busy Pi can take seconds.
   */
  readonly operationTimeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 3_000;
export const DEFAULT_OPERATION_TIMEOUT_MS = 120_000;
// What kubelet sends as its own runtime API version; runtimes ignore it.
const KUBELET_RUNTIME_API_VERSION = '0.1.0';

/** A status call's answer: `info` (key → JSON text) is only filled when asked for (verbose). */
export interface WithInfo<T> {
  readonly status: T;
  readonly info: StringMap;
}

export class RuntimeClient {
  private readonly timeoutMs: number;
  private readonly operationTimeoutMs: number;

  private constructor(
    private readonly connection: CriConnection,
    opts: RuntimeClientOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.operationTimeoutMs = opts.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  }

  /**
   * A client for `endpoint`: "unix:///absolute/path.sock" or a bare absolute
   * path. Connects lazily: a runtime that is not up yet is not an error here,
   * only in the calls.
   */
  static connect(endpoint: string, opts: RuntimeClientOptions = {}): RuntimeClient {
    return new RuntimeClient(new CriConnection(endpoint), opts);
  }

  /** As given, for messages: "unix:///run/containerd/containerd.sock". */
  get endpoint(): string {
    return this.connection.endpoint;
  }

  async version(): Promise<RuntimeVersion> {
    const res = await this.query<RuntimeVersion>('Version', { version: KUBELET_RUNTIME_API_VERSION });
    return { runtimeName: res.runtimeName, runtimeVersion: res.runtimeVersion, runtimeApiVersion: res.runtimeApiVersion };
  }

  async status(): Promise<RuntimeStatus> {
    const res = await this.query<{ status?: RuntimeStatus }>('Status', { verbose: false });
    const conditions = res.status?.conditions ?? [];
    return { conditions: conditions.map(({ type, status, reason, message }) => ({ type, status, reason, message })) };
  }

  // ---- Pod sandboxes ----

  /** Creates and starts the pod's sandbox; returns its ID. */
  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const subject = `${config.metadata.namespace}/${config.metadata.name}`;
    const res = await this.change<{ podSandboxId: string }>('RunPodSandbox', { config, runtimeHandler }, subject);
    return res.podSandboxId;
  }

  /** Kills the pod's containers and frees its IP; fine to repeat. */
  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.change('StopPodSandbox', { podSandboxId }, podSandboxId);
  }

  /** Fine to repeat, and for a sandbox that is gone. */
  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.change('RemovePodSandbox', { podSandboxId }, podSandboxId);
  }

  /** NotFound (isNotFound) when there is no such sandbox. */
  async podSandboxStatus(podSandboxId: string, verbose = false): Promise<WithInfo<PodSandboxStatus>> {
    return withStatus('PodSandboxStatus', await this.query('PodSandboxStatus', { podSandboxId, verbose }, podSandboxId));
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
    const { state, ...rest } = filter;
    const res = await this.query<{ items: PodSandbox[] }>('ListPodSandbox', { filter: { ...rest, state: state && { state } } });
    return res.items;
  }

  // ---- Containers ----

  /**
   * Creates a container in a sandbox; returns its ID. `sandboxConfig` is the
   * config the sandbox was run with.
   */
  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const res = await this.change<{ containerId: string }>('CreateContainer', { podSandboxId, config, sandboxConfig }, config.metadata.name);
    return res.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.change('StartContainer', { containerId }, containerId);
  }

  /**
   * Stop signal, then SIGKILL after `timeoutSeconds` (0: at once); fine to
   * repeat. The deadline is the grace period plus operationTimeoutMs.
   */
  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    const timeoutMs = timeoutSeconds * 1000 + this.operationTimeoutMs;
    await this.call('StopContainer', { containerId, timeout: timeoutSeconds }, { timeoutMs, subject: containerId });
  }

  /** Kills it first if it runs; fine to repeat, and for a container that is gone. */
  async removeContainer(containerId: string): Promise<void> {
    await this.change('RemoveContainer', { containerId }, containerId);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    const { state, ...rest } = filter;
    const res = await this.query<{ containers: Container[] }>('ListContainers', { filter: { ...rest, state: state && { state } } });
    return res.containers;
  }

  /** NotFound (isNotFound) when there is no such container. */
  async containerStatus(containerId: string, verbose = false): Promise<WithInfo<ContainerStatus>> {
    return withStatus('ContainerStatus', await this.query('ContainerStatus', { containerId, verbose }, containerId));
  }

  async updateContainerResources(containerId: string, linux: LinuxContainerResources): Promise<void> {
    await this.change('UpdateContainerResources', { containerId, linux }, containerId);
  }

  /** After the log file was rotated (renamed away): the runtime opens a new one. */
  async reopenContainerLog(containerId: string): Promise<void> {
    await this.change('ReopenContainerLog', { containerId }, containerId);
  }

  // ---- Exec, attach, port-forward ----

  /**
   * Runs `cmd` (argv) in the container and waits: output and exit code.
   * The runtime kills it after `timeoutSeconds`; our deadline is that plus
   * operationTimeoutMs.
   */
  async execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    if (!(timeoutSeconds > 0)) throw new Error(`ExecSync needs a timeout of at least 1 s, not ${timeoutSeconds}`);
    const timeoutMs = timeoutSeconds * 1000 + this.operationTimeoutMs;
    const res = await this.call<ExecSyncResult>('ExecSync', { containerId, cmd, timeout: timeoutSeconds }, { timeoutMs, subject: containerId });
    return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
  }

  /** A URL on the runtime's stream server that runs `cmd` (subprotocol v4.channel.k8s.io). */
  async exec(containerId: string, cmd: string[], streams: ExecOptions): Promise<string> {
    return (await this.query<{ url: string }>('Exec', { containerId, cmd, ...streams }, containerId)).url;
  }

  /** A URL on the runtime's stream server attached to the container's main process. */
  async attach(containerId: string, streams: ExecOptions): Promise<string> {
    return (await this.query<{ url: string }>('Attach', { containerId, ...streams }, containerId)).url;
  }

  /** A URL on the runtime's stream server forwarding to `ports` in the pod. */
  async portForward(podSandboxId: string, ports: number[]): Promise<string> {
    return (await this.query<{ url: string }>('PortForward', { podSandboxId, port: ports }, podSandboxId)).url;
  }

  // ---- Stats ----

  async containerStats(containerId: string): Promise<ContainerStats> {
    const res = await this.query<{ stats?: ContainerStats }>('ContainerStats', { containerId }, containerId);
    if (res.stats === undefined) throw new Error(`container runtime at ${this.endpoint} sent no stats for container ${containerId}`);
    return res.stats;
  }

  async listContainerStats(filter: ContainerStatsFilter = {}): Promise<ContainerStats[]> {
    return (await this.query<{ stats: ContainerStats[] }>('ListContainerStats', { filter })).stats;
  }

  async podSandboxStats(podSandboxId: string): Promise<PodSandboxStats> {
    const res = await this.query<{ stats?: PodSandboxStats }>('PodSandboxStats', { podSandboxId }, podSandboxId);
    if (res.stats === undefined) throw new Error(`container runtime at ${this.endpoint} sent no stats for sandbox ${podSandboxId}`);
    return res.stats;
  }

  async listPodSandboxStats(filter: PodSandboxStatsFilter = {}): Promise<PodSandboxStats[]> {
    return (await this.query<{ stats: PodSandboxStats[] }>('ListPodSandboxStats', { filter })).stats;
  }

  close(): void {
    this.connection.close();
  }

  private query<Res>(rpc: string, request: object, subject?: string): Promise<Res> {
    return this.call(rpc, request, { timeoutMs: this.timeoutMs, subject });
  }

  private change<Res = unknown>(rpc: string, request: object, subject: string): Promise<Res> {
    return this.call(rpc, request, { timeoutMs: this.operationTimeoutMs, subject });
  }

  private call<Res>(rpc: string, request: object, opts: CallOptions): Promise<Res> {
    return this.connection.unary('RuntimeService', rpc, request, opts);
  }
}

function withStatus<T>(rpc: string, res: { status?: T; info: StringMap }): WithInfo<T> {
  // Runtimes answer NotFound instead; an OK without a status breaks the API.
  if (res.status === undefined) throw new Error(`the container runtime answered ${rpc} without a status`);
  return { status: res.status, info: res.info };
}

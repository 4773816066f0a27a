// CRI v1 messages as the agent sees them: upstream's field names in
// camelCase, enums as upstream's value names. See proto/cri/api.proto for
// what each field means.
//
// 64-bit integers: everything the runtime sends is a bigint, always (times are
// nanoseconds since the epoch, ~1.8e18, far beyond 2^53, and one rule for every
// int64 beats guessing which ones fit). What we send takes a bigint or a number
// (a safe integer). Wrapped values (Int64Value, UInt64Value) are bare here:
// absent means unset. bytes are Buffers. Unset messages are absent.

/** A 64-bit integer we send. */
export type Int64 = bigint | number;
/** Key → value, as labels, annotations, sysctls. */
export type StringMap = Record<string, string>;

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface NamespaceOption {
  /** NODE: hostNetwork. */
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
}

export interface SecurityProfile {
  profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostRef?: string;
}

export interface ImageSpec {
  /** "docker.io/library/busybox:1.36", a digest or an image ID. */
  image: string;
  annotations?: StringMap;
}

// ---- Pod sandboxes ----

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt?: number;
}

export interface DnsConfig {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

export interface PortMapping {
  protocol?: Protocol;
  containerPort: number;
  hostPort?: number;
  hostIp?: string;
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64;
  runAsGroup?: Int64;
  readonlyRootfs?: boolean;
  supplementalGroups?: Int64[];
  privileged?: boolean;
  seccomp?: SecurityProfile;
}

export interface LinuxPodSandboxConfig {
  cgroupParent?: string;
  securityContext?: LinuxSandboxSecurityContext;
  sysctls?: StringMap;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  /** Host folder of the pod's logs: /var/log/pods/<ns>_<name>_<uid>. */
  logDirectory?: string;
  dnsConfig?: DnsConfig;
  portMappings?: PortMapping[];
  labels?: StringMap;
  annotations?: StringMap;
  linux?: LinuxPodSandboxConfig;
}

export interface PodSandboxStatus {
  id: string;
  metadata?: Required<PodSandboxMetadata>;
  state: PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  /** The pod IP (empty with host networking) and further ones (dual stack). */
  network?: { ip: string; additionalIps: { ip: string }[] };
  linux?: { namespaces?: { options?: Required<NamespaceOption> } };
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

export interface PodSandbox {
  id: string;
  metadata?: Required<PodSandboxMetadata>;
  state: PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

export interface PodSandboxFilter {
  id?: string;
  state?: PodSandboxState;
  /** Every label here must match. */
  labelSelector?: StringMap;
}

// ---- Containers ----

export interface ContainerMetadata {
  name: string;
  attempt?: number;
}

export interface EnvVar {
  key: string;
  /** A string is sent as its UTF-8 bytes (KeyValue.value is bytes on the wire). */
  value: string | Buffer;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: MountPropagation;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  /** Some of "rwm". */
  permissions: string;
}

/** Cgroup settings; unset or 0 leaves a setting alone. */
export interface LinuxContainerResources {
  cpuPeriod?: Int64;
  cpuQuota?: Int64;
  cpuShares?: Int64;
  memoryLimitInBytes?: Int64;
  oomScoreAdj?: Int64;
  cpusetCpus?: string;
  cpusetMems?: string;
}

export interface LinuxContainerSecurityContext {
  capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[] };
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64;
  runAsGroup?: Int64;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: Int64[];
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: SecurityProfile;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  /** The image's entrypoint replaced (the pod spec's `command`). */
  command?: string[];
  /** The image's cmd replaced (the pod spec's `args`). */
  args?: string[];
  workingDir?: string;
  envs?: EnvVar[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: StringMap;
  annotations?: StringMap;
  /** Relative to the sandbox's logDirectory: "name/0.log". */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext };
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata?: Required<ContainerMetadata>;
  image?: ImageSpec;
  imageRef: string;
  state: ContainerState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  labels: StringMap;
  annotations: StringMap;
}

export interface ContainerStatus {
  id: string;
  metadata?: Required<ContainerMetadata>;
  state: ContainerState;
  /** Nanoseconds since the epoch; 0n until it happens. */
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  /** Meaningful once finishedAt is set. */
  exitCode: number;
  image?: ImageSpec;
  /**
   * What the image resolved to: its ID ("sha256:…") or a repo digest
   * ("docker.io/library/busybox@sha256:…", containerd 1.6).
   */
  imageRef: string;
  /** "Completed", "Error", "OOMKilled", … */
  reason: string;
  message: string;
  labels: StringMap;
  annotations: StringMap;
  mounts: Required<Mount>[];
  /** Absolute path of the log file, in the CRI log format. */
  logPath: string;
}

export interface ContainerFilter {
  id?: string;
  state?: ContainerState;
  podSandboxId?: string;
  labelSelector?: StringMap;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface ExecOptions {
  tty?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  /** Must be false with tty. */
  stderr?: boolean;
}

// ---- Stats ----

export interface CpuUsage {
  /** When measured, nanoseconds since the epoch. */
  timestamp: bigint;
  /** CPU time used since creation, summed over cores. */
  usageCoreNanoSeconds?: bigint;
  /** Recent rate: CPU-nanoseconds per second. */
  usageNanoCores?: bigint;
}

export interface MemoryUsage {
  timestamp: bigint;
  workingSetBytes?: bigint;
  availableBytes?: bigint;
  usageBytes?: bigint;
  rssBytes?: bigint;
  pageFaults?: bigint;
  majorPageFaults?: bigint;
}

export interface FilesystemUsage {
  timestamp: bigint;
  fsId?: { mountpoint: string };
  usedBytes?: bigint;
  inodesUsed?: bigint;
}

export interface ContainerStats {
  attributes?: { id: string; metadata?: Required<ContainerMetadata>; labels: StringMap; annotations: StringMap };
  cpu?: CpuUsage;
  memory?: MemoryUsage;
  /** The container's own files. */
  writableLayer?: FilesystemUsage;
}

export interface ContainerStatsFilter {
  id?: string;
  podSandboxId?: string;
  labelSelector?: StringMap;
}

export interface NetworkInterfaceUsage {
  name: string;
  rxBytes?: bigint;
  rxErrors?: bigint;
  txBytes?: bigint;
  txErrors?: bigint;
}

export interface PodSandboxStats {
  attributes?: { id: string; metadata?: Required<PodSandboxMetadata>; labels: StringMap; annotations: StringMap };
  linux?: {
    cpu?: CpuUsage;
    memory?: MemoryUsage;
    network?: { timestamp: bigint; defaultInterface?: NetworkInterfaceUsage; interfaces: NetworkInterfaceUsage[] };
    process?: { timestamp: bigint; processCount?: bigint };
    containers: ContainerStats[];
  };
}

export interface PodSandboxStatsFilter {
  id?: string;
  labelSelector?: StringMap;
}

// ---- Images ----

export interface Image {
  /** "sha256:…", what PullImage returned. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: bigint;
  /** The image's default user when numeric; otherwise see username. */
  uid?: bigint;
  username: string;
  spec?: ImageSpec;
  /** Exempt from image garbage collection. */
  pinned: boolean;
}

/** Registry credentials from an imagePullSecret: one way of these. */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64("user:password"), as in a .dockerconfigjson. */
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface ImageFsInfo {
  imageFilesystems: FilesystemUsage[];
  containerFilesystems: FilesystemUsage[];
}

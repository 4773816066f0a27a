// The agent ↔ server protocol (proto/bramble/agent.proto) as both sides use
// it: the gRPC service definition and the messages as TypeScript sees them
// (camelCase names and oneofs), and the version rule.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadServices } from './grpc-services.js';

export interface JoinRequest {
  agentVersion: string;
  nodeName: string;
  csrPem: string;
  nodePassword: string;
}

export interface JoinResponse {
  serverVersion: string;
  certificatePem: string;
  caPem: string;
}

export interface Taint {
  key: string;
  value: string;
  effect: string;
}

export interface Hello {
  agentVersion: string;
  labels: Record<string, string>;
  taints: Taint[];
}

export interface NodeInfo {
  machineId: string;
  systemUuid: string;
  bootId: string;
  kernelVersion: string;
  osImage: string;
  operatingSystem: string;
  architecture: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion: string;
}

export interface NodeAddress {
  type: string;
  address: string;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface NodeStatus {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  nodeInfo: NodeInfo;
  addresses: NodeAddress[];
  conditions: NodeCondition[];
  /** Values that change all the time (SoC temperature): shown, never a reason to write. */
  readings: Record<string, string>;
}

export type AgentMessage =
  | { message: 'hello'; hello: Hello }
  | { message: 'status'; status: NodeStatus }
  | { message: 'renewCsrPem'; renewCsrPem: string }
  | { message: 'podStatus'; podStatus: PodStatusReport }
  | { message: 'podEvent'; podEvent: PodEventReport }
  | { message: 'podDeletion'; podDeletion: PodDeletion }
  | { message: 'metrics'; metrics: MetricsReport };

/** The pod condition types the agent reports (kubelet's); the server keeps the others it finds. */
export const AGENT_POD_CONDITIONS: ReadonlySet<string> = new Set(['PodScheduled', 'PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);

/** One pod's status (the API's PodStatus as JSON), for the pod with this uid. */
export interface PodStatusReport {
  namespace: string;
  name: string;
  uid: string;
  statusJson: Buffer;
}

/** An event about the pod with this uid, as kubelet records it. */
export interface PodEventReport {
  namespace: string;
  name: string;
  uid: string;
  type: string;
  reason: string;
  message: string;
  /** "spec.containers{NAME}", "spec.initContainers{NAME}", or "" for the pod itself. */
  fieldPath: string;
}

/** The pod with this uid, being deleted, has stopped on the node: it may go. */
export interface PodDeletion {
  namespace: string;
  name: string;
  uid: string;
}

/** CPU as a rate (nanocores over a window), memory as a working set. */
export interface ResourceUsage {
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
}

export interface ContainerUsage {
  name: string;
  usage: ResourceUsage;
}

/** A sample's time: the later of two (Unix ms) and the window since the earlier (ns). */
export interface SampleTime {
  timestampMs: number;
  windowNs: number;
}

export interface PodUsage extends SampleTime {
  namespace: string;
  name: string;
  uid: string;
  containers: ContainerUsage[];
}

export interface NodeUsage extends SampleTime {
  usage: ResourceUsage;
}

/** Everything a node uses now; it replaces what the server held for the node. */
export interface MetricsReport {
  /** Absent until the node was sampled twice. */
  node?: NodeUsage;
  pods: PodUsage[];
}

/** The resources a node is sent: its pods and what they use. */
export type NodeResource = 'pods' | 'configmaps' | 'secrets';

export interface ObjectKey {
  resource: NodeResource;
  namespace: string;
  name: string;
}

export interface ObjectData {
  key: ObjectKey;
  resourceVersion: string;
  json: Buffer;
}

export interface NodeObjects {
  upserted: ObjectData[];
  removed: ObjectKey[];
  /** Ends the snapshot that follows every Welcome (and every later batch). */
  synced: boolean;
}

export type ServerMessage =
  | { message: 'welcome'; welcome: { serverVersion: string } }
  | { message: 'renewedCertificatePem'; renewedCertificatePem: string }
  | { message: 'objects'; objects: NodeObjects }
  | { message: 'openStream'; openStream: OpenStream };

/** The server asks the agent to call Tunnel for one pod stream. */
export interface OpenStream {
  sessionId: string;
  request: WireStreamRequest;
}

/** A pod stream request as carried on the wire (the agent checks every field). */
export interface WireStreamRequest {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  port: number;
  log: WireLogOptions | null;
}

export interface WireLogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  /** Absent when not asked for (proto3 optional). */
  sinceSeconds?: number;
  /** RFC 3339, or empty. */
  sinceTime: string;
  tailLines?: number;
  limitBytes?: number;
}

/** One message of a Tunnel call, either way; see TunnelFrame in agent.proto. */
export interface TunnelFrame {
  sessionId: string;
  channel: number;
  data: Buffer;
  end: boolean;
  opened: boolean;
  failure: StreamFailure | null;
}

/** Why the agent could not open a stream: an HTTP code, an API reason and a message. */
export interface StreamFailure {
  code: number;
  reason: string;
  message: string;
}

/** The most a TunnelFrame carries: well under the service's 1 MiB message limit. */
export const TUNNEL_FRAME_BYTES = 32 * 1024;

let service: ServiceDefinition | undefined;

/** bramble.agent.v1.AgentService, loaded once. */
export function agentService(): ServiceDefinition {
  service ??= loadServices('bramble/agent.proto', { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true })['bramble.agent.v1.AgentService']!;
  return service;
}

/**
 * Why `peer` (the other side, named by `peerRole`) cannot work with `own`, or
 * undefined when it can: same major version and minor versions at most one apart.
 */
export function versionSkewError(own: string, ownRole: 'agent' | 'server', peer: string, peerRole: 'agent' | 'server'): string | undefined {
  const a = parseVersion(own);
  const b = parseVersion(peer);
  if (b === undefined) return `${peerRole} sent no valid version (${JSON.stringify(peer)}); this ${ownRole} is ${own}`;
  if (a === undefined || a.major !== b.major || Math.abs(a.minor - b.minor) > 1) {
    return `${peerRole} version ${peer} cannot work with ${ownRole} version ${own}: they may be at most one minor version apart; upgrade the older one`;
  }
  return undefined;
}

function parseVersion(v: string): { major: number; minor: number } | undefined {
  const m = /^v?(\d+)\.(\d+)\.\d+/.exec(v);
  return m === null ? undefined : { major: Number(m[1]), minor: Number(m[2]) };
}

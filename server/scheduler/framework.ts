// The scheduler's plugin contract, kube-scheduler's framework at our size: a
// plugin is a file with a name and any of prepare (once per attempt, across
// all nodes: upstream's PreFilter/PreScore), filter (why a pod cannot go to
// a node, in upstream's reason strings) and score (0 to 100, higher is
// better); prepare may find the pod unschedulable anywhere (upstream's
// PreFilter rejection), and preBind writes what the choice implies before the
// pod is bound. The scheduler loop knows only the list of plugins.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { parseQuantity, type Quantity } from '../../common/quantity.js';

/** Resource name → amount: cpu in millicores, everything else in whole units (bytes, pods, devices). */
export type Resources = ReadonlyMap<string, number>;

/** Requests upstream assumes for scoring when a container asks for none (schedutil DefaultMilliCPURequest / DefaultMemoryRequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface HostPort {
  readonly hostIP: string;
  readonly protocol: string;
  readonly port: number;
}

/** A pod as the plugins see it, with what they need computed once. */
export interface PodInfo {
  /** "namespace/name". */
  readonly key: string;
  readonly pod: Pod;
  /** What the pod needs from a node (upstream's PodRequests: containers summed, init containers' maximum, overhead). */
  readonly requests: Resources;
  /** The same with defaults for containers that ask for no cpu or memory (scoring only). */
  readonly nonZeroRequests: Resources;
  readonly hostPorts: readonly HostPort[];
  /** The pod has pod affinity or anti-affinity terms (which other pods must then be checked against). */
  readonly hasPodAffinity: boolean;
  /** The uid of the pod's controller (ownerReference with controller: true), when it has one and is not being deleted. */
  readonly liveControllerUid: string | undefined;
}

/** One node as the plugins see it: the Node and the pods bound to it (or assumed bound while their binding is written). */
export interface NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly allocatable: Resources;
  /** Sum of the pods' requests, and of their non-zero requests. */
  readonly requested: Resources;
  readonly nonZeroRequested: Resources;
  readonly pods: readonly PodInfo[];
  /** Those of `pods` with pod affinity or anti-affinity terms: most pods have none, so an attempt looks only at these. */
  readonly podsWithAffinity: readonly PodInfo[];
  /** Pods not being deleted, counted by their controller's uid: how a controller's pods are spread is a lookup. */
  readonly ownedBy: ReadonlyMap<string, number>;
}

/** Claims, volumes and classes as the scheduler's caches hold them, and the one write VolumeBinding makes. */
export interface StorageView {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
  /** Annotates a claim with the node chosen for its first pod (volume.kubernetes.io/selected-node). */
  selectNode(namespace: string, claim: string, node: string): Promise<void>;
}

export interface ClusterView {
  /** Every node, in a stable order. */
  readonly nodes: readonly NodeInfo[];
  /** Absent where the scheduler runs without storage caches (then no pod with claims fits). */
  readonly storage?: StorageView;
}

/** Thrown by prepare: the pod fits no node, whatever the node (upstream's UnschedulableAndUnresolvable from PreFilter). */
export class Unresolvable extends Error {}

export interface Plugin<State = unknown> {
  readonly name: string;
  /** Multiplies the plugin's normalized score (upstream's default weights). */
  readonly weight?: number;
  /** Once per scheduling attempt, before filter and score. */
  prepare?(pod: PodInfo, cluster: ClusterView): State;
  /** Why `pod` cannot go to `node` (upstream's reason strings), or an empty list when it can. */
  filter?(pod: PodInfo, node: NodeInfo, state: State): readonly string[];
  /** A raw score for a node that passed every filter. */
  score?(pod: PodInfo, node: NodeInfo, state: State): number;
  /** Rescales the raw scores of all feasible nodes, in place, to 0..100 (upstream's NormalizeScore). */
  normalize?(scores: number[], state: State): void;
  /** Once a node is chosen, before the binding is written. */
  preBind?(pod: PodInfo, node: string, cluster: ClusterView): Promise<void>;
}

export const MAX_NODE_SCORE = 100;

/** Amount of one quantity in the units of Resources (millicores for cpu, rounded up). */
export function amountOf(resource: string, quantity: string | number | undefined): number {
  if (quantity === undefined) return 0;
  const q = parseQuantity(quantity);
  if (typeof q === 'string') return 0;
  return resource === 'cpu' ? toNumber(q, 3) : toNumber(q, 0);
}

/** A Node's or a container's resource list in the units of Resources. */
export function resourcesOf(list: Readonly<Record<string, string | number>> | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, quantity] of Object.entries(list ?? {})) out.set(name, amountOf(name, quantity));
  return out;
}

/** Ceiling of q × 10^shift as a number. */
function toNumber(q: Quantity, shift: number): number {
  const scale = q.scale + shift;
  if (scale >= 0) return Number(q.value * 10n ** BigInt(scale));
  const divisor = 10n ** BigInt(-scale);
  const whole = q.value / divisor;
  return Number(whole * divisor === q.value || q.value < 0n ? whole : whole + 1n);
}

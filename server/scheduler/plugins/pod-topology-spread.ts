// PodTopologySpread: spreads matching pods evenly over topology domains
// (the nodes sharing one value of a label). DoNotSchedule constraints reject
// a node whose domain would get more than maxSkew pods above the emptiest
// eligible domain; ScheduleAnyway constraints, and upstream's system default
// constraints for controller-owned pods, prefer domains with fewer. prepare()
// counts matching pods per domain once per attempt.
import type { Node, Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { asSelector, isEmptySelector } from '../../api/kinds/labels.js';
import { MAX_NODE_SCORE, type ClusterView, type NodeInfo, type Plugin, type PodInfo } from '../framework.js';
import { matchesRequiredNodeAffinity, nodeLabel } from './node-affinity.js';
import { untoleratedTaint } from './taint-toleration.js';

const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const HOSTNAME = 'kubernetes.io/hostname';

/** Upstream's system default constraints (both ScheduleAnyway), for pods without constraints of their own. */
const SYSTEM_DEFAULTS = [
  { topologyKey: HOSTNAME, maxSkew: 3 },
  { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 5 },
];

/** The owners whose pods upstream's DefaultSelector spreads (apiVersion/kind). */
const SPREAD_OWNERS = new Set(['v1/ReplicationController', 'apps/v1/ReplicaSet', 'apps/v1/StatefulSet']);

/** A raw score marking a node that lacks a constraint's key: upstream leaves it out of the normalization and gives it 0. */
const IGNORED = -1;

interface Constraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly minDomains: number;
  readonly honorNodeAffinity: boolean;
  readonly honorNodeTaints: boolean;
  /** The constraint's selector applied to a pod's labels. */
  readonly selects: (pod: Pod) => boolean;
  /** False for an empty selector, for which upstream counts no existing pod. */
  readonly counts: boolean;
  /** Set for the system defaults, which select the pods of one controller: counted from the node's index. */
  readonly controllerUid?: string;
}

function constraintsOf(pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const own = pod.spec?.topologySpreadConstraints ?? [];
  if (own.length > 0) return own.filter((c) => c.whenUnsatisfiable === action).map((c) => constraintOf(pod, c));
  return action === 'ScheduleAnyway' ? defaultConstraints(pod) : [];
}

function constraintOf(pod: Pod, c: TopologySpreadConstraint): Constraint {
  const selector = withMatchLabelKeys(c.labelSelector, c.matchLabelKeys ?? [], pod.metadata?.labels ?? {});
  const select = asSelector(selector) ?? (() => false);
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    minDomains: c.minDomains ?? 1,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorNodeTaints: c.nodeTaintsPolicy === 'Honor',
    selects: (p) => select(p.metadata?.labels),
    counts: selector !== undefined && !isEmptySelector(selector),
  };
}

/** matchLabelKeys: the pod's own values of those keys are ANDed to the selector (a missing selector stays one that selects nothing). */
function withMatchLabelKeys(
  selector: LabelSelector | undefined,
  keys: readonly string[],
  labels: Readonly<Record<string, string>>,
): LabelSelector | undefined {
  const present = keys.filter((key) => Object.hasOwn(labels, key));
  if (selector === undefined || present.length === 0) return selector;
  const added = present.map((key) => ({ key, operator: 'In', values: [labels[key]!] }));
  return { ...selector, matchExpressions: [...(selector.matchExpressions ?? []), ...added] };
}

/**
 * Upstream selects the pods its services, ReplicationController, ReplicaSet
 * or StatefulSet select; the plugins see no services or controllers, so this
 * selects the pods with the same controller.
 */
function defaultConstraints(pod: Pod): Constraint[] {
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (owner === undefined || !SPREAD_OWNERS.has(`${owner.apiVersion}/${owner.kind}`)) return [];
  const selects = (p: Pod) => p.metadata?.ownerReferences?.find((r) => r.controller)?.uid === owner.uid;
  return SYSTEM_DEFAULTS.map(({ topologyKey, maxSkew }) => ({
    maxSkew,
    topologyKey,
    minDomains: 1,
    honorNodeAffinity: true,
    honorNodeTaints: false,
    selects,
    counts: true,
    controllerUid: owner.uid,
  }));
}

/** nodeAffinityPolicy (default Honor) and nodeTaintsPolicy (default Ignore): which nodes' domains count. */
function includes(c: Constraint, pod: Pod, node: Node): boolean {
  return (!c.honorNodeAffinity || matchesRequiredNodeAffinity(pod, node)) && (!c.honorNodeTaints || untoleratedTaint(node, pod) === undefined);
}

/** countPodsMatchSelector: live pods of the namespace that the selector matches. */
function countMatching(c: Constraint, { pods, ownedBy }: NodeInfo, namespace: string): number {
  if (!c.counts) return 0;
  // A controller's pods share its namespace.
  if (c.controllerUid !== undefined) return ownedBy.get(c.controllerUid) ?? 0;
  return pods.filter(({ pod }) => !pod.metadata?.deletionTimestamp && (pod.metadata?.namespace ?? '') === namespace && c.selects(pod)).length;
}

function hasAllKeys(node: Node, constraints: readonly Constraint[]): boolean {
  return constraints.every((c) => nodeLabel(node, c.topologyKey) !== undefined);
}

function addTo(counts: Map<string, number>, value: string, amount: number): void {
  counts.set(value, (counts.get(value) ?? 0) + amount);
}

interface State {
  readonly namespace: string;
  /** DoNotSchedule: matching pods per domain of eligible nodes, and the global minimum. */
  readonly hard: readonly { readonly constraint: Constraint; readonly matchNum: Map<string, number>; readonly minMatchNum: number }[];
  /** ScheduleAnyway: matching pods per domain (kubernetes.io/hostname is counted per node when scoring) and the domain-count weight. */
  readonly soft: readonly { readonly constraint: Constraint; readonly counts: Map<string, number>; readonly weight: number }[];
  /** With the pod's own constraints a node must carry every key to be scored; system defaults spare nodes without a zone. */
  readonly requireAllKeys: boolean;
}

function prepare(pod: PodInfo, cluster: ClusterView): State {
  const incoming = pod.pod;
  const namespace = incoming.metadata?.namespace ?? '';

  const hardConstraints = constraintsOf(incoming, 'DoNotSchedule');
  const hard = hardConstraints.map((constraint) => {
    const matchNum = new Map<string, number>();
    for (const info of cluster.nodes) {
      if (!hasAllKeys(info.node, hardConstraints) || !includes(constraint, incoming, info.node)) continue;
      addTo(matchNum, nodeLabel(info.node, constraint.topologyKey)!, countMatching(constraint, info, namespace));
    }
    // Fewer eligible domains than minDomains: the global minimum is 0.
    const minMatchNum = matchNum.size < constraint.minDomains ? 0 : Math.min(...matchNum.values());
    return { constraint, matchNum, minMatchNum };
  });

  // Upstream weighs each constraint by the number of domains among the nodes that passed filtering;
  // prepare() runs before filtering, so every node (with the keys, when required) stands in for them.
  const softConstraints = constraintsOf(incoming, 'ScheduleAnyway');
  const requireAllKeys = (incoming.spec?.topologySpreadConstraints ?? []).length > 0;
  const candidates = cluster.nodes.filter(({ node }) => !requireAllKeys || hasAllKeys(node, softConstraints));
  const soft = softConstraints.map((constraint) => {
    const counts = new Map<string, number>();
    const domains = new Set<string>();
    for (const info of candidates) {
      // A node without the key is in no domain (for the system defaults: a cluster without zones).
      const value = nodeLabel(info.node, constraint.topologyKey);
      if (value === undefined) continue;
      domains.add(value);
      if (constraint.topologyKey !== HOSTNAME && includes(constraint, incoming, info.node)) addTo(counts, value, countMatching(constraint, info, namespace));
    }
    const size = constraint.topologyKey === HOSTNAME ? candidates.length : domains.size;
    return { constraint, counts, weight: Math.log(size + 2) };
  });

  return { namespace, hard, soft, requireAllKeys };
}

/** Raw score: matching pods in the node's domains, each constraint's count weighted and padded by maxSkew − 1 (more is worse). */
function score(_pod: PodInfo, nodeInfo: NodeInfo, state: State): number {
  const node = nodeInfo.node;
  if (state.requireAllKeys && !hasAllKeys(node, state.soft.map((s) => s.constraint))) return IGNORED;
  let sum = 0;
  for (const { constraint, counts, weight } of state.soft) {
    const value = nodeLabel(node, constraint.topologyKey);
    if (value === undefined) continue;
    const count =
      constraint.topologyKey === HOSTNAME ? countMatching(constraint, nodeInfo, state.namespace) : (counts.get(value) ?? 0);
    sum += count * weight + (constraint.maxSkew - 1);
  }
  return Math.round(sum);
}

export const podTopologySpread: Plugin<State> = {
  name: 'PodTopologySpread',
  weight: 2,
  prepare,
  filter: (pod, { node }, state) => {
    for (const { constraint, matchNum, minMatchNum } of state.hard) {
      const value = nodeLabel(node, constraint.topologyKey);
      if (value === undefined) return [ERR_REASON_NODE_LABEL_NOT_MATCH];
      const selfMatch = constraint.selects(pod.pod) ? 1 : 0;
      if ((matchNum.get(value) ?? 0) + selfMatch - minMatchNum > constraint.maxSkew) return [ERR_REASON_CONSTRAINTS_NOT_MATCH];
    }
    return [];
  },
  score,
  // Reversed against the highest raw score: the emptiest domains get 100. A pod without soft constraints scores 0 everywhere, as upstream skips it.
  normalize: (scores, state) => {
    if (state.soft.length === 0) return;
    const counted = scores.filter((s) => s !== IGNORED);
    const min = Math.min(...counted);
    const max = Math.max(0, ...counted);
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      scores[i] = s === IGNORED ? 0 : max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max + min - s)) / max);
    }
  },
};

// InterPodAffinity: pods that must (or would rather) share a topology domain
// (the nodes with one value of a label) with pods matching a selector, or keep
// out of it, including the anti-affinity of pods already placed. prepare()
// counts matching pods per domain once per attempt, looking at every pod only
// when the incoming one has terms and otherwise only at the few placed pods
// that have terms of their own; filter and score only look domains up.
import type { Node, Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { asSelector, isEmptySelector } from '../../api/kinds/labels.js';
import { MAX_NODE_SCORE, type ClusterView, type Plugin, type PodInfo } from '../framework.js';
import { nodeLabel } from './node-affinity.js';

const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

/** Upstream's default HardPodAffinityWeight: what an existing pod's required affinity adds to the score of pods it selects. */
const HARD_POD_AFFINITY_WEIGHT = 1;

interface Term {
  readonly topologyKey: string;
  readonly weight: number;
  readonly matches: (pod: Pod) => boolean;
}

/**
 * A term of `owner`. Namespace labels are not in the cluster view: an empty
 * namespaceSelector selects every namespace as upstream; a non-empty one is
 * read as "the listed namespaces, else the owner's own".
 */
function termOf(owner: Pod, term: PodAffinityTerm, weight: number): Term {
  const select = asSelector(term.labelSelector) ?? (() => false);
  const everyNamespace = term.namespaceSelector !== undefined && isEmptySelector(term.namespaceSelector);
  const namespaces = term.namespaces?.length ? term.namespaces : [owner.metadata?.namespace ?? ''];
  return {
    topologyKey: term.topologyKey,
    weight,
    matches: (pod) => (everyNamespace || namespaces.includes(pod.metadata?.namespace ?? '')) && select(pod.metadata?.labels),
  };
}

interface Terms {
  readonly affinity: Term[];
  readonly antiAffinity: Term[];
  readonly preferredAffinity: Term[];
  readonly preferredAntiAffinity: Term[];
}

/** Terms built once per pod version (a changed pod is a new object). */
const built = new WeakMap<Pod, Terms>();

function termsOf(pod: Pod): Terms {
  let terms = built.get(pod);
  if (terms === undefined) {
    terms = buildTerms(pod);
    built.set(pod, terms);
  }
  return terms;
}

function buildTerms(pod: Pod): Terms {
  const { podAffinity, podAntiAffinity } = pod.spec?.affinity ?? {};
  const required = (terms: PodAffinityTerm[] | undefined) => (terms ?? []).map((t) => termOf(pod, t, HARD_POD_AFFINITY_WEIGHT));
  const preferred = (terms: WeightedPodAffinityTerm[] | undefined) => (terms ?? []).map((t) => termOf(pod, t.podAffinityTerm, t.weight));
  return {
    affinity: required(podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    antiAffinity: required(podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinity: preferred(podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: preferred(podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

/** Counts (or score sums) per topology pair "key=value"; label keys cannot hold '='. */
type PairCounts = Map<string, number>;

function pairOf(node: Node, key: string): string | undefined {
  const value = nodeLabel(node, key);
  return value === undefined ? undefined : `${key}=${value}`;
}

function countAt(counts: PairCounts, pair: string | undefined): number {
  return pair === undefined ? 0 : (counts.get(pair) ?? 0);
}

/** Adds `amount` to the pair of `node` for the term's key; a node without the label is in no domain. */
function addAt(counts: PairCounts, node: Node, term: Term, amount: number): void {
  const pair = pairOf(node, term.topologyKey);
  if (pair !== undefined) counts.set(pair, (counts.get(pair) ?? 0) + amount);
}

/** podMatchesAllAffinityTerms: no terms match nothing. */
function matchesAll(terms: readonly Term[], pod: Pod): boolean {
  return terms.length > 0 && terms.every((t) => t.matches(pod));
}

interface State {
  readonly terms: Terms;
  /** Per pair, existing pods matching all of the pod's required affinity terms. */
  readonly affinity: PairCounts;
  /** Per pair, existing pods matching one of the pod's required anti-affinity terms (once per term). */
  readonly antiAffinity: PairCounts;
  /** Per pair, required anti-affinity terms of existing pods that match the pod. */
  readonly existingAntiAffinity: PairCounts;
  /** Upstream's first pod of a group: no pod anywhere matches the affinity terms, and the pod matches them itself. */
  readonly firstOfGroup: boolean;
  /** Per pair, the weights of preferred terms (both ways) and existing pods' required affinity; anti-affinity subtracts. */
  readonly scores: PairCounts;
  /** Nothing to filter on: no required terms of the pod's, no placed pod's anti-affinity against it. */
  readonly idle: boolean;
}

function prepare(pod: PodInfo, cluster: ClusterView): State {
  const incoming = pod.pod;
  const terms = termsOf(incoming);
  const affinity: PairCounts = new Map();
  const antiAffinity: PairCounts = new Map();
  const existingAntiAffinity: PairCounts = new Map();
  const scores: PairCounts = new Map();
  for (const { node, pods, podsWithAffinity } of cluster.nodes) {
    if (pod.hasPodAffinity) {
      for (const { pod: existing } of pods) {
        if (matchesAll(terms.affinity, existing)) for (const t of terms.affinity) addAt(affinity, node, t, 1);
        for (const t of terms.antiAffinity) if (t.matches(existing)) addAt(antiAffinity, node, t, 1);
        for (const t of terms.preferredAffinity) if (t.matches(existing)) addAt(scores, node, t, t.weight);
        for (const t of terms.preferredAntiAffinity) if (t.matches(existing)) addAt(scores, node, t, -t.weight);
      }
    }
    for (const { pod: existing } of podsWithAffinity) {
      const theirs = termsOf(existing);
      for (const t of theirs.antiAffinity) if (t.matches(incoming)) addAt(existingAntiAffinity, node, t, 1);
      for (const t of [...theirs.affinity, ...theirs.preferredAffinity]) if (t.matches(incoming)) addAt(scores, node, t, t.weight);
      for (const t of theirs.preferredAntiAffinity) if (t.matches(incoming)) addAt(scores, node, t, -t.weight);
    }
  }
  const firstOfGroup = affinity.size === 0 && matchesAll(terms.affinity, incoming);
  const idle = terms.affinity.length === 0 && terms.antiAffinity.length === 0 && existingAntiAffinity.size === 0;
  return { terms, affinity, antiAffinity, existingAntiAffinity, firstOfGroup, scores, idle };
}

/** Every affinity term's key must label the node, and its domain must hold a matching pod (or the pod is the first of its group). */
function satisfiesAffinity(state: State, node: Node): boolean {
  let podsExist = true;
  for (const t of state.terms.affinity) {
    const pair = pairOf(node, t.topologyKey);
    if (pair === undefined) return false;
    if (countAt(state.affinity, pair) <= 0) podsExist = false;
  }
  return podsExist || state.firstOfGroup;
}

export const interPodAffinity: Plugin<State> = {
  name: 'InterPodAffinity',
  weight: 2,
  prepare,
  filter: (_pod, { node }, state) => {
    if (state.idle) return [];
    if (!satisfiesAffinity(state, node)) return [ERR_REASON_AFFINITY];
    if (state.terms.antiAffinity.some((t) => countAt(state.antiAffinity, pairOf(node, t.topologyKey)) > 0)) return [ERR_REASON_ANTI_AFFINITY];
    const labels = Object.entries(node.metadata?.labels ?? {});
    if (labels.some(([key, value]) => countAt(state.existingAntiAffinity, `${key}=${value}`) > 0)) return [ERR_REASON_EXISTING_ANTI_AFFINITY];
    return [];
  },
  score: (_pod, { node }, state) =>
    state.scores.size === 0
      ? 0
      : Object.entries(node.metadata?.labels ?? {}).reduce((sum, [key, value]) => sum + countAt(state.scores, `${key}=${value}`), 0),
  // Min-max to 0..100: the node whose domains hold the most preferred pods gets 100, the least 0.
  normalize: (scores) => {
    const min = Math.min(...scores);
    const spread = Math.max(...scores) - min;
    for (let i = 0; i < scores.length; i++) scores[i] = spread > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i]! - min) / spread)) : 0;
  },
};

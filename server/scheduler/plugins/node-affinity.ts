// NodeAffinity: a pod goes only to nodes its nodeSelector and required node
// affinity accept (component-helpers' nodeaffinity), and leans towards nodes
// its preferred terms match. PodTopologySpread reuses the required match to
// choose the nodes it spreads over; the other plugins share nodeLabel and
// the default score normalization from here.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1.js';
import { MAX_NODE_SCORE, type Plugin } from '../framework.js';

const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

/** A node's label value, undefined when it lacks the label (own keys only: "constructor" is a valid label key). */
export function nodeLabel(node: Node, key: string): string | undefined {
  const labels = node.metadata?.labels;
  return labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** GetRequiredNodeAffinity(pod).Match(node): every nodeSelector label, and one of the required terms. */
export function matchesRequiredNodeAffinity(pod: Pod, node: Node): boolean {
  for (const [key, value] of Object.entries(pod.spec?.nodeSelector ?? {})) if (nodeLabel(node, key) !== value) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required === undefined || required.nodeSelectorTerms.some((term) => termMatches(term, node));
}

/** An empty term selects nothing; an invalid requirement fails its term, as a parse error does upstream. */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length + fields.length === 0) return false;
  return expressions.every((r) => labelRequirementMatches(r, nodeLabel(node, r.key))) && fields.every((r) => fieldRequirementMatches(r, node));
}

const INTEGER = /^[+-]?\d+$/;

function labelRequirementMatches(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return values.length > 0 && value !== undefined && values.includes(value);
    case 'NotIn':
      return values.length > 0 && (value === undefined || !values.includes(value));
    case 'Exists':
      return values.length === 0 && value !== undefined;
    case 'DoesNotExist':
      return values.length === 0 && value === undefined;
    case 'Gt':
    case 'Lt': {
      if (values.length !== 1 || !INTEGER.test(values[0]!) || value === undefined || !INTEGER.test(value)) return false;
      const [have, bound] = [BigInt(value), BigInt(values[0]!)];
      return req.operator === 'Gt' ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

/** Node fields are only metadata.name; any other field reads as empty, as a fields.Set lookup does. */
function fieldRequirementMatches(req: NodeSelectorRequirement, node: Node): boolean {
  const values = req.values ?? [];
  if ((req.operator !== 'In' && req.operator !== 'NotIn') || values.length !== 1) return false;
  const value = req.key === 'metadata.name' ? (node.metadata?.name ?? '') : '';
  return (value === values[0]) === (req.operator === 'In');
}

/** helper.DefaultNormalizeScore: scale to 0..100 by the highest score, reversed when fewer is better. */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  const max = Math.max(0, ...scores);
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) {
      if (reverse) scores[i] = MAX_NODE_SCORE;
      continue;
    }
    const scaled = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
}

export const nodeAffinity: Plugin = {
  name: 'NodeAffinity',
  weight: 2,
  filter: (pod, node) => (matchesRequiredNodeAffinity(pod.pod, node.node) ? [] : [ERR_REASON_NODE_AFFINITY]),
  score: (pod, node) => {
    let sum = 0;
    for (const term of pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (termMatches(term.preference, node.node)) sum += term.weight;
    }
    return sum;
  },
  normalize: (scores) => defaultNormalizeScore(scores, false),
};

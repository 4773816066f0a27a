// Node labels upstream warns about wherever a selector names them (pods'
// node selectors and affinity, persistent volumes' node affinity, storage
// classes' topologies): pkg/api/node/util.go as Kubernetes 1.31 has it
// (the master, created-by and preferAvoidPods labels came in 1.32).
import type { NodeSelectorTerm } from 'kubernetes-types/core/v1.js';

const DEPRECATED_NODE_LABELS: ReadonlyMap<string, string> = new Map([
  ['beta.kubernetes.io/arch', 'deprecated since v1.14; use "kubernetes.io/arch" instead'],
  ['beta.kubernetes.io/os', 'deprecated since v1.14; use "kubernetes.io/os" instead'],
  ['failure-domain.beta.kubernetes.io/region', 'deprecated since v1.17; use "topology.kubernetes.io/region" instead'],
  ['failure-domain.beta.kubernetes.io/zone', 'deprecated since v1.17; use "topology.kubernetes.io/zone" instead'],
  ['beta.kubernetes.io/instance-type', 'deprecated since v1.17; use "node.kubernetes.io/instance-type" instead'],
]);

/** GetNodeLabelDeprecatedMessage: what to use instead of `key`, when it is deprecated. */
export function deprecatedNodeLabel(key: string): string | undefined {
  return DEPRECATED_NODE_LABELS.get(key);
}

/** GetWarningsForNodeSelectorTerm: deprecated keys among the term's match expressions (its match fields are not looked at). */
export function nodeSelectorTermWarnings(term: NodeSelectorTerm, path: string): string[] {
  return (term.matchExpressions ?? []).flatMap((expression, i) => {
    const message = deprecatedNodeLabel(expression.key);
    return message === undefined ? [] : [`${path}.matchExpressions[${i}].key: ${expression.key} is ${message}`];
  });
}

// TaintToleration: a node's NoSchedule and NoExecute taints keep out every
// pod that does not tolerate them; PreferNoSchedule taints only make the node
// less attractive. untoleratedTaint serves PodTopologySpread's
// nodeTaintsPolicy too.
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { toleratesAny } from '../../api/kinds/tolerations.js';
import type { Plugin } from '../framework.js';
import { defaultNormalizeScore } from './node-affinity.js';

/** FindMatchingUntoleratedTaint with DoNotScheduleTaintsFilterFunc: the first NoSchedule or NoExecute taint the pod does not tolerate. */
export function untoleratedTaint(node: Node, pod: Pod): Taint | undefined {
  return (node.spec?.taints ?? []).find(
    (taint) => (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !toleratesAny(pod.spec?.tolerations, taint),
  );
}

export const taintToleration: Plugin = {
  name: 'TaintToleration',
  weight: 3,
  filter: (pod, node) => {
    const taint = untoleratedTaint(node.node, pod.pod);
    return taint === undefined ? [] : [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`];
  },
  // Raw score: how many PreferNoSchedule taints the pod would have to put up with.
  score: (pod, node) =>
    (node.node.spec?.taints ?? []).filter((taint) => taint.effect === 'PreferNoSchedule' && !toleratesAny(pod.pod.spec?.tolerations, taint)).length,
  normalize: (scores) => defaultNormalizeScore(scores, true),
};

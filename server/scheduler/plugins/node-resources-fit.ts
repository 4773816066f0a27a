// NodeResourcesFit: a pod fits only where every resource it requests is still
// free (allocatable minus what the node's pods request) and the node's pod
// count allows one more; among the nodes that fit, the least allocated cpu
// and memory win (upstream's default LeastAllocated strategy).
import { MAX_NODE_SCORE, type NodeInfo, type Plugin, type PodInfo } from '../framework.js';

/** The native resources in upstream's order; the rest (hugepages, extended resources) follow by name. */
const NATIVE = ['cpu', 'memory', 'ephemeral-storage'];

function requestedNames(pod: PodInfo): string[] {
  const others = [...pod.requests.keys()].filter((name) => !NATIVE.includes(name)).sort();
  return [...NATIVE.filter((name) => pod.requests.has(name)), ...others];
}

/** fitsRequest: every failing resource is a reason of its own. */
function insufficient(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.pods.length + 1 > (node.allocatable.get('pods') ?? 0)) reasons.push('Too many pods');
  for (const name of requestedNames(pod)) {
    const want = pod.requests.get(name)!;
    const free = (node.allocatable.get(name) ?? 0) - (node.requested.get(name) ?? 0);
    if (want > 0 && want > free) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

/** LeastAllocated over cpu and memory, weight 1 each, with the non-zero requests (a pod asking nothing still counts 100m and 200Mi). */
function leastAllocated(pod: PodInfo, node: NodeInfo): number {
  let sum = 0;
  let weights = 0;
  for (const name of ['cpu', 'memory']) {
    const allocatable = node.allocatable.get(name) ?? 0;
    if (allocatable === 0) continue;
    const requested = (node.nonZeroRequested.get(name) ?? 0) + (pod.nonZeroRequests.get(name) ?? 0);
    sum += requested > allocatable ? 0 : Math.trunc(((allocatable - requested) * MAX_NODE_SCORE) / allocatable);
    weights += 1;
  }
  return weights === 0 ? 0 : Math.trunc(sum / weights);
}

export const nodeResourcesFit: Plugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  filter: insufficient,
  score: leastAllocated,
};

// A pod's QoS class (ComputePodQOS): the API server sets it at creation,
// and the node places the pod's cgroups and OOM score by it.
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { add, compare, parseQuantity, type Quantity } from './quantity.js';

/** ComputePodQOS over cpu and memory of regular and init containers. */
export function qosClass(spec: PodSpec): string {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const sum = (into: Map<string, Quantity>, list: Readonly<Record<string, string>> | undefined, found?: Set<string>): void => {
    for (const [name, text] of Object.entries(list ?? {})) {
      if (name !== 'cpu' && name !== 'memory') continue;
      const q = parseQuantity(text) as Quantity;
      if (q.value <= 0n) continue;
      found?.add(name);
      const prev = into.get(name);
      into.set(name, prev === undefined ? q : add(prev, q));
    }
  };
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    sum(requests, c.resources?.requests);
    const found = new Set<string>();
    sum(limits, c.resources?.limits, found);
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  for (const [name, request] of requests) {
    const limit = limits.get(name);
    if (limit === undefined || compare(limit, request) !== 0) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

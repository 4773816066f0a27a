// A pod's requests and limits as upstream's resource helpers add them up
// (pkg/api/v1/resource PodRequests / PodLimits, 1.31), in exact quantities
// for quota (the scheduler's pod-info.ts counts in numbers for fit):
// regular containers summed; each init container a floor, since they run
// one at a time beside the restartable ones (sidecars) started before them,
// which are added to everything; the pod's overhead added (to limits, only
// for resources some container limits).
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { maxInto, sum, type Usage, usageOf } from './usage-lists.js';

export function podRequests(spec: PodSpec): Usage {
  const total = addUp(spec, (c) => c.resources?.requests);
  return sum(total, usageOf(spec.overhead));
}

export function podLimits(spec: PodSpec): Usage {
  const total = addUp(spec, (c) => c.resources?.limits);
  const overhead = [...usageOf(spec.overhead)].filter(([name]) => total.has(name));
  return sum(total, new Map(overhead));
}

function addUp(spec: PodSpec, listOf: (c: Container) => Readonly<Record<string, string>> | undefined): Usage {
  let total: Usage = new Map();
  for (const c of spec.containers ?? []) total = sum(total, usageOf(listOf(c)));
  let sidecars: Usage = new Map();
  const initFloor: Usage = new Map();
  for (const c of spec.initContainers ?? []) {
    const own = usageOf(listOf(c));
    if (c.restartPolicy === 'Always') {
      total = sum(total, own);
      sidecars = sum(sidecars, own);
      maxInto(initFloor, sidecars);
    } else {
      maxInto(initFloor, sum(own, sidecars));
    }
  }
  maxInto(total, initFloor);
  return total;
}

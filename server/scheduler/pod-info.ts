// What the scheduler computes once per pod version: its requests as upstream
// counts them (resource.PodRequests: regular containers summed, each init
// container's request a floor since they run one at a time, restartable init
// containers (sidecars) added to everything after them, plus the pod's
// overhead) and the host ports it takes.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, type HostPort, type PodInfo, resourcesOf } from './framework.js';

export function podInfoOf(pod: Pod): PodInfo {
  const spec = pod.spec;
  const { podAffinity, podAntiAffinity } = spec?.affinity ?? {};
  return {
    key: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`,
    pod,
    requests: podRequests(pod, false),
    nonZeroRequests: podRequests(pod, true),
    hostPorts: [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].flatMap((c) =>
      (c.ports ?? []).flatMap((p): HostPort[] => (p.hostPort ? [{ hostIP: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort }] : [])),
    ),
    hasPodAffinity: podAffinity !== undefined || podAntiAffinity !== undefined,
    liveControllerUid: pod.metadata?.deletionTimestamp ? undefined : pod.metadata?.ownerReferences?.find((r) => r.controller)?.uid,
  };
}

function podRequests(pod: Pod, nonZero: boolean): Map<string, number> {
  const spec = pod.spec;
  const requestsOf = (c: Container) => {
    const r = resourcesOf(c.resources?.requests as Record<string, string> | undefined);
    if (nonZero) {
      if (!r.has('cpu')) r.set('cpu', DEFAULT_MILLI_CPU_REQUEST);
      if (!r.has('memory')) r.set('memory', DEFAULT_MEMORY_REQUEST);
    }
    return r;
  };
  const total = new Map<string, number>();
  for (const c of spec?.containers ?? []) addInto(total, requestsOf(c));
  // Sidecars run beside everything after them; a plain init container runs alone (beside the sidecars started before it).
  const sidecars = new Map<string, number>();
  const initFloor = new Map<string, number>();
  for (const c of spec?.initContainers ?? []) {
    const r = requestsOf(c);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, r);
      addInto(total, r);
    } else {
      for (const [name, amount] of r) initFloor.set(name, Math.max(initFloor.get(name) ?? 0, amount + (sidecars.get(name) ?? 0)));
    }
  }
  for (const [name, amount] of initFloor) total.set(name, Math.max(total.get(name) ?? 0, amount));
  addInto(total, resourcesOf(spec?.overhead as Record<string, string> | undefined));
  return total;
}

function addInto(into: Map<string, number>, from: ReadonlyMap<string, number>): void {
  for (const [name, amount] of from) into.set(name, (into.get(name) ?? 0) + amount);
}

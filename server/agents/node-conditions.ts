// A Node's status and condition taints as the node lifecycle controller and
// kubelet together maintain them, as pure functions of what the agent last
// reported, what is stored, and whether the agent is still heard from.
import type { NodeCondition as StoredCondition, NodeStatus as StoredStatus, Taint as StoredTaint } from 'kubernetes-types/core/v1.js';
import type { NodeCondition, NodeStatus } from '../../common/agent-protocol.js';
import { formatQuantity, parseQuantity, roundUp } from '../../common/quantity.js';
import { metaTime } from '../api/objects.js';

/** Taints the server sets from conditions (upstream's TaintNodesByCondition and NoExecute taint manager). */
const CONDITION_TAINTS: readonly { readonly key: string; readonly applies: (c: ReadonlyMap<string, string>, unschedulable: boolean) => boolean; readonly noExecute: boolean }[] = [
  { key: 'node.kubernetes.io/not-ready', applies: (c) => c.get('Ready') === 'False', noExecute: true },
  { key: 'node.kubernetes.io/unreachable', applies: (c) => c.get('Ready') === 'Unknown', noExecute: true },
  { key: 'node.kubernetes.io/memory-pressure', applies: (c) => c.get('MemoryPressure') === 'True', noExecute: false },
  { key: 'node.kubernetes.io/disk-pressure', applies: (c) => c.get('DiskPressure') === 'True', noExecute: false },
  { key: 'node.kubernetes.io/pid-pressure', applies: (c) => c.get('PIDPressure') === 'True', noExecute: false },
  { key: 'node.kubernetes.io/unschedulable', applies: (_c, unschedulable) => unschedulable, noExecute: false },
];
const MANAGED_KEYS = new Set(CONDITION_TAINTS.map((t) => t.key));

/** The stored status an agent's report makes, keeping each condition's transition time while its status holds. */
export function reportedStatus(report: NodeStatus, stored: StoredStatus | undefined, now: Date): StoredStatus {
  const time = metaTime(now);
  const previous = new Map((stored?.conditions ?? []).map((c) => [c.type, c]));
  return {
    capacity: canonical(report.capacity),
    allocatable: canonical(report.allocatable),
    conditions: report.conditions.map((c: NodeCondition): StoredCondition => {
      const before = previous.get(c.type);
      return {
        type: c.type,
        status: c.status,
        lastHeartbeatTime: time,
        lastTransitionTime: before !== undefined && before.status === c.status && before.lastTransitionTime !== undefined ? before.lastTransitionTime : time,
        reason: c.reason,
        message: c.message,
      };
    }),
    addresses: report.addresses.map((a) => ({ type: a.type, address: a.address })),
    nodeInfo: {
      machineID: report.nodeInfo.machineId,
      systemUUID: report.nodeInfo.systemUuid,
      bootID: report.nodeInfo.bootId,
      kernelVersion: report.nodeInfo.kernelVersion,
      osImage: report.nodeInfo.osImage,
      containerRuntimeVersion: report.nodeInfo.containerRuntimeVersion,
      kubeletVersion: report.nodeInfo.kubeletVersion,
      kubeProxyVersion: report.nodeInfo.kubeProxyVersion,
      operatingSystem: report.nodeInfo.operatingSystem,
      architecture: report.nodeInfo.architecture,
    },
  };
}

/**
 * Quantities as the API stores them (milli units, canonical form: "1048576Ki"
 * is "1Gi"), so a report compares equal to the status it wrote. One that
 * does not parse stays as it is, for the API to refuse.
 */
function canonical(list: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(list).map(([name, text]) => {
      const q = parseQuantity(text);
      return [name, typeof q === 'string' ? text : formatQuantity(roundUp(q, -3))];
    }),
  );
}

/** Every condition Unknown, as upstream marks a node whose kubelet stopped posting (heartbeat times kept). */
export function unknownStatus(stored: StoredStatus | undefined, now: Date): StoredStatus {
  const time = metaTime(now);
  const conditions = stored?.conditions?.length ? stored.conditions : [{ type: 'Ready', status: 'Unknown' }];
  return {
    ...stored,
    conditions: conditions.map((c) =>
      c.status === 'Unknown' && c.reason === 'NodeStatusUnknown'
        ? c
        : { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: time },
    ),
  };
}

/** True when `a` and `b` differ in more than heartbeat times. */
export function statusChanged(a: StoredStatus | undefined, b: StoredStatus): boolean {
  return JSON.stringify(withoutHeartbeats(a)) !== JSON.stringify(withoutHeartbeats(b));
}

/** The stored Ready condition's last heartbeat, in ms (0 when none). */
export function lastHeartbeatMs(status: StoredStatus | undefined): number {
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.lastHeartbeatTime === undefined ? 0 : Date.parse(ready.lastHeartbeatTime);
}

/** `taints` with the condition taints set to what `status` and `unschedulable` call for; the user's own taints kept. */
export function withConditionTaints(taints: readonly StoredTaint[], status: StoredStatus, unschedulable: boolean, now: Date): StoredTaint[] {
  const conditions = new Map((status.conditions ?? []).map((c) => [c.type, c.status]));
  const wanted: StoredTaint[] = [];
  for (const rule of CONDITION_TAINTS) {
    if (!rule.applies(conditions, unschedulable)) continue;
    wanted.push({ key: rule.key, effect: 'NoSchedule' });
    if (rule.noExecute) {
      // timeAdded starts the pods' tolerationSeconds: keep it while the taint stays.
      const kept = taints.find((t) => t.key === rule.key && t.effect === 'NoExecute');
      wanted.push({ key: rule.key, effect: 'NoExecute', timeAdded: kept?.timeAdded ?? metaTime(now) });
    }
  }
  return [...taints.filter((t) => !MANAGED_KEYS.has(t.key)), ...wanted];
}

function withoutHeartbeats(status: StoredStatus | undefined): unknown {
  if (status === undefined) return undefined;
  return { ...status, conditions: status.conditions?.map(({ lastHeartbeatTime: _h, ...rest }) => rest) };
}

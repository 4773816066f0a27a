// The PriorityClasses every cluster has (upstream's scheduling/v1
// systemPriorityClasses): the server creates them at start and reserves
// their prefix; the agent treats pods of system-node-critical as kubelet
// treats critical pods.
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
export const SYSTEM_NODE_CRITICAL = 'system-node-critical';
/** SystemCriticalPriority: system-cluster-critical's value, the least a critical pod has. */
export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

export interface SystemPriorityClass {
  readonly name: string;
  readonly value: number;
  readonly description: string;
}

export const SYSTEM_PRIORITY_CLASSES: readonly SystemPriorityClass[] = [
  { name: SYSTEM_NODE_CRITICAL, value: SYSTEM_CRITICAL_PRIORITY + 1000, description: 'Used for system critical pods that must not be moved from their current node.' },
  {
    name: 'system-cluster-critical',
    value: SYSTEM_CRITICAL_PRIORITY,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

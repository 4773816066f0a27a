// Events about a pod that the agent reports as kubelet does (Pulling,
// Pulled, Created, Started, Killing, BackOff, Unhealthy, …); the server
// records them as core/v1 Events from the node's kubelet, aggregated.
import type { Pod } from 'kubernetes-types/core/v1.js';

export interface PodEvents {
  /** `fieldPath` names the container, as kubelet's: `spec.containers{NAME}` or `spec.initContainers{NAME}`. */
  record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void;
}

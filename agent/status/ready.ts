// The Ready condition, as kubelet reports it. Pure.
import type { NodeCondition } from '../../common/agent-protocol.js';
import type { RuntimeStatus } from '../cri/runtime-client.js';

/**
 * Why the runtime cannot run pods, or undefined when it can. Only
 * RuntimeReady counts for now: kubelet also requires NetworkReady, but the
 * agent sets up no pod network yet, so requiring it would keep every node
 * NotReady. Add it when networking lands.
 */
export function runtimeProblem(status: RuntimeStatus): string | undefined {
  const ready = status.conditions.find((c) => c.type === 'RuntimeReady');
  if (ready === undefined) return 'it reports no RuntimeReady condition';
  if (ready.status) return undefined;
  return `RuntimeReady=false reason:${ready.reason} message:${ready.message}`;
}

/** `runtimeDown`: why the runtime is down (runtimeProblem, or why it could not be asked); undefined when it is up. */
export function readyCondition(runtimeDown: string | undefined): NodeCondition {
  return runtimeDown === undefined
    ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
    : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: `container runtime is down: ${runtimeDown}` };
}

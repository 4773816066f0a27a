// The DisruptionTarget pod condition (upstream's PodDisruptionConditions,
// GA in 1.31): whoever deletes a running pod for a reason outside it (an
// eviction, a NoExecute taint, its node gone) first says why in the pod's
// status, so that users (`kubectl describe pod`) and Jobs can tell a
// disruption from a crash. A condition left on a pod that then was not
// deleted is cleared by the disruption controller after a while.
import type { PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { metaTime } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { errors } from '../api/status.js';
import type { PodObject } from './pod-predicates.js';

export const DISRUPTION_TARGET = 'DisruptionTarget';

/** Upstream's: a condition set True this long ago on a pod still not being deleted is set False. */
export const STALE_DISRUPTION_MS = 2 * 60_000;

export interface Preconditions {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

/** A change to a pod's status; whether it changed anything. */
export type StatusChange = (status: PodStatus, now: number) => boolean;

/**
 * Upstream's UpdatePodCondition: the condition set, its lastTransitionTime
 * kept while its status stays; whether anything changed.
 */
export function setPodCondition(status: PodStatus, condition: Omit<PodCondition, 'lastTransitionTime'>, now: number): boolean {
  const conditions = (status.conditions ??= []);
  const at = conditions.findIndex((c) => c.type === condition.type);
  const old = at < 0 ? undefined : conditions[at]!;
  const next: PodCondition = {
    ...condition,
    lastTransitionTime: old !== undefined && old.status === condition.status && old.lastTransitionTime !== undefined ? old.lastTransitionTime : metaTime(new Date(now)),
  };
  if (old === undefined) {
    conditions.push(next);
    return true;
  }
  conditions[at] = next;
  return old.status !== next.status || old.reason !== next.reason || old.message !== next.message || old.lastTransitionTime !== next.lastTransitionTime;
}

/** The DisruptionTarget condition, True, with why. */
export function disruptionTarget(reason: string, message: string): StatusChange {
  return (status, now) => setPodCondition(status, { type: DISRUPTION_TARGET, status: 'True', reason, message }, now);
}

/** A pod no kubelet will finish marked Failed (unless it finished), as upstream's pod GC does before a forced deletion; with `also`. */
export function failed(also?: StatusChange): StatusChange {
  return (status, now) => {
    // Upstream writes the condition only with the phase: a pod that finished keeps its status.
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return false;
    status.phase = 'Failed';
    also?.(status, now);
    return true;
  };
}

/**
 * Writes `change` to the pod's status (the status subresource, retried on
 * conflicts) when it changes anything, checking `preconditions` against the
 * pod as it is, and returns the pod as it is after.
 */
export async function updatePodStatus(
  registry: Registry,
  pods: ResourceType,
  pod: { readonly namespace: string; readonly name: string },
  change: StatusChange,
  now: number,
  preconditions: Preconditions = {},
): Promise<PodObject> {
  const current = (await registry.get(pods, pod.namespace, pod.name)) as PodObject;
  checkPreconditions(current, preconditions);
  if (!change(structuredClone(current.status ?? {}), now)) return current;
  const written = await registry.patch(
    pods,
    pod.namespace,
    pod.name,
    (latest) => {
      checkPreconditions(latest as PodObject, preconditions);
      const status: PodStatus = latest['status'] ?? {};
      change(status, now);
      latest['status'] = status;
      return latest;
    },
    { subresource: 'status' },
  );
  return written as PodObject;
}

/** A DeleteOptions' preconditions, checked before the status write that precedes the deletion, with upstream's message. */
function checkPreconditions(pod: PodObject, preconditions: Preconditions): void {
  const POD = { group: '', plural: 'Pod', kind: 'Pod' };
  const { uid, resourceVersion } = preconditions;
  if (uid !== undefined && uid !== '' && uid !== pod.metadata.uid) {
    throw errors.conflict(POD, pod.metadata.name!, `the UID in the precondition (${uid}) does not match the UID in record (${pod.metadata.uid}). The object might have been deleted and then recreated`);
  }
  if (resourceVersion !== undefined && resourceVersion !== '' && resourceVersion !== pod.metadata.resourceVersion) {
    throw errors.conflict(
      POD,
      pod.metadata.name!,
      `the ResourceVersion in the precondition (${resourceVersion}) does not match the ResourceVersion in record (${pod.metadata.resourceVersion}). The object might have been modified`,
    );
  }
}

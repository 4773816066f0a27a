// The status a PodDisruptionBudget's DisruptionAllowed condition has, as
// upstream's component-helpers/apps/poddisruptionbudget sets it: written by
// the disruption controller and by the eviction subresource alike.
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { metaTime } from '../objects.js';

/**
 * pdbhelper.UpdateDisruptionAllowedCondition: DisruptionAllowed True
 * (SufficientPods) while disruptions are allowed, else False
 * (InsufficientPods).
 */
export function updateDisruptionAllowedCondition(status: PodDisruptionBudgetStatus, now: number): void {
  const allowed = (status.disruptionsAllowed ?? 0) > 0;
  setCondition(
    status,
    { type: 'DisruptionAllowed', status: allowed ? 'True' : 'False', reason: allowed ? 'SufficientPods' : 'InsufficientPods', message: '', observedGeneration: status.observedGeneration ?? 0 },
    now,
  );
}

/** apimeta.SetStatusCondition: the transition time moves only when the status does. */
export function setCondition(status: PodDisruptionBudgetStatus, next: Omit<Condition, 'lastTransitionTime'>, now: number): void {
  const conditions = (status.conditions ??= []);
  const current = conditions.find((c) => c.type === next.type);
  if (current === undefined) {
    conditions.push({ ...next, lastTransitionTime: metaTime(new Date(now)) });
    return;
  }
  if (current.status !== next.status) current.lastTransitionTime = metaTime(new Date(now));
  current.status = next.status;
  current.reason = next.reason;
  current.message = next.message;
  current.observedGeneration = next.observedGeneration;
}

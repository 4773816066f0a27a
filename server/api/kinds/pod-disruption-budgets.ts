// policy/v1 PodDisruptionBudgets: their spec checked as upstream's
// ValidatePodDisruptionBudgetSpec does, and the DisruptionAllowed condition
// as component-helpers/apps/poddisruptionbudget sets it (written by the
// disruption controller and by the eviction subresource alike).
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudgetSpec, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { type KubeObject, metaTime } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { goPointer, invalid, notSupported, quote } from './field-errors.js';
import { notMoreThan100Percent, positiveIntOrPercent } from './int-or-percent.js';
import { validateLabelSelector } from './labels.js';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

export const podDisruptionBudgetRules: KindRules = {
  validate(obj: KubeObject): StatusCause[] {
    const spec = (obj as KubeObject & { spec?: PodDisruptionBudgetSpec }).spec ?? {};
    const causes: StatusCause[] = [];
    if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
      const value =
        `policy.PodDisruptionBudgetSpec{MinAvailable:${goPointer('intstr.IntOrString', spec.minAvailable !== undefined)}, Selector:${goPointer('v1.LabelSelector', spec.selector !== undefined)}, ` +
        `MaxUnavailable:${goPointer('intstr.IntOrString', spec.maxUnavailable !== undefined)}, UnhealthyPodEvictionPolicy:${goPointer('policy.UnhealthyPodEvictionPolicyType', spec.unhealthyPodEvictionPolicy !== undefined)}}`;
      causes.push(invalid('spec', value, 'minAvailable and maxUnavailable cannot be both set'));
    }
    for (const [field, value] of [
      ['spec.minAvailable', spec.minAvailable],
      ['spec.maxUnavailable', spec.maxUnavailable],
    ] as const) {
      if (value !== undefined) causes.push(...positiveIntOrPercent(value, field), ...notMoreThan100Percent(value, field));
    }
    causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    const policy = spec.unhealthyPodEvictionPolicy;
    if (policy !== undefined && !EVICTION_POLICIES.includes(policy)) causes.push(notSupported('spec.unhealthyPodEvictionPolicy', quote(policy), EVICTION_POLICIES));
    return causes;
  },
};

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

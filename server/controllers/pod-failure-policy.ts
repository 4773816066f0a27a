// A Job's podFailurePolicy, as upstream's matchPodFailurePolicy reads it for
// a failed pod: the first rule whose exit codes (of a container that exited
// non-zero) or pod conditions match decides whether the failure fails the
// Job at once (FailJob, with upstream's message), fails the pod's index for
// good (FailIndex, with backoffLimitPerIndex), is not counted against
// backoffLimit (Ignore, a disruption such as an eviction says so with
// DisruptionTarget), or is counted as any failure (Count, and no rule).
import type { ContainerStatus, PodStatus } from 'kubernetes-types/core/v1.js';
import type { PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement, PodFailurePolicyOnPodConditionsPattern } from 'kubernetes-types/batch/v1.js';
import type { PodObject } from './pod-predicates.js';

export interface PolicyMatch {
  /** Why the Job fails, for a FailJob rule. */
  readonly failJob?: string;
  /** Whether the failure counts against backoffLimit (not for Ignore). */
  readonly countFailed: boolean;
  /** A FailIndex rule matched: the pod's index fails for good (backoffLimitPerIndex). */
  readonly failIndex?: true;
}

const NO_RULE: PolicyMatch = { countFailed: true };

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: PodObject): PolicyMatch {
  const status: PodStatus = pod.status ?? {};
  for (const [index, rule] of (policy?.rules ?? []).entries()) {
    let failJob: string | undefined;
    if (rule.onExitCodes !== undefined) {
      const container = exitCodesMatch(status, rule.onExitCodes);
      if (container === undefined) continue;
      failJob = `Container ${container.name} for pod ${pod.metadata.namespace}/${pod.metadata.name} failed with exit code ${container.state?.terminated?.exitCode} matching ${rule.action} rule at index ${index}`;
    } else if (rule.onPodConditions !== undefined) {
      const condition = conditionsMatch(status, rule.onPodConditions);
      if (condition === undefined) continue;
      failJob = `Pod ${pod.metadata.namespace}/${pod.metadata.name} has condition ${condition} matching ${rule.action} rule at index ${index}`;
    } else {
      continue;
    }
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false };
      case 'FailJob':
        return { failJob, countFailed: true };
      case 'Count':
        return NO_RULE;
      case 'FailIndex':
        return { countFailed: true, failIndex: true };
    }
  }
  return NO_RULE;
}

/** The first container (then init container, as upstream looks) that exited non-zero with a code the requirement picks. */
function exitCodesMatch(status: PodStatus, requirement: PodFailurePolicyOnExitCodesRequirement): ContainerStatus | undefined {
  const statuses = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])];
  return statuses.find((s) => {
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) return false;
    if (requirement.containerName !== undefined && requirement.containerName !== s.name) return false;
    const listed = requirement.values.includes(code);
    return requirement.operator === 'In' ? listed : requirement.operator === 'NotIn' && !listed;
  });
}

/** The type of the first of the pod's conditions that some pattern matches. */
function conditionsMatch(status: PodStatus, patterns: readonly PodFailurePolicyOnPodConditionsPattern[]): string | undefined {
  return (status.conditions ?? []).find((c) => patterns.some((p) => c.type === p.type && c.status === p.status))?.type;
}

// What upstream's pod strategy does on a pod's create (PrepareForCreate's
// mutatePodAffinity, feature MatchLabelKeysInPodAffinity, on by default in
// 1.31): each pod (anti-)affinity term's matchLabelKeys become `key In
// (the pod's value)` and its mismatchLabelKeys `key NotIn (the pod's value)`
// in its labelSelector, so the scheduler needs to read the selector alone.
// Creates only, of pods only (templates keep their keys for the pods made
// from them), and before validation, which therefore sees the merged selector.
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelectorRequirement } from 'kubernetes-types/meta/v1.js';
import { podAffinityTerms } from './affinity.js';

export function mergeMatchLabelKeys(spec: PodSpec, labels: Readonly<Record<string, string>> | undefined): void {
  if (!spec.affinity) return;
  for (const term of podAffinityTerms(spec.affinity)) {
    // A term without a selector selects no pod; nothing to narrow.
    const selector = term.labelSelector;
    if (!selector) continue;
    const added = [...requirements(term.matchLabelKeys, 'In', labels), ...requirements(term.mismatchLabelKeys, 'NotIn', labels)];
    if (added.length > 0) selector.matchExpressions = [...(selector.matchExpressions ?? []), ...added];
  }
}

/** One requirement per key the pod has a label for; keys it lacks are skipped. */
function requirements(keys: readonly string[] | undefined, operator: string, labels: Readonly<Record<string, string>> | undefined): LabelSelectorRequirement[] {
  return (keys ?? []).filter((key) => labels !== undefined && Object.hasOwn(labels, key)).map((key) => ({ key, operator, values: [labels![key]!] }));
}

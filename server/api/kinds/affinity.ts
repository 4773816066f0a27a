// A pod spec's `affinity` as upstream 1.31's validateAffinity checks it, for
// pods and pod templates alike: node affinity (the required node selector,
// the preferred terms and their weights) and the terms of pod affinity and
// anti-affinity (selectors, namespaces, matchLabelKeys and
// mismatchLabelKeys, topology keys, weights).
import type { Affinity, NodeAffinity, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { checkName } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { forbidden, invalid, quote, required } from './field-errors.js';
import { validateLabelSelector, validateQualifiedName } from './labels.js';
import { validateNodeSelector, validateNodeSelectorTerm } from './node-selectors.js';

const WEIGHT_RANGE = 'must be in the range 1-100';

/**
 * validateAffinity. `old` is the affinity of the object being updated:
 * when its pod (anti-)affinity selectors already fail the check, label
 * values in the new ones are not checked (upstream's
 * AllowInvalidLabelValueInSelector, so such objects stay updatable).
 */
export function validateAffinity(affinity: Affinity | undefined | null, path: string, old?: Affinity | null): StatusCause[] {
  if (affinity === undefined || affinity === null) return [];
  const lenient = old !== undefined && old !== null && podAffinityTerms(old).some((term) => termSelectorCauses(term, '', false).length > 0);
  const causes: StatusCause[] = [];
  if (affinity.nodeAffinity) causes.push(...validateNodeAffinity(affinity.nodeAffinity, `${path}.nodeAffinity`));
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const terms = affinity[kind];
    if (!terms) continue;
    const p = `${path}.${kind}`;
    (terms.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term, i) =>
      causes.push(...validatePodAffinityTerm(term, `${p}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`, lenient)),
    );
    (terms.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((weighted, i) =>
      causes.push(...validateWeightedTerm(weighted, `${p}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`, lenient)),
    );
  }
  return causes;
}

/** Every pod affinity and anti-affinity term, required and preferred. */
export function podAffinityTerms(affinity: Affinity): PodAffinityTerm[] {
  return [affinity.podAffinity, affinity.podAntiAffinity].flatMap((a) => [
    ...(a?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm ?? ({} as PodAffinityTerm)),
  ]);
}

function validateNodeAffinity(nodeAffinity: NodeAffinity, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const requiredTerms = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (requiredTerms) causes.push(...validateNodeSelector(requiredTerms, `${path}.requiredDuringSchedulingIgnoredDuringExecution`));
  (nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term, i) => {
    const p = `${path}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    causes.push(...validateWeight(term.weight, `${p}.weight`));
    causes.push(...validateNodeSelectorTerm(term.preference ?? {}, `${p}.preference`));
  });
  return causes;
}

function validateWeight(weight: number | undefined, path: string): StatusCause[] {
  const w = weight ?? 0;
  return w <= 0 || w > 100 ? [invalid(path, String(w), WEIGHT_RANGE)] : [];
}

function validateWeightedTerm(weighted: WeightedPodAffinityTerm, path: string, lenient: boolean): StatusCause[] {
  return [
    ...validateWeight(weighted.weight, `${path}.weight`),
    ...validatePodAffinityTerm(weighted.podAffinityTerm ?? ({} as PodAffinityTerm), `${path}.podAffinityTerm`, lenient),
  ];
}

/** validatePodAffinityTerm: selectors, namespaces, label keys, then the topology key. */
function validatePodAffinityTerm(term: PodAffinityTerm, path: string, lenient: boolean): StatusCause[] {
  const causes = termSelectorCauses(term, path, lenient);
  // Upstream reports every bad entry of `namespaces` under `namespace`, without an index.
  for (const name of term.namespaces ?? []) causes.push(...checkName(name, 'label', `${path}.namespace`));
  causes.push(...validateLabelKeys(term, path));
  const topologyKey = term.topologyKey ?? '';
  if (topologyKey === '') causes.push(required(`${path}.topologyKey`, 'can not be empty'));
  causes.push(...validateQualifiedName(topologyKey, `${path}.topologyKey`));
  return causes;
}

/** ValidatePodAffinityTermSelector: the label selector, then the namespace selector. */
function termSelectorCauses(term: PodAffinityTerm, path: string, lenient: boolean): StatusCause[] {
  return [
    ...validateLabelSelector(term.labelSelector, `${path}.labelSelector`, lenient),
    ...validateLabelSelector(term.namespaceSelector, `${path}.namespaceSelector`, lenient),
  ];
}

/**
 * validateMatchLabelKeysAndMismatchLabelKeys. On a pod's create the keys
 * were already merged into the selector (match-label-keys.ts), so a key the
 * user also put there shows up twice; a key seen once is the merge's own.
 */
function validateLabelKeys(term: PodAffinityTerm, path: string): StatusCause[] {
  const selector = term.labelSelector ?? undefined;
  const matchKeys = term.matchLabelKeys ?? [];
  const mismatchKeys = term.mismatchLabelKeys ?? [];
  const causes = [...labelKeyNames(matchKeys, selector, `${path}.matchLabelKeys`), ...labelKeyNames(mismatchKeys, selector, `${path}.mismatchLabelKeys`)];
  if (selector !== undefined) {
    const lastIndex = new Map(matchKeys.map((key, i) => [key, i]));
    const seen = new Set(Object.keys(selector.matchLabels ?? {}));
    for (const { key } of selector.matchExpressions ?? []) {
      const i = lastIndex.get(key);
      // Upstream's path is the term's with the key's index appended (no `.matchLabelKeys`).
      if (i !== undefined && seen.has(key)) causes.push(invalid(`${path}[${i}]`, quote(key), 'exists in both matchLabelKeys and labelSelector'));
      seen.add(key);
    }
  }
  const mismatch = new Set(mismatchKeys);
  matchKeys.forEach((key, i) => {
    if (mismatch.has(key)) causes.push(invalid(`${path}.matchLabelKeys[${i}]`, quote(key), 'exists in both matchLabelKeys and mismatchLabelKeys'));
  });
  return causes;
}

/** validateLabelKeys: label names, and only with a label selector to merge into. */
function labelKeyNames(keys: readonly string[], selector: LabelSelector | undefined, path: string): StatusCause[] {
  if (keys.length === 0) return [];
  if (selector === undefined) return [forbidden(path, 'must not be specified when labelSelector is not set')];
  return keys.flatMap((key, i) => validateQualifiedName(key, `${path}[${i}]`));
}

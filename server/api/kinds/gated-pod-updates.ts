// What upstream 1.31's ValidatePodUpdate lets a pod with scheduling gates
// change beyond other pods (mutable scheduling directives): its nodeSelector
// and its node affinity, only narrowed, so the pod may go to fewer nodes,
// never more (what a controller like Kueue does before lifting its gate).
import type { Affinity, NodeAffinity, NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../status.js';
import { semanticEqual } from './equality.js';
import { goStringMap, goStrings, invalid, quote } from './field-errors.js';

/**
 * Causes for changes of a gated pod's nodeSelector or node affinity that
 * widen them; `munged` (the new spec, a copy) gets the old ones back, so the
 * caller's check that nothing else changed passes over them.
 */
export function narrowSchedulingDirectives(munged: PodSpec, oldSpec: PodSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!semanticEqual(munged.nodeSelector, oldSpec.nodeSelector)) {
    const selector = munged.nodeSelector ?? {};
    const kept = Object.entries(oldSpec.nodeSelector ?? {}).every(([key, value]) => Object.hasOwn(selector, key) && selector[key] === value);
    if (!kept) causes.push(invalid('spec.nodeSelector', goStringMap(munged.nodeSelector), 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
    munged.nodeSelector = oldSpec.nodeSelector;
  }
  const oldNodeAffinity = oldSpec.affinity?.nodeAffinity ?? undefined;
  if (!semanticEqual(munged.affinity?.nodeAffinity, oldNodeAffinity)) {
    causes.push(...nodeAffinityNarrowed(munged.affinity?.nodeAffinity ?? undefined, oldNodeAffinity));
    munged.affinity = withNodeAffinity(munged.affinity ?? undefined, oldNodeAffinity, oldSpec.affinity ?? undefined);
  }
  return causes;
}

/** The new affinity with the old node affinity; none at all when that is all it held and the old pod had none. */
function withNodeAffinity(affinity: Affinity | undefined, nodeAffinity: NodeAffinity | undefined, oldAffinity: Affinity | undefined): Affinity | undefined {
  if (affinity === undefined) return { nodeAffinity };
  if (oldAffinity === undefined && !affinity.podAffinity && !affinity.podAntiAffinity) return undefined;
  return { ...affinity, nodeAffinity };
}

/** validateNodeAffinityMutation: required terms may only gain requirements; none may come or go. */
function nodeAffinityNarrowed(nodeAffinity: NodeAffinity | undefined, old: NodeAffinity | undefined): StatusCause[] {
  // Without a required node selector before, anything may be set.
  if (!old?.requiredDuringSchedulingIgnoredDuringExecution) return [];
  const oldTerms = old.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
  const terms = nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const path = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms';
  const oldCount = oldTerms?.length ?? 0;
  if (oldCount > 0 && oldCount !== (terms?.length ?? 0)) {
    return [invalid(path, goTerms(terms), 'no additions/deletions to non-empty NodeSelectorTerms list are allowed')];
  }
  const causes: StatusCause[] = [];
  (oldTerms ?? []).forEach((oldTerm, i) => {
    const term = terms![i]!;
    if (!onlyAdditions(term, oldTerm)) causes.push(invalid(`${path}[${i}]`, goTerm(term), 'only additions are allowed (no mutations or deletions)'));
  });
  return causes;
}

/** validateNodeSelectorTermHasOnlyAdditions: an empty term stays empty; others keep their requirements in front. */
function onlyAdditions(term: NodeSelectorTerm, old: NodeSelectorTerm): boolean {
  const oldExpressions = old.matchExpressions ?? [];
  const oldFields = old.matchFields ?? [];
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (oldExpressions.length === 0 && oldFields.length === 0 && (expressions.length > 0 || fields.length > 0)) return false;
  const keeps = (now: readonly NodeSelectorRequirement[], before: readonly NodeSelectorRequirement[]): boolean =>
    before.length === 0 || (now.length >= before.length && semanticEqual(now.slice(0, before.length), before));
  return keeps(expressions, oldExpressions) && keeps(fields, oldFields);
}

// Go's %#v of the internal types, as field.Invalid prints a struct or slice.

function goTerms(terms: readonly NodeSelectorTerm[] | undefined | null): string {
  return terms === undefined || terms === null ? '[]core.NodeSelectorTerm(nil)' : `[]core.NodeSelectorTerm{${terms.map(goTerm).join(', ')}}`;
}

function goTerm(term: NodeSelectorTerm): string {
  return `core.NodeSelectorTerm{MatchExpressions:${goRequirements(term.matchExpressions)}, MatchFields:${goRequirements(term.matchFields)}}`;
}

function goRequirements(list: readonly NodeSelectorRequirement[] | undefined | null): string {
  if (list === undefined || list === null) return '[]core.NodeSelectorRequirement(nil)';
  const items = list.map((r) => `core.NodeSelectorRequirement{Key:${quote(r.key ?? '')}, Operator:${quote(r.operator ?? '')}, Values:${goStrings(r.values)}}`);
  return `[]core.NodeSelectorRequirement{${items.join(', ')}}`;
}

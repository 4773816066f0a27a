// Which of a CRD's requested names it may serve under, as upstream's naming
// controller decides: within its group, a resource name (plural, singular,
// short name) or a kind (kind, list kind) another CRD has already been
// accepted for, or a built-in type uses, stays with its first owner.
import type { CustomResourceDefinitionNames } from 'kubernetes-types/apiextensions/v1.js';
import type { ResourceType } from '../resources.js';
import type { Condition, Definition } from './definition.js';

export interface TakenNames {
  readonly resources: ReadonlySet<string>;
  readonly kinds: ReadonlySet<string>;
}

export interface NamesOutcome {
  readonly names: CustomResourceDefinitionNames;
  /** The NamesAccepted condition, without its transition time. */
  readonly condition: Condition & { type: 'NamesAccepted' };
}

/** Names in `group` that belong to others: the accepted names of the other CRDs, and the built-in types of that group. */
export function takenNames(group: string, others: Iterable<Definition>, builtins: readonly ResourceType[]): TakenNames {
  const resources = new Set<string>();
  const kinds = new Set<string>();
  for (const crd of others) {
    const accepted = crd.status?.acceptedNames;
    if (crd.spec.group !== group || accepted === undefined) continue;
    for (const name of [accepted.plural, accepted.singular, ...(accepted.shortNames ?? [])]) if (name) resources.add(name);
    for (const kind of [accepted.kind, accepted.listKind]) if (kind) kinds.add(kind);
  }
  for (const r of builtins) {
    if (r.group !== group) continue;
    for (const name of [r.plural, r.singular, ...r.shortNames]) resources.add(name);
    kinds.add(r.kind).add(r.listKind);
  }
  return { resources, kinds };
}

/** The names `crd` may hold now: what it already holds, plus what it asks for that nobody else holds. */
export function acceptNames(crd: Definition, taken: TakenNames): NamesOutcome {
  const requested = crd.spec.names;
  const accepted: Partial<CustomResourceDefinitionNames> = crd.status?.acceptedNames ?? {};
  const conflicts: { reason: string; message: string }[] = [];
  // The requested name when it is free or already ours, else the one held so far.
  const pick = (want: string | undefined, have: string | undefined, usedBy: ReadonlySet<string>, reason: string): string | undefined => {
    if (want === have || want === undefined || !usedBy.has(want)) return want;
    conflicts.push({ reason, message: `${JSON.stringify(want)} is already in use` });
    return have;
  };

  const plural = pick(requested.plural, accepted.plural, taken.resources, 'PluralConflict');
  const singular = pick(requested.singular, accepted.singular, taken.resources, 'SingularConflict');
  const held = new Set(accepted.shortNames ?? []);
  const shortNamesFree = (requested.shortNames ?? []).filter((s) => held.has(s) || pick(s, undefined, taken.resources, 'ShortNamesConflict') === s);
  const shortNames = shortNamesFree.length === (requested.shortNames ?? []).length ? requested.shortNames : accepted.shortNames;
  const kind = pick(requested.kind, accepted.kind, taken.kinds, 'KindConflict');
  const listKind = pick(requested.listKind, accepted.listKind, taken.kinds, 'ListKindConflict');
  // Upstream's field order.
  const names: CustomResourceDefinitionNames = {
    plural: plural ?? '',
    ...(singular !== undefined ? { singular } : {}),
    ...(shortNames !== undefined ? { shortNames } : {}),
    kind: kind ?? '',
    ...(listKind !== undefined ? { listKind } : {}),
    ...(requested.categories !== undefined ? { categories: requested.categories } : {}),
  };
  // Like upstream, the condition tells of the last conflict found.
  const conflict = conflicts.at(-1);
  const condition = conflict === undefined
    ? { type: 'NamesAccepted' as const, status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }
    : { type: 'NamesAccepted' as const, status: 'False', ...conflict };
  return { names, condition };
}

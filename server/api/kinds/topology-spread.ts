// A pod spec's `topologySpreadConstraints` as upstream 1.31's
// validateTopologySpreadConstraints checks them, for pods and pod templates
// alike: maxSkew, topologyKey, whenUnsatisfiable, one constraint per
// {topologyKey, whenUnsatisfiable}, minDomains, the node inclusion policies,
// matchLabelKeys and the label selector.
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { StatusCause } from '../status.js';
import { duplicate, forbidden, invalid, notSupported, quote, required } from './field-errors.js';
import { validateLabelSelector, validateQualifiedName } from './labels.js';

const NOT_POSITIVE = 'must be greater than zero';
// Both sorted, as upstream lists its sets.
const ACTIONS = ['DoNotSchedule', 'ScheduleAnyway'];
const NODE_INCLUSION_POLICIES = ['Honor', 'Ignore'];

/**
 * validateTopologySpreadConstraints. `old` holds the constraints of the
 * object being updated: when one of its selectors already fails the check,
 * the new selectors are not checked (upstream's
 * AllowInvalidTopologySpreadConstraintLabelSelector).
 */
export function validateTopologySpreadConstraints(
  constraints: readonly TopologySpreadConstraint[] | undefined | null,
  path: string,
  old?: readonly TopologySpreadConstraint[] | null,
): StatusCause[] {
  const list = constraints ?? [];
  const lenient = (old ?? []).some((c) => validateLabelSelector(c.labelSelector, '').length > 0);
  const causes: StatusCause[] = [];
  list.forEach((c, i) => {
    const p = `${path}[${i}]`;
    const topologyKey = c.topologyKey ?? '';
    const action = c.whenUnsatisfiable ?? '';
    const maxSkew = c.maxSkew ?? 0;
    if (maxSkew <= 0) causes.push(invalid(`${p}.maxSkew`, String(maxSkew), NOT_POSITIVE));
    if (topologyKey === '') causes.push(required(`${p}.topologyKey`, 'can not be empty'));
    if (!ACTIONS.includes(action)) causes.push(notSupported(`${p}.whenUnsatisfiable`, quote(action), ACTIONS));
    // A repeat is reported at the first of the two.
    if (list.slice(i + 1).some((other) => (other.topologyKey ?? '') === topologyKey && (other.whenUnsatisfiable ?? '') === action)) {
      causes.push(duplicate(`${p}.{topologyKey, whenUnsatisfiable}`, quote(`{${topologyKey}, ${action}}`)));
    }
    causes.push(...validateMinDomains(c.minDomains, action, `${p}.minDomains`));
    for (const policy of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      const value = c[policy];
      if (value !== undefined && value !== null && !NODE_INCLUSION_POLICIES.includes(value)) {
        causes.push(notSupported(`${p}.${policy}`, quote(value), NODE_INCLUSION_POLICIES));
      }
    }
    causes.push(...validateMatchLabelKeys(c.matchLabelKeys ?? [], c.labelSelector ?? undefined, `${p}.matchLabelKeys`));
    if (!lenient) causes.push(...validateLabelSelector(c.labelSelector, `${p}.labelSelector`));
  });
  return causes;
}

/** minDomains, when set, is positive and needs whenUnsatisfiable DoNotSchedule. */
function validateMinDomains(minDomains: number | undefined | null, action: string, path: string): StatusCause[] {
  if (minDomains === undefined || minDomains === null) return [];
  const causes: StatusCause[] = [];
  if (minDomains <= 0) causes.push(invalid(path, String(minDomains), NOT_POSITIVE));
  if (action !== 'DoNotSchedule') causes.push(invalid(path, String(minDomains), `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${action}`));
  return causes;
}

/** validateMatchLabelKeysInTopologySpread: label names, none of them already in the selector. */
function validateMatchLabelKeys(keys: readonly string[], selector: LabelSelector | undefined, path: string): StatusCause[] {
  if (keys.length === 0) return [];
  const causes: StatusCause[] = [];
  const selectorKeys = new Set<string>();
  if (selector === undefined) causes.push(forbidden(path, 'must not be specified when labelSelector is not set'));
  else for (const key of [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((e) => e.key)]) selectorKeys.add(key);
  keys.forEach((key, i) => {
    causes.push(...validateQualifiedName(key, `${path}[${i}]`));
    if (selectorKeys.has(key)) causes.push(invalid(`${path}[${i}]`, quote(key), 'exists in both matchLabelKeys and labelSelector'));
  });
  return causes;
}

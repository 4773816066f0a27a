// RBAC PolicyRules as escalation checks see them (upstream's
// component-helpers rbac/validation and pkg/registry/rbac/validation): read
// from an object's JSON, broken into atomic rules (one verb, group, resource
// and resource name, or one URL and verb), and the missing ones compacted and
// printed the way upstream's 403 lists them.
import { goQuotedList } from '../../kinds/field-errors.js';
import { errors } from '../../status.js';

/** A PolicyRule as checked: every list present, of strings. */
export interface ParsedPolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
  readonly nonResourceURLs: readonly string[];
}

/** One permission: a verb on a group's resource (perhaps one object of it), or a verb on a URL. */
export type AtomicRule =
  | { readonly kind: 'resource'; readonly verb: string; readonly group: string; readonly resource: string; readonly resourceName?: string }
  | { readonly kind: 'url'; readonly verb: string; readonly url: string };

const FIELDS = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const;

/** The `rules` of a Role or ClusterRole; absent is none. A malformed list is a 400, as it would be when decoding it upstream. */
export function policyRulesOf(value: unknown, field = 'rules'): ParsedPolicyRule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw errors.badRequest(`${field} must be a list of PolicyRules`);
  return value.map((rule: unknown, i) => {
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) throw errors.badRequest(`${field}[${i}] must be a PolicyRule`);
    const lists = FIELDS.map((name) => {
      const list = (rule as Record<string, unknown>)[name];
      if (list === undefined || list === null) return [];
      if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw errors.badRequest(`${field}[${i}].${name} must be a list of strings`);
      return list as string[];
    });
    const [verbs, apiGroups, resources, resourceNames, nonResourceURLs] = lists as [string[], string[], string[], string[], string[]];
    return { verbs, apiGroups, resources, resourceNames, nonResourceURLs };
  });
}

/** Upstream's breakdownRule: every group × resource × verb (× resource name), then every URL × verb. */
export function atomicRules(rule: ParsedPolicyRule): AtomicRule[] {
  const atoms: AtomicRule[] = [];
  for (const group of rule.apiGroups) {
    for (const resource of rule.resources) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames.length === 0) atoms.push({ kind: 'resource', verb, group, resource });
        else for (const resourceName of rule.resourceNames) atoms.push({ kind: 'resource', verb, group, resource, resourceName });
      }
    }
  }
  for (const url of rule.nonResourceURLs) for (const verb of rule.verbs) atoms.push({ kind: 'url', verb, url });
  return atoms;
}

/**
 * Upstream's CompactRules then CompactString, sorted and without repeats: the
 * lines of "attempting to grant RBAC permissions not currently held". Rules of
 * one group and resource with no name merge their verbs.
 */
export function describeMissing(missing: readonly AtomicRule[]): string[] {
  const merged = new Map<string, { group: string; resource: string; verbs: string[] }>();
  const lines = new Set<string>();
  for (const atom of missing) {
    if (atom.kind === 'url') lines.add(compactString({ nonResourceURLs: [atom.url], verbs: [atom.verb] }));
    else if (atom.resourceName !== undefined) {
      lines.add(compactString({ apiGroups: [atom.group], resources: [atom.resource], resourceNames: [atom.resourceName], verbs: [atom.verb] }));
    } else {
      const key = JSON.stringify([atom.group, atom.resource]);
      const rule = merged.get(key) ?? { group: atom.group, resource: atom.resource, verbs: [] };
      rule.verbs.push(atom.verb);
      merged.set(key, rule);
    }
  }
  for (const rule of merged.values()) lines.add(compactString({ apiGroups: [rule.group], resources: [rule.resource], verbs: rule.verbs }));
  return [...lines].sort();
}

/** `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}`: upstream's CompactString, lists as Go's %q prints them. */
function compactString(rule: Partial<Record<(typeof FIELDS)[number], readonly string[]>>): string {
  const parts: [string, readonly string[] | undefined][] = [
    ['APIGroups', rule.apiGroups],
    ['Resources', rule.resources],
    ['NonResourceURLs', rule.nonResourceURLs],
    ['ResourceNames', rule.resourceNames],
    ['Verbs', rule.verbs],
  ];
  return `{${parts
    .filter(([, list]) => list !== undefined && list.length > 0)
    .map(([name, list]) => `${name}:${goQuotedList(list!)}`)
    .join(', ')}}`;
}

// Whether some RBAC rules grant everything other rules grant, as upstream's
// policy comparator decides it (component-helpers auth/rbac/validation): the
// wanted rules are broken down into rules of one group, one resource, one
// verb (and one name, one URL), and each of those must be granted by one
// owned rule, with upstream's wildcards ("*" verbs, groups and resources,
// "*/sub" for a subresource of any resource, a trailing "*" in a URL).
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';

/** The atomic rules of `wanted` that no rule of `owned` grants; empty when `owned` covers `wanted`. */
export function uncoveredRules(owned: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakDown).filter((atom) => !owned.some((rule) => grants(rule, atom)));
}

/** The rule as rules of at most one group, resource, verb, name or URL each. */
function breakDown(rule: PolicyRule): PolicyRule[] {
  const atoms: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) atoms.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        for (const name of names) atoms.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) {
    for (const verb of rule.verbs) atoms.push({ nonResourceURLs: [url], verbs: [verb] });
  }
  return atoms;
}

/** Whether `rule` grants the atomic rule `atom`. */
function grants(rule: PolicyRule, atom: PolicyRule): boolean {
  const names = rule.resourceNames ?? [];
  const atomNames = atom.resourceNames ?? [];
  return (
    (rule.verbs.includes('*') || includesAll(rule.verbs, atom.verbs)) &&
    ((rule.apiGroups ?? []).includes('*') || includesAll(rule.apiGroups ?? [], atom.apiGroups ?? [])) &&
    resourcesCovered(rule.resources ?? [], atom.resources ?? []) &&
    (atom.nonResourceURLs ?? []).every((url) => (rule.nonResourceURLs ?? []).some((owned) => urlCovers(owned, url))) &&
    (names.length === 0 || (atomNames.length > 0 && includesAll(names, atomNames)))
  );
}

function resourcesCovered(owned: readonly string[], wanted: readonly string[]): boolean {
  if (owned.includes('*')) return true;
  return wanted.every((resource) => {
    if (owned.includes(resource)) return true;
    const slash = resource.indexOf('/');
    return slash >= 0 && owned.includes(`*${resource.slice(slash)}`);
  });
}

function urlCovers(owned: string, url: string): boolean {
  return owned === url || (owned.endsWith('*') && url.startsWith(owned.replace(/\*+$/, '')));
}

function includesAll(set: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((item) => set.includes(item));
}

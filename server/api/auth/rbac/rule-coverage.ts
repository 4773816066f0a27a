// Whether some RBAC rules grant everything other rules grant, as upstream's
// policy comparator (component-helpers auth/rbac/validation Covers) decides
// it: the wanted rules are broken down into rules of one group, resource,
// verb and name (or one URL and verb), and each of those must be allowed by
// one owned rule, matched as the authorizer matches a request.
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { type RuleRequest, ruleAllows } from './policy-rules.js';

/** The atomic rules of `wanted` that no rule of `owned` grants, in upstream's order; empty when `owned` covers `wanted`. */
export function uncoveredRules(owned: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakDown).filter((atom) => !owned.some((rule) => ruleAllows(rule, requestOf(atom))));
}

/** Upstream's BreakdownRule: group × resource × verb (× name), then URL × verb. */
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

/** An atomic rule as the request it allows ("pods/log" is resource "pods", subresource "log"). */
function requestOf(atom: PolicyRule): RuleRequest {
  const verb = atom.verbs[0]!;
  const url = atom.nonResourceURLs?.[0];
  if (url !== undefined) return { kind: 'path', verb, path: url };
  const [resource, subresource] = splitOnce(atom.resources![0]!);
  const name = atom.resourceNames?.[0];
  return { kind: 'resource', verb, group: atom.apiGroups![0]!, resource, ...(subresource !== undefined ? { subresource } : {}), ...(name !== undefined ? { name } : {}) };
}

function splitOnce(resource: string): [string, string | undefined] {
  const slash = resource.indexOf('/');
  return slash < 0 ? [resource, undefined] : [resource.slice(0, slash), resource.slice(slash + 1)];
}

// Whether some RBAC rules grant everything other rules grant, as upstream's
// policy comparator (component-helpers auth/rbac/validation Covers) decides
// it: the wanted rules are broken down into atomic rules (atomic-rules.ts),
// and each of those must be allowed by one owned rule, matched as the
// authorizer matches a request.
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { type AtomicRule, atomicRules, policyRulesOf } from './atomic-rules.js';
import { type RuleRequest, ruleAllows } from './policy-rules.js';

/** The atomic rules of `wanted` that no rule of `owned` grants, in upstream's order; empty when `owned` covers `wanted`. */
export function uncoveredRules(owned: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  return policyRulesOf(wanted)
    .flatMap(atomicRules)
    .filter((atom) => !owned.some((rule) => ruleAllows(rule, requestOf(atom))))
    .map(policyRuleOf);
}

/** An atomic rule as the request it allows ("pods/log" is resource "pods", subresource "log"). */
function requestOf(atom: AtomicRule): RuleRequest {
  if (atom.kind === 'url') return { kind: 'path', verb: atom.verb, path: atom.url };
  const slash = atom.resource.indexOf('/');
  const resource = slash < 0 ? { resource: atom.resource } : { resource: atom.resource.slice(0, slash), subresource: atom.resource.slice(slash + 1) };
  return { kind: 'resource', verb: atom.verb, group: atom.group, ...resource, ...(atom.resourceName !== undefined ? { name: atom.resourceName } : {}) };
}

function policyRuleOf(atom: AtomicRule): PolicyRule {
  if (atom.kind === 'url') return { nonResourceURLs: [atom.url], verbs: [atom.verb] };
  return { apiGroups: [atom.group], resources: [atom.resource], verbs: [atom.verb], ...(atom.resourceName !== undefined ? { resourceNames: [atom.resourceName] } : {}) };
}

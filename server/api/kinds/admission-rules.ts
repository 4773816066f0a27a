// What webhooks and admission policies match, as upstream 1.31's
// admissionregistration defaults and validation treat it: rules of
// operations, groups, versions, resources and scope; a policy's or
// binding's match resources (selectors, named rules); match conditions,
// whose CEL expressions are not compiled here.
import type { MatchCondition, MatchResources, NamedRuleWithOperations, RuleWithOperations } from 'kubernetes-types/admissionregistration/v1.js';
import { pathSegmentErrors } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { duplicate, goStrings, invalid, notSupported, quote, required, tooMany } from './field-errors.js';
import { validateLabelSelector, validateQualifiedName } from './labels.js';

/** Rule's fields, which kubernetes-types leaves out of RuleWithOperations. */
export type Rule = RuleWithOperations & { resources?: string[]; scope?: string };
export type NamedRule = NamedRuleWithOperations & { resources?: string[]; scope?: string };

export const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];
const MAX_MATCH_CONDITIONS = 64;

/** %#v of a slice of a named string type of the internal admissionregistration package. */
export function goTypedStrings(type: string, list: readonly string[]): string {
  return `[]admissionregistration.${type}{${list.map(quote).join(', ')}}`;
}

/** SetDefaults_Rule: every scope. */
export function ruleDefaults(rule: Rule): void {
  rule.scope ??= '*';
}

/** SetDefaults_MatchResources, with its rules' defaults. */
export function matchResourcesDefaults(match: MatchResources): void {
  match.matchPolicy ??= 'Equivalent';
  match.namespaceSelector ??= {};
  match.objectSelector ??= {};
  for (const rule of [...(match.resourceRules ?? []), ...(match.excludeResourceRules ?? [])]) ruleDefaults(rule as Rule);
}

/** validateRuleWithOperations: subresources allowed. */
export function validateRuleWithOperations(rule: Rule, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const operations = rule.operations ?? [];
  if (operations.length === 0) causes.push(required(`${path}.operations`));
  if (operations.length > 1 && operations.includes('*')) {
    causes.push(invalid(`${path}.operations`, goTypedStrings('OperationType', operations), "if '*' is present, must not specify other operations"));
  }
  operations.forEach((op, i) => {
    if (!OPERATIONS.includes(op)) causes.push(notSupported(`${path}.operations[${i}]`, quote(op), OPERATIONS));
  });
  const groups = rule.apiGroups ?? [];
  if (groups.length === 0) causes.push(required(`${path}.apiGroups`));
  if (groups.length > 1 && groups.includes('*')) causes.push(invalid(`${path}.apiGroups`, goStrings(groups), "if '*' is present, must not specify other API groups"));
  const versions = rule.apiVersions ?? [];
  if (versions.length === 0) causes.push(required(`${path}.apiVersions`));
  if (versions.length > 1 && versions.includes('*')) causes.push(invalid(`${path}.apiVersions`, goStrings(versions), "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (v === '') causes.push(required(`${path}.apiVersions[${i}]`));
  });
  causes.push(...validateResources(rule.resources ?? [], `${path}.resources`));
  if (rule.scope != null && !SCOPES.includes(rule.scope)) causes.push(notSupported(`${path}.scope`, quote(rule.scope), SCOPES));
  return causes;
}

// validateResources: a wildcard subresource of a resource, or a wildcard
// resource of a subresource, forbids what it covers; all of "*" and its subresources stands alone; "*"
// forbids resources without a subresource (upstream remembers only whether
// the last of those was "*", so ["pods", "*"] passes).
function validateResources(resources: readonly string[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (resources.length === 0) causes.push(required(path));
  const wildcardSubresources = new Set<string>();
  const wildcardResources = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let withoutSubresource = false;
  resources.forEach((entry, i) => {
    if (entry === '') {
      causes.push(required(`${path}[${i}]`));
      return;
    }
    if (entry === '*/*') doubleWildcard = true;
    if (entry === '*') singleWildcard = true;
    const slash = entry.indexOf('/');
    if (slash === -1) {
      withoutSubresource = entry !== '*';
      return;
    }
    const [res, sub] = [entry.slice(0, slash), entry.slice(slash + 1)];
    if (wildcardSubresources.has(res)) causes.push(invalid(`${path}[${i}]`, quote(entry), `if '${res}/*' is present, must not specify ${entry}`));
    if (wildcardResources.has(sub)) causes.push(invalid(`${path}[${i}]`, quote(entry), `if '*/${sub}' is present, must not specify ${entry}`));
    if (sub === '*') wildcardSubresources.add(res);
    if (res === '*') wildcardResources.add(sub);
  });
  if (resources.length > 1 && doubleWildcard) causes.push(invalid(path, goStrings(resources), "if '*/*' is present, must not specify other resources"));
  if (singleWildcard && withoutSubresource) causes.push(invalid(path, goStrings(resources), "if '*' is present, must not specify other resources without subresources"));
  return causes;
}

/** validateMatchResources: a policy's constraints and a binding's match, selectors checked strictly. */
export function validateMatchResources(match: MatchResources, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (match.matchPolicy == null) causes.push(required(`${path}.matchPolicy`));
  else if (!MATCH_POLICIES.includes(match.matchPolicy)) causes.push(notSupported(`${path}.matchPolicy`, quote(match.matchPolicy), MATCH_POLICIES));
  for (const key of ['namespaceSelector', 'objectSelector'] as const) {
    if (match[key] == null) causes.push(required(`${path}.${key}`));
    else causes.push(...validateLabelSelector(match[key], `${path}.${key}`));
  }
  for (const key of ['resourceRules', 'excludeResourceRules'] as const) {
    (match[key] ?? []).forEach((rule, i) => causes.push(...validateNamedRule(rule, `${path}.${key}[${i}]`)));
  }
  return causes;
}

/** validateNamedRuleWithOperations: resource names are path segments, each once. */
function validateNamedRule(rule: NamedRule, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  (rule.resourceNames ?? []).forEach((name, i) => {
    causes.push(...pathSegmentErrors(name).map((m) => invalid(`${path}.resourceNames[${i}]`, quote(name), m)));
    if (seen.has(name)) causes.push(duplicate(`${path}.resourceNames[${i}]`, quote(name)));
    seen.add(name);
  });
  return [...causes, ...validateRuleWithOperations(rule, path)];
}

/** MatchPolicy of webhooks. */
export function validateMatchPolicy(policy: string | undefined | null, path: string): StatusCause[] {
  return policy != null && !MATCH_POLICIES.includes(policy) ? [notSupported(path, quote(policy), MATCH_POLICIES)] : [];
}

/** validateMatchConditions: at most 64, each named (a qualified name, once) with an expression; the CEL is not compiled. */
export function validateMatchConditions(conditions: readonly MatchCondition[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (conditions.length > MAX_MATCH_CONDITIONS) causes.push(tooMany(path, conditions.length, MAX_MATCH_CONDITIONS));
  const names = new Set<string>();
  conditions.forEach((condition, i) => {
    const name = condition.name ?? '';
    if ((condition.expression ?? '').trim() === '') causes.push(required(`${path}[${i}].expression`));
    causes.push(...(name === '' ? [required(`${path}[${i}].name`)] : validateQualifiedName(name, `${path}[${i}].name`)));
    if (name !== '' && names.has(name)) causes.push(duplicate(`${path}[${i}].name`, quote(name)));
    names.add(name);
  });
  return causes;
}

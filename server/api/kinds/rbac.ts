// rbac.authorization.k8s.io/v1 Roles, ClusterRoles and their bindings,
// defaulted and validated as upstream's (SetDefaults_Subject/RoleRef and
// pkg/apis/rbac/validation): RBAC is enforced, so a rule or a binding that
// cannot mean what it says is refused rather than stored to grant nothing,
// and a binding's roleRef cannot change (a binding is deleted and made
// again to point at another role).
import type { AggregationRule, PolicyRule, RoleRef, Subject } from 'kubernetes-types/rbac/v1.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import { checkName } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { goStrings, invalid, notSupported, quote, required } from './field-errors.js';
import { validateLabelSelector } from './labels.js';

const GROUP = 'rbac.authorization.k8s.io';

type RoleObject = KubeObject & { rules?: PolicyRule[]; aggregationRule?: AggregationRule };
type BindingObject = KubeObject & { roleRef?: Partial<RoleRef>; subjects?: Partial<Subject>[] };

export const roleRules: KindRules = {
  validate: (obj) => policyRuleCauses((obj as RoleObject).rules, true),
};

export const clusterRoleRules: KindRules = {
  validate(obj) {
    const role = obj as RoleObject;
    const causes = policyRuleCauses(role.rules, false);
    const aggregation = role.aggregationRule;
    if (aggregation !== undefined && aggregation !== null) {
      const selectors = aggregation.clusterRoleSelectors ?? [];
      if (selectors.length === 0) {
        causes.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
      }
      selectors.forEach((s, i) => causes.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
    }
    return causes;
  },
};

export const roleBindingRules: KindRules = {
  defaults: defaultBinding,
  validate: (obj, old) => bindingCauses(obj as BindingObject, old as BindingObject | undefined, ['Role', 'ClusterRole'], true),
};

export const clusterRoleBindingRules: KindRules = {
  defaults: defaultBinding,
  validate: (obj, old) => bindingCauses(obj as BindingObject, old as BindingObject | undefined, ['ClusterRole'], false),
};

/** The roleRef's group, and a User's or Group's, default to RBAC's own; a ServiceAccount's is the core group. */
function defaultBinding(obj: KubeObject): void {
  const binding = obj as BindingObject;
  if (binding.roleRef !== undefined && binding.roleRef !== null && !binding.roleRef.apiGroup) binding.roleRef.apiGroup = GROUP;
  for (const subject of binding.subjects ?? []) {
    if (subject !== null && typeof subject === 'object' && !subject.apiGroup && (subject.kind === 'User' || subject.kind === 'Group')) subject.apiGroup = GROUP;
  }
}

/** validatePolicyRule for each rule. */
function policyRuleCauses(rules: readonly PolicyRule[] | undefined, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  (rules ?? []).forEach((rule, i) => {
    const at = `rules[${i}]`;
    if ((rule.verbs ?? []).length === 0) causes.push(required(`${at}.verbs`, 'verbs must contain at least one value'));
    const urls = rule.nonResourceURLs ?? [];
    if (urls.length > 0) {
      if (namespaced) causes.push(invalid(`${at}.nonResourceURLs`, goStrings(urls), 'namespaced rules cannot apply to non-resource URLs'));
      if ((rule.apiGroups ?? []).length > 0 || (rule.resources ?? []).length > 0 || (rule.resourceNames ?? []).length > 0) {
        causes.push(invalid(`${at}.nonResourceURLs`, goStrings(urls), 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if ((rule.apiGroups ?? []).length === 0) causes.push(required(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
    if ((rule.resources ?? []).length === 0) causes.push(required(`${at}.resources`, 'resource rules must supply at least one resource'));
    if ((rule.resourceNames ?? []).length > 0 && (rule.resources ?? []).length > 1) {
      causes.push(required(`${at}.resourceNames`, 'resource names cannot apply to multiple resources'));
    }
  });
  return causes;
}

/** ValidateRoleBinding / ValidateClusterRoleBinding, and on update the roleRef kept. */
function bindingCauses(binding: BindingObject, old: BindingObject | undefined, kinds: readonly string[], namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const ref = binding.roleRef ?? {};
  if (ref.apiGroup !== GROUP) causes.push(notSupported('roleRef.apiGroup', quote(ref.apiGroup ?? ''), [GROUP]));
  if (!kinds.includes(ref.kind ?? '')) causes.push(notSupported('roleRef.kind', quote(ref.kind ?? ''), kinds));
  if (!ref.name) causes.push(required('roleRef.name'));
  else causes.push(...checkName(ref.name, 'path-segment', 'roleRef.name'));
  (binding.subjects ?? []).forEach((subject, i) => causes.push(...subjectCauses(subject ?? {}, namespaced, `subjects[${i}]`)));
  if (old !== undefined) {
    const before = old.roleRef ?? {};
    if (before.apiGroup !== ref.apiGroup || before.kind !== ref.kind || before.name !== ref.name) {
      // The internal type's %#v, as upstream prints it.
      const value = `rbac.RoleRef{APIGroup:${quote(ref.apiGroup ?? '')}, Kind:${quote(ref.kind ?? '')}, Name:${quote(ref.name ?? '')}}`;
      causes.push(invalid('roleRef', value, 'cannot change roleRef'));
    }
  }
  return causes;
}

/** validateRoleBindingSubject. */
function subjectCauses(subject: Partial<Subject>, namespaced: boolean, at: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = subject.name ?? '';
  const group = subject.apiGroup ?? '';
  if (name === '') causes.push(required(`${at}.name`));
  switch (subject.kind) {
    case 'ServiceAccount':
      if (name !== '') causes.push(...checkName(name, 'subdomain', `${at}.name`));
      if (group !== '') causes.push(notSupported(`${at}.apiGroup`, quote(group), ['']));
      if (!namespaced && !subject.namespace) causes.push(required(`${at}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (name === '') causes.push(invalid(`${at}.name`, '""', `${subject.kind === 'User' ? 'user' : 'group'} name cannot be empty`));
      if (group !== GROUP) causes.push(notSupported(`${at}.apiGroup`, quote(group), [GROUP]));
      break;
    default:
      causes.push(notSupported(`${at}.kind`, quote(subject.kind ?? ''), ['ServiceAccount', 'User', 'Group']));
  }
  return causes;
}

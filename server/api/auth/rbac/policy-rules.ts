// What one RBAC PolicyRule allows and whom one binding subject names, with
// the semantics of upstream's rbac evaluation helpers (RuleAllows,
// appliesToUser). Stored RBAC objects are read defensively: a field of the
// wrong shape allows nothing rather than throwing.
import type { PolicyRule, Subject } from 'kubernetes-types/rbac/v1.js';
import { SERVICE_ACCOUNT_USER_PREFIX, type UserInfo } from '../user.js';

/** The parts of a request a rule is matched against. */
export type RuleRequest =
  | { readonly kind: 'resource'; readonly verb: string; readonly group: string; readonly resource: string; readonly subresource?: string; readonly name?: string }
  | { readonly kind: 'path'; readonly verb: string; readonly path: string };

const ALL = '*';

export function ruleAllows(rule: PolicyRule, request: RuleRequest): boolean {
  if (!verbMatches(rule, request.verb)) return false;
  if (request.kind === 'path') return nonResourceUrlMatches(rule, request.path);
  return (
    apiGroupMatches(rule, request.group) &&
    resourceMatches(rule, request.resource, request.subresource) &&
    resourceNameMatches(rule, request.name)
  );
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return stringsOf(rule.verbs).some((v) => v === ALL || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return stringsOf(rule.apiGroups).some((g) => g === ALL || g === group);
}

/** "*", the exact "resource" or "resource/subresource", or "*" then "/subresource" for any resource; "resource" then "/*" means nothing special. */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource === undefined ? resource : `${resource}/${subresource}`;
  return stringsOf(rule.resources).some((r) => r === ALL || r === combined || (subresource !== undefined && r === `*/${subresource}`));
}

/** No resourceNames: every name. Otherwise the request must name one, so a list or a create (no name) never matches. */
export function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  const names = stringsOf(rule.resourceNames);
  return names.length === 0 || names.includes(name ?? '');
}

/** Exact, "*", or a prefix ending in "*" ("/healthz/*" matches "/healthz/etcd", and also "/healthz/"). */
export function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  return stringsOf(rule.nonResourceURLs).some((url) => url === ALL || url === path || (url.endsWith(ALL) && path.startsWith(url.replace(/\*+$/, ''))));
}

/**
 * What a subject is matched by: "user:NAME" (a User, or the user name of a
 * ServiceAccount) or "group:NAME"; undefined for a subject that names no
 * one (an unknown kind, a ServiceAccount without a namespace in a
 * ClusterRoleBinding). `bindingNamespace` is "" for a ClusterRoleBinding.
 */
export function subjectKey(subject: Subject, bindingNamespace: string): string | undefined {
  if (typeof subject !== 'object' || subject === null || typeof subject.name !== 'string') return undefined;
  switch (subject.kind) {
    case 'User':
      return `user:${subject.name}`;
    case 'Group':
      return `group:${subject.name}`;
    case 'ServiceAccount': {
      // A RoleBinding may leave its own namespace out, as upstream defaults it.
      const namespace = typeof subject.namespace === 'string' && subject.namespace !== '' ? subject.namespace : bindingNamespace;
      return namespace === '' ? undefined : `user:${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${subject.name}`;
    }
    default:
      return undefined;
  }
}

/** Every subject key that applies to `user` (its name, each of its groups): a subject applies when its key is one of them. */
export function userKeys(user: UserInfo): string[] {
  return [`user:${user.name}`, ...user.groups.map((g) => `group:${g}`)];
}

/** The keys of every subject of a binding (its `subjects` read as stored, whatever its shape). */
export function bindingSubjectKeys(subjects: unknown, bindingNamespace: string): string[] {
  if (!Array.isArray(subjects)) return [];
  return [...new Set(subjects.flatMap((s: Subject) => subjectKey(s, bindingNamespace) ?? []))];
}

/** The strings of a list field; anything else (absent, not a list) is no strings. */
export function stringsOf(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

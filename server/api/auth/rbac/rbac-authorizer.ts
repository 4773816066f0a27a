// RBAC as upstream's authorizer enforces it: a user may do what a rule of a
// role bound to it allows. ClusterRoleBindings grant everywhere; a
// namespace's RoleBindings grant in that namespace only, to a Role of that
// namespace or a ClusterRole. It only ever allows: anything else is no
// opinion, with the bindings' unresolvable roles as the reason, as upstream.
// It reads the server's shared informers, with the bindings indexed by
// subject, so a request looks at the bindings of its user and groups only.
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { SharedInformer, SharedInformers } from '../../../controllers/shared-informers.js';
import { quote } from '../../kinds/field-errors.js';
import type { KubeObject } from '../../objects.js';
import { namespaceOf } from '../../request-info.js';
import { aggregate, errors } from '../../status.js';
import { ALLOW, type Attributes, type Authorizer, type Decision, NO_OPINION, type NonResourceRule, noOpinion, type ResourceRule, type UserRules } from '../authorizer.js';
import type { UserInfo } from '../user.js';
import { bindingSubjectKeys, ruleAllows, stringsOf, userKeys } from './policy-rules.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** Bindings filed under "NAMESPACE/KEY" (RoleBindings) or "KEY" (ClusterRoleBindings), KEY as `subjectKey` gives it. */
const SUBJECT_INDEX = 'rbac-subject';

/** A binding's rules, or why they could not be had (upstream's wording). */
type Resolved = { readonly rules: readonly PolicyRule[] } | { readonly error: string };

export class RbacAuthorizer implements Authorizer {
  readonly #roles: SharedInformer;
  readonly #clusterRoles: SharedInformer;
  readonly #roleBindings: SharedInformer;
  readonly #clusterRoleBindings: SharedInformer;
  #synced: Promise<void> | undefined;

  constructor(informers: SharedInformers) {
    this.#roles = informers.of(RBAC_GROUP, 'v1', 'roles');
    this.#clusterRoles = informers.of(RBAC_GROUP, 'v1', 'clusterroles');
    this.#roleBindings = informers.of(RBAC_GROUP, 'v1', 'rolebindings');
    this.#clusterRoleBindings = informers.of(RBAC_GROUP, 'v1', 'clusterrolebindings');
    this.#roleBindings.addIndex(SUBJECT_INDEX, (obj) => {
      const namespace = obj.metadata.namespace ?? '';
      return bindingSubjectKeys(obj['subjects'], namespace).map((key) => `${namespace}/${key}`);
    });
    this.#clusterRoleBindings.addIndex(SUBJECT_INDEX, (obj) => bindingSubjectKeys(obj['subjects'], ''));
  }

  /** Lists the four kinds once (every caller waits for the same list), so that no request is judged on an empty cache. */
  #sync(): Promise<void> {
    // A failed list is tried again by the next request (the informers forget it too), not remembered as a 500 for good.
    this.#synced ??= Promise.all([this.#roles, this.#clusterRoles, this.#roleBindings, this.#clusterRoleBindings].map((i) => i.start())).then(
      () => undefined,
      (err: unknown) => {
        this.#synced = undefined;
        throw err;
      },
    );
    return this.#synced;
  }

  async authorize(user: UserInfo, attrs: Attributes): Promise<Decision> {
    await this.#sync();
    const failures: string[] = [];
    for (const binding of this.#bindingsOf(user, attrs.kind === 'resource' ? namespaceOf(attrs) : undefined)) {
      const resolved = this.#rulesOf(binding);
      if ('error' in resolved) failures.push(resolved.error);
      else if (resolved.rules.some((rule) => ruleAllows(rule, attrs))) return ALLOW;
    }
    return failures.length === 0 ? NO_OPINION : noOpinion(`RBAC: ${aggregate(failures)}`);
  }

  /** RulesFor: the rules of every role bound to the user, cluster-wide and in `namespace`, resource and non-resource apart. */
  async rulesFor(user: UserInfo, namespace: string): Promise<UserRules> {
    await this.#sync();
    const resourceRules: ResourceRule[] = [];
    const nonResourceRules: NonResourceRule[] = [];
    const failures: string[] = [];
    for (const binding of this.#bindingsOf(user, namespace)) {
      const resolved = this.#rulesOf(binding);
      if ('error' in resolved) {
        failures.push(resolved.error);
        continue;
      }
      for (const rule of resolved.rules) {
        const verbs = stringsOf(rule.verbs);
        const resources = stringsOf(rule.resources);
        const urls = stringsOf(rule.nonResourceURLs);
        if (resources.length > 0) resourceRules.push({ verbs, ...present('apiGroups', stringsOf(rule.apiGroups)), resources, ...present('resourceNames', stringsOf(rule.resourceNames)) });
        if (urls.length > 0) nonResourceRules.push({ verbs, nonResourceURLs: urls });
      }
    }
    return { resourceRules, nonResourceRules, incomplete: false, errors: failures.length === 0 ? [] : [aggregate(failures)] };
  }

  /** The ClusterRoleBindings, then the RoleBindings of `namespace`, that name the user or one of its groups; each once. */
  #bindingsOf(user: UserInfo, namespace: string | undefined): KubeObject[] {
    const keys = userKeys(user);
    const found = new Map<string, KubeObject>();
    const add = (objs: readonly KubeObject[]) => objs.forEach((obj) => found.set(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, obj));
    for (const key of keys) add(this.#clusterRoleBindings.byIndex(SUBJECT_INDEX, key));
    if (namespace !== undefined && namespace !== '') for (const key of keys) add(this.#roleBindings.byIndex(SUBJECT_INDEX, `${namespace}/${key}`));
    return [...found.values()];
  }

  /** The rules of a binding's roleRef: a ClusterRole, or a Role of the binding's own namespace. */
  #rulesOf(obj: KubeObject): Resolved {
    // Read as stored, whatever its shape.
    const roleRef = (typeof obj['roleRef'] === 'object' && obj['roleRef'] !== null ? obj['roleRef'] : {}) as { kind?: unknown; name?: unknown };
    const name = typeof roleRef.name === 'string' ? roleRef.name : '';
    const namespace = obj.metadata.namespace ?? '';
    switch (roleRef.kind) {
      case 'ClusterRole':
        return rulesOrMissing(this.#clusterRoles.get(name), 'clusterrole', name);
      case 'Role':
        return rulesOrMissing(namespace === '' ? undefined : this.#roles.get(`${namespace}/${name}`), 'role', name);
      default:
        return { error: `unsupported role reference kind: ${quote(typeof roleRef.kind === 'string' ? roleRef.kind : '')}` };
    }
  }
}

/** A list field as upstream's omitempty writes it: left out when empty. */
function present<K extends string>(key: K, list: readonly string[]): { [P in K]?: readonly string[] } {
  return (list.length === 0 ? {} : { [key]: list }) as { [P in K]?: readonly string[] };
}

/** As upstream's listers say it: `role.rbac.authorization.k8s.io "x" not found`. */
function rulesOrMissing(role: KubeObject | undefined, singular: string, name: string): Resolved {
  if (role === undefined) return { error: errors.notFound({ group: RBAC_GROUP, plural: singular, kind: singular }, name).message };
  const rules = role['rules'];
  return { rules: Array.isArray(rules) ? rules.filter((r): r is PolicyRule => typeof r === 'object' && r !== null) : [] };
}

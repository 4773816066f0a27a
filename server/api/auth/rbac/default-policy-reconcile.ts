// The default RBAC policy put in place at every start, as kube-apiserver's
// rbac/bootstrap-roles post-start hook reconciles it (pkg/registry/rbac/
// reconciliation): a missing role or binding is created; an existing one
// gets the labels, annotations, rules, aggregation selectors and subjects
// it lacks (what it has is kept, nothing is ever taken away); one annotated
// rbac.authorization.kubernetes.io/autoupdate: "false" is left as it is. A
// start that finds everything in place writes nothing.
import type { PolicyRule, Subject } from 'kubernetes-types/rbac/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Logger } from '../../../../common/log.js';
import type { Catalogue } from '../../catalogue.js';
import { semanticEqual } from '../../kinds/equality.js';
import type { KubeObject } from '../../objects.js';
import type { Registry } from '../../registry/registry.js';
import type { ResourceType } from '../../resources.js';
import { ApiError } from '../../status.js';
import { AUTOUPDATE_ANNOTATION, type ClusterRoleObject, type ClusterRoleBindingObject, defaultClusterRoleBindings, defaultClusterRoles } from './default-policy.js';
import { uncoveredRules } from './rule-coverage.js';

/** What a stored object lacks, and the object with it added. */
interface Reconciled<T> {
  readonly object: T;
  readonly changed: boolean;
  /** The binding's roleRef differs: it is deleted and made again (a roleRef cannot change). */
  readonly recreate?: boolean;
  readonly missing: Record<string, unknown>;
}

/** A write racing ours: read again and reconcile again, a few times. */
const ATTEMPTS = 5;

export async function reconcileDefaultPolicy(registry: Registry, catalogue: Catalogue, log: Logger): Promise<void> {
  const roles = catalogue.get('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  const bindings = catalogue.get('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings')!;
  for (const role of defaultClusterRoles(catalogue)) {
    await reconcile(registry, roles, role, (existing) => reconciledRole(existing as ClusterRoleObject, role), log);
  }
  for (const binding of defaultClusterRoleBindings()) {
    await reconcile(registry, bindings, binding, (existing) => reconciledBinding(existing as ClusterRoleBindingObject, binding), log);
  }
}

/** Creates `expected` when missing, else writes what `reconciled` adds to the stored object, if anything. */
async function reconcile(
  registry: Registry,
  type: ResourceType,
  expected: KubeObject,
  reconciled: (existing: KubeObject) => Reconciled<KubeObject>,
  log: Logger,
): Promise<void> {
  const name = expected.metadata.name!;
  const what = { [type.kind]: name };
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = await getIfThere(registry, type, name);
      if (existing === undefined) {
        await registry.create(type, undefined, structuredClone(expected), {});
        log.debug(`created ${type.kind}`, what);
        return;
      }
      const result = reconciled(existing);
      if (!result.changed) return;
      if (existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') {
        log.warn(`left ${type.kind} as it is (${AUTOUPDATE_ANNOTATION}: "false") though it lacks defaults`, { ...what, ...result.missing });
        return;
      }
      if (result.recreate === true) {
        await registry.delete(type, undefined, name, { preconditions: { uid: existing.metadata.uid! } });
        await registry.create(type, undefined, structuredClone(expected), {});
        log.info(`recreated ${type.kind} with the default roleRef`, what);
      } else {
        await registry.update(type, undefined, name, result.object, {});
        log.info(`added defaults to ${type.kind}`, { ...what, ...result.missing });
      }
      return;
    } catch (err) {
      const raced = err instanceof ApiError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists' || err.reason === 'NotFound');
      if (!raced || attempt >= ATTEMPTS) throw err;
    }
  }
}

async function getIfThere(registry: Registry, type: ResourceType, name: string): Promise<KubeObject | undefined> {
  try {
    return await registry.get(type, undefined, name);
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'NotFound') return undefined;
    throw err;
  }
}

function reconciledRole(existing: ClusterRoleObject, expected: ClusterRoleObject): Reconciled<ClusterRoleObject> {
  const metadata = mergedMetadata(existing, expected);
  const rules = uncoveredRules(existing.rules ?? [], expected.rules ?? []);
  const selectors = missingSelectors(existing.aggregationRule?.clusterRoleSelectors ?? [], expected.aggregationRule?.clusterRoleSelectors ?? []);
  const object: ClusterRoleObject = { ...existing, metadata: { ...existing.metadata, ...metadata.fields } };
  if (rules.length > 0) object.rules = [...(existing.rules ?? []), ...rules];
  if (selectors.length > 0) object.aggregationRule = { clusterRoleSelectors: [...(existing.aggregationRule?.clusterRoleSelectors ?? []), ...selectors] };
  return {
    object,
    changed: metadata.changed || rules.length > 0 || selectors.length > 0,
    missing: { ...(rules.length > 0 ? { rules: rules.map(describeRule) } : {}), ...(selectors.length > 0 ? { aggregationSelectors: selectors } : {}) },
  };
}

function reconciledBinding(existing: ClusterRoleBindingObject, expected: ClusterRoleBindingObject): Reconciled<ClusterRoleBindingObject> {
  if (!semanticEqual(existing.roleRef, expected.roleRef)) {
    return { object: existing, changed: true, recreate: true, missing: { roleRef: expected.roleRef.name } };
  }
  const metadata = mergedMetadata(existing, expected);
  const subjects = (expected.subjects ?? []).filter((wanted) => !(existing.subjects ?? []).some((had) => sameSubject(had, wanted)));
  const object: ClusterRoleBindingObject = { ...existing, metadata: { ...existing.metadata, ...metadata.fields } };
  if (subjects.length > 0) object.subjects = [...(existing.subjects ?? []), ...subjects];
  return {
    object,
    changed: metadata.changed || subjects.length > 0,
    missing: subjects.length > 0 ? { subjects: subjects.map((s) => `${s.kind}/${s.name}`) } : {},
  };
}

/** The default labels and annotations under the object's own: a value the object has wins. */
function mergedMetadata(existing: KubeObject, expected: KubeObject) {
  const labels = { ...expected.metadata.labels, ...existing.metadata.labels };
  const annotations = { ...expected.metadata.annotations, ...existing.metadata.annotations };
  return {
    fields: { labels, annotations },
    changed: !semanticEqual(labels, existing.metadata.labels ?? {}) || !semanticEqual(annotations, existing.metadata.annotations ?? {}),
  };
}

function missingSelectors(existing: readonly LabelSelector[], expected: readonly LabelSelector[]): LabelSelector[] {
  return expected.filter((wanted) => !existing.some((had) => semanticEqual(had, wanted)));
}

function sameSubject(a: Subject, b: Subject): boolean {
  return a.kind === b.kind && a.name === b.name && (a.apiGroup ?? '') === (b.apiGroup ?? '') && (a.namespace ?? '') === (b.namespace ?? '');
}

function describeRule(rule: PolicyRule): string {
  if (rule.nonResourceURLs !== undefined) return `${rule.verbs.join(',')} ${rule.nonResourceURLs.join(',')}`;
  return `${rule.verbs.join(',')} ${(rule.resources ?? []).join(',')}${rule.apiGroups?.[0] ? `.${rule.apiGroups[0]}` : ''}`;
}

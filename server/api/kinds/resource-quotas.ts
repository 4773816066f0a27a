// ResourceQuotas: quantities decoded as upstream's SetObjectDefaults_ResourceQuota
// (rounded up to milli units), the status cleared on create as upstream's
// strategy does (the registry keeps it on spec writes and the spec on status
// writes), and validated as ValidateResourceQuotaSpec, ValidateResourceQuotaUpdate
// and ValidateResourceQuotaStatusUpdate (1.31). Stored only: no controller
// counts usage into the status and no admission enforces the limits.
import type { ResourceQuota, ScopeSelector } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { goStrings, IMMUTABLE, invalid, quote, required, sortedKeys } from './field-errors.js';
import { decodeResourceList, isQuotaResource, type ResourceList, validateQuotaResourceName, validateResourceQuantityValue } from './resource-lists.js';

type Quota = KubeObject & ResourceQuota;
type Spec = NonNullable<ResourceQuota['spec']>;

const SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];
/** Scopes a selector may only ask to exist. */
const EXISTS_ONLY = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'CrossNamespacePodAffinity']);
const CONFLICTING: readonly (readonly [string, string])[] = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];
const POD_COMPUTE = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

export const resourceQuotaRules: KindRules = {
  decodeInput(obj) {
    const quota = obj as Quota;
    decodeResourceList(quota.spec?.hard, obj);
    decodeResourceList(quota.status?.hard, obj);
    decodeResourceList(quota.status?.used, obj);
  },
  defaults(obj, old) {
    if (old === undefined) (obj as Quota).status = {};
  },
  validate(obj, old) {
    const spec = (obj as Quota).spec ?? {};
    const causes = validateSpec(spec);
    if (old !== undefined) {
      const scopes = new Set(spec.scopes ?? []);
      const was = new Set((old as Quota).spec?.scopes ?? []);
      if (scopes.size !== was.size || [...scopes].some((s) => !was.has(s))) causes.push(invalid('spec.scopes', goScopes(spec.scopes), IMMUTABLE));
    }
    return causes;
  },
  validateStatus(obj) {
    const status = (obj as Quota).status ?? {};
    return [...validateList(status.hard, 'status.hard'), ...validateList(status.used, 'status.used')];
  },
};

function validateList(list: ResourceList | undefined, path: string): StatusCause[] {
  return sortedKeys(list).flatMap((name) => [...validateQuotaResourceName(name, `${path}[${name}]`), ...validateResourceQuantityValue(list!, name, `${path}[${name}]`)]);
}

/** ValidateResourceQuotaSpec. */
function validateSpec(spec: Spec): StatusCause[] {
  const hard = sortedKeys(spec.hard).filter(isQuotaResource);
  const causes = validateList(spec.hard, 'spec.hard');
  const scopes = spec.scopes ?? [];
  for (const scope of scopes) {
    if (!SCOPES.includes(scope)) causes.push(invalid('spec.scopes', goScopes(spec.scopes), 'unsupported scope'));
    for (const name of hard) if (!scopeAppliesTo(scope, name)) causes.push(invalid('spec.scopes', goScopes(spec.scopes), 'unsupported scope applied to resource'));
  }
  causes.push(...conflicts(scopes, 'spec.scopes', spec.scopes));
  if (spec.scopeSelector !== undefined && spec.scopeSelector !== null) causes.push(...validateScopeSelector(spec, spec.scopeSelector, hard));
  return causes;
}

/** validateScopedResourceSelectorRequirement; its paths name no index, as upstream's do not. */
function validateScopeSelector(spec: Spec, selector: ScopeSelector, hard: readonly string[]): StatusCause[] {
  const causes: StatusCause[] = [];
  const path = 'spec.scopeSelector.matchExpressions';
  const named: string[] = [];
  for (const req of selector.matchExpressions ?? []) {
    const scope = req.scopeName ?? '';
    const operator = req.operator ?? '';
    const values = req.values ?? [];
    if (!SCOPES.includes(scope)) causes.push(invalid(`${path}.scopeName`, quote(scope), 'unsupported scope'));
    for (const name of hard) if (!scopeAppliesTo(scope, name)) causes.push(invalid(path, goScopeSelector(selector), 'unsupported scope applied to resource'));
    if (EXISTS_ONLY.has(scope) && operator !== 'Exists') {
      causes.push(
        invalid(
          `${path}.operator`,
          quote(operator),
          "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) causes.push(required(`${path}.values`, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) causes.push(invalid(`${path}.values`, goStrings(req.values), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
    } else {
      causes.push(invalid(`${path}.operator`, quote(operator), 'not a valid selector operator'));
    }
    named.push(scope);
  }
  // Upstream shows spec.scopes here, not the selector.
  causes.push(...conflicts(named, path, spec.scopes));
  return causes;
}

/** IsResourceQuotaScopeValidForResource: pod scopes limit pod counts and compute resources, BestEffort pod counts only. */
function scopeAppliesTo(scope: string, name: string): boolean {
  if (scope === 'BestEffort') return name === 'pods';
  if (SCOPES.includes(scope)) return name === 'pods' || POD_COMPUTE.has(name);
  return true;
}

function conflicts(scopes: readonly string[], path: string, shown: readonly string[] | undefined): StatusCause[] {
  return CONFLICTING.filter(([a, b]) => scopes.includes(a) && scopes.includes(b)).map(() => invalid(path, goScopes(shown), 'conflicting scopes'));
}

/** %#v of a []core.ResourceQuotaScope. */
function goScopes(scopes: readonly string[] | undefined | null): string {
  return scopes === undefined || scopes === null ? '[]core.ResourceQuotaScope(nil)' : `[]core.ResourceQuotaScope{${scopes.map(quote).join(', ')}}`;
}

/** %#v of a core.ScopeSelector. */
function goScopeSelector(selector: ScopeSelector): string {
  const type = 'core.ScopedResourceSelectorRequirement';
  const reqs = selector.matchExpressions;
  const list =
    reqs === undefined || reqs === null
      ? `[]${type}(nil)`
      : `[]${type}{${reqs.map((r) => `${type}{ScopeName:${quote(r.scopeName ?? '')}, Operator:${quote(r.operator ?? '')}, Values:${goStrings(r.values)}}`).join(', ')}}`;
  return `core.ScopeSelector{MatchExpressions:${list}}`;
}

// What each kind of object costs a ResourceQuota, as upstream's quota
// evaluators measure it (pkg/quota/v1/evaluator/core and apiserver's
// quota/v1/generic, 1.31): pods (object count, compute, scopes), services
// (count, node ports, load balancers), claims (count and storage, also per
// storage class) and a plain object count for everything else. Shared by
// the quota controller (usage of a namespace) and admission (usage of one
// object).
import type { Pod, PersistentVolumeClaim, ResourceQuota, ScopedResourceSelectorRequirement, Service } from 'kubernetes-types/core/v1.js';
import { qosClass } from '../../../common/pod-qos.js';
import { compare, roundUp } from '../../../common/quantity.js';
import { isExtended, isNative } from '../kinds/resource-lists.js';
import { claimClassOf } from '../kinds/storage.js';
import type { KubeObject } from '../objects.js';
import { labelSelectorFromObject } from '../selectors.js';
import { podLimits, podRequests } from './pod-resources.js';
import { count, sum, type Usage, usageOf, ZERO } from './usage-lists.js';

export type Quota = KubeObject & ResourceQuota;

export interface Evaluator {
  /** MatchingResources: the names, of those given, this evaluator measures. */
  matchingResources(names: readonly string[]): string[];
  /** Whether the object falls in a scope of a quota; kinds without scopes fall in none. */
  matchesScope(req: ScopedResourceSelectorRequirement, obj: KubeObject): boolean;
  /** Constraints: what the object must set for a quota limiting `required`, as the error's text; undefined when nothing is missing. */
  constraints(required: readonly string[], obj: KubeObject): string | undefined;
  /** What the object uses. */
  usage(obj: KubeObject, now: number): Usage;
  /** Whether updates can change usage (Handles); creates always can. */
  readonly tracksUpdates: boolean;
}

/** count/<resource>[.<group>]: the object count of any resource. */
function objectCountName(group: string, resource: string): string {
  return group === '' ? `count/${resource}` : `count/${resource}.${group}`;
}

/** Resources quota never counts (DefaultIgnoredResources): events, which upstream never charged. */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

/** The core kinds counted under a name of their own too (legacyObjectCountAliases). */
const ALIASES: Readonly<Record<string, string>> = { configmaps: 'configmaps', resourcequotas: 'resourcequotas', replicationcontrollers: 'replicationcontrollers', secrets: 'secrets' };

/** The evaluator of a group's resource; undefined for ignored ones. */
export function evaluatorFor(group: string, resource: string): Evaluator | undefined {
  if (IGNORED.has(`${group}/${resource}`)) return undefined;
  if (group === '') {
    if (resource === 'pods') return PODS;
    if (resource === 'services') return SERVICES;
    if (resource === 'persistentvolumeclaims') return CLAIMS;
    const alias = ALIASES[resource];
    if (alias !== undefined) return objectCounter(group, resource, alias);
  }
  return objectCounter(group, resource);
}

/** The selectors a quota's scopes and scopeSelector amount to (getScopeSelectorsFromQuota). */
function scopeSelectorsOf(quota: Quota): ScopedResourceSelectorRequirement[] {
  return [...(quota.spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists' })), ...(quota.spec?.scopeSelector?.matchExpressions ?? [])];
}

/** generic.Matches: the quota limits something the evaluator measures (per status.hard), and the object is in all its scopes. */
export function quotaMatches(evaluator: Evaluator, quota: Quota, obj: KubeObject): boolean {
  return evaluator.matchingResources(Object.keys(quota.status?.hard ?? {})).length > 0 && scopeSelectorsOf(quota).every((req) => evaluator.matchesScope(req, obj));
}

/** generic.CalculateUsageStats: what the objects in all the quota's scopes use of `resources` (each at least zero). */
export function usageStats(evaluator: Evaluator, quota: Quota, objects: readonly KubeObject[], resources: readonly string[], now: number): Usage {
  let used: Usage = new Map(resources.map((name) => [name, ZERO]));
  const selectors = scopeSelectorsOf(quota);
  for (const obj of objects) if (selectors.every((req) => evaluator.matchesScope(req, obj))) used = sum(used, evaluator.usage(obj, now));
  return used;
}

function objectCounter(group: string, resource: string, alias?: string): Evaluator {
  const names = [objectCountName(group, resource), ...(alias === undefined ? [] : [alias])];
  return {
    matchingResources: (input) => input.filter((name) => names.includes(name)),
    matchesScope: () => false,
    constraints: () => undefined,
    usage: () => new Map(names.map((name) => [name, count(1)])),
    tracksUpdates: false,
  };
}

// --- pods ------------------------------------------------------------------

const POD_RESOURCES = new Set([
  'count/pods',
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
]);
/** Resources a quota on cpu or memory makes every container set (a backward compatibility upstream regrets). */
const MUST_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

type PodObject = KubeObject & Pod;

const PODS: Evaluator = {
  matchingResources: (input) =>
    input.filter((name) => POD_RESOURCES.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.hugepages-') || (!isNative(name) && name.startsWith('requests.'))),
  matchesScope: (req, obj) => podInScope(req, obj as PodObject),
  constraints(required, obj) {
    const spec = (obj as PodObject).spec;
    const wanted = required.filter((name) => MUST_SET.has(name));
    const missing = new Map<string, Set<string>>();
    for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
      const set = computeUsage(usageOf(c.resources?.requests), usageOf(c.resources?.limits));
      for (const name of wanted) if (!set.has(name)) missing.set(name, (missing.get(name) ?? new Set()).add(c.name));
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((name) => `${name} for: ${[...missing.get(name)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
  usage(obj, now) {
    const pod = obj as PodObject;
    // count/pods counts every pod stored; the rest only pods still running or to run.
    const usage: Usage = new Map([['count/pods', count(1)]]);
    if (!isCharged(pod, now) || pod.spec === undefined) return usage;
    return sum(usage, computeUsage(podRequests(pod.spec), podLimits(pod.spec)));
  },
  tracksUpdates: false,
};

/** podComputeUsageHelper: the quota names a set of requests and limits fills. */
function computeUsage(requests: Usage, limits: Usage): Usage {
  const out: Usage = new Map([['pods', count(1)]]);
  for (const name of ['cpu', 'memory', 'ephemeral-storage']) {
    const request = requests.get(name);
    if (request !== undefined) out.set(name, request).set(`requests.${name}`, request);
    const limit = limits.get(name);
    if (limit !== undefined) out.set(`limits.${name}`, limit);
  }
  for (const [name, request] of requests) {
    if (name.startsWith('hugepages-')) out.set(name, request).set(`requests.${name}`, request);
    // Extended resources can only be quota'd as requests.<name>.
    if (isExtended(name)) out.set(`requests.${name}`, request);
  }
  return out;
}

/** QuotaV1Pod: not finished, and not past the end of its grace period (a pod stuck terminating on a lost node). */
function isCharged(pod: PodObject, now: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const until = chargedUntil(pod);
  return until === undefined || now <= until;
}

/** When a pod being deleted stops being charged (ms since the epoch), if it is being deleted. */
export function chargedUntil(pod: KubeObject): number | undefined {
  const { deletionTimestamp, deletionGracePeriodSeconds } = pod.metadata;
  if (deletionTimestamp === undefined || deletionGracePeriodSeconds === undefined) return undefined;
  return Date.parse(deletionTimestamp) + deletionGracePeriodSeconds * 1000;
}

function podInScope(req: ScopedResourceSelectorRequirement, pod: PodObject): boolean {
  const spec = pod.spec ?? { containers: [] };
  switch (req.scopeName) {
    case 'Terminating':
      return (spec.activeDeadlineSeconds ?? -1) >= 0;
    case 'NotTerminating':
      return !((spec.activeDeadlineSeconds ?? -1) >= 0);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'PriorityClass': {
      const name = spec.priorityClassName ?? '';
      if (req.operator === 'Exists') return name !== '';
      const selector = labelSelectorFromObject({ matchExpressions: [{ key: 'PriorityClass', operator: req.operator, values: req.values ?? [] }] });
      return selector.matches(name === '' ? {} : { PriorityClass: name });
    }
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespaceAffinity(spec);
  }
  return false;
}

/** qos.GetPodQOS: the class the pod was given, else worked out. */
function isBestEffort(pod: PodObject): boolean {
  return (pod.status?.qosClass || (pod.spec === undefined ? 'BestEffort' : qosClass(pod.spec))) === 'BestEffort';
}

function usesCrossNamespaceAffinity(spec: NonNullable<Pod['spec']>): boolean {
  const crosses = (term: { namespaces?: string[]; namespaceSelector?: unknown }) => (term.namespaces?.length ?? 0) > 0 || (term.namespaceSelector !== undefined && term.namespaceSelector !== null);
  return [spec.affinity?.podAffinity, spec.affinity?.podAntiAffinity].some(
    (a) => (a?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(crosses) || (a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).some((w) => crosses(w.podAffinityTerm)),
  );
}

// --- services --------------------------------------------------------------

const SERVICE_RESOURCES = new Set(['count/services', 'services', 'services.nodeports', 'services.loadbalancers']);

const SERVICES: Evaluator = {
  matchingResources: (input) => input.filter((name) => SERVICE_RESOURCES.has(name)),
  matchesScope: () => false,
  constraints: () => undefined,
  usage(obj) {
    const spec = (obj as KubeObject & Service).spec ?? {};
    const ports = spec.ports ?? [];
    const usage: Usage = new Map([
      ['count/services', count(1)],
      ['services', count(1)],
      ['services.loadbalancers', ZERO],
      ['services.nodeports', ZERO],
    ]);
    if (spec.type === 'NodePort') usage.set('services.nodeports', count(ports.length));
    if (spec.type === 'LoadBalancer') {
      // Without node ports allocated, only those the service names itself.
      const nodePorts = spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => (p.nodePort ?? 0) !== 0).length : ports.length;
      usage.set('services.nodeports', count(nodePorts)).set('services.loadbalancers', count(1));
    }
    return usage;
  },
  // A service's type can change.
  tracksUpdates: true,
};

// --- persistent volume claims ----------------------------------------------

const CLASS_SUFFIX = '.storageclass.storage.k8s.io/';
const CLAIM_RESOURCES = ['persistentvolumeclaims', 'requests.storage'];

const CLAIMS: Evaluator = {
  matchingResources: (input) =>
    input.filter((name) => name === 'count/persistentvolumeclaims' || CLAIM_RESOURCES.includes(name) || CLAIM_RESOURCES.some((r) => name.endsWith(`${CLASS_SUFFIX}${r}`))),
  matchesScope: () => false,
  constraints: () => undefined,
  usage(obj) {
    const claim = obj as KubeObject & PersistentVolumeClaim;
    const usage: Usage = new Map([
      ['persistentvolumeclaims', count(1)],
      ['count/persistentvolumeclaims', count(1)],
    ]);
    const className = claimClassOf(claim);
    if (className !== '') usage.set(`${className}${CLASS_SUFFIX}persistentvolumeclaims`, count(1));
    const storage = claimStorage(claim);
    if (storage !== undefined) {
      usage.set('requests.storage', storage);
      if (className !== '') usage.set(`${className}${CLASS_SUFFIX}requests.storage`, storage);
    }
    return usage;
  },
  // Resizing a claim changes its storage.
  tracksUpdates: true,
};

/** getStorageUsage: the request in whole bytes, or what was allocated when more. */
function claimStorage(claim: PersistentVolumeClaim) {
  const requested = usageOf(claim.spec?.resources?.requests).get('storage');
  if (requested === undefined) return undefined;
  const allocated = usageOf(claim.status?.allocatedResources).get('storage');
  return roundUp(allocated !== undefined && compare(allocated, requested) > 0 ? allocated : requested, 0);
}

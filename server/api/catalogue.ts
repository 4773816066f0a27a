// The built-in resource types, named exactly as upstream Kubernetes 1.31
// names them (kubernetes/kubernetes api/discovery/*.json), and the run-time
// catalogue that discovery reads: CRDs add and remove types while serving.
import type { GroupVersionKind } from './objects.js';
import type { ResourceType, Subresource, Verb } from './resources.js';


const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const READ_WRITE = ['get', 'patch', 'update'] as const;
/** A proxy subresource's verbs: those of the HTTP methods it forwards (HEAD and OPTIONS have none of their own). */
const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'] as const;

/** A subresource: its name, its response kind (a bare kind means the parent's group/version), its verbs. */
type SubresourceSpec = readonly [name: string, kind: string | GroupVersionKind, verbs: readonly string[]];

interface TypeSpec {
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs?: readonly Verb[];
  readonly subresources?: readonly SubresourceSpec[];
}

const SCALE: GroupVersionKind = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
const status = (kind: string): SubresourceSpec => ['status', kind, READ_WRITE];
const scale: SubresourceSpec = ['scale', SCALE, READ_WRITE];

function groupVersion(group: string, version: string, specs: readonly TypeSpec[]): ResourceType[] {
  return specs.map((s) => ({
    group,
    version,
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    // Upstream's rule for built-in types: the singular is the lower-cased kind.
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    subresources: (s.subresources ?? []).map(
      ([name, kind, verbs]): Subresource => ({ name, kind: typeof kind === 'string' ? { group, version, kind } : kind, verbs }),
    ),
  }));
}

// nodes/proxy (the kubelet's own API) is left out: nothing serves it.
export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  ...groupVersion('', 'v1', [
    { kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
    { kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
    { kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
    { kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'] },
    {
      kind: 'Namespace',
      plural: 'namespaces',
      namespaced: false,
      shortNames: ['ns'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      subresources: [['finalize', 'Namespace', ['update']], status('Namespace')],
    },
    { kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: [status('Node')] },
    {
      kind: 'PersistentVolumeClaim',
      plural: 'persistentvolumeclaims',
      namespaced: true,
      shortNames: ['pvc'],
      subresources: [status('PersistentVolumeClaim')],
    },
    { kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'], subresources: [status('PersistentVolume')] },
    {
      kind: 'Pod',
      plural: 'pods',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        ['attach', 'PodAttachOptions', ['create', 'get']],
        ['binding', 'Binding', ['create']],
        ['ephemeralcontainers', 'Pod', READ_WRITE],
        ['eviction', { group: 'policy', version: 'v1', kind: 'Eviction' }, ['create']],
        ['exec', 'PodExecOptions', ['create', 'get']],
        ['log', 'Pod', ['get']],
        ['portforward', 'PodPortForwardOptions', ['create', 'get']],
        ['proxy', 'PodProxyOptions', PROXY_VERBS],
        status('Pod'),
      ],
    },
    { kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'], subresources: [status('ResourceQuota')] },
    { kind: 'Secret', plural: 'secrets', namespaced: true },
    {
      kind: 'ServiceAccount',
      plural: 'serviceaccounts',
      namespaced: true,
      shortNames: ['sa'],
      subresources: [['token', { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, ['create']]],
    },
    {
      kind: 'Service',
      plural: 'services',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      subresources: [['proxy', 'ServiceProxyOptions', PROXY_VERBS], status('Service')],
    },
  ]),
  ...groupVersion('apps', 'v1', [
    { kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true },
    { kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], subresources: [status('DaemonSet')] },
    {
      kind: 'Deployment',
      plural: 'deployments',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      subresources: [scale, status('Deployment')],
    },
    { kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: [scale, status('ReplicaSet')] },
    {
      kind: 'StatefulSet',
      plural: 'statefulsets',
      namespaced: true,
      shortNames: ['sts'],
      categories: ['all'],
      subresources: [scale, status('StatefulSet')],
    },
  ]),
  ...groupVersion('events.k8s.io', 'v1', [{ kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] }]).map((t) => ({ ...t, storageGroup: '' })),
  // Reviews: created, answered, never stored.
  ...groupVersion('authentication.k8s.io', 'v1', [
    { kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'] },
    { kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, verbs: ['create'] },
  ]),
  // Upstream serves it here from 1.27 (beta) to 1.29; kubectl 1.27's `auth whoami` asks only v1beta1 and v1alpha1.
  ...groupVersion('authentication.k8s.io', 'v1beta1', [{ kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'] }]),
  ...groupVersion('authorization.k8s.io', 'v1', [
    { kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, verbs: ['create'] },
    { kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: ['create'] },
    { kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: ['create'] },
    { kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, verbs: ['create'] },
  ]),
  // v2 (stored) before v1: whatever takes the first type of a group and plural reads the stored form.
  ...(['v2', 'v1'] as const).flatMap((version) =>
    groupVersion('autoscaling', version, [
      {
        kind: 'HorizontalPodAutoscaler',
        plural: 'horizontalpodautoscalers',
        namespaced: true,
        shortNames: ['hpa'],
        categories: ['all'],
        subresources: [status('HorizontalPodAutoscaler')],
      },
    ]),
  ),
  ...groupVersion('batch', 'v1', [
    { kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ['all'], subresources: [status('CronJob')] },
    { kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'], subresources: [status('Job')] },
  ]),
  ...groupVersion('certificates.k8s.io', 'v1', [
    {
      kind: 'CertificateSigningRequest',
      plural: 'certificatesigningrequests',
      namespaced: false,
      shortNames: ['csr'],
      subresources: [['approval', 'CertificateSigningRequest', READ_WRITE], status('CertificateSigningRequest')],
    },
  ]),
  ...groupVersion('networking.k8s.io', 'v1', [
    { kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
    { kind: 'Ingress', plural: 'ingresses', namespaced: true, shortNames: ['ing'], subresources: [status('Ingress')] },
    { kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'] },
  ]),
  ...groupVersion('policy', 'v1', [
    {
      kind: 'PodDisruptionBudget',
      plural: 'poddisruptionbudgets',
      namespaced: true,
      shortNames: ['pdb'],
      subresources: [status('PodDisruptionBudget')],
    },
  ]),
  ...groupVersion('rbac.authorization.k8s.io', 'v1', [
    { kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
    { kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
    { kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
    { kind: 'Role', plural: 'roles', namespaced: true },
  ]),
  ...groupVersion('storage.k8s.io', 'v1', [
    { kind: 'CSIDriver', plural: 'csidrivers', namespaced: false },
    { kind: 'CSINode', plural: 'csinodes', namespaced: false },
    { kind: 'CSIStorageCapacity', plural: 'csistoragecapacities', namespaced: true },
    { kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'] },
    { kind: 'VolumeAttachment', plural: 'volumeattachments', namespaced: false, subresources: [status('VolumeAttachment')] },
  ]),
  ...groupVersion('admissionregistration.k8s.io', 'v1', [
    { kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] },
    {
      kind: 'ValidatingAdmissionPolicy',
      plural: 'validatingadmissionpolicies',
      namespaced: false,
      categories: ['api-extensions'],
      subresources: [status('ValidatingAdmissionPolicy')],
    },
    { kind: 'ValidatingAdmissionPolicyBinding', plural: 'validatingadmissionpolicybindings', namespaced: false, categories: ['api-extensions'] },
    { kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false, categories: ['api-extensions'] },
  ]),
  ...groupVersion('apiextensions.k8s.io', 'v1', [
    {
      kind: 'CustomResourceDefinition',
      plural: 'customresourcedefinitions',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      subresources: [status('CustomResourceDefinition')],
    },
  ]),
  ...groupVersion('scheduling.k8s.io', 'v1', [{ kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] }]),
  ...groupVersion('coordination.k8s.io', 'v1', [{ kind: 'Lease', plural: 'leases', namespaced: true }]),
  ...groupVersion('node.k8s.io', 'v1', [{ kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false }]),
  ...groupVersion('discovery.k8s.io', 'v1', [{ kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true }]),
];

// Upstream's group priority order (kube-apiserver's /apis), which clients
// use to pick between groups serving the same resource name (events).
const BUILTIN_GROUP_ORDER: readonly string[] = [
  '',
  'apiregistration.k8s.io',
  'apps',
  'events.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'networking.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'node.k8s.io',
  'discovery.k8s.io',
  'flowcontrol.apiserver.k8s.io',
];

export interface ApiGroup {
  readonly name: string;
  /** Preferred first. */
  readonly versions: readonly string[];
  readonly preferred: string;
}

export class Catalogue {
  readonly #types = new Map<string, ResourceType>();
  #generation = 0;

  constructor(resources: readonly ResourceType[]) {
    for (const r of resources) this.#types.set(keyOf(r.group, r.version, r.plural), r);
  }

  /** Changes on every add and on every remove that removed something: discovery ETags and caches key on it. */
  get generation(): number {
    return this.#generation;
  }

  /** Adds a type, or replaces the one with the same group/version/plural. */
  add(r: ResourceType): void {
    this.#types.set(keyOf(r.group, r.version, r.plural), r);
    this.#generation++;
  }

  remove(group: string, version: string, plural: string): void {
    if (this.#types.delete(keyOf(group, version, plural))) this.#generation++;
  }

  get(group: string, version: string, plural: string): ResourceType | undefined {
    return this.#types.get(keyOf(group, version, plural));
  }

  byKind(group: string, version: string, kind: string): ResourceType | undefined {
    for (const r of this.#types.values()) {
      if (r.group === group && r.version === version && r.kind === kind) return r;
    }
    return undefined;
  }

  all(): readonly ResourceType[] {
    return [...this.#types.values()];
  }

  /** Groups in a stable order (core "" first, then built-in groups in upstream's order, then the rest by name), each with its versions, preferred first. */
  groups(): readonly ApiGroup[] {
    const versions = new Map<string, Set<string>>();
    for (const r of this.#types.values()) {
      const set = versions.get(r.group) ?? new Set<string>();
      set.add(r.version);
      versions.set(r.group, set);
    }
    return [...versions.keys()].sort(compareGroups).map((name) => {
      const sorted = [...versions.get(name)!].sort(compareVersions);
      return { name, versions: sorted, preferred: sorted[0]! };
    });
  }
}

function keyOf(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

function compareGroups(a: string, b: string): number {
  const rank = (g: string) => {
    const i = BUILTIN_GROUP_ORDER.indexOf(g);
    return i === -1 ? BUILTIN_GROUP_ORDER.length : i;
  };
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

// Kubernetes version priority, highest first (apimachinery's CompareKubeAwareVersionStrings):
// GA before beta before alpha, higher numbers first, other strings last by name.
function compareVersions(a: string, b: string): number {
  const ma = KUBE_VERSION.exec(a);
  const mb = KUBE_VERSION.exec(b);
  if (ma === null || mb === null) {
    if (ma !== null) return -1;
    if (mb !== null) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const stage = (m: RegExpExecArray) => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  return stage(mb) - stage(ma) || Number(mb[1]) - Number(ma[1]) || Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

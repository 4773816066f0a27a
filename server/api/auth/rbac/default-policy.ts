// The ClusterRoles and ClusterRoleBindings every cluster starts with, as
// kube-apiserver's bootstrap policy has them (plugin/pkg/auth/authorizer/
// rbac/bootstrappolicy, 1.33): cluster-admin for system:masters, the
// aggregated admin/edit/view roles users bind in their namespaces, and what
// every user may do to discover the API and learn about themselves. The
// roles of the control-plane components are left out: Bramble's run inside
// the server. Rules name only what this server serves (see servedRules), so
// `kubectl get clusterrole view -o yaml` shows no rule for a kind that is
// not there; a kind served later gets its rule on the next start. The
// CertificateSigningRequest roles are the exception (CERTIFICATE_ROLES).
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from 'kubernetes-types/rbac/v1.js';
import type { Catalogue } from '../../catalogue.js';
import type { KubeObject } from '../../objects.js';

/** Upstream's label on the roles and bindings it bootstraps. */
export const BOOTSTRAPPING_LABEL = 'kubernetes.io/bootstrapping';
/** "false" on a default role or binding keeps it as a user left it: nothing is added at start. */
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
export const AGGREGATE_TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
export const AGGREGATE_TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
export const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';
export const RBAC_GROUP = 'rbac.authorization.k8s.io';
const CERTIFICATES_GROUP = 'certificates.k8s.io';

/** A ClusterRole as the registry holds it. */
export type ClusterRoleObject = KubeObject & ClusterRole;
export type ClusterRoleBindingObject = KubeObject & ClusterRoleBinding;

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const READ_WRITE = [...READ, ...WRITE];

/** Upstream's rule builder sorts every list, so stored rules read the same whoever wrote them. */
function resources(verbs: readonly string[], group: string, names: readonly string[]): PolicyRule {
  return { apiGroups: [group], resources: [...names].sort(), verbs: [...verbs].sort() };
}

function urls(verbs: readonly string[], paths: readonly string[]): PolicyRule {
  return { nonResourceURLs: [...paths].sort(), verbs: [...verbs].sort() };
}

const BOOTSTRAP_METADATA = { labels: { [BOOTSTRAPPING_LABEL]: 'rbac-defaults' }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } };

function role(name: string, rules: PolicyRule[], { labels, aggregationRule }: Pick<ClusterRole, 'aggregationRule'> & { labels?: Record<string, string> } = {}): ClusterRoleObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...BOOTSTRAP_METADATA.labels, ...labels }, annotations: { ...BOOTSTRAP_METADATA.annotations } },
    ...(aggregationRule !== undefined ? { aggregationRule } : {}),
    ...(rules.length > 0 ? { rules } : {}),
  };
}

/** A role whose rules the aggregation controller fills in from the roles labelled `selectorLabel`. */
function aggregated(name: string, selectorLabel: string, labels?: Record<string, string>): ClusterRoleObject {
  return role(name, [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [selectorLabel]: 'true' } }] }, ...(labels !== undefined ? { labels } : {}) });
}

/** Upstream's bootstrap ClusterRoles, their rules as upstream writes them. */
const UPSTREAM_ROLES: readonly ClusterRoleObject[] = [
  role('cluster-admin', [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ]),
  role('system:discovery', [
    urls(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*']),
  ]),
  role('system:monitoring', [
    urls(['get'], ['/metrics', '/metrics/slis', '/livez', '/readyz', '/healthz', '/livez/*', '/readyz/*', '/healthz/*']),
  ]),
  role('system:basic-user', [
    resources(['create'], 'authorization.k8s.io', ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    resources(['create'], 'authentication.k8s.io', ['selfsubjectreviews']),
  ]),
  role('system:public-info-viewer', [urls(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/'])]),
  // Unbound: what an auth proxy's ServiceAccount is bound to (kube-rbac-proxy, metrics-server).
  role('system:auth-delegator', [
    resources(['create'], 'authentication.k8s.io', ['tokenreviews']),
    resources(['create'], 'authorization.k8s.io', ['subjectaccessreviews']),
  ]),
  // What kubeadm-style node bootstrapping binds: request a node's client certificate and watch for it.
  role('system:node-bootstrapper', [resources(['create', 'get', 'list', 'watch'], CERTIFICATES_GROUP, ['certificatesigningrequests'])]),
  aggregated('admin', AGGREGATE_TO_ADMIN),
  aggregated('edit', AGGREGATE_TO_EDIT, { [AGGREGATE_TO_ADMIN]: 'true' }),
  aggregated('view', AGGREGATE_TO_VIEW, { [AGGREGATE_TO_EDIT]: 'true' }),
  role(
    'system:aggregate-to-admin',
    [
      resources(['create'], 'authorization.k8s.io', ['localsubjectaccessreviews']),
      resources(READ_WRITE, RBAC_GROUP, ['roles', 'rolebindings']),
    ],
    { labels: { [AGGREGATE_TO_ADMIN]: 'true' } },
  ),
  role(
    'system:aggregate-to-edit',
    [
      // Reading what escalates (secrets, exec) is edit's, not view's.
      resources(READ, '', ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
      resources(['impersonate'], '', ['serviceaccounts']),
      resources(WRITE, '', ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
      resources(['create'], '', ['pods/eviction']),
      resources(WRITE, '', ['replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/proxy', 'persistentvolumeclaims', 'configmaps', 'secrets', 'events']),
      resources(['create'], '', ['serviceaccounts/token']),
      resources(WRITE, 'apps', ['statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale']),
      resources(WRITE, 'autoscaling', ['horizontalpodautoscalers']),
      resources(WRITE, 'batch', ['jobs', 'cronjobs']),
      resources(WRITE, 'extensions', ['daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'ingresses', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale', 'networkpolicies']),
      resources(WRITE, 'policy', ['poddisruptionbudgets']),
      resources(WRITE, 'networking.k8s.io', ['networkpolicies', 'ingresses']),
      resources(READ_WRITE, 'coordination.k8s.io', ['leases']),
    ],
    { labels: { [AGGREGATE_TO_EDIT]: 'true' } },
  ),
  role(
    'system:aggregate-to-view',
    [
      resources(READ, '', ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
      resources(READ, '', ['limitranges', 'resourcequotas', 'bindings', 'events', 'pods/status', 'resourcequotas/status', 'namespaces/status', 'replicationcontrollers/status', 'pods/log']),
      // Reading namespaces in a namespace's scope is reading that one namespace.
      resources(READ, '', ['namespaces']),
      resources(READ, 'discovery.k8s.io', ['endpointslices']),
      resources(READ, 'apps', ['controllerrevisions', 'statefulsets', 'statefulsets/status', 'statefulsets/scale', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/status', 'deployments/scale', 'replicasets', 'replicasets/status', 'replicasets/scale']),
      resources(READ, 'autoscaling', ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      resources(READ, 'batch', ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
      resources(READ, 'extensions', ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale', 'networkpolicies']),
      resources(READ, 'policy', ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      resources(READ, 'networking.k8s.io', ['networkpolicies', 'ingresses', 'ingresses/status']),
    ],
    { labels: { [AGGREGATE_TO_VIEW]: 'true' } },
  ),
];

/** `approve` on the signers resource named for `signer`: what CertificateApproval admission asks of an approver. */
function approves(signer: string): PolicyRule {
  return { apiGroups: [CERTIFICATES_GROUP], resources: ['signers'], resourceNames: [signer], verbs: ['approve'] };
}

/**
 * Upstream's CertificateSigningRequest roles, unbound, for users to bind.
 * Their rules name what only authorization knows (signers, and the nodeclient
 * and selfnodeclient checks of the csrapproving controller, which Bramble
 * does not run), so they are kept whole rather than cut to what is served.
 */
const CERTIFICATE_ROLES: readonly ClusterRoleObject[] = [
  role('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [resources(['create'], CERTIFICATES_GROUP, ['certificatesigningrequests/nodeclient'])]),
  role('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [resources(['create'], CERTIFICATES_GROUP, ['certificatesigningrequests/selfnodeclient'])]),
  role('system:certificates.k8s.io:legacy-unknown-approver', [approves('kubernetes.io/legacy-unknown')]),
  role('system:certificates.k8s.io:kubelet-serving-approver', [approves('kubernetes.io/kubelet-serving')]),
  role('system:certificates.k8s.io:kube-apiserver-client-approver', [approves('kubernetes.io/kube-apiserver-client')]),
  role('system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', [approves('kubernetes.io/kube-apiserver-client-kubelet')]),
];

/**
 * k3s's metrics-server manifest gives admin, edit and view `kubectl top`;
 * Bramble serves metrics.k8s.io itself, so its role comes with the defaults
 * (with k3s's metadata: no bootstrapping label or annotation).
 */
const METRICS_READER: ClusterRoleObject = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'system:aggregated-metrics-reader', labels: { [AGGREGATE_TO_ADMIN]: 'true', [AGGREGATE_TO_EDIT]: 'true', [AGGREGATE_TO_VIEW]: 'true' } },
  rules: [resources(READ, 'metrics.k8s.io', ['pods', 'nodes'])],
};

function binding(name: string, groups: readonly string[]): ClusterRoleBindingObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...BOOTSTRAP_METADATA.labels }, annotations: { ...BOOTSTRAP_METADATA.annotations } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name },
    subjects: groups.map((group) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name: group })),
  };
}

/** The default ClusterRoles, their rules cut down to what `catalogue` serves (a role may be left with none: it is made all the same, as its bindings are). */
export function defaultClusterRoles(catalogue: Catalogue): ClusterRoleObject[] {
  const cut = [...UPSTREAM_ROLES, METRICS_READER].map((r) => {
    if (r.rules === undefined) return r;
    const { rules, ...rest } = r;
    const served = servedRules(rules, catalogue);
    return served.length > 0 ? { ...rest, rules: served } : rest;
  });
  return [...cut, ...CERTIFICATE_ROLES];
}

export function defaultClusterRoleBindings(): ClusterRoleBindingObject[] {
  return [
    binding('cluster-admin', ['system:masters']),
    binding('system:monitoring', ['system:monitoring']),
    binding('system:discovery', ['system:authenticated']),
    binding('system:basic-user', ['system:authenticated']),
    binding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
  ];
}

/**
 * Each rule with only the resources served in its groups ("*" and
 * non-resource URLs kept as they are); a rule left with none goes.
 */
function servedRules(rules: readonly PolicyRule[], catalogue: Catalogue): PolicyRule[] {
  return rules.flatMap((rule) => {
    const groups = rule.apiGroups ?? [];
    if (rule.nonResourceURLs !== undefined || groups.includes('*') || (rule.resources ?? []).includes('*')) return [rule];
    const kept = (rule.resources ?? []).filter((resource) => groups.some((group) => isServed(catalogue, group, resource)));
    if (kept.length === 0) return [];
    return [{ ...rule, apiGroups: groups.filter((group) => kept.some((resource) => isServed(catalogue, group, resource))), resources: kept }];
  });
}

/** "pods" or "pods/log": a type of the group, in any version, with that subresource. */
function isServed(catalogue: Catalogue, group: string, resource: string): boolean {
  const [plural, subresource] = resource.split('/', 2);
  return catalogue.all().some((type) => type.group === group && type.plural === plural && (subresource === undefined || type.subresources.some((s) => s.name === subresource)));
}

// The default RBAC policy on a real store and registry: made on the first
// start, left untouched (no write at all) on the next, what a user took from
// an auto-updated role or binding put back, a role annotated autoupdate
// "false" left alone, and rules only for what the server serves.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { createLogger } from '../../common/log.js';
import { bootstrapCluster } from '../../server/api/bootstrap.js';
import type { KubeObject } from '../../server/api/objects.js';
import { RbacAuthorizer } from '../../server/api/auth/rbac/rbac-authorizer.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';

const quiet = createLogger({ level: 'error' });

type Role = KubeObject & ClusterRole;
type Binding = KubeObject & ClusterRoleBinding;

async function setup(t: TestContext) {
  const api = await apiRegistry(t);
  const roles = api.catalogue.get('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  const bindings = api.catalogue.get('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings')!;
  return {
    ...api,
    roles,
    bindings,
    role: async (name: string) => (await api.registry.get(roles, undefined, name)) as Role,
    binding: async (name: string) => (await api.registry.get(bindings, undefined, name)) as Binding,
    restart: () => bootstrapCluster(api.registry, api.catalogue, quiet),
  };
}

const DEFAULT_METADATA = { labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' }, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } };

test('the first start makes upstream default ClusterRoles and ClusterRoleBindings', async (t) => {
  const { role, binding } = await setup(t);
  const admin = await role('cluster-admin');
  assert.deepEqual(admin.metadata.labels, DEFAULT_METADATA.labels);
  assert.deepEqual(admin.metadata.annotations, DEFAULT_METADATA.annotations);
  assert.deepEqual(admin.rules, [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ]);
  for (const [name, selector, labels] of [
    ['admin', 'aggregate-to-admin', {}],
    ['edit', 'aggregate-to-edit', { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }],
    ['view', 'aggregate-to-view', { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }],
  ] as const) {
    const r = await role(name);
    assert.deepEqual(r.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/${selector}`]: 'true' } }] }, name);
    assert.deepEqual(r.metadata.labels, { ...DEFAULT_METADATA.labels, ...labels }, name);
    assert.equal(r.rules, undefined, `${name} has no rules of its own`);
  }
  assert.deepEqual((await role('system:discovery')).rules, [
    { nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], verbs: ['get'] },
  ]);
  assert.deepEqual((await role('system:public-info-viewer')).rules, [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] }]);
  assert.equal((await role('system:aggregate-to-view')).metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'], 'true');
  assert.deepEqual((await role('system:auth-delegator')).rules, [
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
  ]);

  const group = (name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name });
  for (const [name, groups] of [
    ['cluster-admin', ['system:masters']],
    ['system:discovery', ['system:authenticated']],
    ['system:basic-user', ['system:authenticated']],
    ['system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']],
    ['system:monitoring', ['system:monitoring']],
  ] as const) {
    const b = await binding(name);
    assert.deepEqual(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, name);
    assert.deepEqual(b.subjects, groups.map(group), name);
    assert.deepEqual(b.metadata.annotations, DEFAULT_METADATA.annotations, name);
  }
});

test('default rules name only resources the server serves', async (t) => {
  const { registry, roles, role, catalogue } = await setup(t);
  const served = (group: string, resource: string) => {
    const [plural, sub] = resource.split('/');
    return catalogue.all().some((type) => type.group === group && type.plural === plural && (sub === undefined || type.subresources.some((s) => s.name === sub)));
  };
  for (const r of (await registry.list(roles, undefined, {})).items as Role[]) {
    // Their rules name what only authorization knows (signers, the csrapproving checks): kept whole.
    if (r.metadata.name!.startsWith('system:certificates.k8s.io:')) continue;
    for (const rule of r.rules ?? []) {
      if (rule.nonResourceURLs !== undefined || rule.apiGroups?.includes('*')) continue;
      for (const resource of rule.resources ?? []) assert.ok(rule.apiGroups!.some((g) => served(g, resource)), `${r.metadata.name}: ${resource} in ${rule.apiGroups!.join(',')}`);
    }
  }
  const view = await role('system:aggregate-to-view');
  assert.deepEqual(view.rules![0], { apiGroups: [''], resources: ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'serviceaccounts', 'services', 'services/status'], verbs: ['get', 'list', 'watch'] }, 'replication controllers left out');
  assert.ok(!view.rules!.some((rule) => rule.apiGroups?.includes('extensions')), 'no extensions group');
  const edit = await role('system:aggregate-to-edit');
  assert.deepEqual(edit.rules![0], { apiGroups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], verbs: ['get', 'list', 'watch'] });
  assert.ok(edit.rules!.some((rule) => rule.resources?.includes('services/proxy') && rule.verbs?.includes('create')), 'edit writes through services/proxy');
  assert.ok(edit.rules!.some((rule) => rule.apiGroups?.[0] === 'coordination.k8s.io' && rule.resources?.[0] === 'leases'));
  // k3s's metrics reader is there with no rules: this registry does not serve metrics.k8s.io.
  assert.equal((await role('system:aggregated-metrics-reader')).rules, undefined);
});

test("upstream's CertificateSigningRequest roles, unbound; one bound lets its subject approve for its signer alone", async (t) => {
  const { role, registry, catalogue, bindings } = await setup(t);
  const csrs = (verbs: string[], resource: string) => ({ apiGroups: ['certificates.k8s.io'], resources: [resource], verbs });
  assert.deepEqual((await role('system:node-bootstrapper')).rules, [csrs(['create', 'get', 'list', 'watch'], 'certificatesigningrequests')]);
  assert.deepEqual((await role('system:certificates.k8s.io:certificatesigningrequests:nodeclient')).rules, [csrs(['create'], 'certificatesigningrequests/nodeclient')]);
  assert.deepEqual((await role('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient')).rules, [csrs(['create'], 'certificatesigningrequests/selfnodeclient')]);
  for (const [name, signer] of [
    ['legacy-unknown-approver', 'kubernetes.io/legacy-unknown'],
    ['kubelet-serving-approver', 'kubernetes.io/kubelet-serving'],
    ['kube-apiserver-client-approver', 'kubernetes.io/kube-apiserver-client'],
    ['kube-apiserver-client-kubelet-approver', 'kubernetes.io/kube-apiserver-client-kubelet'],
  ] as const) {
    const r = await role(`system:certificates.k8s.io:${name}`);
    assert.deepEqual(r.rules, [{ apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: [signer], verbs: ['approve'] }], name);
    assert.deepEqual(r.metadata.labels, DEFAULT_METADATA.labels, name);
  }
  const bound = (await registry.list(bindings, undefined, {})).items.filter((b) => (b as Binding).roleRef.name.startsWith('system:certificates.k8s.io:'));
  assert.deepEqual(bound, [], 'upstream binds none of them');

  await registry.create(bindings, undefined, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'approvers' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:certificates.k8s.io:kube-apiserver-client-approver' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'carol' }],
  } as KubeObject, {});
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const rbac = new RbacAuthorizer(informers);
  const approve = async (name: string) =>
    (await rbac.authorize({ name: 'carol', groups: ['system:authenticated'] }, { kind: 'resource', verb: 'approve', group: 'certificates.k8s.io', version: '*', resource: 'signers', name, createdName: async () => undefined })).decision;
  assert.equal(await approve('kubernetes.io/kube-apiserver-client'), 'allow');
  assert.notEqual(await approve('kubernetes.io/kube-apiserver-client-kubelet'), 'allow');
});

test('a second start writes nothing', async (t) => {
  const { store, restart } = await setup(t);
  const revision = store.revision;
  await restart();
  await restart();
  assert.equal(store.revision, revision);
});

test('a start puts back what an auto-updated role or binding lost, keeps what was added, and leaves autoupdate "false" ones alone', async (t) => {
  const { registry, roles, bindings, role, binding, restart } = await setup(t);
  const original = await role('system:aggregate-to-view');
  const mine: PolicyRule = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] };
  // One rule gone, one verb taken from another, one rule and a label value of the user's.
  const trimmed = original.rules!.filter((r) => !(r.resources?.length === 1 && r.resources[0] === 'namespaces'));
  const podsRule = trimmed[0]!;
  trimmed[0] = { ...podsRule, verbs: ['get', 'list'] };
  await registry.update(roles, undefined, 'system:aggregate-to-view', {
    ...original,
    metadata: { ...original.metadata, labels: { ...original.metadata.labels, 'kubernetes.io/bootstrapping': 'mine' } },
    rules: [...trimmed, mine],
  }, {});
  const protectedRole = await role('system:aggregate-to-edit');
  const protectedRules = protectedRole.rules!.slice(1);
  await registry.update(roles, undefined, 'system:aggregate-to-edit', {
    ...protectedRole,
    metadata: { ...protectedRole.metadata, annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'false' } },
    rules: protectedRules,
  }, {});
  const basicUser = await binding('system:basic-user');
  await registry.update(bindings, undefined, 'system:basic-user', { ...basicUser, subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }] }, {});
  await registry.delete(roles, undefined, 'system:public-info-viewer', {});

  await restart();

  const restored = await role('system:aggregate-to-view');
  assert.deepEqual(restored.rules, [
    ...trimmed,
    mine,
    // Upstream adds what is missing as rules of one verb and one resource each.
    ...podsRule.resources!.map((resource) => ({ apiGroups: [''], resources: [resource], verbs: ['watch'] })),
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
    { apiGroups: [''], resources: ['namespaces'], verbs: ['list'] },
    { apiGroups: [''], resources: ['namespaces'], verbs: ['watch'] },
  ]);
  assert.equal(restored.metadata.labels?.['kubernetes.io/bootstrapping'], 'mine', "the user's label value is kept");
  assert.deepEqual((await role('system:aggregate-to-edit')).rules, protectedRules, 'autoupdate "false": left as it was');
  assert.deepEqual((await binding('system:basic-user')).subjects, [
    { kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' },
    { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' },
  ]);
  assert.deepEqual((await role('system:public-info-viewer')).metadata.annotations, DEFAULT_METADATA.annotations, 'a deleted default role is made again');
});

test('a default binding whose roleRef was changed is made again with the default one', async (t) => {
  const { registry, bindings, binding, restart } = await setup(t);
  const original = await binding('system:discovery');
  await registry.delete(bindings, undefined, 'system:discovery', {});
  await registry.create(bindings, undefined, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'system:discovery' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [],
  }, {});
  await restart();
  const again = await binding('system:discovery');
  assert.deepEqual(again.roleRef, original.roleRef);
  assert.deepEqual(again.subjects, original.subjects);
});

// The RBAC authorizer on a real registry and the server's shared informers:
// which bindings grant where, what a binding to a missing role gives, and
// that a change to a binding or role takes effect without a restart.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createLogger } from '../../common/log.js';
import type { Attributes, Decision } from '../../server/api/auth/authorizer.js';
import { RBAC_GROUP, RbacAuthorizer } from '../../server/api/auth/rbac/rbac-authorizer.js';
import type { UserInfo } from '../../server/api/auth/user.js';
import type { KubeObject } from '../../server/api/objects.js';
import { Registry } from '../../server/api/registry/registry.js';
import type { ApiVerb } from '../../server/api/request-info.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });
const BUILDER: UserInfo = {
  name: 'system:serviceaccount:team-a:builder',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
};
const ALICE: UserInfo = { name: 'alice', groups: ['developers', 'system:authenticated'] };
const BOB: UserInfo = { name: 'bob', groups: ['system:authenticated'] };

const POD_READER = [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }];

function request(verb: ApiVerb, resource: string, namespace?: string, more: { group?: string; name?: string; subresource?: string } = {}): Attributes {
  return {
    kind: 'resource',
    verb,
    group: more.group ?? '',
    version: 'v1',
    resource,
    ...(namespace === undefined ? {} : { namespace }),
    ...(more.name === undefined ? {} : { name: more.name }),
    ...(more.subresource === undefined ? {} : { subresource: more.subresource }),
    createdName: async () => undefined,
  };
}

async function setup(t: TestContext) {
  const { catalogue, registry, store } = await apiRegistry(t);
  // Objects validation now refuses, as stored before it did: the authorizer still reads them safely.
  const unchecked = new Registry(store, () => ({}), quiet);
  for (const name of ['team-a', 'team-b']) {
    await registry.create(catalogue.get('', 'v1', 'namespaces')!, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, {});
  }
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const rbac = new RbacAuthorizer(informers);
  const type = (plural: string) => catalogue.get(RBAC_GROUP, 'v1', plural)!;
  const kinds: Record<string, string> = { roles: 'Role', clusterroles: 'ClusterRole', rolebindings: 'RoleBinding', clusterrolebindings: 'ClusterRoleBinding' };
  const object = (plural: string, namespace: string | undefined, name: string, body: Record<string, unknown>): KubeObject => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: kinds[plural]!,
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
    ...body,
  });
  const api = {
    rbac,
    create: (plural: string, namespace: string | undefined, name: string, body: Record<string, unknown>) =>
      registry.create(type(plural), namespace, object(plural, namespace, name, body), {}),
    createUnchecked: (plural: string, namespace: string | undefined, name: string, body: Record<string, unknown>) =>
      unchecked.create(type(plural), namespace, object(plural, namespace, name, body), {}),
    update: async (plural: string, namespace: string | undefined, name: string, body: Record<string, unknown>) => {
      const current = await registry.get(type(plural), namespace, name);
      return registry.update(type(plural), namespace, name, { ...object(plural, namespace, name, body), metadata: current.metadata }, {});
    },
    delete: (plural: string, namespace: string | undefined, name: string) => registry.delete(type(plural), namespace, name, {}),
    decide: (user: UserInfo, attrs: Attributes) => rbac.authorize(user, attrs),
    allowed: async (user: UserInfo, attrs: Attributes) => (await rbac.authorize(user, attrs)).decision === 'allow',
  };
  return api;
}

const ref = (kind: 'Role' | 'ClusterRole', name: string) => ({ roleRef: { apiGroup: RBAC_GROUP, kind, name } });
const subjects = (...s: Record<string, string>[]) => ({ subjects: s });
const NO_OPINION: Decision = { decision: 'no-opinion', reason: '' };

test('with no binding a user gets no opinion, never a denial', async (t) => {
  const api = await setup(t);
  assert.deepEqual(await api.decide(BUILDER, request('list', 'pods', 'team-a')), NO_OPINION);
  // (/healthz, /version and discovery are every user's through the default policy's bindings.)
  assert.deepEqual(await api.decide(BUILDER, { kind: 'path', verb: 'get', path: '/logs' }), NO_OPINION);
});

test("every authenticated user reads discovery and OpenAPI and creates self reviews through the default policy's bindings; nobody else, nothing more", async (t) => {
  const api = await setup(t);
  for (const path of ['/api', '/api/v1', '/apis', '/apis/apps/v1', '/openapi/v2', '/openapi/v3/apis/apps/v1', '/version']) {
    assert.equal(await api.allowed(ALICE, { kind: 'path', verb: 'get', path }), true, path);
  }
  for (const [group, resource] of [
    ['authorization.k8s.io', 'selfsubjectaccessreviews'],
    ['authentication.k8s.io', 'selfsubjectreviews'],
  ] as const) {
    assert.equal(await api.allowed(ALICE, request('create', resource, undefined, { group })), true, resource);
  }
  const nobody: UserInfo = { name: 'nobody', groups: [] };
  const refused: [UserInfo, Attributes][] = [
    [ALICE, { kind: 'path', verb: 'get', path: '/metrics' }],
    [ALICE, { kind: 'path', verb: 'post', path: '/apis' }],
    [ALICE, request('list', 'namespaces')],
    [ALICE, request('create', 'subjectaccessreviews', undefined, { group: 'authorization.k8s.io' })],
    [ALICE, request('get', 'selfsubjectaccessreviews', undefined, { group: 'authorization.k8s.io' })],
    [nobody, { kind: 'path', verb: 'get', path: '/apis' }],
    [nobody, request('create', 'selfsubjectaccessreviews', undefined, { group: 'authorization.k8s.io' })],
  ];
  for (const [user, attrs] of refused) assert.equal(await api.allowed(user, attrs), false, JSON.stringify(attrs));
});

test("rulesFor lists the rules of the roles bound to the user, cluster-wide and in the namespace, and the bindings it cannot resolve", async (t) => {
  const api = await setup(t);
  await api.create('roles', 'team-a', 'pod-reader', { rules: POD_READER });
  await api.create('rolebindings', 'team-a', 'builder-reads', { ...ref('Role', 'pod-reader'), ...subjects({ kind: 'ServiceAccount', name: 'builder' }) });
  await api.create('rolebindings', 'team-a', 'builder-ghost', { ...ref('Role', 'ghost'), ...subjects({ kind: 'ServiceAccount', name: 'builder' }) });
  await until(async () => (await api.rbac.rulesFor(BUILDER, 'team-a')).errors.length > 0, 'the bindings seen');
  const inA = await api.rbac.rulesFor(BUILDER, 'team-a');
  assert.ok(inA.resourceRules.some((r) => r.resources?.includes('pods') && r.verbs.join() === 'get,list'), JSON.stringify(inA.resourceRules));
  assert.ok(inA.resourceRules.some((r) => r.resources?.includes('selfsubjectaccessreviews')), 'system:basic-user, cluster-wide');
  assert.ok(inA.nonResourceRules.some((r) => r.nonResourceURLs?.includes('/apis/*')), 'system:discovery');
  assert.deepEqual([inA.incomplete, inA.errors], [false, ['role.rbac.authorization.k8s.io "ghost" not found']]);
  const inB = await api.rbac.rulesFor(BUILDER, 'team-b');
  assert.equal(inB.resourceRules.some((r) => r.resources?.includes('pods')), false, 'a RoleBinding grants only its namespace');
  assert.deepEqual(inB.errors, []);
});

test('a failed first list fails that request only: the next one lists again and is judged', async (t) => {
  const { catalogue, registry } = await apiRegistry(t);
  let failures = 1;
  // The registry as the informers see it, its first list refused (the store busy at boot).
  const flaky = new Proxy(registry, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop !== 'list' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: Parameters<Registry['list']>) => {
        if (failures-- > 0) throw new Error('the store is busy');
        return target.list(...args);
      };
    },
  });
  const informers = new SharedInformers(flaky, catalogue, quiet);
  t.after(() => informers.close());
  const rbac = new RbacAuthorizer(informers);
  const discovery: Attributes = { kind: 'path', verb: 'get', path: '/apis' };
  await assert.rejects(rbac.authorize(ALICE, discovery), /the store is busy/);
  assert.equal((await rbac.authorize(ALICE, discovery)).decision, 'allow', 'listed again: the default policy grants discovery');
});

test('the first request waits for the initial list: bindings made before it are honoured at once', async (t) => {
  const api = await setup(t);
  await api.create('roles', 'team-a', 'pod-reader', { rules: POD_READER });
  await api.create('rolebindings', 'team-a', 'builder-reads', { ...ref('Role', 'pod-reader'), ...subjects({ kind: 'ServiceAccount', name: 'builder', namespace: 'team-a' }) });
  assert.equal(await api.allowed(BUILDER, request('list', 'pods', 'team-a')), true);
});

test('a RoleBinding to a Role grants its rules in its own namespace only', async (t) => {
  const api = await setup(t);
  await api.create('roles', 'team-a', 'pod-reader', { rules: POD_READER });
  await api.create('rolebindings', 'team-a', 'builder-reads', { ...ref('Role', 'pod-reader'), ...subjects({ kind: 'ServiceAccount', name: 'builder' }) });
  assert.equal(await api.allowed(BUILDER, request('list', 'pods', 'team-a')), true);
  assert.equal(await api.allowed(BUILDER, request('get', 'pods', 'team-a', { name: 'web' })), true);
  assert.equal(await api.allowed(BUILDER, request('delete', 'pods', 'team-a', { name: 'web' })), false, 'a verb the role lacks');
  assert.equal(await api.allowed(BUILDER, request('get', 'pods', 'team-a', { name: 'web', subresource: 'log' })), false, 'a subresource the role lacks');
  assert.equal(await api.allowed(BUILDER, request('list', 'services', 'team-a')), false, 'a resource the role lacks');
  assert.equal(await api.allowed(BUILDER, request('list', 'pods', 'team-b')), false, 'another namespace');
  assert.equal(await api.allowed(BUILDER, request('list', 'pods')), false, 'all namespaces at once');
  assert.equal(await api.allowed(ALICE, request('list', 'pods', 'team-a')), false, 'another user');
});

test('a RoleBinding to a ClusterRole grants it in the binding namespace only; a ClusterRoleBinding everywhere', async (t) => {
  const api = await setup(t);
  await api.create('clusterroles', undefined, 'pod-reader', { rules: POD_READER });
  await api.create('clusterroles', undefined, 'node-reader', { rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] }] });
  await api.create('rolebindings', 'team-a', 'alice-reads', { ...ref('ClusterRole', 'pod-reader'), ...subjects({ kind: 'User', name: 'alice' }) });
  await api.create('rolebindings', 'team-a', 'alice-nodes', { ...ref('ClusterRole', 'node-reader'), ...subjects({ kind: 'User', name: 'alice' }) });
  assert.equal(await api.allowed(ALICE, request('list', 'pods', 'team-a')), true);
  assert.equal(await api.allowed(ALICE, request('list', 'pods', 'team-b')), false);
  assert.equal(await api.allowed(ALICE, request('list', 'pods')), false);
  assert.equal(await api.allowed(ALICE, request('list', 'nodes')), false, 'a RoleBinding never grants cluster-scoped resources');

  await api.create('clusterrolebindings', undefined, 'developers-read', { ...ref('ClusterRole', 'pod-reader'), ...subjects({ kind: 'Group', name: 'developers' }) });
  await until(async () => api.allowed(ALICE, request('list', 'pods', 'team-b')), 'the ClusterRoleBinding seen');
  assert.equal(await api.allowed(ALICE, request('list', 'pods', 'default')), true);
  assert.equal(await api.allowed(ALICE, request('list', 'pods')), true, 'all namespaces at once');
  assert.equal(await api.allowed(BOB, request('list', 'pods', 'team-b')), false, 'not in the group');
});

test('a Namespace is read in itself: a RoleBinding there may grant getting it, and no other', async (t) => {
  const api = await setup(t);
  await api.create('clusterroles', undefined, 'namespace-reader', { rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }] });
  await api.create('rolebindings', 'team-a', 'alice-ns', { ...ref('ClusterRole', 'namespace-reader'), ...subjects({ kind: 'User', name: 'alice' }) });
  assert.equal(await api.allowed(ALICE, request('get', 'namespaces', undefined, { name: 'team-a' })), true);
  assert.equal(await api.allowed(ALICE, request('get', 'namespaces', undefined, { name: 'team-b' })), false);
});

test('ServiceAccount subjects: the namespace given, or the RoleBinding’s own; none in a ClusterRoleBinding names no one', async (t) => {
  const api = await setup(t);
  await api.create('clusterroles', undefined, 'pod-reader', { rules: POD_READER });
  await api.create('rolebindings', 'team-b', 'builder-of-a', { ...ref('ClusterRole', 'pod-reader'), ...subjects({ kind: 'ServiceAccount', name: 'builder', namespace: 'team-a' }) });
  await api.create('rolebindings', 'team-b', 'builder-of-b', { ...ref('ClusterRole', 'pod-reader'), ...subjects({ kind: 'ServiceAccount', name: 'builder' }) });
  await api.createUnchecked('clusterrolebindings', undefined, 'builder-nowhere', { ...ref('ClusterRole', 'pod-reader'), ...subjects({ kind: 'ServiceAccount', name: 'builder' }) });
  assert.equal(await api.allowed(BUILDER, request('list', 'pods', 'team-b')), true, 'team-a:builder bound in team-b');
  assert.equal(await api.allowed(BUILDER, request('list', 'pods', 'team-a')), false, 'the ClusterRoleBinding without a namespace');
  const otherBuilder: UserInfo = { name: 'system:serviceaccount:team-b:builder', groups: ['system:authenticated'] };
  assert.equal(await api.allowed(otherBuilder, request('list', 'pods', 'team-b')), true, "team-b:builder by the binding's namespace");
  assert.equal(await api.allowed(otherBuilder, request('list', 'pods', 'default')), false);
});

test("a binding to a missing role grants nothing and says so, as upstream's reason; the role's arrival grants", async (t) => {
  const api = await setup(t);
  await api.create('rolebindings', 'team-a', 'to-missing-role', { ...ref('Role', 'pod-reader'), ...subjects({ kind: 'User', name: 'alice' }) });
  assert.deepEqual(await api.decide(ALICE, request('list', 'pods', 'team-a')), {
    decision: 'no-opinion',
    reason: 'RBAC: role.rbac.authorization.k8s.io "pod-reader" not found',
  });
  await api.create('clusterrolebindings', undefined, 'to-missing-clusterrole', { ...ref('ClusterRole', 'gone'), ...subjects({ kind: 'Group', name: 'developers' }) });
  await until(async () => (await api.decide(ALICE, request('list', 'pods', 'team-a'))).reason.startsWith('RBAC: ['), 'both failures');
  assert.deepEqual(await api.decide(ALICE, request('list', 'pods', 'team-a')), {
    decision: 'no-opinion',
    reason: 'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, role.rbac.authorization.k8s.io "pod-reader" not found]',
  });
  assert.deepEqual(await api.decide(BOB, request('list', 'pods', 'team-a')), NO_OPINION, 'bindings of others are not reported');

  await api.create('roles', 'team-a', 'pod-reader', { rules: POD_READER });
  await until(async () => api.allowed(ALICE, request('list', 'pods', 'team-a')), 'the role seen');
  assert.equal(await api.allowed(ALICE, request('delete', 'pods', 'team-a', { name: 'x' })), false);
});

test('a ClusterRoleBinding to a Role, or to an unknown kind, grants nothing', async (t) => {
  const api = await setup(t);
  await api.create('roles', 'team-a', 'pod-reader', { rules: POD_READER });
  await api.createUnchecked('clusterrolebindings', undefined, 'to-a-role', { ...ref('Role', 'pod-reader'), ...subjects({ kind: 'User', name: 'alice' }) });
  await api.createUnchecked('clusterrolebindings', undefined, 'to-a-robot', { roleRef: { apiGroup: RBAC_GROUP, kind: 'Robot', name: 'x' }, ...subjects({ kind: 'User', name: 'bob' }) });
  assert.deepEqual(await api.decide(ALICE, request('list', 'pods', 'team-a')), {
    decision: 'no-opinion',
    reason: 'RBAC: role.rbac.authorization.k8s.io "pod-reader" not found',
  });
  assert.deepEqual(await api.decide(BOB, request('list', 'pods', 'team-a')), { decision: 'no-opinion', reason: 'RBAC: unsupported role reference kind: "Robot"' });
});

test('non-resource URLs are granted by ClusterRoleBindings; a RoleBinding never grants a path', async (t) => {
  const api = await setup(t);
  await api.create('clusterroles', undefined, 'health', { rules: [{ nonResourceURLs: ['/logs', '/metrics/*'], verbs: ['get'] }] });
  await api.create('rolebindings', 'team-a', 'alice-health', { ...ref('ClusterRole', 'health'), ...subjects({ kind: 'User', name: 'alice' }) });
  assert.equal(await api.allowed(ALICE, { kind: 'path', verb: 'get', path: '/logs' }), false);
  await api.create('clusterrolebindings', undefined, 'alice-health', { ...ref('ClusterRole', 'health'), ...subjects({ kind: 'User', name: 'alice' }) });
  await until(async () => api.allowed(ALICE, { kind: 'path', verb: 'get', path: '/logs' }), 'the ClusterRoleBinding seen');
  assert.equal(await api.allowed(ALICE, { kind: 'path', verb: 'get', path: '/metrics/cadvisor' }), true);
  assert.equal(await api.allowed(ALICE, { kind: 'path', verb: 'post', path: '/logs' }), false);
  assert.equal(await api.allowed(ALICE, { kind: 'path', verb: 'get', path: '/debug/pprof' }), false);
});

test("changes take effect without a restart: a binding's subjects changed, a role's rules changed, a binding deleted", async (t) => {
  const api = await setup(t);
  await api.create('roles', 'team-a', 'pod-reader', { rules: POD_READER });
  await api.create('rolebindings', 'team-a', 'reads', { ...ref('Role', 'pod-reader'), ...subjects({ kind: 'User', name: 'bob' }) });
  assert.equal(await api.allowed(BOB, request('list', 'pods', 'team-a')), true);
  assert.equal(await api.allowed(ALICE, request('list', 'pods', 'team-a')), false);

  await api.update('rolebindings', 'team-a', 'reads', { ...ref('Role', 'pod-reader'), ...subjects({ kind: 'User', name: 'alice' }) });
  await until(async () => api.allowed(ALICE, request('list', 'pods', 'team-a')), 'alice bound');
  assert.equal(await api.allowed(BOB, request('list', 'pods', 'team-a')), false, 'bob no longer bound');

  await api.update('roles', 'team-a', 'pod-reader', { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'delete'] }] });
  await until(async () => api.allowed(ALICE, request('delete', 'pods', 'team-a', { name: 'web' })), 'the new verb');

  await api.delete('rolebindings', 'team-a', 'reads');
  await until(async () => !(await api.allowed(ALICE, request('list', 'pods', 'team-a'))), 'the binding gone');
  assert.deepEqual(await api.decide(ALICE, request('list', 'pods', 'team-a')), NO_OPINION);
});

test('a user in many bindings: any one rule of any one bound role allows', async (t) => {
  const api = await setup(t);
  await api.create('roles', 'team-a', 'cm-reader', { rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get'] }] });
  await api.create('roles', 'team-a', 'scaler', { rules: [{ apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['update', 'patch'] }] });
  await api.create('rolebindings', 'team-a', 'by-name', { ...ref('Role', 'cm-reader'), ...subjects({ kind: 'User', name: 'alice' }) });
  await api.create('rolebindings', 'team-a', 'by-group', { ...ref('Role', 'scaler'), ...subjects({ kind: 'User', name: 'carol' }, { kind: 'Group', name: 'developers' }) });
  assert.equal(await api.allowed(ALICE, request('get', 'configmaps', 'team-a', { name: 'settings' })), true);
  assert.equal(await api.allowed(ALICE, request('get', 'configmaps', 'team-a', { name: 'other' })), false);
  assert.equal(await api.allowed(ALICE, request('list', 'configmaps', 'team-a')), false);
  assert.equal(await api.allowed(ALICE, request('patch', 'deployments', 'team-a', { group: 'apps', name: 'web', subresource: 'scale' })), true);
  assert.equal(await api.allowed(ALICE, request('patch', 'deployments', 'team-a', { group: 'apps', name: 'web' })), false);
});

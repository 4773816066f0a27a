// RBAC escalation prevention (server/api/auth/escalation-check.ts) through the
// real resource handler and registry: a Role or ClusterRole is written only by
// someone holding all it grants (or `escalate`), a binding only by someone
// who may `bind` its role or holds all of it; on create, update, every patch
// type and dry runs. A test authorizer stands in for RBAC: it grants each test
// user a fixed list of permissions.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { type Attributes, type Authorizer, ALLOW, inOrder, NO_OPINION } from '../../server/api/auth/authorizer.js';
import { mastersAuthorizer } from '../../server/api/auth/masters-authorizer.js';
import type { UserInfo } from '../../server/api/auth/user.js';
import { type HandlerApi, handlerApi } from '../helpers/handler-api.js';

/** A permission the test authorizer grants: "*" matches only what a "*" rule would, namespace and name absent match any. */
interface Grant {
  readonly verb: string;
  readonly group?: string;
  readonly resource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly path?: string;
}

const ADMIN: UserInfo = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
const BOB: UserInfo = { name: 'bob', groups: ['devs', 'system:authenticated'] };

const RBAC = 'rbac.authorization.k8s.io';

function grantsAuthorizer(grants: ReadonlyMap<string, readonly Grant[]>): Authorizer {
  const matches = (rule: string | undefined, asked: string | undefined) => rule === undefined || rule === '*' || rule === asked;
  return {
    authorize: async (user, attrs: Attributes) => {
      const allowed = (grants.get(user.name) ?? []).some((g) => {
        if (!matches(g.verb, attrs.verb)) return false;
        if (attrs.kind === 'path') return g.path !== undefined && matches(g.path, attrs.path);
        const resource = attrs.subresource === undefined ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
        return g.path === undefined && matches(g.group, attrs.group) && matches(g.resource, resource) && matches(g.namespace, attrs.namespace) && matches(g.name, attrs.name);
      });
      return allowed ? ALLOW : NO_OPINION;
    },
  };
}

async function harness(t: TestContext, grants: Record<string, readonly Grant[]>): Promise<HandlerApi> {
  return handlerApi(t, inOrder([mastersAuthorizer, grantsAuthorizer(new Map(Object.entries(grants)))]));
}

const CLUSTER_ROLES = `/apis/${RBAC}/v1/clusterroles`;
const CLUSTER_ROLE_BINDINGS = `/apis/${RBAC}/v1/clusterrolebindings`;
const roles = (ns: string) => `/apis/${RBAC}/v1/namespaces/${ns}/roles`;
const roleBindings = (ns: string) => `/apis/${RBAC}/v1/namespaces/${ns}/rolebindings`;

const clusterRole = (name: string, rules: unknown[], extra: Record<string, unknown> = {}) => ({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name }, rules, ...extra });
const role = (name: string, rules: unknown[]) => ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name }, rules });
const binding = (kind: 'ClusterRoleBinding' | 'RoleBinding', name: string, refKind: string, refName: string) => ({
  apiVersion: `${RBAC}/v1`,
  kind,
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind: refKind, name: refName },
  subjects: [{ kind: 'User', apiGroup: RBAC, name: 'eve' }],
});

const READ_PODS = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };
const BOB_READS_PODS: Grant[] = [
  { verb: 'get', group: '', resource: 'pods' },
  { verb: 'list', group: '', resource: 'pods' },
  // To write roles at all (the handler's own authorization is not under test here).
  { verb: 'create', group: RBAC },
];

function notHeld(kind: string, name: string, lines: string[]): string {
  return `${kind}.${RBAC} "${name}" is forbidden: user "bob" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
}

test('a ClusterRole granting only what its creator holds is created; one granting more is refused with upstream message, missing rules compacted', async (t) => {
  const h = await harness(t, { bob: BOB_READS_PODS });
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('pod-reader', [READ_PODS]))).status, 201);
  const refused = await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('too-much', [{ apiGroups: ['', 'apps'], resources: ['pods', 'deployments'], verbs: ['get', 'delete'] }, { nonResourceURLs: ['/healthz'], verbs: ['get'] }]));
  assert.equal(refused.status, 403);
  assert.equal(refused.body['reason'], 'Forbidden');
  assert.equal(
    refused.body['message'],
    notHeld('clusterroles', 'too-much', [
      '{APIGroups:[""], Resources:["deployments"], Verbs:["get" "delete"]}',
      '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
      '{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "delete"]}',
      '{APIGroups:["apps"], Resources:["pods"], Verbs:["get" "delete"]}',
      '{NonResourceURLs:["/healthz"], Verbs:["get"]}',
    ]),
  );
  assert.deepEqual(refused.body['details'], { name: 'too-much', group: RBAC, kind: 'clusterroles' });
  await assert.rejects(h.registry.get(h.catalogue.get(RBAC, 'v1', 'clusterroles')!, undefined, 'too-much'), /not found/);
});

test('a "*" in a new rule must be held as "*": holding every named verb is not enough; resource names are held by a rule without names', async (t) => {
  const h = await harness(t, { bob: [...BOB_READS_PODS, { verb: 'get', group: '', resource: 'secrets', name: 'tls' }] });
  const star = await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('star', [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }]));
  assert.equal(star.status, 403);
  assert.match(String(star.body['message']), /not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["\*"\]\}$/);
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('one-pod', [{ apiGroups: [''], resources: ['pods'], resourceNames: ['web'], verbs: ['get'] }]))).status, 201);
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('tls', [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['tls'], verbs: ['get'] }]))).status, 201);
  const other = await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('other-secret', [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['db', 'tls'], verbs: ['get'] }]));
  assert.equal(other.status, 403);
  assert.match(String(other.body['message']), /not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], ResourceNames:\["db"\], Verbs:\["get"\]\}$/);
});

test('a user holding "*" verbs may grant "*"', async (t) => {
  const h = await harness(t, { bob: [{ verb: '*', group: '', resource: 'pods' }, { verb: 'create', group: RBAC }] });
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('star', [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['*'] }]))).status, 403);
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('star', [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }]))).status, 201);
});

test('a Role needs its permissions held in its own namespace; escalate on roles there lets anything through', async (t) => {
  const h = await harness(t, {
    bob: [
      { verb: 'get', group: '', resource: 'pods', namespace: 'default' },
      { verb: 'create', group: RBAC },
      { verb: 'escalate', group: RBAC, resource: 'roles', namespace: 'kube-public' },
    ],
  });
  const rules = [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }];
  assert.equal((await h.send(BOB, 'POST', roles('default'), role('r', rules))).status, 201);
  const elsewhere = await h.send(BOB, 'POST', roles('kube-system'), role('r', rules));
  assert.equal(elsewhere.status, 403);
  assert.match(String(elsewhere.body['message']), /^roles\.rbac\.authorization\.k8s\.io "r" is forbidden: user "bob"/);
  const everything = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
  assert.equal((await h.send(BOB, 'POST', roles('kube-public'), role('all', everything))).status, 201);
  assert.equal((await h.send(BOB, 'POST', roles('default'), role('all', everything))).status, 403);
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('all', everything))).status, 403, 'escalate on roles in a namespace is not escalate on clusterroles');
});

test('system:masters is never checked', async (t) => {
  const h = await harness(t, {});
  // (Not named cluster-admin: the default policy has that one.)
  assert.equal((await h.send(ADMIN, 'POST', CLUSTER_ROLES, clusterRole('everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]))).status, 201);
  assert.equal((await h.send(ADMIN, 'POST', CLUSTER_ROLE_BINDINGS, binding('ClusterRoleBinding', 'to-missing', 'ClusterRole', 'nope'))).status, 201);
});

test('a binding needs bind on its role (by name), or every permission of the role; a binding to a missing role is its 404', async (t) => {
  const h = await harness(t, {
    bob: [...BOB_READS_PODS, { verb: 'bind', group: RBAC, resource: 'clusterroles', name: 'deployer' }, { verb: 'bind', group: RBAC, resource: 'clusterroles', name: 'gone' }],
  });
  // Roles of their own: cluster-admin and edit are the default policy's.
  await h.send(ADMIN, 'POST', CLUSTER_ROLES, clusterRole('everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]));
  await h.send(ADMIN, 'POST', CLUSTER_ROLES, clusterRole('deployer', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }]));
  await h.send(ADMIN, 'POST', CLUSTER_ROLES, clusterRole('pod-reader', [READ_PODS]));

  const admin = await h.send(BOB, 'POST', CLUSTER_ROLE_BINDINGS, binding('ClusterRoleBinding', 'eve-admin', 'ClusterRole', 'everything'));
  assert.equal(admin.status, 403);
  assert.equal(
    admin.body['message'],
    notHeld('clusterrolebindings', 'eve-admin', ['{APIGroups:["*"], Resources:["*"], Verbs:["*"]}', '{NonResourceURLs:["*"], Verbs:["*"]}']),
  );
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLE_BINDINGS, binding('ClusterRoleBinding', 'eve-edit', 'ClusterRole', 'deployer'))).status, 201, 'bind on deployer');
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLE_BINDINGS, binding('ClusterRoleBinding', 'eve-reads', 'ClusterRole', 'pod-reader'))).status, 201, 'holds all of pod-reader');

  const missing = await h.send(BOB, 'POST', CLUSTER_ROLE_BINDINGS, binding('ClusterRoleBinding', 'eve-nope', 'ClusterRole', 'nope'));
  assert.equal(missing.status, 404);
  assert.equal(missing.body['message'], `clusterroles.${RBAC} "nope" not found`);
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLE_BINDINGS, binding('ClusterRoleBinding', 'eve-gone', 'ClusterRole', 'gone'))).status, 201, 'bind needs no role');
});

test('a RoleBinding is checked in its own namespace, against a Role there or a ClusterRole', async (t) => {
  const h = await harness(t, { bob: [{ verb: 'get', group: '', resource: 'pods', namespace: 'default' }, { verb: 'create', group: RBAC }] });
  const get = [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }];
  await h.send(ADMIN, 'POST', CLUSTER_ROLES, clusterRole('pod-getter', get));
  await h.send(ADMIN, 'POST', roles('default'), role('pod-getter', get));
  assert.equal((await h.send(BOB, 'POST', roleBindings('default'), binding('RoleBinding', 'b', 'ClusterRole', 'pod-getter'))).status, 201);
  assert.equal((await h.send(BOB, 'POST', roleBindings('default'), binding('RoleBinding', 'c', 'Role', 'pod-getter'))).status, 201);
  const elsewhere = await h.send(BOB, 'POST', roleBindings('kube-system'), binding('RoleBinding', 'b', 'ClusterRole', 'pod-getter'));
  assert.equal(elsewhere.status, 403);
  assert.match(String(elsewhere.body['message']), /^rolebindings\.rbac\.authorization\.k8s\.io "b" is forbidden: /);
  const noRole = await h.send(BOB, 'POST', roleBindings('kube-system'), binding('RoleBinding', 'c', 'Role', 'pod-getter'));
  assert.equal(noRole.status, 404, 'the Role is looked up in the binding namespace');
  assert.equal(noRole.body['message'], `roles.${RBAC} "pod-getter" not found`);
});

test('updates and every patch type are checked on the object as it would be stored; a change of finalizers alone is not', async (t) => {
  const h = await harness(t, { bob: [...BOB_READS_PODS, { verb: 'update', group: RBAC }, { verb: 'patch', group: RBAC }] });
  assert.equal((await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('r', [READ_PODS]))).status, 201);
  const url = `${CLUSTER_ROLES}/r`;
  const addDelete = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'delete'] };
  const attempts: [string, string, unknown][] = [
    ['PUT', 'application/json', clusterRole('r', [addDelete])],
    ['PATCH', 'application/merge-patch+json', { rules: [addDelete] }],
    ['PATCH', 'application/strategic-merge-patch+json', { rules: [addDelete] }],
    ['PATCH', 'application/json-patch+json', [{ op: 'add', path: '/rules/0/verbs/-', value: 'delete' }]],
    ['PATCH', 'application/apply-patch+yaml', clusterRole('r', [addDelete])],
  ];
  for (const [method, contentType, body] of attempts) {
    const res = await h.send(BOB, method, contentType === 'application/apply-patch+yaml' ? `${url}?fieldManager=kubectl&force=true` : url, body, contentType);
    assert.equal(res.status, 403, `${method} ${contentType}`);
    assert.match(String(res.body['message']), /not currently held:\n\{APIGroups:\[""\], Resources:\["pods"\], Verbs:\["delete"\]\}$/, `${method} ${contentType}`);
  }
  const stored = await h.registry.get(h.catalogue.get(RBAC, 'v1', 'clusterroles')!, undefined, 'r');
  assert.deepEqual(stored['rules'], [READ_PODS]);
  // Server-side apply of a missing object creates it: checked as a create.
  const applied = await h.send(BOB, 'PATCH', `${CLUSTER_ROLES}/new?fieldManager=kubectl`, clusterRole('new', [addDelete]), 'application/apply-patch+yaml');
  assert.equal(applied.status, 403);
  // Removing a permission, or only finalizers, is fine.
  assert.equal((await h.send(BOB, 'PATCH', url, { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }, 'application/merge-patch+json')).status, 200);
  await h.send(ADMIN, 'PATCH', url, { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }, 'application/merge-patch+json');
  assert.equal((await h.send(BOB, 'PATCH', url, { metadata: { finalizers: ['example.com/hold'] } }, 'application/merge-patch+json')).status, 200);
  assert.equal((await h.send(BOB, 'PATCH', url, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).status, 403, 'any other change is checked');
});

test('dry runs are checked too, and a held dry run stores nothing', async (t) => {
  const h = await harness(t, { bob: BOB_READS_PODS });
  const refused = await h.send(BOB, 'POST', `${CLUSTER_ROLES}?dryRun=All`, clusterRole('r', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]));
  assert.equal(refused.status, 403);
  assert.equal((await h.send(BOB, 'POST', `${CLUSTER_ROLES}?dryRun=All`, clusterRole('r', [READ_PODS]))).status, 201);
  await assert.rejects(h.registry.get(h.catalogue.get(RBAC, 'v1', 'clusterroles')!, undefined, 'r'), /not found/);
});

test('an aggregationRule needs cluster-admin privileges', async (t) => {
  const h = await harness(t, { bob: BOB_READS_PODS });
  const res = await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('agg', [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] } }));
  assert.equal(res.status, 403);
  assert.equal(res.body['message'], `clusterroles.${RBAC} "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule`);
});

test('malformed rules are a 400, not a way around the check', async (t) => {
  const h = await harness(t, { bob: BOB_READS_PODS });
  const res = await h.send(BOB, 'POST', CLUSTER_ROLES, clusterRole('bad', [{ apiGroups: [''], resources: ['pods'], verbs: '*' }]));
  assert.equal(res.status, 400);
  assert.equal(res.body['message'], 'rules[0].verbs must be a list of strings');
});

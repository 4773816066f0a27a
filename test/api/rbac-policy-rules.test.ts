// RBAC's rule and subject matching (server/api/auth/rbac/policy-rules.ts),
// case by case as upstream's RuleAllows and appliesToUser decide them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PolicyRule, Subject } from 'kubernetes-types/rbac/v1.js';
import { bindingSubjectKeys, ruleAllows, type RuleRequest, subjectKey, userKeys } from '../../server/api/auth/rbac/policy-rules.js';
import type { UserInfo } from '../../server/api/auth/user.js';

const res = (verb: string, resource: string, more: { group?: string; subresource?: string; name?: string } = {}): RuleRequest => ({
  kind: 'resource',
  verb,
  group: more.group ?? '',
  resource,
  ...(more.subresource === undefined ? {} : { subresource: more.subresource }),
  ...(more.name === undefined ? {} : { name: more.name }),
});
const path = (verb: string, p: string): RuleRequest => ({ kind: 'path', verb, path: p });

function check(rule: PolicyRule, cases: readonly [RuleRequest, boolean][]): void {
  for (const [request, allowed] of cases) assert.equal(ruleAllows(rule, request), allowed, `${JSON.stringify(rule)} ${JSON.stringify(request)}`);
}

test('verbs: the listed ones or "*"', () => {
  check({ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }, [
    [res('get', 'pods'), true],
    [res('list', 'pods'), true],
    [res('watch', 'pods'), false],
    [res('delete', 'pods'), false],
  ]);
  check({ apiGroups: [''], resources: ['pods'], verbs: ['*'] }, [
    [res('deletecollection', 'pods'), true],
    [res('escalate', 'pods'), true],
  ]);
  check({ apiGroups: [''], resources: ['pods'], verbs: [] }, [[res('get', 'pods'), false]]);
});

test('API groups: "" is the core group, "*" every group, a named group only itself', () => {
  check({ apiGroups: [''], resources: ['*'], verbs: ['get'] }, [
    [res('get', 'pods'), true],
    [res('get', 'deployments', { group: 'apps' }), false],
  ]);
  check({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] }, [
    [res('get', 'deployments', { group: 'apps' }), true],
    [res('get', 'deployments', { group: 'extensions' }), false],
  ]);
  check({ apiGroups: ['*'], resources: ['deployments'], verbs: ['get'] }, [
    [res('get', 'deployments', { group: 'apps' }), true],
    [res('get', 'deployments', { group: 'example.com' }), true],
  ]);
  check({ resources: ['pods'], verbs: ['get'] }, [[res('get', 'pods'), false]]);
});

test('resources: exact, "*" (subresources included), "res/sub", "*/sub"; "res/*" is no wildcard', () => {
  check({ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, [
    [res('get', 'pods'), true],
    [res('get', 'pods', { subresource: 'log', name: 'web' }), false],
    [res('get', 'services'), false],
  ]);
  check({ apiGroups: [''], resources: ['*'], verbs: ['get'] }, [
    [res('get', 'pods'), true],
    [res('get', 'pods', { subresource: 'log', name: 'web' }), true],
  ]);
  check({ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }, [
    [res('get', 'pods', { subresource: 'log', name: 'web' }), true],
    [res('get', 'pods', { name: 'web' }), false],
    [res('get', 'pods', { subresource: 'status', name: 'web' }), false],
  ]);
  check({ apiGroups: ['*'], resources: ['*/scale'], verbs: ['get'] }, [
    [res('get', 'deployments', { group: 'apps', subresource: 'scale', name: 'web' }), true],
    [res('get', 'replicationcontrollers', { subresource: 'scale', name: 'web' }), true],
    [res('get', 'deployments', { group: 'apps', name: 'web' }), false],
    [res('get', 'deployments', { group: 'apps', subresource: 'status', name: 'web' }), false],
  ]);
  check({ apiGroups: [''], resources: ['pods/*'], verbs: ['get'] }, [
    [res('get', 'pods', { subresource: 'log', name: 'web' }), false],
    [res('get', 'pods'), false],
  ]);
});

test('resourceNames: none means every name; otherwise the request must name one (a list or create names none)', () => {
  check({ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create'] }, [
    [res('get', 'configmaps', { name: 'a' }), true],
    [res('list', 'configmaps'), true],
  ]);
  check({ apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get', 'list', 'create', 'update'] }, [
    [res('get', 'configmaps', { name: 'settings' }), true],
    [res('update', 'configmaps', { name: 'settings' }), true],
    [res('get', 'configmaps', { name: 'other' }), false],
    [res('list', 'configmaps'), false],
    [res('create', 'configmaps'), false],
  ]);
});

test('non-resource URLs: exact, "*", or a prefix ending in "*"; resource rules never match a path', () => {
  check({ nonResourceURLs: ['/healthz', '/metrics/*'], verbs: ['get'] }, [
    [path('get', '/healthz'), true],
    [path('get', '/healthz/etcd'), false],
    [path('get', '/metrics/cadvisor'), true],
    [path('get', '/metrics/'), true],
    [path('get', '/metrics'), false],
    [path('post', '/healthz'), false],
  ]);
  check({ nonResourceURLs: ['*'], verbs: ['*'] }, [
    [path('get', '/anything'), true],
    [path('post', '/logs/x'), true],
  ]);
  check({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, [[path('get', '/healthz'), false]]);
  check({ nonResourceURLs: ['*'], verbs: ['*'] }, [[res('get', 'pods'), false]]);
});

test('rules of the wrong shape allow nothing', () => {
  const odd = { apiGroups: '', resources: 'pods', verbs: 'get' } as unknown as PolicyRule;
  check(odd, [[res('get', 'pods'), false]]);
  check({ apiGroups: [''], resources: ['pods'], verbs: [7, 'get'] } as unknown as PolicyRule, [[res('get', 'pods'), true]]);
});

test('subjects: User by name, Group by membership, ServiceAccount by its user name', () => {
  const sa: UserInfo = { name: 'system:serviceaccount:team-a:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'] };
  const applies = (subject: Subject, user: UserInfo, namespace: string) => {
    const key = subjectKey(subject, namespace);
    return key !== undefined && userKeys(user).includes(key);
  };
  const alice: UserInfo = { name: 'alice', groups: ['developers', 'system:authenticated'] };
  assert.equal(applies({ kind: 'User', name: 'alice' }, alice, ''), true);
  assert.equal(applies({ kind: 'User', name: 'developers' }, alice, ''), false, 'a user subject is not a group');
  assert.equal(applies({ kind: 'Group', name: 'developers' }, alice, ''), true);
  assert.equal(applies({ kind: 'Group', name: 'alice' }, alice, ''), false, 'a group subject is not a user');
  assert.equal(applies({ kind: 'Group', name: 'system:serviceaccounts:team-a' }, sa, ''), true);
  assert.equal(applies({ kind: 'ServiceAccount', name: 'builder', namespace: 'team-a' }, sa, ''), true);
  assert.equal(applies({ kind: 'ServiceAccount', name: 'builder', namespace: 'team-b' }, sa, 'team-a'), false);
  assert.equal(applies({ kind: 'ServiceAccount', name: 'builder' }, sa, 'team-a'), true, "a RoleBinding's own namespace by default");
  assert.equal(applies({ kind: 'ServiceAccount', name: 'builder' }, sa, 'team-b'), false);
  assert.equal(applies({ kind: 'ServiceAccount', name: 'builder' }, sa, ''), false, 'no namespace in a ClusterRoleBinding: no one');
  assert.equal(applies({ kind: 'User', name: 'system:serviceaccount:team-a:builder' }, sa, ''), true, 'a ServiceAccount is also its user name');
  assert.equal(applies({ kind: 'Robot', name: 'alice' }, alice, ''), false, 'an unknown kind names no one');
});

test("a binding's subject keys: each once, subjects of the wrong shape left out", () => {
  assert.deepEqual(
    bindingSubjectKeys(
      [
        { kind: 'User', name: 'alice' },
        { kind: 'User', name: 'alice' },
        { kind: 'Group', name: 'ops' },
        { kind: 'ServiceAccount', name: 'builder' },
        null,
        { kind: 'User' },
      ],
      'team-a',
    ),
    ['user:alice', 'group:ops', 'user:system:serviceaccount:team-a:builder'],
  );
  assert.deepEqual(bindingSubjectKeys('alice', 'team-a'), []);
  assert.deepEqual(bindingSubjectKeys(undefined, 'team-a'), []);
});

// Access reviews and SelfSubjectReview (server/api/auth/access-review.ts)
// through the real resource handler: answered by the authorizer chain for the
// requester or the named subject, validated as upstream validates them, never
// stored. Who may create which is RBAC's (the default policy's
// system:basic-user: test/api/rbac-authorizer.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Attributes, type Authorizer, ALLOW, noOpinion } from '../../server/api/auth/authorizer.js';
import type { UserInfo } from '../../server/api/auth/user.js';
import { handlerApi } from '../helpers/handler-api.js';

const BOB: UserInfo = { name: 'bob', groups: ['devs', 'system:authenticated'] };
const ADMIN: UserInfo = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };

/** Bob may get pods in default and GET /healthz; deleting nodes is denied outright; anything else has no opinion, with a reason. */
const authorizer: Authorizer = {
  authorize: async (user, attrs: Attributes) => {
    if (attrs.kind === 'path') return user.name === 'bob' && attrs.path === '/healthz' && attrs.verb === 'get' ? ALLOW : noOpinion('no path rule');
    if (attrs.resource === 'nodes' && attrs.verb === 'delete') return { decision: 'deny', reason: 'nodes are never deleted here' };
    const bobGetsPods = user.name === 'bob' && attrs.verb === 'get' && attrs.group === '' && attrs.resource === 'pods' && attrs.namespace === 'default' && attrs.subresource === undefined;
    return bobGetsPods ? ALLOW : noOpinion(`no rule for ${user.name}`);
  },
};

const AUTHZ = '/apis/authorization.k8s.io/v1';
const ssar = (spec: unknown) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, spec });
const sar = (kind: string, spec: unknown, metadata: Record<string, unknown> = {}) => ({ apiVersion: 'authorization.k8s.io/v1', kind, metadata, spec });

test('a SelfSubjectAccessReview is answered for its requester by the authorizer chain: allowed, denied and the reason', async (t) => {
  const api = await handlerApi(t, authorizer);
  const spec = { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } };
  const yes = await api.send(BOB, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, ssar(spec));
  assert.equal(yes.status, 201);
  assert.deepEqual(yes.body, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: { creationTimestamp: null }, spec, status: { allowed: true } });
  const no = await api.send(BOB, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, ssar({ resourceAttributes: { namespace: 'kube-system', verb: 'get', resource: 'pods' } }));
  assert.deepEqual(no.body['status'], { allowed: false, reason: 'no rule for bob' });
  const sub = await api.send(BOB, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, ssar({ resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods', subresource: 'log' } }));
  assert.equal((sub.body['status'] as { allowed: boolean }).allowed, false, 'a subresource is asked as one');
  const denied = await api.send(BOB, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, ssar({ resourceAttributes: { verb: 'delete', resource: 'nodes', name: 'pi-1' } }));
  assert.deepEqual(denied.body['status'], { allowed: false, denied: true, reason: 'nodes are never deleted here' });
  const path = await api.send(BOB, 'POST', `${AUTHZ}/selfsubjectaccessreviews`, ssar({ nonResourceAttributes: { path: '/healthz', verb: 'get' } }));
  assert.deepEqual(path.body['status'], { allowed: true });
});

test('a SubjectAccessReview asks about the user and groups it names, not the requester', async (t) => {
  const api = await handlerApi(t, authorizer);
  const asBob = await api.send(ADMIN, 'POST', `${AUTHZ}/subjectaccessreviews`, sar('SubjectAccessReview', { user: 'bob', groups: ['devs'], resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } }));
  assert.equal(asBob.status, 201);
  assert.deepEqual(asBob.body['status'], { allowed: true });
  const asEve = await api.send(BOB, 'POST', `${AUTHZ}/subjectaccessreviews`, sar('SubjectAccessReview', { user: 'eve', resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } }));
  assert.deepEqual(asEve.body['status'], { allowed: false, reason: 'no rule for eve' });
  const local = await api.send(ADMIN, 'POST', `/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews`, sar('LocalSubjectAccessReview', { user: 'bob', resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } }, { namespace: 'default' }));
  assert.equal(local.status, 201);
  assert.deepEqual(local.body['status'], { allowed: true });
});

test('reviews are validated with upstream messages', async (t) => {
  const api = await handlerApi(t, authorizer);
  const cases: [string, unknown, string][] = [
    [`${AUTHZ}/selfsubjectaccessreviews`, ssar({}), 'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: (*authorization.NonResourceAttributes)(nil): exactly one of nonResourceAttributes or resourceAttributes must be specified'],
    [
      `${AUTHZ}/selfsubjectaccessreviews`,
      ssar({ resourceAttributes: { verb: 'get', resource: 'pods' }, nonResourceAttributes: { path: '/x', verb: 'get' } }),
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: &authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be specified in combination with resourceAttributes',
    ],
    [`${AUTHZ}/subjectaccessreviews`, sar('SubjectAccessReview', { resourceAttributes: { verb: 'get', resource: 'pods' } }), 'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified'],
    [`${AUTHZ}/subjectaccessreviews`, sar('SubjectAccessReview', { user: 'bob', resourceAttributes: { verb: 'get', resource: 'pods' } }, { name: 'x' }), 'SubjectAccessReview.authorization.k8s.io "" is invalid: metadata: Invalid value: must be empty'],
    [
      `${AUTHZ}/namespaces/default/localsubjectaccessreviews`,
      sar('LocalSubjectAccessReview', { user: 'bob', resourceAttributes: { namespace: 'other', verb: 'get', resource: 'pods' } }),
      'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace',
    ],
  ];
  for (const [path, body, message] of cases) {
    const res = await api.send(ADMIN, 'POST', path, body);
    assert.equal(res.status, 422, message);
    assert.equal(res.body['message'], message);
  }
  const listed = await api.send(ADMIN, 'GET', `${AUTHZ}/selfsubjectaccessreviews`);
  assert.equal(listed.status, 405, 'create only');
});

test('a SelfSubjectReview tells the requester who it is', async (t) => {
  const api = await handlerApi(t, authorizer);
  const res = await api.send(BOB, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} });
  assert.equal(res.status, 201);
  assert.deepEqual(res.body, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: { creationTimestamp: null },
    status: { userInfo: { username: 'bob', groups: ['devs', 'system:authenticated'] } },
  });
});


// Access reviews and SelfSubjectReview (server/api/auth/access-review.ts)
// through the real resource handler: answered by the authorizer chain for the
// requester or the named subject, validated as upstream validates them, never
// stored. Who may create which is RBAC's (the default policy's
// system:basic-user: test/api/rbac-authorizer.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Attributes, type Authorizer, ALLOW, noOpinion } from '../../server/api/auth/authorizer.js';
import { SERVICE_ACCOUNT_ISSUER } from '../../server/api/auth/service-account-token.js';
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

test('a SelfSubjectRulesReview lists what the chain can list for its requester in the namespace, incomplete and the errors said', async (t) => {
  const listing: Authorizer = {
    ...authorizer,
    rulesFor: async (user, namespace) => ({
      resourceRules: user.name === 'bob' && namespace === 'default' ? [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] : [],
      nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
      incomplete: namespace === 'kube-system',
      errors: namespace === 'kube-system' ? ['clusterrole.rbac.authorization.k8s.io "gone" not found'] : [],
    }),
  };
  const api = await handlerApi(t, listing);
  const review = (namespace?: string) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: { creationTimestamp: null }, spec: namespace === undefined ? {} : { namespace } });
  const answered = await api.send(BOB, 'POST', `${AUTHZ}/selfsubjectrulesreviews`, review('default'));
  assert.equal(answered.status, 201);
  assert.deepEqual(answered.body['status'], {
    resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
    nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
    incomplete: false,
  });
  assert.deepEqual((await api.send(BOB, 'POST', `${AUTHZ}/selfsubjectrulesreviews`, review('kube-system'))).body['status'], {
    resourceRules: [],
    nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
    incomplete: true,
    evaluationError: 'clusterrole.rbac.authorization.k8s.io "gone" not found',
  });
  const noNamespace = await api.send(BOB, 'POST', `${AUTHZ}/selfsubjectrulesreviews`, review());
  assert.equal(noNamespace.status, 400);
  assert.equal((noNamespace.body as { message: string }).message, 'no namespace on request');
});

test('a TokenReview says whether a ServiceAccount token is good for the audiences asked (the API by default), and whose it is', async (t) => {
  const api = await handlerApi(t, authorizer);
  const sa = await api.registry.create(api.catalogue.get('', 'v1', 'serviceaccounts')!, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'proxy' } }, {});
  const ref = { namespace: 'default', name: 'proxy', uid: sa.metadata.uid! };
  const token = api.tokens.issue(ref, { audiences: [SERVICE_ACCOUNT_ISSUER, 'metrics'], expirationSeconds: 600, now: new Date() });
  const review = (spec: Record<string, unknown>) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { creationTimestamp: null }, spec });
  const good = await api.send(ADMIN, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', review({ token }));
  assert.equal(good.status, 201);
  const status = good.body['status'] as { user: { extra: Record<string, string[]> } };
  const credential = status.user.extra['authentication.kubernetes.io/credential-id']!;
  assert.match(credential[0]!, /^JTI=[0-9a-f-]{36}$/);
  assert.deepEqual(status, {
    authenticated: true,
    user: {
      username: 'system:serviceaccount:default:proxy',
      uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': credential },
    },
    audiences: [SERVICE_ACCOUNT_ISSUER],
  });
  const forMetrics = await api.send(ADMIN, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', review({ token, audiences: ['metrics', 'other'] }));
  assert.deepEqual((forMetrics.body['status'] as { audiences: string[] }).audiences, ['metrics']);
  const otherAudience = await api.send(ADMIN, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', review({ token, audiences: ['other'] }));
  assert.deepEqual(otherAudience.body['status'], { authenticated: false, error: 'token is not for this audience' });
  const forged = await api.send(ADMIN, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', review({ token: `${token.slice(0, -4)}AAAA` }));
  assert.deepEqual(forged.body['status'], { authenticated: false, error: 'malformed token or bad signature' });
  const none = await api.send(ADMIN, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', review({}));
  assert.equal(none.status, 400);
  assert.equal((none.body as { message: string }).message, 'token is required for TokenReview in authentication');
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

test('a SelfSubjectReview tells the requester who it is, in v1 and in v1beta1 (kubectl 1.27)', async (t) => {
  const api = await handlerApi(t, authorizer);
  for (const version of ['v1', 'v1beta1']) {
    const apiVersion = `authentication.k8s.io/${version}`;
    const res = await api.send(BOB, 'POST', `/apis/${apiVersion}/selfsubjectreviews`, { apiVersion, kind: 'SelfSubjectReview', metadata: {} });
    assert.equal(res.status, 201, version);
    assert.deepEqual(res.body, {
      apiVersion,
      kind: 'SelfSubjectReview',
      metadata: { creationTimestamp: null },
      status: { userInfo: { username: 'bob', groups: ['devs', 'system:authenticated'] } },
    });
  }
  const tokenReview = await api.send(BOB, 'POST', '/apis/authentication.k8s.io/v1beta1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1beta1', kind: 'TokenReview', spec: { token: 'x' } });
  assert.equal(tokenReview.status, 404, 'TokenReview left v1beta1 in 1.22');
});


// What a request asks for, read from its method and path: the proxy
// subresources, whose path goes on after them and whose verb is the
// method's alone, beside the usual forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestInfo } from '../../server/api/request-info.js';

const info = (method: string, path: string, query = '') => requestInfo(method, path, new URLSearchParams(query));

test('a proxy subresource keeps the path after it, with its trailing slash, as upstream hands it on', () => {
  const base = '/api/v1/namespaces/default/pods/web:8080/proxy';
  assert.deepEqual(info('GET', `${base}/metrics/x/`), {
    kind: 'resource',
    verb: 'get',
    group: '',
    version: 'v1',
    resource: 'pods',
    namespace: 'default',
    name: 'web:8080',
    subresource: 'proxy',
    proxyPath: '/metrics/x/',
  });
  const path = (p: string) => {
    const r = info('GET', p);
    return r.kind === 'resource' ? r.proxyPath : r.kind;
  };
  assert.equal(path(base), '');
  assert.equal(path(`${base}/`), '/');
  assert.equal(path(`${base}/a%2Fb`), '/a%2Fb');
  assert.equal(path('/api/v1/namespaces/default/services/https:dash:443/proxy/ui'), '/ui');
  // Other subresources still take nothing after them.
  assert.equal(path('/api/v1/namespaces/default/pods/web/status/x'), 'other');
  assert.equal(path('/api/v1/namespaces/default/pods/web/status'), undefined);
});

test("a proxy subresource's verb is its method's: a watch query is the pod's, OPTIONS has upstream's empty verb, others are no request of the API", () => {
  const verb = (method: string, query = '') => {
    const r = info(method, '/api/v1/namespaces/default/pods/web/proxy/x', query);
    return r.kind === 'resource' ? r.verb : r.kind;
  };
  assert.deepEqual(
    ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'].map((m) => verb(m)),
    ['get', 'get', 'create', 'update', 'patch', 'delete', '', 'other'],
  );
  assert.equal(verb('GET', 'watch=true'), 'get');
  // Elsewhere a named GET with watch is a watch, and OPTIONS is nothing the API serves.
  const pod = info('GET', '/api/v1/namespaces/default/pods/web', 'watch=1');
  assert.equal(pod.kind === 'resource' && pod.verb, 'watch');
  assert.equal(info('OPTIONS', '/api/v1/namespaces/default/pods/web').kind, 'other');
});

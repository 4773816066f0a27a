// Every bad request gets the right 4xx Status and changes nothing; anonymous
// and unprivileged callers are kept out.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureClusterPki } from '../../server/pki/index.js';
import { api, type Credentials, credentialsFrom } from '../helpers/api-client.js';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { tempDir } from '../helpers/temp.js';

const CM = '/api/v1/namespaces/default/configmaps';
const cm = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' }, ...extra });

async function setup(t: import('node:test').TestContext): Promise<{ creds: Credentials; dataDir: string }> {
  const dataDir = join(await tempDir(t), 'data');
  await startServer(t, serverArgs(dataDir));
  return { creds: await credentialsFrom(join(dataDir, 'kubeconfig.yaml')), dataDir };
}

/** The list's resourceVersion and names: equal before and after a refused request means nothing changed. */
async function snapshot(creds: Credentials): Promise<string> {
  const list = (await api(creds, 'GET', CM)).json<{ items: { metadata: { name: string; resourceVersion: string } }[] }>();
  return JSON.stringify(list.items.map((i) => [i.metadata.name, i.metadata.resourceVersion]));
}

test('malformed, oversized, mistyped and unknown-field bodies are refused with the right Status and change nothing', async (t) => {
  const { creds } = await setup(t);
  assert.equal((await api(creds, 'POST', CM, { body: cm('keep') })).status, 201);
  const before = await snapshot(creds);

  const cases: [string, Parameters<typeof api>[3], number, string, RegExp][] = [
    ['malformed JSON', { body: '{"apiVersion": "v1", "kind": ' }, 400, 'BadRequest', /json parse error/],
    ['malformed YAML', { body: 'apiVersion: v1\nkind: [ConfigMap', contentType: 'application/yaml' }, 400, 'BadRequest', /YAML/],
    ['two YAML documents', { body: 'a: 1\n---\nb: 2\n', contentType: 'application/yaml' }, 400, 'BadRequest', /exactly one YAML document/],
    ['a JSON array', { body: '[]' }, 400, 'BadRequest', /must be a JSON or YAML object/],
    ['missing kind', { body: JSON.stringify({ apiVersion: 'v1', metadata: { name: 'x' } }) }, 400, 'BadRequest', /Object 'Kind' is missing/],
    ['wrong kind', { body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }) }, 400, 'BadRequest', /kind in the data \(Secret\) does not match the expected kind \(ConfigMap\)/],
    ['wrong apiVersion', { body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } }) }, 400, 'BadRequest', /API version in the data \(apps\/v1\) does not match the expected API version \(v1\)/],
    ['not a DNS-1123 name', { body: cm('Bad_Name') }, 422, 'Invalid', /ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/],
    ['a label key that is not a qualified name', { body: cm('x', { metadata: { name: 'x', labels: { 'bad key!': 'v' } } }) }, 422, 'Invalid', /ConfigMap "x" is invalid: metadata.labels: Invalid value: "bad key!": name part must consist of/],
    ['annotations over 256 KiB', { body: cm('x', { metadata: { name: 'x', annotations: { a: 'x'.repeat(256 * 1024) } } }) }, 422, 'Invalid', /^ConfigMap "x" is invalid: metadata.annotations: Too long: must have at most 262144 bytes$/],
    ['a finalizer without a domain', { body: cm('x', { metadata: { name: 'x', finalizers: ['mine'] } }) }, 422, 'Invalid', /metadata.finalizers\[0\]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified/],
    ['no name at all', { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }) }, 422, 'Invalid', /name or generateName is required/],
    ['an unsupported media type', { body: 'x', contentType: 'text/plain' }, 415, 'UnsupportedMediaType', /unknown format/],
    ['oversized body', { body: cm('big', { data: { a: 'x'.repeat(4 * 1024 * 1024) } }) }, 413, 'RequestEntityTooLarge', /larger than 3145728 bytes/],
    ['namespace mismatch', { body: cm('x', { metadata: { name: 'x', namespace: 'kube-system' } }) }, 400, 'BadRequest', /namespace of the provided object does not match/],
    ['an existing name', { body: cm('keep') }, 409, 'AlreadyExists', /configmaps "keep" already exists/],
  ];
  for (const [what, opts, code, reason, message] of cases) {
    const res = await api(creds, 'POST', `${CM}?fieldValidation=Strict`, opts);
    assert.equal(res.status, code, `${what}: ${res.text.slice(0, 300)}`);
    const status = res.json<{ kind: string; reason: string; message: string; code: number }>();
    assert.equal(status.kind, 'Status', what);
    assert.equal(status.reason, reason, what);
    assert.equal(status.code, code, what);
    assert.match(status.message, message, what);
  }
  const strict = await api(creds, 'POST', `${CM}?fieldValidation=Strict`, { body: cm('strict', { dataa: { b: '2' } }) });
  assert.equal(strict.status, 400);
  assert.match(strict.json<{ message: string }>().message, /strict decoding error: unknown field "dataa"/);
  assert.equal(await snapshot(creds), before, 'refused requests changed nothing');

  // Warn (the default) accepts the object, drops nothing it knows, and says what it ignored.
  const warned = await api(creds, 'POST', CM, { body: cm('warned', { dataa: { b: '2' } }) });
  assert.equal(warned.status, 201);
  assert.match(String(warned.headers['warning']), /299 - "unknown field \\"dataa\\""/);
});

test('stale resourceVersions, bad patches and bad selectors are refused and change nothing', async (t) => {
  const { creds } = await setup(t);
  const created = (await api(creds, 'POST', CM, { body: cm('web') })).json<{ metadata: { resourceVersion: string } }>();
  const first = created.metadata.resourceVersion;
  const updated = await api(creds, 'PUT', `${CM}/web`, { body: cm('web', { metadata: { name: 'web', resourceVersion: first }, data: { a: '2' } }) });
  assert.equal(updated.status, 200);
  const before = await snapshot(creds);

  const stale = await api(creds, 'PUT', `${CM}/web`, { body: cm('web', { metadata: { name: 'web', resourceVersion: first }, data: { a: '3' } }) });
  assert.equal(stale.status, 409);
  assert.match(stale.json<{ message: string }>().message, /Operation cannot be fulfilled on configmaps "web": the object has been modified; please apply your changes to the latest version and try again/);

  const badJsonPatch = await api(creds, 'PATCH', `${CM}/web`, { body: '[{"op":"test","path":"/data/a","value":"nope"}]', contentType: 'application/json-patch+json' });
  assert.equal(badJsonPatch.status, 422);
  const notAPatch = await api(creds, 'PATCH', `${CM}/web`, { body: '{"op":1}', contentType: 'application/json-patch+json' });
  assert.equal(notAPatch.status, 422);
  const unknownPatchType = await api(creds, 'PATCH', `${CM}/web`, { body: '{}', contentType: 'application/x-whatever' });
  assert.equal(unknownPatchType.status, 415);
  const badSelector = await api(creds, 'GET', `${CM}?labelSelector=${encodeURIComponent('a in (b')}`);
  assert.equal(badSelector.status, 400);
  const badField = await api(creds, 'GET', `${CM}?fieldSelector=spec.nodeName%3Dx`);
  assert.equal(badField.status, 400);
  assert.match(badField.json<{ message: string }>().message, /field label not supported: spec.nodeName/);
  const badLimit = await api(creds, 'GET', `${CM}?limit=-1`);
  assert.equal(badLimit.status, 400);
  const badContinue = await api(creds, 'GET', `${CM}?limit=1&continue=garbage`);
  assert.equal(badContinue.status, 400);
  // A revision the store has not reached: upstream's 504 "Too large resource version", retry after 1 s, in the header too.
  const future = await api(creds, 'GET', `${CM}?resourceVersion=999999999&resourceVersionMatch=Exact`);
  assert.equal(future.status, 504, future.text.slice(0, 300));
  assert.match(future.json<{ message: string }>().message, /^Too large resource version/);
  assert.equal(future.headers['retry-after'], '1');
  const notFound = await api(creds, 'PATCH', `${CM}/nope`, { body: '{}', contentType: 'application/merge-patch+json' });
  assert.equal(notFound.status, 404);
  assert.equal(notFound.json<{ message: string }>().message, 'configmaps "nope" not found');
  // DeleteOptions of the wrong types, in the body or the query.
  for (const [opts, message] of [
    [{ body: '{"gracePeriodSeconds":"soon"}' }, /DeleteOptions.gracePeriodSeconds must be a non-negative integer/],
    [{ body: '{"preconditions":{"uid":7}}' }, /DeleteOptions.preconditions must be an object of strings uid and resourceVersion/],
    [{ body: '{"dryRun":"All"}' }, /DeleteOptions.dryRun must be a list of strings/],
    [{ body: '[]' }, /DeleteOptions must be an object/],
  ] as const) {
    // Node's client sends a DELETE's body only with a length it is told.
    const refused = await api(creds, 'DELETE', `${CM}/web`, { ...opts, headers: { 'content-length': String(Buffer.byteLength(opts.body)) } });
    assert.equal(refused.status, 400, refused.text.slice(0, 300));
    assert.match(refused.json<{ message: string }>().message, message);
  }
  const badGrace = await api(creds, 'DELETE', `${CM}/web?gracePeriodSeconds=-1`);
  assert.equal(badGrace.status, 400);
  assert.match(badGrace.json<{ message: string }>().message, /gracePeriodSeconds must be a non-negative integer, not "-1"/);
  assert.equal(await snapshot(creds), before);

  // A dry run answers as the real write would and writes nothing.
  const dry = await api(creds, 'POST', `${CM}?dryRun=All`, { body: cm('dry') });
  assert.equal(dry.status, 201);
  assert.equal((await api(creds, 'GET', `${CM}/dry`)).status, 404);
  assert.equal(await snapshot(creds), before);
  // A dryRun that is not "All" (a mistyped dry run) is refused, not written, as upstream's ValidateDryRun.
  for (const [method, path, body, kind, value] of [
    ['POST', `${CM}?dryRun=true`, cm('typo'), 'CreateOptions', '[]string{"true"}'],
    ['PUT', `${CM}/web?dryRun=All&dryRun=server`, undefined, 'UpdateOptions', '[]string{"All", "server"}'],
    ['DELETE', `${CM}/web?dryRun=`, undefined, 'DeleteOptions', '[]string{""}'],
    ['DELETE', `${CM}/web`, '{"dryRun":["true"]}', 'DeleteOptions', '[]string{"true"}'],
  ] as const) {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const refused = await api(creds, method, path, { ...(body === undefined ? {} : { body }), headers });
    assert.equal(refused.status, 422, `${method} ${path}: ${refused.text.slice(0, 300)}`);
    assert.deepEqual(refused.json(), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `${kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: ${value}: supported values: "All"`,
      reason: 'Invalid',
      details: { group: 'meta.k8s.io', kind, causes: [{ reason: 'FieldValueNotSupported', message: `Unsupported value: ${value}: supported values: "All"`, field: 'dryRun' }] },
      code: 422,
    });
  }
  const patched = await api(creds, 'PATCH', `${CM}/web?dryRun=1`, { body: '{"data":{"x":"y"}}', contentType: 'application/merge-patch+json' });
  assert.equal(patched.status, 422);
  assert.match(patched.json<{ message: string }>().message, /^PatchOptions\.meta\.k8s\.io "" is invalid: dryRun: /);
  assert.equal((await api(creds, 'GET', `${CM}?dryRun=whatever`)).status, 200, 'reads have no dryRun and ignore it');
  assert.equal(await snapshot(creds), before);
});

test('anonymous callers get 401 except on public paths; a non-admin certificate gets 403', async (t) => {
  const { creds, dataDir } = await setup(t);
  const anonymous: Credentials = { server: creds.server, ca: creds.ca };
  for (const path of ['/version', '/healthz', '/livez', '/readyz']) assert.equal((await api(anonymous, 'GET', path)).status, 200, path);
  const denied = await api(anonymous, 'GET', '/api/v1/namespaces');
  assert.equal(denied.status, 401);
  assert.equal(denied.json<{ reason: string }>().reason, 'Unauthorized');
  assert.equal((await api(anonymous, 'GET', '/apis')).status, 401);

  const pki = await ensureClusterPki({ dir: join(dataDir, 'server', 'tls'), sans: [] });
  const { certPem, keyPem } = await pki.issueClientCert({ commonName: 'alice', organizations: ['developers'] }, 1);
  const alice: Credentials = { ...anonymous, cert: certPem, key: keyPem };
  assert.equal((await api(alice, 'GET', '/apis')).status, 200, 'discovery is for every authenticated user');
  const forbidden = await api(alice, 'GET', `${CM}`);
  assert.equal(forbidden.status, 403);
  assert.equal(
    forbidden.json<{ message: string }>().message,
    'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default"',
  );
});

test('server-side apply creates a missing object under the URL name, and refuses another name in the body', async (t) => {
  const { creds } = await setup(t);
  const apply = (path: string, body: string) => api(creds, 'PATCH', `${path}?fieldManager=test`, { body, contentType: 'application/apply-patch+yaml' });
  const created = await apply(`${CM}/applied`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {a: "1"}\n');
  assert.equal(created.status, 201);
  const changed = await apply(`${CM}/applied`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {a: "2"}\n');
  assert.equal(changed.status, 200);
  assert.deepEqual(changed.json<{ data: unknown }>().data, { a: '2' });
  const mismatch = await apply(`${CM}/one`, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n');
  assert.equal(mismatch.status, 400);
  assert.match(mismatch.json<{ message: string }>().message, /does not match the name on the URL/);
  assert.equal((await api(creds, 'GET', `${CM}/other`)).status, 404);
});

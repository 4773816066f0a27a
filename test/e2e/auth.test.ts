// Authentication and authorization against a real `bramble server`:
// service-account tokens from `kubectl create token` (JSON in 1.27, protobuf
// in 1.33) used as bearer tokens, and a node identity's client certificate
// limited to what a node needs.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { stringify } from 'yaml';
import { ensureClusterPki } from '../../server/pki/index.js';
import { api, type Credentials, credentialsFrom } from '../helpers/api-client.js';
import { type BrambleProcess, serverArgs, startServer } from '../helpers/bramble.js';
import { type Kubectl, kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/store.js';

interface Cluster {
  readonly dataDir: string;
  readonly server: BrambleProcess;
  readonly admin: Credentials;
}

async function cluster(t: TestContext): Promise<Cluster> {
  const dataDir = join(await tempDir(t), 'data');
  // Debug logs every request: the place a token would leak to, if anything logged one.
  const server = await startServer(t, [...serverArgs(dataDir), '--log-level', 'debug']);
  return { dataDir, server, admin: await credentialsFrom(join(dataDir, 'kubeconfig.yaml')) };
}

/** A kubeconfig for the cluster with the given user entry (none: credentials come from flags). */
async function kubeconfigFor(c: Cluster, name: string, user: Record<string, string>): Promise<string> {
  const path = join(c.dataDir, `${name}.kubeconfig`);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'bramble', cluster: { server: c.admin.server, 'certificate-authority-data': b64(c.admin.ca) } }],
      users: [{ name, user }],
      contexts: [{ name, context: { cluster: 'bramble', user: name } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
  return path;
}

async function ok(k: Kubectl, args: string[], stdin?: string): Promise<string> {
  const r = await k.run(args, stdin === undefined ? {} : { stdin });
  assert.equal(r.code, 0, `kubectl ${k.version} ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

async function fails(k: Kubectl, args: string[]): Promise<string> {
  const r = await k.run(args);
  assert.notEqual(r.code, 0, `kubectl ${k.version} ${args.join(' ')} should fail:\n${r.stdout}`);
  return r.stderr;
}

const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

// Not "default": the ServiceAccount controller keeps that one in every namespace and makes it again once deleted.
const SERVICE_ACCOUNT = 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: robot\n';

for (const version of ['1.27', '1.33']) {
  test(`kubectl ${version}: create token gives a bearer token for discovery, refused for resources, dead once its ServiceAccount is deleted`, async (t) => {
    const c = await cluster(t);
    const admin = await kubectl(t, version, join(c.dataDir, 'kubeconfig.yaml'));
    // No credentials in this kubeconfig: a client certificate would win over the token.
    const bearer = await kubectl(t, version, await kubeconfigFor(c, 'bearer', {}));

    const missing = await fails(admin, ['create', 'token', 'robot']);
    assert.match(missing, /serviceaccounts "robot" not found/);
    await ok(admin, ['apply', '-f', '-'], SERVICE_ACCOUNT);
    const sa = JSON.parse(await ok(admin, ['get', 'serviceaccount', 'robot', '-o', 'json'])) as { metadata: { uid: string } };

    const token = (await ok(admin, ['create', 'token', 'robot'])).trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = claimsOf(token);
    assert.equal(claims['iss'], 'https://kubernetes.default.svc.cluster.local');
    assert.equal(claims['sub'], 'system:serviceaccount:default:robot');
    assert.deepEqual(claims['aud'], ['https://kubernetes.default.svc.cluster.local']);
    assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid } });
    assert.equal((claims['exp'] as number) - (claims['iat'] as number), 3600);

    const apis = JSON.parse(await ok(bearer, ['--token', token, 'get', '--raw', '/apis'])) as { kind: string };
    assert.equal(apis.kind, 'APIGroupList');
    assert.equal(
      (await fails(bearer, ['--token', token, 'get', 'pods'])).trim(),
      'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:robot" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    assert.match(await fails(bearer, ['--token', 'garbage', 'get', '--raw', '/apis']), /error: You must be logged in to the server \(Unauthorized\)/);

    // Lifetimes: asked for, shortened to a day with a warning, too short refused.
    const twoHours = claimsOf((await ok(admin, ['create', 'token', 'robot', '--duration', '2h'])).trim());
    assert.equal((twoHours['exp'] as number) - (twoHours['iat'] as number), 7200);
    const long = await admin.run(['create', 'token', 'robot', '--duration', '48h']);
    assert.equal(long.code, 0, long.stderr);
    assert.match(long.stderr, /Warning: requested expiration of 172800 seconds shortened to 86400 seconds/);
    const day = claimsOf(long.stdout.trim());
    assert.equal((day['exp'] as number) - (day['iat'] as number), 86_400);
    assert.match(
      await fails(admin, ['create', 'token', 'robot', '--duration', '1m']),
      /TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes/,
    );
    const otherAudience = (await ok(admin, ['create', 'token', 'robot', '--audience', 'https://vault.example.com'])).trim();
    assert.match(await fails(bearer, ['--token', otherAudience, 'get', '--raw', '/apis']), /Unauthorized/);

    // Deleting the ServiceAccount ends its tokens; one of the same name is another account.
    await ok(admin, ['delete', 'serviceaccount', 'robot']);
    assert.match(await fails(bearer, ['--token', token, 'get', '--raw', '/apis']), /error: You must be logged in to the server \(Unauthorized\)/);
    await ok(admin, ['apply', '-f', '-'], SERVICE_ACCOUNT);
    assert.match(await fails(bearer, ['--token', token, 'get', '--raw', '/apis']), /Unauthorized/);

    const log = c.server.log();
    assert.match(log, /msg="bearer token refused" .*why="service account not found"/);
    for (const secret of [token, otherAudience, token.split('.')[2]!, 'garbage']) assert.ok(!log.includes(secret), 'a token reached the log');
  });
}

for (const version of ['1.27', '1.33']) {
  test(`kubectl ${version}: auth can-i is answered by the server's authorizers: yes for the admin, no (exit 1) for a ServiceAccount, --list; SubjectAccessReview and auth whoami`, async (t) => {
    const c = await cluster(t);
    const admin = await kubectl(t, version, join(c.dataDir, 'kubeconfig.yaml'));
    const bearer = await kubectl(t, version, await kubeconfigFor(c, 'bearer', {}));
    assert.equal(await ok(admin, ['auth', 'can-i', 'create', 'deployments']), 'yes\n');
    assert.equal(await ok(admin, ['auth', 'can-i', 'get', 'pods', '--subresource', 'log', '-n', 'kube-system']), 'yes\n');

    await ok(admin, ['apply', '-f', '-'], SERVICE_ACCOUNT);
    const token = (await ok(admin, ['create', 'token', 'robot'])).trim();
    const no = await bearer.run(['--token', token, 'auth', 'can-i', 'list', 'pods']);
    assert.equal(no.code, 1, no.stderr);
    assert.equal(no.stdout, 'no\n');
    assert.equal(await ok(bearer, ['--token', token, 'auth', 'can-i', 'get', '/apis']), 'yes\n', 'discovery, as system:discovery grants');
    // --list: a SelfSubjectRulesReview (protobuf from 1.32), what the default policy's bindings give every user.
    const listed = await ok(bearer, ['--token', token, 'auth', 'can-i', '--list']);
    assert.match(listed, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs\n/);
    assert.match(listed, /^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/m);
    assert.match(listed, /^\s+\[\/apis\/\*\]\s+\[\]\s+\[get\]$/m);
    assert.doesNotMatch(listed, /^pods\s/m);

    // Another user's access, asked by the admin: the same authorizers, for the subject named.
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'system:serviceaccount:default:robot', groups: ['system:serviceaccounts', 'system:authenticated'], resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'default' } },
    };
    const answered = JSON.parse(await ok(admin, ['create', '-f', '-', '-o', 'json'], JSON.stringify(review))) as { status: Record<string, unknown> };
    assert.deepEqual(answered.status, { allowed: false });
    const forbidden = await bearer.run(['--token', token, 'create', '-f', '-', '-o', 'json'], { stdin: JSON.stringify(review) });
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /subjectaccessreviews.authorization.k8s.io is forbidden: User "system:serviceaccount:default:robot" cannot create resource "subjectaccessreviews"/);

    // Is the robot's token good, and whose? (What an auth proxy bound to system:auth-delegator asks.)
    const tokenReview = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } };
    const reviewed = JSON.parse(await ok(admin, ['create', '-f', '-', '-o', 'json'], JSON.stringify(tokenReview))) as { status: { authenticated: boolean; user: { username: string } } };
    assert.deepEqual([reviewed.status.authenticated, reviewed.status.user.username], [true, 'system:serviceaccount:default:robot']);
    const refusedReview = await bearer.run(['--token', token, 'create', '-f', '-', '-o', 'json'], { stdin: JSON.stringify(tokenReview) });
    assert.match(refusedReview.stderr, /tokenreviews.authentication.k8s.io is forbidden/);
    await ok(admin, ['create', 'clusterrolebinding', 'robot-delegator', '--clusterrole=system:auth-delegator', '--serviceaccount=default:robot']);
    await until(async () => (await bearer.run(['--token', token, 'create', '-f', '-', '-o', 'json'], { stdin: JSON.stringify(tokenReview) })).code === 0, 'system:auth-delegator lets it review tokens');

    // 1.27 asks authentication.k8s.io/v1beta1, later versions v1.
    const whoami = JSON.parse(await ok(bearer, ['--token', token, 'auth', 'whoami', '-o', 'json'])) as { apiVersion: string; status: { userInfo: Record<string, unknown> } };
    assert.equal(whoami.apiVersion, version === '1.27' ? 'authentication.k8s.io/v1beta1' : 'authentication.k8s.io/v1');
    const robotUid = (JSON.parse(await ok(admin, ['get', 'serviceaccount', 'robot', '-o', 'json'])) as { metadata: { uid: string } }).metadata.uid;
    const { extra, ...userInfo } = whoami.status.userInfo as { extra: Record<string, string[]> };
    assert.deepEqual(userInfo, { username: 'system:serviceaccount:default:robot', uid: robotUid, groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'] });
    assert.deepEqual(Object.keys(extra), ['authentication.kubernetes.io/credential-id']);
    assert.match(extra['authentication.kubernetes.io/credential-id']![0]!, /^JTI=[0-9a-f-]{36}$/);
    assert.match(await ok(admin, ['auth', 'whoami']), /^ATTRIBUTE +VALUE\nUsername +[^\n]+\nGroups +\[system:masters system:authenticated\]\n$/);
  });
}

for (const version of ['1.27', '1.33']) {
  test(`kubectl ${version}: a ServiceAccount allowed to create ClusterRoleBindings cannot bind a role granting everything to itself (upstream's escalation 403) until it may bind that role`, async (t) => {
    const c = await cluster(t);
    const admin = await kubectl(t, version, join(c.dataDir, 'kubeconfig.yaml'));
    const bearer = await kubectl(t, version, await kubeconfigFor(c, 'bearer', {}));
    await ok(admin, ['apply', '-f', '-'], SERVICE_ACCOUNT);
    // Made here by the admin rather than taken from the default policy: this test is about who may grant it.
    await ok(admin, ['create', 'clusterrole', 'everything', '--verb=*', '--resource=*.*']);
    await ok(admin, ['create', 'clusterrole', 'binding-writer', '--verb=create,get', '--resource=clusterrolebindings']);
    await ok(admin, ['create', 'clusterrolebinding', 'robot-writes-bindings', '--clusterrole=binding-writer', '--serviceaccount=default:robot']);
    const token = (await ok(admin, ['create', 'token', 'robot'])).trim();
    const asRobot = ['--token', token];

    const refused = await bearer.run([...asRobot, 'create', 'clusterrolebinding', 'robot-everything', '--clusterrole=everything', '--serviceaccount=default:robot']);
    assert.equal(refused.code, 1, refused.stdout);
    assert.equal(
      refused.stderr,
      'error: failed to create clusterrolebinding: clusterrolebindings.rbac.authorization.k8s.io "robot-everything" is forbidden: user "system:serviceaccount:default:robot" ' +
        '(groups=["system:serviceaccounts" "system:serviceaccounts:default" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n',
    );
    assert.equal((await bearer.run([...asRobot, 'auth', 'can-i', 'list', 'pods'])).stdout, 'no\n');

    // Allowed to bind that one role, it may: and then holds what it grants.
    await ok(admin, ['create', 'clusterrole', 'binds-everything', '--verb=bind', '--resource=clusterroles', '--resource-name=everything']);
    await ok(admin, ['create', 'clusterrolebinding', 'robot-binds', '--clusterrole=binds-everything', '--serviceaccount=default:robot']);
    await ok(bearer, [...asRobot, 'create', 'clusterrolebinding', 'robot-everything', '--clusterrole=everything', '--serviceaccount=default:robot']);
    assert.equal(await ok(bearer, [...asRobot, 'auth', 'can-i', 'list', 'pods']), 'yes\n');
  });
}

test('bearer tokens on the wire: malformed, tampered and unknown tokens are 401 Status, never 500; the token subresource answers as upstream', async (t) => {
  const c = await cluster(t);
  const anonymous: Credentials = { server: c.admin.server, ca: c.admin.ca };
  assert.equal((await api(c.admin, 'POST', '/api/v1/namespaces/default/serviceaccounts', { body: JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'ci' } }) })).status, 201);
  const TOKEN = '/api/v1/namespaces/default/serviceaccounts/ci/token';
  const created = await api(c.admin, 'POST', TOKEN, { body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 900 } }) });
  assert.equal(created.status, 201, created.text);
  const request = created.json<{ kind: string; apiVersion: string; metadata: Record<string, string>; spec: Record<string, unknown>; status: { token: string; expirationTimestamp: string } }>();
  assert.equal(request.kind, 'TokenRequest');
  assert.equal(request.apiVersion, 'authentication.k8s.io/v1');
  assert.equal(request.metadata['name'], 'ci');
  assert.equal(request.metadata['namespace'], 'default');
  assert.deepEqual(request.spec, { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 900, boundObjectRef: null });
  const token = request.status.token;
  assert.equal(new Date(request.status.expirationTimestamp).getTime() / 1000, claimsOf(token)['exp']);

  const bearer = (value: string) => api(anonymous, 'GET', '/api', { headers: { authorization: value } });
  assert.equal((await bearer(`Bearer ${token}`)).status, 200);
  assert.equal((await bearer(`bearer ${token}`)).status, 200, 'the scheme is case-insensitive');
  const [h, p, s] = token.split('.') as [string, string, string];
  const forged = Buffer.from(JSON.stringify({ ...claimsOf(token), sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url');
  for (const value of ['Bearer', 'Bearer ', 'Bearer garbage', `Bearer ${h}.${forged}.${s}`, `Bearer ${h}.${p}.${s.slice(0, -4)}AAAA`, `Bearer ${h}.${p}`, `Basic ${token}`, `Bearer ${'a'.repeat(8000)}.b.c`]) {
    const res = await bearer(value);
    assert.equal(res.status, 401, `${value.slice(0, 30)}: ${res.text}`);
    assert.deepEqual(res.json(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  }
  // A valid client certificate wins over a bad token, as upstream's union authenticator.
  assert.equal((await api(c.admin, 'GET', '/api', { headers: { authorization: 'Bearer garbage' } })).status, 200);

  const refused: [string, string, Parameters<typeof api>[3], number, RegExp][] = [
    ['GET', TOKEN, {}, 405, /does not allow this method/],
    ['POST', '/api/v1/namespaces/default/serviceaccounts/nope/token', { body: '{}' }, 404, /^serviceaccounts "nope" not found$/],
    ['POST', TOKEN, { body: JSON.stringify({ metadata: { name: 'other' } }) }, 422, /^TokenRequest.authentication.k8s.io "ci" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified$/],
    ['POST', TOKEN, { body: JSON.stringify({ metadata: { namespace: 'kube-system' } }) }, 422, /metadata.namespace: Invalid value: "kube-system": must match the service account namespace if specified/],
    ['POST', TOKEN, { body: JSON.stringify({ spec: { expirationSeconds: 2 ** 33 } }) }, 422, /may not specify a duration larger than 2\^32 seconds/],
    ['POST', TOKEN, { body: JSON.stringify({ spec: { expirationSeconds: 'soon' } }) }, 400, /expirationSeconds must be an integer/],
    ['POST', TOKEN, { body: JSON.stringify({ spec: { audiences: 'x' } }) }, 400, /audiences must be a list of strings/],
    ['POST', TOKEN, { body: JSON.stringify({ spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } } }) }, 404, /pods "web" not found/],
    ['POST', TOKEN, { body: JSON.stringify({ spec: { boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'web' } } }) }, 400, /cannot bind token to object of type v1, Kind=ConfigMap/],
    ['POST', TOKEN, { body: JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount' }) }, 400, /does not match the expected API version \(authentication.k8s.io\/v1\)/],
    ['POST', TOKEN, { body: '[' }, 400, /json parse error/],
    ['POST', '/api/v1/namespaces/default/configmaps/x/token', { body: '{}' }, 404, /could not find the requested resource/],
  ];
  for (const [method, path, opts, code, message] of refused) {
    const res = await api(c.admin, method, path, opts);
    assert.equal(res.status, code, `${method} ${path} ${opts?.body}: ${res.text}`);
    assert.match(res.json<{ message: string }>().message, message);
  }
  assert.equal((await api(anonymous, 'POST', TOKEN, { body: '{}' })).status, 401);
  const log = c.server.log();
  assert.ok(!log.includes(token) && !log.includes(s), 'a token reached the log');
});

test('a node identity can create and patch its own Node and not another, read what its pods use and nothing else', async (t) => {
  const c = await cluster(t);
  const pki = await ensureClusterPki({ dir: join(c.dataDir, 'server', 'tls'), sans: [] });
  const issued = await pki.issueClientCert({ commonName: 'system:node:pi-1', organizations: ['system:nodes'] }, 1);
  const pi1: Credentials = { server: c.admin.server, ca: c.admin.ca, cert: issued.certPem, key: issued.keyPem };
  const json = (obj: unknown) => ({ body: JSON.stringify(obj) });
  const node = (name: string) => json({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
  const merge = (patch: unknown) => ({ body: JSON.stringify(patch), contentType: 'application/merge-patch+json' });
  const message = async (res: Promise<Awaited<ReturnType<typeof api>>>, status = 403) => {
    const r = await res;
    assert.equal(r.status, status, r.text);
    return r.json<{ message: string }>().message;
  };

  // Its own Node: created, patched, its status patched; another node's none of these.
  assert.equal((await api(pi1, 'POST', '/api/v1/nodes', node('pi-1'))).status, 201);
  assert.equal(
    await message(api(pi1, 'POST', '/api/v1/nodes', node('pi-2'))),
    'nodes is forbidden: User "system:node:pi-1" cannot create resource "nodes" in API group "" at the cluster scope: node "pi-1" is not allowed to modify node "pi-2"',
  );
  assert.equal((await api(c.admin, 'POST', '/api/v1/nodes', node('pi-2'))).status, 201);
  const patched = await api(pi1, 'PATCH', '/api/v1/nodes/pi-1', merge({ metadata: { labels: { 'bramble.dev/arch': 'arm64' } } }));
  assert.equal(patched.status, 200, patched.text);
  const status = await api(pi1, 'PATCH', '/api/v1/nodes/pi-1/status', merge({ status: { conditions: [{ type: 'Ready', status: 'True' }] } }));
  assert.equal(status.status, 200, status.text);
  assert.equal(
    await message(api(pi1, 'PATCH', '/api/v1/nodes/pi-2', merge({ metadata: { labels: { evil: 'yes' } } }))),
    'nodes "pi-2" is forbidden: User "system:node:pi-1" cannot patch resource "nodes" in API group "" at the cluster scope: node "pi-1" is not allowed to modify node "pi-2"',
  );
  assert.match(await message(api(pi1, 'PATCH', '/api/v1/nodes/pi-2/status', merge({ status: {} }))), /cannot patch resource "nodes\/status"/);
  assert.equal((await api(pi1, 'GET', '/api/v1/nodes')).json<{ items: unknown[] }>().items.length, 2);
  const labels = (await api(c.admin, 'GET', '/api/v1/nodes/pi-2')).json<{ metadata: { labels?: Record<string, string> } }>().metadata.labels;
  assert.equal(labels?.['evil'], undefined);

  // Its Lease and events.
  const lease = (name: string) => json({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name } });
  assert.equal((await api(pi1, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('pi-1'))).status, 201);
  assert.match(await message(api(pi1, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease('pi-2'))), /can only access node lease with the same name as the requesting node$/);
  const event = json({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'pi-1.started' }, involvedObject: { kind: 'Node', name: 'pi-1' }, reason: 'Starting', message: 'Starting kubelet.', type: 'Normal' });
  const posted = await api(pi1, 'POST', '/api/v1/namespaces/default/events', event);
  assert.equal(posted.status, 201, posted.text);

  // Secrets: one its bound pod uses, yes; another, or a list, no.
  for (const name of ['used', 'unused']) {
    assert.equal((await api(c.admin, 'POST', '/api/v1/namespaces/default/secrets', json({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { k: name } }))).status, 201);
  }
  const pod = (name: string, nodeName: string, secret: string) =>
    json({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { nodeName, containers: [{ name: 'web', image: 'nginx' }], volumes: [{ name: 's', secret: { secretName: secret } }] },
    });
  assert.equal((await api(c.admin, 'POST', '/api/v1/namespaces/default/pods', pod('web', 'pi-1', 'used'))).status, 201);
  assert.equal((await api(c.admin, 'POST', '/api/v1/namespaces/default/pods', pod('db', 'pi-2', 'unused'))).status, 201);
  const used = await api(pi1, 'GET', '/api/v1/namespaces/default/secrets/used');
  assert.equal(used.status, 200, used.text);
  assert.equal(
    await message(api(pi1, 'GET', '/api/v1/namespaces/default/secrets/unused')),
    'secrets "unused" is forbidden: User "system:node:pi-1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node \'pi-1\' and this object',
  );
  assert.match(await message(api(pi1, 'GET', '/api/v1/namespaces/default/secrets')), /^secrets is forbidden: User "system:node:pi-1" cannot list resource "secrets"/);
  assert.match(await message(api(pi1, 'GET', '/api/v1/secrets')), /cannot list resource "secrets" in API group "" at the cluster scope/);

  // Its pods' status, not another node's.
  const podStatus = merge({ status: { phase: 'Running' } });
  assert.equal((await api(pi1, 'PATCH', '/api/v1/namespaces/default/pods/web/status', podStatus)).status, 200);
  assert.match(await message(api(pi1, 'PATCH', '/api/v1/namespaces/default/pods/db/status', podStatus)), /node "pi-1" can only update pod status for pods with spec.nodeName set to itself$/);
  assert.match(await message(api(pi1, 'GET', '/apis/apps/v1/namespaces/default/deployments')), /cannot list resource "deployments" in API group "apps"/);

  // The same refusal as kubectl prints it.
  const k = await kubectl(t, '1.33', await kubeconfigFor(c, 'pi-1', { 'client-certificate-data': Buffer.from(issued.certPem).toString('base64'), 'client-key-data': Buffer.from(issued.keyPem).toString('base64') }));
  assert.equal(
    (await fails(k, ['get', 'secrets'])).trim(),
    'Error from server (Forbidden): secrets is forbidden: User "system:node:pi-1" cannot list resource "secrets" in API group "" in the namespace "default": can only get individual resources of this type',
  );
  assert.match(await ok(k, ['get', 'secret', 'used', '-o', 'name']), /^secret\/used\n$/);
});

// Agents join with a token and report node status: real `bramble server` and
// `bramble agent` processes on this machine (separate data dirs and node
// names), a real containerd for the runtime facts, and the real kubectl.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { GrpcError } from '../../agent/grpc/status.js';
import { AgentServiceClient } from '../../agent/link/agent-client.js';
import { certificateFacts } from '../../common/certificate-request.js';
import { nodeSubject } from '../../common/node-identity.js';
import { certificateAuthority, issueLeaf, parseCertificate, parsePrivateKey } from '../../server/pki/certificates.js';
import { freePort, packageVersion, runBramble, startAgent, startServer } from '../helpers/bramble.js';
import { agentArgs, cluster, nodeJson, readyOf, waitReady } from '../helpers/cluster.js';
import { startContainerd } from '../helpers/containerd.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';

test('a server with its agent and two agents join, go Ready, survive a server restart, go Unknown when killed and come back', async (t) => {
  const containerd = await startContainerd(t);
  // The server runs its own agent here (no --disable-agent), as users run it.
  const c = await cluster(t, ['--node-status-update-frequency', '1s', '--node-monitor-grace-period', '6s', '--container-runtime-endpoint', containerd.endpoint, '--node-name', 'srv']);
  await c.server.waitForLog(/component=agent.*msg="connected to the server"|msg="connected to the server".*component=agent/);

  const pi1 = await startAgent(t, [...agentArgs(c, 'pi-1', containerd.endpoint), '--node-label', 'bramble.test/site=shed', '--node-taint', 'dedicated=edge:NoSchedule']);
  let pi2 = await startAgent(t, agentArgs(c, 'pi-2', containerd.endpoint));
  for (const name of ['srv', 'pi-1', 'pi-2']) await waitReady(c.k, name, 'True');

  const wide = await c.k.run(['get', 'nodes', '-o', 'wide']);
  assert.equal(wide.code, 0, wide.stderr);
  const [header, ...rows] = wide.stdout.trim().split('\n');
  assert.match(header!, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME$/);
  assert.equal(rows.length, 3);
  const row = (name: string) => rows.find((r) => r.startsWith(`${name} `))!.split(/\s{2,}/);
  assert.deepEqual(row('srv').slice(1, 3), ['Ready', 'control-plane']);
  assert.deepEqual(row('pi-1').slice(1, 3), ['Ready', '<none>']);
  for (const name of ['srv', 'pi-1', 'pi-2']) {
    const cols = row(name);
    assert.equal(cols[4], 'v1.31.0+bramble');
    assert.match(cols[5]!, /^\d+\.\d+\.\d+\.\d+$/, 'an InternalIP');
    assert.equal(cols[8], release());
    assert.match(cols[9]!, /^containerd:\/\/1\.6\./);
  }

  const node = await nodeJson(c.k, 'pi-1');
  assert.equal(node.status?.capacity?.['cpu'], String(cpus().length));
  assert.equal(node.status?.capacity?.['pods'], '110');
  assert.match(node.status?.capacity?.['memory'] ?? '', /^\d+Ki$/);
  assert.match(node.status?.allocatable?.['ephemeral-storage'] ?? '', /^\d+(Ki)?$/);
  assert.equal(node.metadata?.labels?.['bramble.test/site'], 'shed');
  assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'pi-1');
  assert.ok(node.metadata?.labels?.['kubernetes.io/arch']);
  assert.deepEqual(node.spec?.taints, [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }]);
  assert.deepEqual(
    node.status?.conditions?.map((cond) => cond.type).sort(),
    ['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready'],
  );
  const lease = await c.k.run(['get', 'lease', '-n', 'kube-node-lease', 'pi-1', '-o', 'jsonpath={.spec.renewTime}']);
  assert.ok(Date.now() - Date.parse(lease.stdout) < 5000, `the Lease's renewTime is current: ${lease.stdout}`);

  // The server restarts: the agents reconnect by themselves and the nodes stay Ready.
  await c.server.stop();
  c.server = await startServer(t, c.args);
  await pi1.waitForLog(/reconnected to the server/, 40_000);
  await pi2.waitForLog(/reconnected to the server/, 40_000);
  for (const name of ['srv', 'pi-1', 'pi-2']) assert.equal(readyOf(await nodeJson(c.k, name)), 'True');

  // An agent killed: Unknown after the grace period, with the unreachable taints.
  await pi2.kill();
  // The taints are a second write after the status one (as upstream's node lifecycle controller does), so they are waited for.
  await waitReady(c.k, 'pi-2', 'Unknown', 30_000);
  const taintsOf = async () => ((await nodeJson(c.k, 'pi-2')).spec?.taints ?? []).map((taint) => `${taint.key}:${taint.effect}`);
  await until(async () => (await taintsOf()).length > 0, 'the unreachable taints on pi-2', 10_000);
  assert.deepEqual(await taintsOf(), ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
  assert.equal(readyOf(await nodeJson(c.k, 'pi-1')), 'True', 'the other agent is unaffected');

  // Restarted (no token needed any more: it has its certificate), it is Ready again and untainted.
  pi2 = await startAgent(t, agentArgs(c, 'pi-2', containerd.endpoint, undefined));
  const back = await waitReady(c.k, 'pi-2', 'True');
  await until(async () => ((await nodeJson(c.k, 'pi-2')).spec?.taints ?? []).length === 0, 'the unreachable taints gone', 10_000);
  assert.equal(back.metadata?.name, 'pi-2');
});

test('bad, expired, deleted and malformed tokens, a wrong CA, a wrong URL or a server that is not Bramble: one line, exit 1, nothing on disk', async (t) => {
  const c = await cluster(t);
  const [hashPart, short] = c.token.split('::') as [string, string];
  const [id] = short.split('.') as [string];
  const created = await runBramble(['token', 'create', '--data-dir', c.serverDir]);
  assert.equal(created.code, 0, created.stderr);
  const deleted = created.stdout.trim();
  assert.equal((await runBramble(['token', 'delete', '--data-dir', c.serverDir, deleted.split('::')[1]!.split('.')[0]!])).code, 0);
  const expiring = await runBramble(['token', 'create', '--ttl', '1s', '--data-dir', c.serverDir]);
  assert.equal(expiring.code, 0, expiring.stderr);

  // Not Bramble: plain HTTP, and HTTPS that has no /cacerts.
  const plain = createHttpServer((_req, res) => res.end('hello')).listen(0, '127.0.0.1');
  const tlsDir = join(c.serverDir, 'server', 'tls');
  const other = createHttpsServer({ cert: await readFile(join(tlsDir, 'serving.crt')), key: await readFile(join(tlsDir, 'serving.key')) }, (_req, res) =>
    res.writeHead(404).end('404 page not found'),
  ).listen(0, '127.0.0.1');
  t.after(() => {
    plain.close();
    other.close();
  });
  await sleep(100);
  const portOf = (s: { address(): unknown }) => (s.address() as AddressInfo).port;
  await sleep(1100); // the 1 s token has expired

  const cases: { name: string; token: string; url?: string; error: RegExp }[] = [
    { name: 'wrong secret', token: `${hashPart}::${id}.${'x'.repeat(16)}`, error: /secret/ },
    { name: 'malformed', token: 'not-a-token', error: /malformed join token/ },
    { name: 'deleted', token: deleted, error: /not known to this server/ },
    { name: 'expired', token: expiring.stdout.trim(), error: /expired/ },
    { name: 'wrong CA', token: `K10${'0'.repeat(64)}::${short}`, error: /is not the one in the join token/ },
    { name: 'wrong URL', token: c.token, url: `https://127.0.0.1:${await freePort()}`, error: /cannot reach https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/ },
    { name: 'plain HTTP', token: c.token, url: `https://127.0.0.1:${portOf(plain)}`, error: /does not speak TLS/ },
    { name: 'not Bramble', token: c.token, url: `https://127.0.0.1:${portOf(other)}`, error: /is not a Bramble server: GET \/cacerts answered 404/ },
  ];
  for (const tc of cases) {
    const dir = join(c.dir, `agent-${tc.name.replace(/ /g, '-')}`);
    const r = await runBramble(['agent', '--server', tc.url ?? c.url, '--token', tc.token, '--data-dir', dir, '--node-name', 'pi-x', '--container-runtime-endpoint', 'unix:///nonexistent.sock']);
    assert.equal(r.code, 1, `${tc.name}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    const last = lines[lines.length - 1]!;
    assert.match(last, /^bramble: /, tc.name);
    assert.match(last, tc.error, tc.name);
    assert.ok(!r.stderr.includes(short.split('.')[1]!), `${tc.name}: the secret stays out of the output`);
    await assert.rejects(readdir(dir), { code: 'ENOENT' }, `${tc.name}: nothing written`);
  }

  // Flags are checked before anything runs: exit 2.
  for (const bad of [['--server', 'http://x:6443'], ['--server', c.url, '--node-taint', 'a=b:Sometimes'], ['--server', c.url, '--node-taint', 'a=b:NoSchedule', '--node-taint', 'a=c:NoSchedule'], ['--server', c.url, '--node-label', 'bad key=x'], ['--server', c.url, '--node-name', 'Not_DNS']]) {
    const r = await runBramble(['agent', '--token', c.token, '--data-dir', join(c.dir, 'flags'), ...bad]);
    assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
  }
  // The short form (no CA hash) joins, with a warning about trusting on first use.
  const tofu = await startAgent(t, ['--server', c.url, '--token', short, '--data-dir', join(c.dir, 'tofu'), '--node-name', 'tofu', '--container-runtime-endpoint', 'unix:///nonexistent.sock']);
  assert.match(tofu.log(), /trust on first use/);
  assert.match(await readFile(join(c.dir, 'tofu', 'ca.crt'), 'utf8'), /BEGIN CERTIFICATE/);
});

test('a second machine cannot take a node name; a node identity touches only its own node; incompatible versions are named', async (t) => {
  const c = await cluster(t);
  const noRuntime = 'unix:///nonexistent.sock';
  const first = await startAgent(t, agentArgs(c, 'pi-1', noRuntime));
  await startAgent(t, agentArgs(c, 'pi-2', noRuntime));
  await waitReady(c.k, 'pi-1', 'False'); // no container runtime here: NotReady, but registered and reporting

  // Another machine (another data dir) claiming pi-1 is refused, with the way out.
  const secondArgs = [...agentArgs(c, 'pi-1', noRuntime)];
  secondArgs[secondArgs.indexOf('--data-dir') + 1] = join(c.dir, 'other-machine');
  const refused = await runBramble(['agent', ...secondArgs]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /node name "pi-1" is already used by another machine.*kubectl delete node pi-1/);
  await assert.rejects(readdir(join(c.dir, 'other-machine')), { code: 'ENOENT' });

  // pi-1's own credentials, as kubectl: its own Node yes, another Node or the cluster's Secrets no.
  const agentDir = join(c.dir, 'pi-1');
  const asNode = join(c.dir, 'pi-1.kubeconfig');
  const b64 = async (file: string) => Buffer.from(await readFile(join(agentDir, file))).toString('base64');
  await writeFile(
    asNode,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "${c.url}", certificate-authority-data: ${await b64('ca.crt')}}}]`,
      `users: [{name: u, user: {client-certificate-data: ${await b64('node.crt')}, client-key-data: ${await b64('node.key')}}}]`,
      'contexts: [{name: c, context: {cluster: c, user: u}}]',
      'current-context: c',
    ].join('\n'),
  );
  const node = await kubectl(t, '1.33', asNode);
  assert.equal((await node.run(['label', 'node', 'pi-1', 'bramble.test/own=yes'])).code, 0);
  const other = await node.run(['label', 'node', 'pi-2', 'bramble.test/own=no']);
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /Forbidden/);
  assert.match((await node.run(['get', 'secrets', '-A'])).stderr, /Forbidden/);
  assert.equal((await node.run(['get', 'nodes'])).code, 0, 'nodes are readable');

  // Connect with a certificate that is not a node's (the admin's): refused.
  const kubeconfig = await readFile(c.kubeconfig, 'utf8');
  const field = (name: string) => Buffer.from(new RegExp(`${name}: (\\S+)`).exec(kubeconfig)![1]!, 'base64').toString('utf8');
  const admin = new AgentServiceClient(new URL(c.url), { ca: field('certificate-authority-data'), key: field('client-key-data'), cert: field('client-certificate-data') });
  t.after(() => admin.close());
  const stream = admin.connect();
  const refusedConnect = await new Promise<GrpcError>((resolve) => stream.on('error', resolve));
  assert.equal(refusedConnect.code, 16); // UNAUTHENTICATED
  assert.match(refusedConnect.details, /node certificate/);

  // A Join from an agent two minor versions away names both versions.
  const joinAnswer = await admin
    .join({ agentVersion: '0.99.0', nodeName: 'future', csrPem: '', nodePassword: 'x'.repeat(32) }, c.token.split('::')[1]!, Date.now() + 5000)
    .then(() => undefined, (err: unknown) => err as GrpcError);
  assert.equal(joinAnswer?.code, 9); // FAILED_PRECONDITION
  assert.match(joinAnswer?.details ?? '', new RegExp(`agent version 0\\.99\\.0 cannot work with server version ${packageVersion.replace(/\./g, '\\.')}`));

  // The machine replaced: once the user deletes the Node, the new one joins under the name.
  await first.stop();
  assert.equal((await c.k.run(['delete', 'node', 'pi-1'])).code, 0);
  await startAgent(t, secondArgs);
  await waitReady(c.k, 'pi-1', 'False');
});

test('an agent renews its certificate over its stream when a third of its life is left', async (t) => {
  const c = await cluster(t);
  const noRuntime = 'unix:///nonexistent.sock';
  const agent = await startAgent(t, agentArgs(c, 'pi-1', noRuntime));
  await agent.stop();
  // Swap in a certificate from the same CA that was issued 300 of its 365 days ago.
  const tlsDir = join(c.serverDir, 'server', 'tls');
  const ca = await certificateAuthority(parseCertificate(await readFile(join(tlsDir, 'ca.crt'), 'utf8')), parsePrivateKey(await readFile(join(tlsDir, 'ca.key'), 'utf8')));
  const old = await issueLeaf(ca, { subject: nodeSubject('pi-1'), usage: 'clientAuth', sans: [], days: 365 }, new Date(Date.now() - 300 * 86_400_000));
  const agentDir = join(c.dir, 'pi-1');
  await writeFile(join(agentDir, 'node.key'), old.keyPem);
  await writeFile(join(agentDir, 'node.crt'), old.certPem);

  const renewing = await startAgent(t, agentArgs(c, 'pi-1', noRuntime, undefined));
  await renewing.waitForLog(/msg="node certificate renewed"/);
  const renewed = certificateFacts(await readFile(join(agentDir, 'node.crt'), 'utf8'));
  assert.ok(renewed.notAfter.getTime() > Date.now() + 364 * 86_400_000, `a fresh year: ${renewed.notAfter.toISOString()}`);
  assert.equal(renewed.commonName, 'system:node:pi-1');
  assert.notEqual(await readFile(join(agentDir, 'node.key'), 'utf8'), old.keyPem, 'with a new key');
  // The next start uses the new certificate.
  await renewing.stop();
  const again = await startAgent(t, agentArgs(c, 'pi-1', noRuntime, undefined));
  assert.doesNotMatch(again.log(), /asking for a new node certificate/);
});

test('an agent notices a server that stopped answering within 30 s (keepalive) and comes back when it answers again', async (t) => {
  const c = await cluster(t);
  const agent = await startAgent(t, agentArgs(c, 'pi-1', 'unix:///nonexistent.sock'));
  const pid = c.server.child.pid!;
  // Frozen, not dead: the TCP connection stays open, only keepalive pings can tell.
  process.kill(pid, 'SIGSTOP');
  t.after(() => {
    // A test that failed while the server was frozen must not leave it stopped; one already killed (an earlier hook) is fine.
    try {
      process.kill(pid, 'SIGCONT');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  });
  const frozenAt = Date.now();
  await agent.waitForLog(/msg="lost the server; reconnecting"/, 35_000);
  assert.ok(Date.now() - frozenAt < 30_000, `noticed after ${Date.now() - frozenAt} ms`);
  process.kill(pid, 'SIGCONT');
  await agent.waitForLog(/msg="reconnected to the server"/, 40_000);
});

test('each agent is sent its own pods and the ConfigMaps and Secrets they use, kept across a server restart', async (t) => {
  const c = await cluster(t);
  const pi1 = await startAgent(t, agentArgs(c, 'pi-1', 'unix:///nonexistent.sock'));
  const pi2 = await startAgent(t, agentArgs(c, 'pi-2', 'unix:///nonexistent.sock'));
  const manifest = `
apiVersion: v1
kind: Secret
metadata: {name: web-password}
stringData: {password: do-not-log-me}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {mode: edge}
---
apiVersion: v1
kind: Secret
metadata: {name: elsewhere}
stringData: {password: not-for-pi-1}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  nodeName: pi-1
  containers:
  - name: web
    image: busybox
    env:
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: web-password, key: password}}
    volumeMounts: [{name: config, mountPath: /config}]
  volumes: [{name: config, configMap: {name: web-config}}]
---
apiVersion: v1
kind: Pod
metadata: {name: other}
spec:
  nodeName: pi-2
  containers:
  - name: other
    image: busybox
    envFrom: [{secretRef: {name: elsewhere}}]
`;
  const applied = await c.k.run(['apply', '-f', '-'], { stdin: manifest });
  assert.equal(applied.code, 0, applied.stderr);
  await pi1.waitForLog(/msg="pod assigned to this node".*pod=default\/web/);
  await pi2.waitForLog(/msg="pod assigned to this node".*pod=default\/other/);

  // A restarted server sends each agent a fresh snapshot (all it holds); the agents keep their pods through it.
  await c.server.stop();
  c.server = await startServer(t, c.args);
  await pi1.waitForLog(/msg="reconnected to the server"/, 40_000);
  // Each pod's kube-api-access volume adds the namespace's kube-root-ca.crt ConfigMap.
  await pi1.waitForLog(/msg="holding what the server assigned to this node" objects="1 pods, 2 ConfigMaps, 1 Secrets"/);
  await pi2.waitForLog(/msg="holding what the server assigned to this node" objects="1 pods, 1 ConfigMaps, 1 Secrets"/, 40_000);
  assert.doesNotMatch(pi1.log(), /no longer assigned|pod=default\/other/);
  assert.doesNotMatch(pi2.log(), /no longer assigned|pod=default\/web/);

  // No runtime here to stop its containers (a graceful deletion would wait for that): gone at once.
  const deleted = await c.k.run(['delete', 'pod', 'web', '--wait=false', '--force', '--grace-period=0']);
  assert.equal(deleted.code, 0, deleted.stderr);
  await pi1.waitForLog(/msg="pod no longer assigned to this node".*pod=default\/web/);
  for (const agent of [pi1, pi2, c.server]) assert.doesNotMatch(agent.log(), /do-not-log-me|not-for-pi-1/);
});

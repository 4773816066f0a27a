// The home-lab way to add a user, on a real `bramble server` with real
// kubectl 1.27 and 1.33 and Debian's openssl: a key and CSR made with
// openssl, a CertificateSigningRequest applied (Pending in `kubectl get
// csr`), `kubectl certificate approve`, the issued certificate put in a
// kubeconfig, and the new user seen by `kubectl auth whoami`, refused
// without RBAC and allowed once bound. A request for system:masters is refused.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { type Kubectl, kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const run = promisify(execFile);

async function opensslRequest(dir: string, name: string, subject: string): Promise<{ key: string; csr: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  return { key, csr };
}

async function manifest(name: string, csrFile: string): Promise<string> {
  const request = (await readFile(csrFile)).toString('base64');
  return JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', expirationSeconds: 86400, usages: ['client auth'] },
  });
}

async function issued(k: Kubectl, name: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const cert = await k.ok(['get', 'csr', name, '-o', 'jsonpath={.status.certificate}']);
    if (cert !== '') return Buffer.from(cert, 'base64').toString();
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${name} was never issued`);
}

test('kubectl 1.27 and 1.33: an openssl CSR applied, approved, issued, used as a new user that RBAC then governs; system:masters refused', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await startServer(t, serverArgs(dataDir));
  const adminConfig = join(dataDir, 'kubeconfig.yaml');
  for (const version of ['1.27', '1.33']) {
    const admin = await kubectl(t, version, adminConfig);
    const user = `jane-${version.replace('.', '-')}`;
    const { key, csr } = await opensslRequest(dir, user, `/CN=${user}/O=devs`);

    const applied = await admin.run(['apply', '-f', '-'], { stdin: await manifest(user, csr) });
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout, `certificatesigningrequest.certificates.k8s.io/${user} created\n`);
    const listed = (await admin.ok(['get', 'csr', user])).split('\n');
    assert.match(listed[0]!, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION$/);
    assert.match(listed[1]!, new RegExp(`^${user}\\s+\\S+\\s+kubernetes\\.io/kube-apiserver-client\\s+system:admin\\s+24h\\s+Pending$`));

    assert.equal(await admin.ok(['certificate', 'approve', user]), `certificatesigningrequest.certificates.k8s.io/${user} approved\n`);
    const certPem = await issued(admin, user);
    assert.match(await admin.ok(['get', 'csr', user, '--no-headers']), /\sApproved,Issued\n$/);
    const conditions = JSON.parse(await admin.ok(['get', 'csr', user, '-o', 'jsonpath={.status.conditions}'])) as { type: string; reason: string }[];
    assert.deepEqual(conditions.map((c) => [c.type, c.reason]), [['Approved', 'KubectlApprove']]);

    const certFile = join(dir, `${user}.crt`);
    await writeFile(certFile, certPem);
    const userConfig = join(dir, `${user}.kubeconfig`);
    await copyFile(adminConfig, userConfig);
    const k = await kubectl(t, version, userConfig);
    await k.ok(['config', 'set-credentials', user, `--client-certificate=${certFile}`, `--client-key=${key}`, '--embed-certs=true']);
    await k.ok(['config', 'set-context', '--current', `--user=${user}`]);

    const whoami = await k.run(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}']);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal(whoami.stdout, `${user} ["devs","system:authenticated"]`);

    const refused = await k.run(['get', 'pods', '-n', 'default']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`Error from server \\(Forbidden\\): pods is forbidden: User "${user}" cannot list resource "pods" in API group "" in the namespace "default"`));
    await admin.ok(['create', 'rolebinding', `${user}-view`, '--clusterrole=view', `--user=${user}`, '-n', 'default']);
    const allowed = await k.run(['get', 'pods', '-n', 'default']);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stderr, 'No resources found in default namespace.\n');

    // Approving needs `approve` on the signer: the new user may not, even with update on the subresource.
    const selfApproval = await k.run(['certificate', 'approve', user, '--force']);
    assert.notEqual(selfApproval.code, 0);
    assert.match(selfApproval.stderr, /Forbidden/);

    const evil = await opensslRequest(dir, `evil-${version}`, '/CN=evil/O=system:masters');
    const masters = await admin.run(['apply', '-f', '-'], { stdin: await manifest(`evil-${version.replace('.', '-')}`, evil.csr) });
    assert.equal(masters.code, 1);
    assert.match(
      masters.stderr,
      /certificatesigningrequests\.certificates\.k8s\.io "evil-1-\d\d" is forbidden: use of kubernetes\.io\/kube-apiserver-client signer with system:masters group is not allowed/,
    );
  }
});

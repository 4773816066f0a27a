// RBAC enforced on a real `bramble server`, with the real kubectl: a
// ServiceAccount's token (`kubectl create token`) is refused until a Role
// and RoleBinding made with `kubectl create role/rolebinding` grant it, in
// that namespace only; a ClusterRoleBinding grants everywhere; deleting a
// binding takes its grant away, all without a restart.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { credentialsFrom } from '../helpers/api-client.js';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const ROBOT = 'system:serviceaccount:team-a:robot';

const refused = (verb: string, namespace: string | undefined, name?: string) =>
  `Error from server (Forbidden): pods${name === undefined ? '' : ` "${name}"`} is forbidden: User "${ROBOT}" cannot ${verb} resource "pods" in API group ""${
    namespace === undefined ? ' at the cluster scope' : ` in the namespace "${namespace}"`
  }`;

for (const version of ['1.27', '1.33']) {
  test(`kubectl ${version}: a ServiceAccount may do what its RoleBindings and ClusterRoleBindings grant, where they grant it, while they exist`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const admin = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    // The service account's kubectl has no kubeconfig credentials: only the flags' token, server and CA.
    const creds = await credentialsFrom(join(dataDir, 'kubeconfig.yaml'));
    const caFile = join(dir, 'ca.crt');
    const emptyKubeconfig = join(dir, 'empty.kubeconfig');
    await writeFile(caFile, creds.ca);
    await writeFile(emptyKubeconfig, '');
    const anonymous = await kubectl(t, version, emptyKubeconfig);

    await admin.ok(['create', 'namespace', 'team-a']);
    await admin.ok(['create', 'namespace', 'team-b']);
    await admin.ok(['create', 'serviceaccount', 'robot', '-n', 'team-a']);
    await admin.ok(['run', 'web', '--image=busybox:1.36', '-n', 'team-a']);
    await admin.ok(['run', 'db', '--image=busybox:1.36', '-n', 'team-b']);
    const token = (await admin.ok(['create', 'token', 'robot', '-n', 'team-a'])).trim();
    const robot = (args: string[]) => anonymous.run([`--token=${token}`, `--server=${creds.server}`, `--certificate-authority=${caFile}`, ...args]);
    const robotRefused = async (args: string[]) => {
      const r = await robot(args);
      assert.notEqual(r.code, 0, `kubectl ${version} ${args.join(' ')} should be refused:\n${r.stdout}`);
      return r.stderr.trim();
    };
    const robotOk = async (args: string[]) => {
      const r = await robot(args);
      assert.equal(r.code, 0, `kubectl ${version} ${args.join(' ')}\n${r.stderr}`);
      return r.stdout;
    };
    // A binding's change reaches the authorizer through its informer, a moment after the write.
    const allowedSoon = (args: string[]) => until(async () => (await robot(args)).code === 0, `kubectl ${args.join(' ')} allowed`, 10_000);
    const refusedSoon = (args: string[]) => until(async () => (await robot(args)).code !== 0, `kubectl ${args.join(' ')} refused`, 10_000);

    // No binding: every resource refused, worded as upstream.
    assert.equal(await robotRefused(['get', 'pods', '-n', 'team-a']), refused('list', 'team-a'));
    // A Namespace's own requests act in that namespace, as upstream's RequestInfo has them.
    assert.equal(
      await robotRefused(['get', 'namespace', 'team-a']),
      `Error from server (Forbidden): namespaces "team-a" is forbidden: User "${ROBOT}" cannot get resource "namespaces" in API group "" in the namespace "team-a"`,
    );

    // A Role and RoleBinding in team-a: pods readable there, and nothing more.
    await admin.ok(['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods', '-n', 'team-a']);
    await admin.ok(['create', 'rolebinding', 'robot-reads', '--role=pod-reader', '--serviceaccount=team-a:robot', '-n', 'team-a']);
    await allowedSoon(['get', 'pods', '-n', 'team-a']);
    assert.equal((await robotOk(['get', 'pods', '-n', 'team-a', '-o', 'name'])).trim(), 'pod/web');
    assert.equal((await robotOk(['get', 'pod', 'web', '-n', 'team-a', '-o', 'jsonpath={.metadata.name}'])).trim(), 'web');
    assert.equal(await robotRefused(['get', 'pods', '-n', 'team-b']), refused('list', 'team-b'));
    assert.equal(await robotRefused(['get', 'pods', '-A']), refused('list', undefined));
    assert.equal(await robotRefused(['delete', 'pod', 'web', '-n', 'team-a']), refused('delete', 'team-a', 'web'));

    // A ClusterRoleBinding: pods readable in every namespace, and across them.
    await admin.ok(['create', 'clusterrole', 'pod-reader', '--verb=get,list', '--resource=pods']);
    await admin.ok(['create', 'clusterrolebinding', 'robot-reads-all', '--clusterrole=pod-reader', '--serviceaccount=team-a:robot']);
    await allowedSoon(['get', 'pods', '-n', 'team-b']);
    assert.equal((await robotOk(['get', 'pods', '-n', 'team-b', '-o', 'name'])).trim(), 'pod/db');
    assert.deepEqual((await robotOk(['get', 'pods', '-A', '-o', 'name'])).trim().split('\n').sort(), ['pod/db', 'pod/web']);

    // Deleting the bindings takes their grants away, one at a time.
    await admin.ok(['delete', 'clusterrolebinding', 'robot-reads-all']);
    await refusedSoon(['get', 'pods', '-n', 'team-b']);
    assert.equal(await robotRefused(['get', 'pods', '-n', 'team-b']), refused('list', 'team-b'));
    await robotOk(['get', 'pods', '-n', 'team-a']);
    await admin.ok(['delete', 'rolebinding', 'robot-reads', '-n', 'team-a']);
    await refusedSoon(['get', 'pods', '-n', 'team-a']);
    assert.equal(await robotRefused(['get', 'pods', '-n', 'team-a']), refused('list', 'team-a'));

    // A binding to a role that does not exist grants nothing, and the refusal says why, as upstream's does.
    await admin.ok(['create', 'rolebinding', 'robot-ghost', '--role=ghost', '--serviceaccount=team-a:robot', '-n', 'team-a']);
    const missing = `${refused('list', 'team-a')}: RBAC: role.rbac.authorization.k8s.io "ghost" not found`;
    await until(async () => (await robotRefused(['get', 'pods', '-n', 'team-a'])) === missing, 'the missing role named', 10_000);
  });
}

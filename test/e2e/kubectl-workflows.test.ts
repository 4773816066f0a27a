// Everyday kubectl workflows beyond CRUD: watching, editing, describing,
// explaining, waiting, scaling, server dry runs, and being refused without
// credentials. Oldest, middle and newest supported kubectl.
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.30', '1.33'];

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
`;

for (const version of VERSIONS) {
  test(`kubectl ${version}: get -w, edit, describe, explain, wait, scale, dry-run, a bad token`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const kubeconfig = join(dataDir, 'kubeconfig.yaml');
    const k = await kubectl(t, version, kubeconfig);
    const ok = async (args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) => {
      const r = await k.run(args, opts);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stderr}`);
      return r.stdout;
    };

    // get -w: the list first, then each change as a row.
    await ok(['create', 'configmap', 'first', '--from-literal=a=1', '--dry-run=client', '-o', 'yaml']).then((y) => ok(['apply', '-f', '-'], { stdin: y }));
    const watch = k.stream(['get', 'configmaps', '-w']);
    await watch.waitFor(/^first\s+1\s+\d+s$/);
    // (Not "y": kubectl's YAML 1.1 parser reads that key as the boolean true.)
    await ok(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: second}\ndata: {x: "1", z: "2"}\n' });
    await watch.waitFor(/^second\s+2\s+\d+s$/);
    watch.stop();

    // edit through $EDITOR, as a user would.
    const editor = join(dir, 'editor.sh');
    await writeFile(editor, '#!/bin/sh\nsed -i "s/x: \\"1\\"/x: edited/" "$1"\n');
    await chmod(editor, 0o755);
    assert.match(await ok(['edit', 'configmap', 'second'], { env: { EDITOR: editor, KUBE_EDITOR: editor } }), /configmap\/second edited/);
    assert.equal(await ok(['get', 'cm', 'second', '-o', 'jsonpath={.data.x}']), 'edited');

    // describe and explain.
    const described = await ok(['describe', 'configmap', 'second']);
    assert.match(described, /^Name:\s+second$/m);
    assert.match(described, /^Namespace:\s+default$/m);
    assert.match(described, /^x:\n----\nedited$/m);
    assert.match(await ok(['explain', 'configmap.data']), /Data contains the configuration data/);

    // wait, for a condition on data and for deletion.
    assert.match(await ok(['wait', '--for=jsonpath={.data.z}=2', 'configmap/second', '--timeout=20s']), /configmap\/second condition met/);
    const deleting = k.run(['wait', '--for=delete', 'configmap/first', '--timeout=20s']);
    await ok(['delete', 'configmap', 'first']);
    const waited = await deleting;
    assert.equal(waited.code, 0, waited.stderr);

    // Deployments: apply, scale through the scale subresource, server dry run.
    assert.equal(await ok(['apply', '-f', '-'], { stdin: deployment }), 'deployment.apps/web created\n');
    assert.equal(await ok(['scale', 'deployment', 'web', '--replicas=3']), 'deployment.apps/web scaled\n');
    assert.equal(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']), '3');
    assert.equal(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.generation}']), '2');
    const dry = await ok(['scale', 'deployment', 'web', '--replicas=5', '--dry-run=server']);
    assert.match(dry, /deployment.apps\/web scaled \(server dry run\)/);
    assert.equal(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']), '3');
    assert.match(await ok(['delete', '-f', '-', '--dry-run=server'], { stdin: deployment }), /deployment.apps "web" deleted \(server dry run\)/);
    assert.match(await ok(['get', 'deployments']), /^web\s/m);

    // A namespace and what is in it: kubectl waits until both are gone.
    assert.equal(await ok(['create', 'namespace', 'scratch']), 'namespace/scratch created\n');
    await ok(['apply', '-n', 'scratch', '-f', '-'], { stdin: deployment });
    assert.equal(await ok(['delete', 'namespace', 'scratch', '--timeout=30s']), 'namespace "scratch" deleted\n');
    assert.match((await k.run(['get', 'namespace', 'scratch'])).stderr, /namespaces "scratch" not found/);
    assert.equal(await ok(['get', 'deployments', '-n', 'scratch', '-o', 'name']), '');

    // A token the server does not know: refused, with kubectl's own message.
    const anonymous = join(dir, 'anonymous.yaml');
    const config = parse(await readFile(kubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] };
    config.users[0]!.user = { token: 'not-a-token-this-server-issued' };
    await writeFile(anonymous, stringify(config));
    const refused = await (await kubectl(t, version, anonymous)).run(['get', 'pods']);
    assert.equal(refused.code, 1);
    // Newer kubectl words a 401 met during discovery as real apiservers make it do.
    assert.match(refused.stderr, /error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/);
  });
}

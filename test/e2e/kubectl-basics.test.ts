// The essentials with the real kubectl binaries, oldest, middle and newest
// supported, against a real `bramble server`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.30', '1.33'];

const configMap = (name: string, value: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  labels:
    app: demo
data:
  greeting: ${value}
`;

for (const version of VERSIONS) {
  test(`kubectl ${version}: version, namespaces, apply/get/label/delete of a ConfigMap, errors`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const kubeconfig = join(dataDir, 'kubeconfig.yaml');
    const k = await kubectl(t, version, kubeconfig);
    const { ok } = k;

    // 1.27 prints a version.Info struct, later ones the bare version.
    assert.match(await ok(['version']), /Server Version: (version\.Info\{.*GitVersion:")?v1\.\d+\.\d+\+bramble/);

    const resources = await ok(['api-resources']);
    assert.match(resources, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(resources, /^customresourcedefinitions\s+crd,crds\s+apiextensions.k8s.io\/v1\s+false\s+CustomResourceDefinition$/m);

    const namespaces = await ok(['get', 'namespaces']);
    assert.match(namespaces, /^NAME\s+STATUS\s+AGE\n/);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(namespaces, new RegExp(`\\n${ns}\\s+Active\\s+\\d+s`));

    assert.equal(await ok(['apply', '-f', '-'], configMap('web', 'hello')), 'configmap/web created\n');
    assert.equal(await ok(['apply', '-f', '-'], configMap('web', 'hello')), 'configmap/web unchanged\n');
    assert.equal(await ok(['apply', '-f', '-'], configMap('web', 'bonjour')), 'configmap/web configured\n');
    assert.match(await ok(['get', 'configmap', 'web', '-o', 'yaml']), /greeting: bonjour/);
    const json = JSON.parse(await ok(['get', 'cm', 'web', '-o', 'json'])) as { metadata: { uid: string; resourceVersion: string; creationTimestamp: string } };
    assert.match(json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(json.metadata.resourceVersion, /^\d+$/);
    // kube-root-ca.crt is in every namespace, as upstream publishes it.
    assert.match(await ok(['get', 'configmaps']), /^NAME\s+DATA\s+AGE\nkube-root-ca\.crt\s+1\s+\d+s\nweb\s+1\s+\d+s\n$/);

    assert.equal(await ok(['label', 'configmap', 'web', 'tier=front']), 'configmap/web labeled\n');
    assert.match(await ok(['get', 'cm', '-l', 'tier=front', '-o', 'name']), /^configmap\/web\n$/);
    assert.equal(await ok(['get', 'cm', '-l', 'tier=back', '-o', 'name']), '');
    // kubectl 1.27 itself prints "annotate" here.
    assert.match(await ok(['annotate', 'configmap', 'web', 'note=hi']), /^configmap\/web annotated?\n$/);
    assert.equal(await ok(['patch', 'configmap', 'web', '--type', 'merge', '-p', '{"data":{"extra":"1"}}']), 'configmap/web patched\n');
    assert.equal(await ok(['patch', 'configmap', 'web', '--type', 'json', '-p', '[{"op":"remove","path":"/data/extra"}]']), 'configmap/web patched\n');

    const missing = await k.run(['get', 'configmap', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error from server \(NotFound\): configmaps "nope" not found/);

    const duplicate = await k.run(['create', '-f', '-'], { stdin: configMap('web', 'again') });
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /Error from server \(AlreadyExists\).*configmaps "web" already exists/);

    const badName = await k.run(['create', '-f', '-'], { stdin: configMap('Not_A_Name', 'x') });
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /The ConfigMap "Not_A_Name" is invalid: metadata.name: Invalid value: "Not_A_Name": a lowercase RFC 1123 subdomain/);

    const noNamespace = await k.run(['apply', '-n', 'nowhere', '-f', '-'], { stdin: configMap('web', 'x') });
    assert.equal(noNamespace.code, 1);
    assert.match(noNamespace.stderr, /namespaces "nowhere" not found/);

    assert.equal(await ok(['delete', 'configmap', 'web']), 'configmap "web" deleted\n');
    assert.match((await k.run(['get', 'cm', 'web'])).stderr, /NotFound/);
  });
}

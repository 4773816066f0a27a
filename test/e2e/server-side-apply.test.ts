// Server-side apply with the real kubectl against a real server: fields
// dropped from a manifest leave the object, another manager's field is a
// conflict kubectl explains, --force-conflicts takes it, and managedFields
// show as upstream shapes them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.33'];

function manifest(labels: Record<string, string>, replicas: number): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } },
    },
  });
}

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

for (const version of VERSIONS) {
  test(`kubectl ${version}: apply --server-side removes what a manifest no longer sets, reports conflicts, and --force-conflicts takes them`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));

    assert.equal(await k.ok(['apply', '--server-side', '-f', '-'], manifest({ app: 'web', tier: 'front' }, 2)), 'deployment.apps/web serverside-applied\n');
    assert.equal(await k.ok(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.labels}']), '{"app":"web","tier":"front"}');
    assert.equal(await k.ok(['apply', '--server-side', '-f', '-'], manifest({ app: 'web' }, 2)), 'deployment.apps/web serverside-applied\n');
    assert.equal(await k.ok(['get', 'deployment', 'web', '-o', 'jsonpath={.metadata.labels}']), '{"app":"web"}', 'the label dropped from the manifest is gone');

    // kubectl scale names no manager: the User-Agent's, whose first part is the binary's name (kubectl.1.27 here).
    assert.equal(await k.ok(['scale', 'deployment', 'web', '--replicas=5']), 'deployment.apps/web scaled\n');
    const conflict = await k.run(['apply', '--server-side', '-f', '-'], { stdin: manifest({ app: 'web' }, 3) });
    assert.equal(conflict.code, 1);
    assert.ok(
      conflict.stderr.startsWith(
        `error: Apply failed with 1 conflict: conflict with "kubectl.${version}" with subresource "scale" using apps/v1: .spec.replicas\nPlease review the fields above--they currently have other managers.`,
      ),
      conflict.stderr,
    );
    assert.equal(await k.ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']), '5', 'nothing written');

    assert.equal(await k.ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest({ app: 'web' }, 3)), 'deployment.apps/web serverside-applied\n');
    assert.equal(await k.ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']), '3');

    const hidden = await k.ok(['get', 'deployment', 'web', '-o', 'yaml']);
    assert.doesNotMatch(hidden, /managedFields/, 'kubectl hides them by default');
    const shown = await k.ok(['get', 'deployment', 'web', '-o', 'yaml', '--show-managed-fields']);
    assert.match(shown, /^ {2}managedFields:\n {2}- apiVersion: apps\/v1\n {4}fieldsType: FieldsV1\n {4}fieldsV1:\n/m);
    const entries = JSON.parse(await k.ok(['get', 'deployment', 'web', '-o', 'json', '--show-managed-fields'])).metadata.managedFields as Entry[];
    const apply = entries.find((e) => e.manager === 'kubectl' && e.operation === 'Apply')!;
    assert.equal(apply.apiVersion, 'apps/v1');
    assert.equal(apply.fieldsType, 'FieldsV1');
    assert.match(apply.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(apply.fieldsV1, {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } },
            },
          },
        },
      },
    });
    const scaler = entries.find((e) => e.subresource === 'scale');
    assert.equal(scaler, undefined, 'the scaler lost its only field to the forced apply');
  });
}

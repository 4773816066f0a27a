// The kinds' warnings as real kubectl shows them: `Warning: …` lines on
// stderr for an apply that creates a Deployment with a deprecated node label,
// for a server dry run of a change to its template and for a scale, and none
// for a label, which leaves its spec alone.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.33'];
const WARNING = 'Warning: spec.template.spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead\n';

function manifest(name: string, image: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { nodeSelector: { 'beta.kubernetes.io/os': 'linux' }, containers: [{ name: 'web', image }] },
      },
    },
  });
}

test('kubectl 1.27 and 1.33 print the kinds\' warnings on apply, a server dry run and a scale, none on a label', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await startServer(t, serverArgs(dataDir));
  for (const version of VERSIONS) {
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    const name = `web-${version.replace('.', '-')}`;

    const created = await k.run(['apply', '-f', '-'], { stdin: manifest(name, 'nginx:1.27') });
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, `deployment.apps/${name} created\n`);
    assert.equal(created.stderr, WARNING, `kubectl ${version}`);

    const dryRun = await k.run(['apply', '--dry-run=server', '-f', '-'], { stdin: manifest(name, 'nginx:1.28') });
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.equal(dryRun.stdout, `deployment.apps/${name} configured (server dry run)\n`);
    assert.equal(dryRun.stderr, WARNING, `kubectl ${version}: the template changed`);
    assert.equal(await k.ok(['get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:1.27', 'a dry run writes nothing');

    // The Scale goes through the Deployment's own strategy upstream: its generation moves, so it warns.
    const scaled = await k.run(['scale', 'deployment', name, '--replicas=1']);
    assert.equal(scaled.code, 0, scaled.stderr);
    assert.equal(scaled.stderr, WARNING, `kubectl ${version}: scale`);

    const labelled = await k.run(['label', 'deployment', name, 'tier=front']);
    assert.equal(labelled.code, 0, labelled.stderr);
    assert.equal(labelled.stdout, `deployment.apps/${name} labeled\n`);
    assert.equal(labelled.stderr, '', `kubectl ${version}: a label leaves the spec as it was`);
  }
});

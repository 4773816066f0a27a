// ResourceQuotas enforced, with the real kubectl 1.27 and 1.33 against a real
// `bramble server`: `kubectl create quota`, the controller's usage in
// `kubectl get quota` and `kubectl describe quota`, the Forbidden lines
// kubectl prints for a pod that sets too little and for one past the quota,
// a Deployment's ReplicaSet reporting FailedCreate, and its pod created once
// a deleted pod gave its share back.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const RESOURCES = { requests: { cpu: '100m' }, limits: { memory: '128Mi' } };

const pod = (namespace: string, name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { containers: [{ name: 'c', image: 'nginx:1.27', resources: RESOURCES }] } });

const deployment = (namespace: string, name: string) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27', resources: RESOURCES }] } },
    },
  });

test('kubectl 1.27 and 1.33: a quota counts, shows and refuses as upstream’s, and a Deployment’s ReplicaSet reports FailedCreate', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  await startServer(t, serverArgs(dataDir));
  for (const version of ['1.27', '1.33']) {
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    const ns = `quota-${version.replace('.', '-')}`;
    await k.ok(['create', 'namespace', ns]);
    assert.equal(await k.ok(['create', 'quota', 'compute', '--hard=pods=2,requests.cpu=1,limits.memory=1Gi', '-n', ns]), 'resourcequota/compute created\n');
    const usage = async () => ((JSON.parse(await k.ok(['get', 'quota', 'compute', '-n', ns, '-o', 'json'])) as { status: { used?: Record<string, string> } }).status.used);
    await until(async () => (await usage()) !== undefined, 'the controller’s first count');
    assert.deepEqual(await usage(), { 'limits.memory': '0', pods: '0', 'requests.cpu': '0' });

    const bare = await k.run(['run', 'bare', '--image=nginx:1.27', '-n', ns]);
    assert.notEqual(bare.code, 0);
    assert.equal(bare.stderr, 'Error from server (Forbidden): pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: bare; requests.cpu for: bare\n');

    assert.equal(await k.ok(['apply', '-f', '-'], pod(ns, 'p1')), 'pod/p1 created\n');
    assert.equal(await k.ok(['apply', '-f', '-'], pod(ns, 'p2')), 'pod/p2 created\n');
    assert.match(await k.ok(['get', 'quota', '-n', ns]), /^NAME +AGE +REQUEST +LIMIT\ncompute +\S+ +pods: 2\/2, requests\.cpu: 200m\/1 +limits\.memory: 256Mi\/1Gi\n$/);
    assert.match(await k.ok(['describe', 'quota', 'compute', '-n', ns]), /Resource +Used +Hard\n-+ +-+ +-+\nlimits\.memory +256Mi +1Gi\npods +2 +2\nrequests\.cpu +200m +1\n/);

    const third = await k.run(['apply', '-f', '-'], { stdin: pod(ns, 'p3') });
    assert.notEqual(third.code, 0);
    assert.equal(third.stderr, 'Error from server (Forbidden): error when creating "STDIN": pods "p3" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2\n');
    assert.match((await k.run(['get', 'pod', 'p3', '-n', ns])).stderr, /NotFound/);

    assert.equal(await k.ok(['apply', '-f', '-'], deployment(ns, 'web')), 'deployment.apps/web created\n');
    let messages: string[] = [];
    await until(async () => {
      const events = await k.ok(['get', 'events', '-n', ns, '--field-selector', 'reason=FailedCreate,involvedObject.kind=ReplicaSet', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
      messages = events.split('\n').filter((m) => m !== '');
      return messages.length > 0;
    }, 'the ReplicaSet’s FailedCreate event');
    for (const message of messages) assert.match(message, /^Error creating: pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2$/);
    assert.match(await k.ok(['describe', 'rs', '-l', 'app=web', '-n', ns]), /ReplicaFailure +True +FailedCreate/);

    // A pod deleted gives its share back (the controller recounts), and the ReplicaSet's retry gets it.
    await k.ok(['delete', 'pod', 'p1', '-n', ns]);
    await until(async () => (await k.ok(['get', 'pods', '-l', 'app=web', '-n', ns, '-o', 'name'])) !== '', 'the Deployment’s pod once there is room', 30_000);
    await until(async () => (await usage())?.['pods'] === '2', 'the quota counting it');
    assert.deepEqual(await usage(), { 'limits.memory': '256Mi', pods: '2', 'requests.cpu': '200m' });
  }
});

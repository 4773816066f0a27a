// LimitRanger admission with the real kubectl 1.27 and 1.33 against a real
// `bramble server`: a LimitRange applied, a pod from `kubectl run` comes back
// with its defaults and the annotation, a pod over max is refused with the
// line kubectl prints for upstream's 403, and a Deployment whose pods the
// LimitRange refuses has its ReplicaSet report FailedCreate with that message.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const limitRange = (namespace: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'limits', namespace },
    spec: { limits: [{ type: 'Container', default: { cpu: '200m', memory: '128Mi' }, defaultRequest: { cpu: '100m' }, max: { cpu: '1', memory: '512Mi' } }] },
  });

const deployment = (namespace: string, name: string, resources: unknown) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27', resources }] } },
    },
  });

interface PodJson {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { containers: { resources?: unknown }[] };
  status: { qosClass?: string };
}

test('kubectl 1.27 and 1.33: a LimitRange’s defaults on `kubectl run`, its 403 for a pod over max, and a Deployment’s FailedCreate', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  await startServer(t, serverArgs(dataDir));
  for (const version of ['1.27', '1.33']) {
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    const ns = `limits-${version.replace('.', '-')}`;
    await k.ok(['create', 'namespace', ns]);
    assert.equal(await k.ok(['apply', '-f', '-'], limitRange(ns)), 'limitrange/limits created\n');

    assert.equal(await k.ok(['run', 'web', '--image=nginx:1.27', '-n', ns]), 'pod/web created\n');
    const web = JSON.parse(await k.ok(['get', 'pod', 'web', '-n', ns, '-o', 'json'])) as PodJson;
    assert.deepEqual(web.spec.containers[0]!.resources, { limits: { cpu: '200m', memory: '128Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    assert.equal(web.metadata.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web');
    assert.equal(web.status.qosClass, 'Burstable');

    const overrides = JSON.stringify({ spec: { containers: [{ name: 'big', image: 'nginx:1.27', resources: { limits: { cpu: '2' } } }] } });
    const big = await k.run(['run', 'big', '--image=nginx:1.27', '-n', ns, `--overrides=${overrides}`]);
    assert.notEqual(big.code, 0);
    assert.equal(big.stderr, 'Error from server (Forbidden): pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2\n');
    const applied = await k.run(['apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'big', namespace: ns }, spec: JSON.parse(overrides).spec }) });
    assert.notEqual(applied.code, 0);
    assert.equal(applied.stderr, 'Error from server (Forbidden): error when creating "STDIN": pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2\n');
    assert.match((await k.run(['get', 'pod', 'big', '-n', ns])).stderr, /NotFound/);

    // The controllers' pods go through it too: defaults for those that fit, FailedCreate for the others.
    assert.equal(await k.ok(['apply', '-f', '-'], deployment(ns, 'fits', {})), 'deployment.apps/fits created\n');
    assert.equal(await k.ok(['apply', '-f', '-'], deployment(ns, 'huge', { limits: { memory: '1Gi' } })), 'deployment.apps/huge created\n');
    let fits: PodJson | undefined;
    await until(async () => {
      fits = (JSON.parse(await k.ok(['get', 'pods', '-l', 'app=fits', '-n', ns, '-o', 'json'])) as { items: PodJson[] }).items[0];
      return fits !== undefined;
    }, 'the fitting Deployment’s pod');
    assert.equal(fits!.metadata.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c');
    let messages: string[] = [];
    await until(async () => {
      const events = await k.ok(['get', 'events', '-n', ns, '--field-selector', 'reason=FailedCreate,involvedObject.kind=ReplicaSet', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
      messages = events.split('\n').filter((m) => m !== '');
      return messages.length > 0;
    }, 'the ReplicaSet’s FailedCreate event');
    for (const message of messages) assert.match(message, /^Error creating: pods "huge-[a-z0-9]+-[a-z0-9]{5}" is forbidden: maximum memory usage per Container is 512Mi, but limit is 1Gi$/);
    assert.match(await k.ok(['describe', 'rs', '-l', 'app=huge', '-n', ns]), /ReplicaFailure +True +FailedCreate/);
    assert.equal(await k.ok(['get', 'pods', '-l', 'app=huge', '-n', ns, '-o', 'name']), '');
  }
});

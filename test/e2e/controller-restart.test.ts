// A restarted server's controllers pick up where they were: they start once
// every cache they read is full, so nothing looks missing and nothing is made
// twice. A real `bramble server` restarted under the same data, simulated
// nodes whose pods the test kubelet runs, and the real kubectl.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from '../helpers/bramble.js';
import { cluster } from '../helpers/cluster.js';
import { startFakeKubelet } from '../helpers/fake-kubelet.js';

const manifests = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: busybox}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: app, image: busybox}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: app, image: busybox}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 2
  parallelism: 2
  template:
    spec: {restartPolicy: Never, containers: [{name: app, image: busybox}]}
`;

test('controllers of a restarted server make nothing twice: the same pods, ReplicaSets and revisions', async (t) => {
  const c = await cluster(t, undefined, ['--node-monitor-grace-period', '1h']);
  await startFakeKubelet(t, c.kubeconfig, ['node-1', 'node-2']);
  const applied = await c.k.run(['apply', '-f', '-'], { stdin: manifests });
  assert.equal(applied.code, 0, applied.stderr);
  for (const target of ['deployment/web', 'statefulset/db', 'daemonset/agent']) {
    const r = await c.k.run(['rollout', 'status', target, '--timeout=60s']);
    assert.equal(r.code, 0, `${target}: ${r.stderr}`);
  }
  const snapshot = async () => {
    const r = await c.k.run(['get', 'pods,replicasets,controllerrevisions,jobs', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}/{.metadata.uid}{"\\n"}{end}']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split('\n').sort();
  };
  const before = await snapshot();
  assert.equal(before.filter((line) => line.startsWith('Pod/')).length, 3 + 2 + 2 + 2, before.join('\n'));

  await c.server.stop();
  c.server = await startServer(t, c.args);
  // Time for every controller to have reconciled every object once.
  await sleep(3000);
  assert.deepEqual(await snapshot(), before);
  const noDuplicates = await c.k.run(['get', 'events', '--field-selector', 'reason=SuccessfulCreate', '-o', 'jsonpath={.items[*].count}']);
  assert.ok(noDuplicates.stdout.split(' ').every((n) => n === '' || n === '1'), `a create repeated: ${noDuplicates.stdout}`);
});

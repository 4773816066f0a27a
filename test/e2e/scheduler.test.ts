// The scheduler with real agents: `bramble server`, two `bramble agent`s on a
// real containerd (so their Nodes are Ready with real capacity), and the
// real kubectl reading where pods went and why one could not go anywhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAgent } from '../helpers/bramble.js';
import { agentArgs, cluster, waitReady } from '../helpers/cluster.js';
import { startContainerd } from '../helpers/containerd.js';
import { until } from '../helpers/store.js';

const pods = `
apiVersion: v1
kind: Pod
metadata: {name: anywhere}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: ssd-only}
spec:
  nodeSelector: {disk: ssd}
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: huge}
spec:
  containers: [{name: c, image: busybox, resources: {requests: {cpu: "1000"}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: gpu}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: accel, operator: In, values: [gpu]}]}]
  containers: [{name: c, image: busybox}]
`;

test('pods go to nodes that fit; kubectl shows why one fits nowhere; a node that changes gets the waiting pod', async (t) => {
  const containerd = await startContainerd(t);
  const c = await cluster(t);
  await startAgent(t, agentArgs(c, 'pi-1', containerd.endpoint));
  await startAgent(t, [...agentArgs(c, 'pi-2', containerd.endpoint), '--node-label', 'disk=ssd']);
  for (const name of ['pi-1', 'pi-2']) await waitReady(c.k, name, 'True');

  const applied = await c.k.run(['apply', '-f', '-'], { stdin: pods });
  assert.equal(applied.code, 0, applied.stderr);
  const nodeOf = async (pod: string) => (await c.k.run(['get', 'pod', pod, '-o', 'jsonpath={.spec.nodeName}'])).stdout;
  await until(async () => (await nodeOf('anywhere')) !== '' && (await nodeOf('ssd-only')) !== '', 'bound', 15_000);
  assert.equal(await nodeOf('ssd-only'), 'pi-2');
  assert.match(await nodeOf('anywhere'), /^pi-[12]$/);

  const wide = await c.k.run(['get', 'pods', '-o', 'wide']);
  assert.equal(wide.code, 0, wide.stderr);
  // Bound pods are their agent's now (it tries to run them: ContainerCreating or an image error); the NODE column is the scheduler's.
  assert.match(wide.stdout, /^ssd-only\s+0\/1\s+\S+\s+0\s+\S+\s+\S+\s+pi-2\s/m);
  assert.match(wide.stdout, /^huge\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s/m);

  const described = async (pod: string) => (await c.k.run(['describe', 'pod', pod])).stdout;
  await until(async () => /FailedScheduling/.test(await described('huge')), 'the FailedScheduling event', 15_000);
  assert.match(await described('huge'), /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/2 nodes are available: 2 Insufficient cpu\./);
  assert.match(await described('gpu'), /0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector\./);
  const condition = await c.k.run(['get', 'pod', 'huge', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}']);
  assert.equal(condition.stdout, 'Unschedulable');

  const labelled = await c.k.run(['label', 'node', 'pi-1', 'accel=gpu']);
  assert.equal(labelled.code, 0, labelled.stderr);
  await until(async () => (await nodeOf('gpu')) === 'pi-1', 'the waiting pod placed', 20_000);
  assert.match(await described('gpu'), /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default\/gpu to pi-1/);
  assert.equal(await nodeOf('huge'), '', 'still nowhere to go');
});

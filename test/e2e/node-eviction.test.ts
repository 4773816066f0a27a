// Pods leave a node that went away after their tolerationSeconds (and their
// grace period, with no agent to stop them), unless the node has an autonomy window: real `bramble agent`s on a real containerd,
// killed with SIGKILL, and the real kubectl.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAgent } from '../helpers/bramble.js';
import { agentArgs, cluster, waitReady } from '../helpers/cluster.js';
import { startContainerd } from '../helpers/containerd.js';
import { until } from '../helpers/store.js';

const pod = (name: string, node: string, tolerationSeconds?: number) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 5
  containers: [{name: c, image: busybox}]
${tolerationSeconds === undefined ? '' : `  tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: ${tolerationSeconds}}]`}
`;

test("pods leave an unreachable node after their tolerationSeconds; a node's autonomy window keeps them", async (t) => {
  const containerd = await startContainerd(t);
  const c = await cluster(t, undefined, ['--node-monitor-grace-period', '4s']);
  const pi1 = await startAgent(t, agentArgs(c, 'pi-1', containerd.endpoint));
  const pi2 = await startAgent(t, agentArgs(c, 'pi-2', containerd.endpoint));
  for (const name of ['pi-1', 'pi-2']) await waitReady(c.k, name, 'True');
  const annotated = await c.k.run(['annotate', 'node', 'pi-2', 'bramble.io/autonomy-seconds=3600']);
  assert.equal(annotated.code, 0, annotated.stderr);
  const applied = await c.k.run(['apply', '-f', '-'], { stdin: [pod('leaves', 'pi-1', 2), pod('stays-300s', 'pi-1'), pod('autonomous', 'pi-2', 2)].join('---\n') });
  assert.equal(applied.code, 0, applied.stderr);

  await pi1.kill();
  await pi2.kill();
  const pods = async () => (await c.k.run(['get', 'pods', '-o', 'name'])).stdout.trim().split('\n').sort();
  // Evicted (marked for deletion); with no agent to stop it, the pod GC deletes it once its 5 s grace period is over.
  await until(async () => !(await pods()).includes('pod/leaves'), 'the pod without time left evicted', 30_000);
  assert.deepEqual(await pods(), ['pod/autonomous', 'pod/stays-300s']);
  const taints = await c.k.run(['get', 'node', 'pi-2', '-o', 'jsonpath={.spec.taints[*].key}']);
  assert.match(taints.stdout, /node\.kubernetes\.io\/unreachable/, 'pi-2 is unreachable too, yet keeps its pod');
  const events = await c.k.run(['get', 'events', '--field-selector', 'reason=TaintManagerEviction', '-o', 'jsonpath={.items[*].message}']);
  assert.equal(events.stdout, 'Marking for deletion Pod default/leaves');
});

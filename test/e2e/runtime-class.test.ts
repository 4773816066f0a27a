// RuntimeClasses on a real node (registry, containerd, server, agent, kubectl
// 1.33 and 1.27): applied and listed with kubectl's columns, explained and
// discovered; a pod naming one runs with its overhead and node selector, in
// a sandbox containerd made with the class's handler; a pod naming a class
// that does not exist is refused as kubectl prints it; a class whose handler
// containerd lacks leaves its pod in ContainerCreating with kubelet's
// FailedCreatePodSandBox event, retried.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { kubectl, type Kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';
const BUSYBOX = publicImage('busybox:1.36');

const pod = (name: string, runtimeClassName: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  runtimeClassName: ${runtimeClassName}
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: ${BUSYBOX}, command: [sleep, "3600"]}
`;

test('RuntimeClasses: kubectl apply and get, a pod run with its class’s handler and overhead, a missing class refused, a handler containerd lacks reported as kubelet does', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c, runtime } = node;

  // ---- The resource, as kubectl sees it ----
  const applied = await c.k.ok(
    ['apply', '-f', '-'],
    `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: runc}
handler: runc
overhead:
  podFixed: {cpu: 10m, memory: 16Mi}
scheduling:
  nodeSelector: {kubernetes.io/os: linux}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: kata}
handler: kata
`,
  );
  assert.equal(applied, 'runtimeclass.node.k8s.io/runc created\nruntimeclass.node.k8s.io/kata created\n');
  const listed = (await c.k.ok(['get', 'runtimeclass'])).trimEnd().split('\n');
  assert.match(listed[0]!, /^NAME\s+HANDLER\s+AGE$/);
  assert.match(listed[1]!, /^kata\s+kata\s+\d+s$/);
  assert.match(listed[2]!, /^runc\s+runc\s+\d+s$/);
  assert.equal(listed.length, 3);
  const k127 = await kubectl(t, '1.27', c.kubeconfig);
  assert.match(await k127.ok(['get', 'runtimeclasses', 'runc', '--no-headers']), /^runc\s+runc\s+\d+s\n$/);
  assert.match(await c.k.ok(['api-resources', '--api-group=node.k8s.io', '--no-headers']), /^runtimeclasses\s+node\.k8s\.io\/v1\s+false\s+RuntimeClass\n$/);
  const explained = await c.k.ok(['explain', 'runtimeclass.handler']);
  assert.match(explained, /^GROUP:\s+node\.k8s\.io\nKIND:\s+RuntimeClass\nVERSION:\s+v1\n\nFIELD: handler <string>/);
  assert.match(explained, /handler specifies the underlying runtime and configuration that the CRI\s+implementation will use to handle pods of this class/);
  // Immutable once made, in upstream's words.
  const changed = await c.k.run(['patch', 'runtimeclass', 'kata', '--type=merge', '-p', '{"handler":"kata-fc"}']);
  assert.equal(changed.code, 1);
  assert.equal(changed.stderr, 'The RuntimeClass "kata" is invalid: handler: Invalid value: "kata-fc": field is immutable\n');

  // ---- A pod naming a class that does not exist ----
  const refused = await c.k.run(['apply', '-f', '-'], { stdin: pod('lost', 'nope') });
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'Error from server (Forbidden): error when creating "STDIN": pods "lost" is forbidden: pod rejected: RuntimeClass "nope" not found\n');

  // ---- A pod run with the class's handler ----
  const started = performance.now();
  await c.k.ok(['apply', '-f', '-'], pod('sandboxed', 'runc') + '---\n' + pod('stuck', 'kata'));
  await c.k.ok(['wait', '--for=condition=Ready', 'pod/sandboxed', '--timeout=60s']);
  t.diagnostic(`kubectl apply → Ready: ${Math.round(performance.now() - started)} ms`);
  const sandboxed = await podJson(c.k, 'sandboxed');
  assert.deepEqual(sandboxed.spec?.overhead, { cpu: '10m', memory: '16Mi' });
  assert.deepEqual(sandboxed.spec?.nodeSelector, { 'kubernetes.io/os': 'linux' });
  assert.equal(sandboxed.spec?.nodeName, NODE);
  const [sandbox] = await runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': sandboxed.metadata!.uid! } });
  assert.equal(sandbox?.runtimeHandler, 'runc');
  // What `crictl inspectp` shows: the sandbox's status from containerd.
  assert.equal((await runtime.podSandboxStatus(sandbox.id)).status.runtimeHandler, 'runc');
  assert.equal(sandbox.state, 'SANDBOX_READY');

  // ---- A handler containerd does not have: ContainerCreating, kubelet's event, retried ----
  const message = 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "kata" is configured';
  let event: Event | undefined;
  await until(
    async () => {
      const events = JSON.parse(await c.k.ok(['get', 'events', '--field-selector', 'involvedObject.name=stuck,reason=FailedCreatePodSandBox', '-o', 'json'])) as { items: Event[] };
      event = events.items[0];
      return (event?.count ?? 0) >= 2;
    },
    'FailedCreatePodSandBox for pod stuck, seen at least twice',
    30_000,
  );
  assert.equal(event!.type, 'Warning');
  assert.equal(event!.message, message);
  assert.equal(event!.source?.component, 'kubelet');
  assert.equal(event!.source?.host, NODE);
  const stuck = await podJson(c.k, 'stuck');
  assert.equal(stuck.status?.phase, 'Pending');
  assert.deepEqual(stuck.status?.containerStatuses?.map((s) => s.state?.waiting?.reason), ['ContainerCreating']);
  assert.match(await c.k.ok(['get', 'pod', 'stuck', '--no-headers']), /^stuck\s+0\/1\s+ContainerCreating\s+0\s/);
  assert.deepEqual(await runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': stuck.metadata!.uid! } }), []);
  assert.equal((await podJson(c.k, 'sandboxed')).status?.phase, 'Running', 'the other pod is unaffected');

  // ---- Deleted: nothing left on the runtime ----
  await c.k.ok(['delete', 'pod', 'sandboxed', 'stuck', '--wait=false']);
  await until(async () => (await runtime.listPodSandbox()).length === 0 && (await runtime.listContainers()).length === 0, 'no sandboxes and containers left', 30_000);
});

async function podJson(k: Kubectl, name: string): Promise<Pod> {
  return JSON.parse(await k.ok(['get', 'pod', name, '-o', 'json'])) as Pod;
}

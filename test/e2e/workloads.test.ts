// DaemonSets and StatefulSets with real processes: `bramble server` (its
// scheduler binds pods to the fake kubelet's simulated nodes, which mark
// them Ready or hold them back) driven by the real kubectl 1.33.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { type FakeKubelet, startFakeKubelet } from '../helpers/fake-kubelet.js';
import { type Kubectl, kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

async function setup(t: TestContext): Promise<{ k: Kubectl; kubelet: FakeKubelet; kubeconfig: string }> {
  const dir = await tempDir(t);
  await startServer(t, [...serverArgs(dir), '--node-monitor-grace-period', '1h']);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const kubelet = await startFakeKubelet(t, kubeconfig, ['node-1', 'node-2', 'node-3']);
  return { k: await kubectl(t, '1.33', kubeconfig), kubelet, kubeconfig };
}

async function ok(k: Kubectl, args: string[], stdin?: string): Promise<string> {
  const r = await k.run(args, stdin === undefined ? {} : { stdin });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const daemonSets = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: "busybox:1"}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ssd}
spec:
  selector: {matchLabels: {app: ssd}}
  template:
    metadata: {labels: {app: ssd}}
    spec:
      nodeSelector: {disk: ssd}
      containers: [{name: c, image: "busybox:1"}]
`;

/** "pod node image" per pod of `app`, sorted. */
async function placed(k: Kubectl, app: string): Promise<string[]> {
  const out = await ok(k, ['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {.spec.containers[0].image}{"\\n"}{end}']);
  return out.split('\n').filter((l) => l !== '').sort();
}

test('kubectl 1.33: a DaemonSet runs a pod on every node (and on a node added later), a nodeSelector limits it to labelled nodes, and an image change rolls out and back', async (t) => {
  const { k, kubeconfig } = await setup(t);
  await ok(k, ['label', 'node', 'node-2', 'disk=ssd']);
  await ok(k, ['apply', '-f', '-'], daemonSets);
  assert.match(await ok(k, ['rollout', 'status', 'ds/agent', '--timeout=60s']), /daemon set "agent" successfully rolled out/);
  assert.deepEqual(await placed(k, 'agent'), ['node-1 busybox:1', 'node-2 busybox:1', 'node-3 busybox:1']);
  assert.match(await ok(k, ['rollout', 'status', 'ds/ssd', '--timeout=60s']), /successfully rolled out/);
  assert.deepEqual(await placed(k, 'ssd'), ['node-2 busybox:1']);

  await startFakeKubelet(t, kubeconfig, ['node-4']);
  await until(async () => (await placed(k, 'agent')).length === 4, 'a pod on the fourth node', 20_000);
  assert.deepEqual(await placed(k, 'agent'), ['node-1 busybox:1', 'node-2 busybox:1', 'node-3 busybox:1', 'node-4 busybox:1']);
  assert.deepEqual(await placed(k, 'ssd'), ['node-2 busybox:1'], 'the unlabelled new node gets no ssd pod');
  // DESIRED CURRENT READY UP-TO-DATE AVAILABLE, as kubectl prints them from the status.
  await until(async () => /^agent\s+4\s+4\s+4\s+4\s+4\s/m.test(await ok(k, ['get', 'ds', 'agent'])), 'kubectl get ds shows 4 everywhere', 20_000);

  await ok(k, ['set', 'image', 'ds/agent', 'c=busybox:2']);
  assert.match(await ok(k, ['rollout', 'status', 'ds/agent', '--timeout=60s']), /daemon set "agent" successfully rolled out/);
  await until(async () => (await placed(k, 'agent')).length === 4, 'old pods gone', 20_000);
  assert.deepEqual(await placed(k, 'agent'), ['node-1 busybox:2', 'node-2 busybox:2', 'node-3 busybox:2', 'node-4 busybox:2']);
  const history = await ok(k, ['rollout', 'history', 'ds/agent']);
  assert.match(history, /^1\s/m);
  assert.match(history, /^2\s/m);
  // Undo applies revision 1's data (the template patch) and the controller renumbers that revision 3.
  await ok(k, ['rollout', 'undo', 'ds/agent']);
  assert.match(await ok(k, ['rollout', 'status', 'ds/agent', '--timeout=60s']), /successfully rolled out/);
  await until(async () => (await placed(k, 'agent')).every((p) => p.endsWith('busybox:1')), 'back on busybox:1', 20_000);
  assert.match(await ok(k, ['rollout', 'history', 'ds/agent']), /^2\s[\s\S]*^3\s/m);
  await ok(k, ['delete', 'ds', 'agent', 'ssd']);
});

const web = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: "nginx:1", volumeMounts: [{name: data, mountPath: /data}]}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;

const podNames = async (k: Kubectl) => (await ok(k, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter((s) => s !== '').sort();

test('kubectl 1.33: a StatefulSet comes up in order, each pod waiting for the previous to be Ready, scales down in reverse, keeps its claims, and brings a deleted pod back by name', async (t) => {
  const { k, kubelet } = await setup(t);
  const released = new Set<string>();
  kubelet.holdNotReady((pod) => !released.has(pod.metadata?.name ?? ''));
  const release = async (name: string) => {
    released.add(name);
    await kubelet.recheck();
  };
  const watch = k.stream(['get', 'pods', '-l', 'app=web', '-w', '--output-watch-events', '--no-headers', '-o', 'custom-columns=EVENT:.type,NAME:.object.metadata.name']);
  await ok(k, ['apply', '-f', '-'], web);

  await until(async () => (await podNames(k)).join() === 'web-0', 'web-0 created', 20_000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await podNames(k), ['web-0'], 'web-1 is not created while web-0 is not Ready');
  await release('web-0');
  await until(async () => (await podNames(k)).join() === 'web-0,web-1', 'web-1 created', 20_000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await podNames(k), ['web-0', 'web-1'], 'web-2 waits for web-1');
  await release('web-1');
  await release('web-2');
  // With rollingUpdate defaulted to {partition: 0}, kubectl words a finished rollout as a partitioned one, as against upstream.
  assert.match(await ok(k, ['rollout', 'status', 'sts/web', '--timeout=60s']), /partitioned roll out complete: 3 new pods have been updated/);
  const added = watch.lines.filter((l) => /^ADDED/.test(l)).map((l) => l.split(/\s+/)[1]);
  assert.deepEqual(added, ['web-0', 'web-1', 'web-2'], 'created in ordinal order');
  assert.equal(await ok(k, ['get', 'pod', 'web-1', '-o', 'jsonpath={.spec.hostname}.{.spec.subdomain}']), 'web-1.web');
  assert.equal(await ok(k, ['get', 'pvc', '-o', 'jsonpath={.items[*].metadata.name}']), 'data-web-0 data-web-1 data-web-2');

  const uid = await ok(k, ['get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.uid}']);
  await ok(k, ['delete', 'pod', 'web-1', '--wait=false']);
  await until(async () => {
    const r = await k.run(['get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}']);
    return r.code === 0 && !r.stdout.startsWith(uid) && r.stdout.endsWith('True');
  }, 'web-1 back and Ready', 20_000);

  await ok(k, ['set', 'image', 'sts/web', 'c=nginx:2']);
  assert.match(await ok(k, ['rollout', 'status', 'sts/web', '--timeout=60s']), /partitioned roll out complete: 3 new pods have been updated/);
  assert.equal(await ok(k, ['get', 'sts', 'web', '-o', 'jsonpath={.status.currentRevision}']), await ok(k, ['get', 'sts', 'web', '-o', 'jsonpath={.status.updateRevision}']));
  assert.equal(await ok(k, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.containers[0].image}']), 'nginx:2 nginx:2 nginx:2');

  const deletedBefore = watch.lines.filter((l) => /^DELETED/.test(l)).length;
  await ok(k, ['scale', 'sts/web', '--replicas=1']);
  await until(async () => (await podNames(k)).join() === 'web-0', 'scaled down to web-0', 20_000);
  await until(() => watch.lines.filter((l) => /^DELETED/.test(l)).length === deletedBefore + 2, 'both deletions watched', 10_000);
  const deleted = watch.lines.filter((l) => /^DELETED/.test(l)).slice(deletedBefore).map((l) => l.split(/\s+/)[1]);
  assert.deepEqual(deleted, ['web-2', 'web-1'], 'removed in reverse ordinal order');
  watch.stop();
  assert.equal(await ok(k, ['get', 'pvc', '-o', 'jsonpath={.items[*].metadata.name}']), 'data-web-0 data-web-1 data-web-2', 'claims kept');
  assert.match(await ok(k, ['get', 'sts', 'web']), /^web\s+1\/1\s/m);
  await ok(k, ['delete', 'sts', 'web']);
});

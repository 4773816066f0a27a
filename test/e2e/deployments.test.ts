// Deployments with real processes: `bramble server` (its scheduler binds
// pods to the fake kubelet's three simulated nodes, which mark them Ready)
// driven by the real kubectl's apply, rollout, scale and set image.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { type FakeKubelet, startFakeKubelet } from '../helpers/fake-kubelet.js';
import { type Kubectl, kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

async function setup(t: TestContext, version: string): Promise<{ k: Kubectl; kubelet: FakeKubelet }> {
  const dir = await tempDir(t);
  await startServer(t, [...serverArgs(dir), '--node-monitor-grace-period', '1h']);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const kubelet = await startFakeKubelet(t, kubeconfig, ['node-1', 'node-2', 'node-3']);
  return { k: await kubectl(t, version, kubeconfig), kubelet };
}

const web = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {kubernetes.io/change-cause: "nginx 1"}
spec:
  replicas: 4
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: "nginx:1"}]}
`;

async function ok(k: Kubectl, args: string[]): Promise<string> {
  const r = await k.run(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const podImages = async (k: Kubectl) => (await ok(k, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.containers[0].image}'])).split(' ').filter((s) => s !== '');

test('kubectl 1.33: apply and rollout status; an image change stays within maxSurge/maxUnavailable; history, undo, scale, pause/resume and restart', async (t) => {
  const { k } = await setup(t, '1.33');
  const applied = await k.run(['apply', '-f', '-'], { stdin: web });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(await ok(k, ['rollout', 'status', 'deployment/web', '--timeout=60s']), /deployment "web" successfully rolled out/);

  // Every pod event (kubectl prints the watch events themselves), as `kubectl get -w` sees them: never more than 4 + 1 pods, never fewer than 4 - 1 ready.
  // A Terminating pod counts for neither, as for upstream's controllers (FilterActivePods): it is on its way out.
  const watch = k.stream(['get', 'pods', '-l', 'app=web', '-w', '--output-watch-events', '--no-headers', '-o', 'custom-columns=EVENT:.type,NAME:.object.metadata.name,READY:.object.status.conditions[?(@.type=="Ready")].status,DELETING:.object.metadata.deletionTimestamp']);
  await watch.waitFor(/ADDED/);
  const patch = JSON.stringify({ metadata: { annotations: { 'kubernetes.io/change-cause': 'nginx 2' } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } });
  await ok(k, ['patch', 'deployment', 'web', '-p', patch]);
  assert.match(await ok(k, ['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
  assert.deepEqual(await podImages(k), ['nginx:2', 'nginx:2', 'nginx:2', 'nginx:2']);
  await until(() => watch.lines.filter((l) => /^DELETED/.test(l)).length >= 4, 'the old pods deleted in the watch', 10_000);
  watch.stop();
  const pods = new Map<string, string>();
  let maxPods = 0;
  let minReady = 4;
  // The first four lines are the listing the watch starts with.
  for (const [i, line] of watch.lines.entries()) {
    const [event, name, ready, deleting] = line.trim().split(/\s+/);
    if (event === 'DELETED' || deleting !== '<none>') pods.delete(name!);
    else pods.set(name!, ready!);
    if (i < 3) continue;
    maxPods = Math.max(maxPods, pods.size);
    minReady = Math.min(minReady, [...pods.values()].filter((r) => r === 'True').length);
  }
  assert.ok(maxPods <= 5, `at most 5 pods, saw ${maxPods}:\n${watch.lines.join('\n')}`);
  assert.ok(minReady >= 3, `at least 3 ready, saw ${minReady}:\n${watch.lines.join('\n')}`);

  const history = await ok(k, ['rollout', 'history', 'deployment/web']);
  assert.match(history, /^1\s+nginx 1$/m);
  assert.match(history, /^2\s+nginx 2$/m);

  assert.match(await ok(k, ['rollout', 'undo', 'deployment/web']), /deployment.apps\/web rolled back/);
  assert.match(await ok(k, ['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
  await until(async () => (await podImages(k)).join() === 'nginx:1,nginx:1,nginx:1,nginx:1', 'the old pods back', 20_000);
  const undone = await ok(k, ['rollout', 'history', 'deployment/web']);
  assert.doesNotMatch(undone, /^1\s/m, 'revision 1 became 3');
  assert.match(undone, /^2\s+nginx 2$/m);
  assert.match(undone, /^3\s+nginx 1$/m);
  assert.equal(await ok(k, ['get', 'rs', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.annotations.deployment\\.kubernetes\\.io/revision}']).then((s) => s.split(' ').sort().join()), '2,3');

  await ok(k, ['scale', 'deployment/web', '--replicas=6']);
  await ok(k, ['rollout', 'status', 'deployment/web', '--timeout=60s']);
  await until(async () => (await podImages(k)).length === 6, 'six pods', 20_000);
  await ok(k, ['scale', 'deployment/web', '--replicas=2']);
  await until(async () => (await podImages(k)).length === 2, 'two pods', 20_000);
  await until(async () => (await ok(k, ['get', 'deployment', 'web', '-o', 'jsonpath={.status.availableReplicas}'])) === '2', 'two available', 10_000);

  assert.match(await ok(k, ['rollout', 'pause', 'deployment/web']), /paused/);
  await ok(k, ['set', 'image', 'deployment/web', 'c=nginx:3']);
  await until(async () => /DeploymentPaused/.test(await ok(k, ['get', 'deployment', 'web', '-o', 'jsonpath={.status.conditions[*].reason}'])), 'DeploymentPaused');
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(await podImages(k), ['nginx:1', 'nginx:1'], 'nothing rolls out while paused');
  assert.match(await ok(k, ['rollout', 'resume', 'deployment/web']), /resumed/);
  await ok(k, ['rollout', 'status', 'deployment/web', '--timeout=60s']);
  await until(async () => (await podImages(k)).join() === 'nginx:3,nginx:3', 'nginx:3 after resume', 20_000);

  const before = await ok(k, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}']);
  assert.match(await ok(k, ['rollout', 'restart', 'deployment/web']), /restarted/);
  await ok(k, ['rollout', 'status', 'deployment/web', '--timeout=60s']);
  await until(async () => {
    const names = (await ok(k, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ');
    return names.length === 2 && names.every((n) => !before.includes(n));
  }, 'every pod replaced', 20_000);
  assert.match(await ok(k, ['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.metadata.annotations}']), /kubectl.kubernetes.io\/restartedAt/);
  assert.match(await ok(k, ['describe', 'deployment', 'web']), /ScalingReplicaSet\s+.*Scaled (up|down) replica set web-\w+ to \d+ from \d+/);
});

test('kubectl 1.27: a rollout whose pods never get Ready exceeds its progress deadline and rollout status fails', async (t) => {
  const { k, kubelet } = await setup(t, '1.27');
  const applied = await k.run(['apply', '-f', '-'], { stdin: web.replace('replicas: 4', 'replicas: 2\n  progressDeadlineSeconds: 3') });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(await ok(k, ['rollout', 'status', 'deployment/web', '--timeout=60s']), /successfully rolled out/);
  kubelet.holdNotReady((pod) => pod.spec?.containers[0]?.image === 'nginx:broken');
  await ok(k, ['set', 'image', 'deployment/web', 'c=nginx:broken']);
  const status = await k.run(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  assert.equal(status.code, 1, status.stdout);
  assert.match(status.stderr, /error: deployment "web" exceeded its progress deadline/);
  const reason = await ok(k, ['get', 'deployment', 'web', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}']);
  assert.equal(reason, 'ProgressDeadlineExceeded');
  assert.match(await ok(k, ['get', 'deployment', 'web', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].message}']), /^ReplicaSet "web-\w+" has timed out progressing\.$/);
  assert.match(await ok(k, ['rollout', 'history', 'deployment/web']), /^1\s+nginx 1$/m);
});

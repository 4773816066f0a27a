// A Deployment rolled from one image tag to another on a real node with no
// replica ever unavailable: a real `bramble server` (its scheduler and
// controllers), a real `bramble agent` on a real containerd (images from a
// real registry through its mirror, a CNI network of the test's own) and the
// real kubectl. Every status the Deployment goes through is read from a watch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from '../helpers/store.js';
import { startPodNode } from '../helpers/pod-node.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';
const REPLICAS = 2;

const deployment = (image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      # sh as pid 1 ignores SIGTERM: a short grace keeps old pods' exits short.
      terminationGracePeriodSeconds: 1
      containers:
      - {name: app, image: ${image}, command: [sh, -c, 'sleep 3600']}
`;

test('a Deployment rolls from busybox 1.36 to 1.37 on a real node with zero unavailable replicas', async (t) => {
  const { cluster: c, runtime } = await startPodNode(t, NODE);

  const applied = await c.k.run(['apply', '-f', '-'], { stdin: deployment(publicImage('busybox:1.36')) });
  assert.equal(applied.code, 0, applied.stderr);
  const first = await c.k.run(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  assert.equal(first.code, 0, first.stderr);

  // From here on every state of the Deployment's available replicas. (Its unavailableReplicas counts
  // the surge pod still starting, as upstream's does: what must never happen is fewer available than wanted.)
  const watch = c.k.stream(['get', 'deployment', 'web', '-w', '-o', 'jsonpath={.metadata.generation} {.status.availableReplicas}{"\\n"}']);
  await watch.waitFor(new RegExp(`^1 ${REPLICAS}$`));
  const image = await c.k.run(['set', 'image', 'deployment/web', `app=${publicImage('busybox:1.37')}`]);
  assert.equal(image.code, 0, image.stderr);
  const second = await c.k.run(['rollout', 'status', 'deployment/web', '--timeout=90s']);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /successfully rolled out/);
  await watch.waitFor(new RegExp(`^2 ${REPLICAS}$`));
  watch.stop();
  const states = watch.lines.filter((line) => line.trim() !== '');
  assert.ok(states.length > 2, `the watch saw the rollout: ${states.join(' | ')}`);
  for (const line of states) {
    const available = Number(line.split(' ')[1]);
    assert.ok(available >= REPLICAS, `available replicas fell to ${available}: ${states.join(' | ')}`);
  }

  // The node really runs two containers of the new image, and only those.
  await until(
    async () => (await runtime.listContainers({ state: 'CONTAINER_RUNNING', labelSelector: { 'io.kubernetes.container.name': 'app' } })).length === REPLICAS,
    'only the new containers running',
    30_000,
  );
  for (const container of await runtime.listContainers({ state: 'CONTAINER_RUNNING', labelSelector: { 'io.kubernetes.container.name': 'app' } })) {
    const exec = await runtime.execSync(container.id, ['cat', '/etc/bramble-version'], 10);
    assert.equal(exec.stdout.toString().trim(), '1.37');
  }
  const history = await c.k.run(['rollout', 'history', 'deployment/web']);
  assert.match(history.stdout, /^1\s/m);
  assert.match(history.stdout, /^2\s/m);
});

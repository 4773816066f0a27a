// Pods run: a real `bramble server`, a real `bramble agent` on a real
// containerd (images from a real registry through its mirror, a CNI network
// of the test's own) and the real kubectl. A pod the scheduler binds to the
// agent's node runs there, shows Running with its IP and its httpd answers
// there; a missing image shows ErrImagePull with the registry's answer, then
// ImagePullBackOff; a deleted pod's containers and sandbox are stopped and
// removed.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { startPodNode } from '../helpers/pod-node.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';

test('a pod bound to an agent runs on its containerd, reports Running with its IP, is adopted by a restarted agent and is removed when deleted', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c, containerd, runtime } = node;

  // ---- Running, with its IP ----
  const created = performance.now();
  const run = await c.k.run([
    'run', 'web', `--image=${publicImage('busybox:1.36')}`, '--restart=Never',
    // A short grace keeps the deletion below short whatever PID 1 does with SIGTERM.
    '--overrides={"apiVersion":"v1","spec":{"terminationGracePeriodSeconds":2}}',
    '--', 'sh', '-c', 'echo hi; mkdir /www; echo hello from web > /www/index.html; exec httpd -f -p 8080 -h /www',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const subnetPrefix = containerd.network!.subnet.replace(/0\/24$/, '');
  let wide: string[] = [];
  await until(
    async () => {
      const r = await c.k.run(['get', 'pod', 'web', '-o', 'wide', '--no-headers']);
      wide = r.stdout.trim().split(/\s+/);
      return wide[2] === 'Running';
    },
    'pod web Running',
    30_000,
  );
  t.diagnostic(`kubectl run → Running in kubectl get: ${Math.round(performance.now() - created)} ms`);
  // NAME READY STATUS RESTARTS AGE IP NODE NOMINATED-NODE READINESS-GATES
  assert.equal(wide[1], '1/1');
  assert.ok(wide[5]!.startsWith(subnetPrefix), `pod IP ${wide[5]} in ${containerd.network!.subnet}`);
  assert.equal(wide[6], NODE);

  const pod = await podJson(c.k, 'web');
  const status = pod.status!;
  assert.equal(status.podIP, wide[5]);
  assert.deepEqual(status.podIPs, [{ ip: wide[5] }]);
  assert.match(status.hostIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  assert.ok(status.startTime);
  assert.equal(status.qosClass, 'BestEffort');
  assert.deepEqual(
    Object.fromEntries((status.conditions ?? []).map((cond) => [cond.type, cond.status])),
    { PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'True', ContainersReady: 'True', PodScheduled: 'True' },
  );
  const [web] = status.containerStatuses ?? [];
  assert.equal(web?.name, 'web');
  assert.equal(web.ready, true);
  assert.equal(web.started, true);
  assert.equal(web.restartCount, 0);
  assert.ok(web.state?.running?.startedAt);
  assert.equal(web.image, publicImage('busybox:1.36'));
  assert.match(web.imageID, /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
  assert.match(web.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);

  // The container really runs, where the status says, with kubelet's labels.
  const containerId = web.containerID!.slice('containerd://'.length);
  const [container] = await runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.container.name': 'web' } });
  assert.equal(container?.id, containerId);
  assert.equal(container.labels['io.kubernetes.pod.uid'], pod.metadata?.uid);
  const exec = await runtime.execSync(containerId, ['sh', '-c', 'cat /etc/bramble-version; hostname; ip -4 -o addr show eth0 | grep -c "$0"', status.podIP!], 10);
  assert.deepEqual([exec.exitCode, exec.stdout.toString()], [0, '1.36\nweb\n1\n']);
  // An httpd in it answers on its pod IP, from the node (the pod network's bridge).
  const answer = await fetch(`http://${status.podIP}:8080/`, { signal: AbortSignal.timeout(5000) });
  assert.equal(await answer.text(), 'hello from web\n');
  // Its log, in kubelet's layout under the agent's data dir.
  const logFile = join(c.dir, NODE, 'pod-logs', `default_web_${pod.metadata?.uid}`, 'web', '0.log');
  await until(async () => (await readFile(logFile, 'utf8').catch(() => '')).includes(' stdout F hi'), 'hi in the log', 5_000);

  // Kind to SD cards: relists (every second here) write nothing while nothing changes.
  await sleep(3_000);
  assert.equal((await podJson(c.k, 'web')).metadata?.resourceVersion, pod.metadata?.resourceVersion, 'no status writes while nothing changed');

  // A restarted agent adopts the running pod: same sandbox and container.
  const sandboxes = (await runtime.listPodSandbox()).map((p) => p.id);
  await node.restartAgent();
  await sleep(2_000);
  assert.deepEqual((await runtime.listPodSandbox()).map((p) => p.id), sandboxes);
  assert.deepEqual((await runtime.listContainers()).map((ct) => [ct.id, ct.state]), [[containerId, 'CONTAINER_RUNNING']]);
  assert.equal((await podJson(c.k, 'web')).status?.phase, 'Running');

  // ---- A missing image ----
  const missing = await c.k.run(['run', 'missing', '--image=docker.io/library/nope:1', '--restart=Never']);
  assert.equal(missing.code, 0, missing.stderr);
  // ErrImagePull first, ImagePullBackOff from the next sync on (the agent syncs every second here).
  const seen: string[] = [];
  let waiting: { reason?: string; message?: string } | undefined;
  await until(
    async () => {
      waiting = (await podJson(c.k, 'missing')).status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason !== undefined && seen.at(-1) !== waiting.reason) seen.push(waiting.reason);
      if (waiting?.reason === 'ErrImagePull') assert.match(waiting.message ?? '', /^rpc error: code = NotFound desc = .*docker\.io\/library\/nope:1.*not found/);
      return waiting?.reason === 'ImagePullBackOff';
    },
    'pod missing in ImagePullBackOff',
    30_000,
  );
  t.diagnostic(`waiting reasons seen: ${seen.join(' → ')}`);
  assert.match(waiting!.message ?? '', /^Back-off pulling image "docker\.io\/library\/nope:1": ErrImagePull: rpc error: code = NotFound desc = .*not found/);
  t.diagnostic(`ImagePullBackOff: ${waiting!.message}`);
  const get = await c.k.run(['get', 'pod', 'missing', '--no-headers']);
  assert.match(get.stdout, /^missing\s+0\/1\s+ImagePullBackOff\s+0\s/);

  // ---- Deleted: containers and sandboxes stopped and removed ----
  const deleting = performance.now();
  for (const name of ['web', 'missing']) assert.equal((await c.k.run(['delete', 'pod', name, '--wait=false'])).code, 0);
  await until(async () => (await runtime.listPodSandbox()).length === 0 && (await runtime.listContainers()).length === 0, 'no sandboxes and containers left', 30_000);
  t.diagnostic(`kubectl delete → sandboxes gone: ${Math.round(performance.now() - deleting)} ms`);
  // The agent logs the removal once containerd's call returned: a moment after the sandbox is gone from the runtime's list.
  const removed = /msg="pod sandbox removed".*pod=default\/web|pod=default\/web.*msg="pod sandbox removed"/;
  await until(() => removed.test(node.agent.log()), 'the removal logged', 5000);
});

async function podJson(k: Kubectl, name: string): Promise<Pod> {
  const r = await k.run(['get', 'pod', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Pod;
}

// Edge autonomy on a real containerd: a Pi that reboots while its server is
// away runs its pods again from the agent's cache, keeping their restart
// policies (a pod that completed is not run again), and once the server is
// back the server's view wins: a pod deleted meanwhile is removed from the
// node, the others report Running in the API.
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeClient } from '../../agent/cri/runtime-client.js';
import { startServer } from '../helpers/bramble.js';
import type { Kubectl } from '../helpers/kubectl.js';
import { removeEveryPod, startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';

test('a node rebooted while the server is down runs its cached pods, and the server’s view wins once it is back', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c, runtime } = node;
  const image = publicImage('busybox:1.36');
  const short = '--overrides={"apiVersion":"v1","spec":{"terminationGracePeriodSeconds":1}}';
  for (const name of ['keep', 'gone']) {
    const r = await c.k.run(['run', name, `--image=${image}`, '--restart=Always', short, '--', 'sh', '-c', 'sleep 3600']);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal((await c.k.run(['run', 'done', `--image=${image}`, '--restart=Never', '--', 'true'])).code, 0);
  await until(async () => (await phase(c.k, 'keep')) === 'Running' && (await phase(c.k, 'gone')) === 'Running' && (await phase(c.k, 'done')) === 'Succeeded', 'pods running and done', 30_000);
  const keepBefore = (await podJson(c.k, 'keep')).status?.containerStatuses?.[0]?.containerID;

  // The cache holds Secrets: a folder of the agent's own, files only it can read.
  const cacheDir = join(c.dir, NODE, 'cache');
  assert.equal((await stat(cacheDir)).mode & 0o777, 0o700);
  for (const file of await readdir(cacheDir)) assert.equal((await stat(join(cacheDir, file))).mode & 0o777, 0o600, file);

  // A pod deleted while the agent is away (the server up), then the server gone too.
  await node.stopAgent();
  assert.equal((await c.k.run(['delete', 'pod', 'gone', '--force', '--grace-period=0'])).code, 0);
  await c.server.kill();

  // The Pi reboots: nothing left on the runtime.
  await removeEveryPod(runtime);

  // Back with the server still down: what the cache held runs again (it cannot know of the deletion), the completed pod does not.
  const rebooted = performance.now();
  const agent = await node.startAgent({ serverDown: true });
  await until(async () => (await running(runtime)).join() === 'gone,keep', 'cached pods running again', 30_000);
  t.diagnostic(`agent start → cached pods running, server down: ${Math.round(performance.now() - rebooted)} ms`);
  assert.match(agent.log(), /msg="the server is unreachable: running what this node held before"/);
  assert.deepEqual(await runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'done' } }), []);

  // The server is back: its snapshot replaces the cached view.
  const back = performance.now();
  c.server = await startServer(t, c.args);
  await agent.waitForLog(/msg="reconnected to the server"/, 30_000);
  await until(async () => (await running(runtime)).join() === 'keep' && (await runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'gone' } })).length === 0, 'the deleted pod removed from the node', 30_000);
  let keep: Pod | undefined;
  await until(
    async () => {
      keep = await podJson(c.k, 'keep');
      const id = keep.status?.containerStatuses?.[0]?.containerID;
      return keep.status?.phase === 'Running' && id !== undefined && id !== keepBefore;
    },
    'pod keep Running in the API with its new container',
    30_000,
  );
  t.diagnostic(`server start → deleted pod removed, keep reported Running: ${Math.round(performance.now() - back)} ms`);
  const [container] = await runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.name': 'keep' } });
  assert.equal(keep!.status!.containerStatuses![0]!.containerID, `containerd://${container!.id}`);
  assert.equal(container!.state, 'CONTAINER_RUNNING');
  // The completed pod stays completed in the API too.
  assert.equal(await phase(c.k, 'done'), 'Succeeded');
});

/** Names of the pods with a running container, sorted. */
async function running(runtime: RuntimeClient): Promise<string[]> {
  const containers = await runtime.listContainers({ state: 'CONTAINER_RUNNING' });
  return [...new Set(containers.map((ct) => ct.labels['io.kubernetes.pod.name'] ?? ''))].sort();
}

async function phase(k: Kubectl, name: string): Promise<string | undefined> {
  return (await podJson(k, name)).status?.phase;
}

async function podJson(k: Kubectl, name: string): Promise<Pod> {
  const r = await k.run(['get', 'pod', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Pod;
}

// Image pull secrets on a real containerd: a registry that wants a login
// (distribution with htpasswd) serves a pod whose imagePullSecrets hold that
// login; without it, or with a wrong one, the pod waits in ErrImagePull and
// then ImagePullBackOff with the registry's answer. A service account's pull
// secrets serve the pods that run as it. The password never reaches the
// agent's log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event as CoreEvent, Pod } from 'kubernetes-types/core/v1.js';
import { addRegistry } from '../helpers/containerd.js';
import type { Kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { startRegistry } from '../helpers/registry.js';
import { until } from '../helpers/store.js';
import { localImage, pushTestImages } from '../helpers/test-images.js';

const NODE = 'pi-1';
const PASSWORD = 'pw-never-in-a-log-4711';

test('a pod pulls from a registry that wants a login with its imagePullSecrets, and waits in ImagePullBackOff without them', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c } = node;
  const registry = await startRegistry(t, { login: { username: 'pi', password: PASSWORD } });
  await pushTestImages(registry, `pi:${PASSWORD}`);
  await addRegistry(node.containerd, registry);
  const image = localImage(registry, 'busybox:1.37');

  for (const [name, password] of [['regcred', PASSWORD], ['wrongcred', 'not-the-password']] as const) {
    const r = await c.k.run(['create', 'secret', 'docker-registry', name, `--docker-server=${registry}`, '--docker-username=pi', `--docker-password=${password}`]);
    assert.equal(r.code, 0, r.stderr);
  }
  // A service account's pull secrets go to the pods that run as it (the ServiceAccount admission).
  assert.equal((await c.k.run(['create', 'serviceaccount', 'puller'])).code, 0);
  assert.equal((await c.k.run(['patch', 'serviceaccount', 'puller', '-p', '{"imagePullSecrets":[{"name":"regcred"}]}'])).code, 0);
  const withSecret = (secret: string) => `--overrides={"apiVersion":"v1","spec":{"imagePullSecrets":[{"name":"${secret}"}],"terminationGracePeriodSeconds":1}}`;
  // Always: the image is on the node once one pod pulled it, and IfNotPresent would not ask the registry again (as kubelet).
  const pods: [name: string, extra: string[]][] = [
    ['private', [withSecret('regcred'), '--image-pull-policy=Always']],
    ['viaaccount', ['--overrides={"apiVersion":"v1","spec":{"serviceAccountName":"puller","terminationGracePeriodSeconds":1}}', '--image-pull-policy=Always']],
    ['nologin', ['--image-pull-policy=Always']],
    ['wronglogin', [withSecret('wrongcred'), '--image-pull-policy=Always']],
  ];
  for (const [name, extra] of pods) {
    const r = await c.k.run(['run', name, `--image=${image}`, '--restart=Never', ...extra, '--', 'sleep', '3600']);
    assert.equal(r.code, 0, r.stderr);
  }

  for (const name of ['private', 'viaaccount']) await until(async () => (await podJson(c.k, name)).status?.phase === 'Running', `pod ${name} Running`, 30_000);
  assert.deepEqual((await podJson(c.k, 'viaaccount')).spec?.imagePullSecrets, [{ name: 'regcred' }]);
  for (const name of ['nologin', 'wronglogin']) {
    let waiting: { reason?: string; message?: string } | undefined;
    await until(
      async () => {
        waiting = (await podJson(c.k, name)).status?.containerStatuses?.[0]?.state?.waiting;
        return waiting?.reason === 'ImagePullBackOff';
      },
      `pod ${name} in ImagePullBackOff`,
      30_000,
    );
    // containerd's words for the registry's 401.
    assert.match(waiting!.message ?? '', new RegExp(`^Back-off pulling image "${image.replace(/[.]/g, '\\.')}": ErrImagePull: rpc error: code = Unknown desc = .*401 Unauthorized`));
    t.diagnostic(`${name}: ${waiting!.message}`);
  }
  // kubelet's events, recorded by the server from the node's reports.
  const events = await eventsOf(c.k);
  const said = (pod: string) => events.filter((e) => e.involvedObject.name === pod).map((e) => `${e.type} ${e.reason} ${e.message}`);
  const escaped = image.replace(/[.]/g, '\\.');
  assert.ok(said('private').some((e) => e === `Normal Pulling Pulling image "${image}"`), said('private').join('\n'));
  assert.ok(said('private').some((e) => new RegExp(`^Normal Pulled Successfully pulled image "${escaped}" in [\\d.]+m?s \\([\\d.]+m?s including waiting\\)\\. Image size: \\d+ bytes\\.$`).test(e)), said('private').join('\n'));
  for (const expected of [
    new RegExp(`^Warning Failed Failed to pull image "${escaped}": rpc error: code = Unknown desc = .*401 Unauthorized`),
    /^Warning Failed Error: ErrImagePull$/,
    new RegExp(`^Normal BackOff Back-off pulling image "${escaped}"$`),
    /^Warning Failed Error: ImagePullBackOff$/,
  ]) {
    assert.ok(said('nologin').some((e) => expected.test(e)), `${expected} in\n${said('nologin').join('\n')}`);
  }
  const log = node.agent.log();
  assert.doesNotMatch(log, new RegExp(PASSWORD));
  assert.doesNotMatch(log, new RegExp(Buffer.from(`pi:${PASSWORD}`).toString('base64')));

  for (const [name] of pods) assert.equal((await c.k.run(['delete', 'pod', name, '--wait=false'])).code, 0);
});

async function eventsOf(k: Kubectl): Promise<CoreEvent[]> {
  const r = await k.run(['get', 'events', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: CoreEvent[] }).items;
}

async function podJson(k: Kubectl, name: string): Promise<Pod> {
  const r = await k.run(['get', 'pod', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Pod;
}

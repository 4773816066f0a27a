// Images made present as kubelet's image manager does: pull policies, pull
// secrets turned into the runtime's AuthConfig, ErrImagePull then
// ImagePullBackOff with a back-off of 10 s doubling to 5 min, and kubelet's
// events. A fake ImageService stands in for containerd (the e2e tests use a
// real one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GrpcStatus as grpcStatus } from '../../agent/grpc/status.js';
import type { Pod, Secret } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { CriError } from '../../agent/cri/connection.js';
import type { AuthConfig, Image } from '../../agent/cri/types.js';
import type { PullOptions } from '../../agent/cri/image-client.js';
import { goDuration } from '../../agent/pods/back-off.js';
import { ImageError, ImagePuller } from '../../agent/pods/image-puller.js';

interface Recorded {
  type: string;
  reason: string;
  message: string;
  fieldPath?: string;
}

class FakeImages {
  readonly present = new Map<string, Image>();
  readonly pulls: { image: string; auth?: AuthConfig }[] = [];
  /** Answers PullImage: an image ref, or an error to throw. */
  answer: (image: string, auth?: AuthConfig) => string | Error = () => 'sha256:new';
  clock = { now: 0, pullMs: 0 };

  async imageStatus(image: string | { image: string }): Promise<Image | undefined> {
    return this.present.get(typeof image === 'string' ? image : image.image);
  }

  async pullImage(image: string | { image: string }, opts: PullOptions = {}): Promise<string> {
    const name = typeof image === 'string' ? image : image.image;
    this.pulls.push({ image: name, ...(opts.auth !== undefined ? { auth: opts.auth } : {}) });
    this.clock.now += this.clock.pullMs;
    const answer = this.answer(name, opts.auth);
    if (answer instanceof Error) throw answer;
    this.present.set(answer, { id: answer, repoTags: [name], repoDigests: [], size: 4_269_694n, username: '', pinned: false });
    return answer;
  }
}

function setup(secrets: Secret[] = []) {
  const images = new FakeImages();
  const events: Recorded[] = [];
  const puller = new ImagePuller({
    images,
    events: { record: (_pod, type, reason, message, fieldPath) => events.push({ type, reason, message, ...(fieldPath !== undefined ? { fieldPath } : {}) }) },
    secret: (namespace, name) => secrets.find((s) => s.metadata?.namespace === namespace && s.metadata.name === name),
    log: createLogger({ level: 'error' }),
    now: () => images.clock.now,
  });
  return { images, events, puller };
}

function pod(image: string, extra: Partial<NonNullable<Pod['spec']>> = {}, imagePullPolicy?: string): Pod {
  return {
    metadata: { namespace: 'default', name: 'web', uid: 'uid-1' },
    spec: { containers: [{ name: 'app', image, ...(imagePullPolicy !== undefined ? { imagePullPolicy } : {}) }], ...extra },
  };
}

const SANDBOX = { metadata: { name: 'web', namespace: 'default', uid: 'uid-1', attempt: 0 } };
const notFound = (image: string) =>
  new CriError('x', grpcStatus.NOT_FOUND, 'PullImage', 'unix:///c.sock', `failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`);

async function ensure(puller: ImagePuller, p: Pod): Promise<string | ImageError> {
  try {
    return await puller.ensureImage(p, p.spec!.containers[0]!, SANDBOX);
  } catch (err) {
    if (err instanceof ImageError) return err;
    throw err;
  }
}

test('a pull records Pulling and Pulled with kubelet’s words, its time and the image size', async () => {
  const { images, events, puller } = setup();
  images.clock.pullMs = 1594;
  const p = pod('busybox:1.36', {}, 'IfNotPresent');
  assert.equal(await ensure(puller, p), 'sha256:new');
  assert.deepEqual(events, [
    { type: 'Normal', reason: 'Pulling', message: 'Pulling image "busybox:1.36"', fieldPath: 'spec.containers{app}' },
    { type: 'Normal', reason: 'Pulled', message: 'Successfully pulled image "busybox:1.36" in 1.594s (1.594s including waiting). Image size: 4269694 bytes.', fieldPath: 'spec.containers{app}' },
  ]);
  // Present now: IfNotPresent does not pull again.
  events.length = 0;
  images.present.set('busybox:1.36', { id: 'sha256:new', repoTags: [], repoDigests: [], size: 1n, username: '', pinned: false });
  assert.equal(await ensure(puller, p), 'sha256:new');
  assert.equal(images.pulls.length, 1);
  assert.deepEqual(events, [{ type: 'Normal', reason: 'Pulled', message: 'Container image "busybox:1.36" already present on machine', fieldPath: 'spec.containers{app}' }]);
});

test('Never with a missing image waits with ErrImageNeverPull and never pulls', async () => {
  const { images, events, puller } = setup();
  const err = await ensure(puller, pod('app:1', {}, 'Never'));
  assert.ok(err instanceof ImageError);
  assert.deepEqual([err.reason, err.message], ['ErrImageNeverPull', 'Container image "app:1" is not present with pull policy of Never']);
  assert.equal(images.pulls.length, 0);
  assert.deepEqual(events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [
    'Warning ErrImageNeverPull: Container image "app:1" is not present with pull policy of Never',
    'Warning Failed: Error: ErrImageNeverPull',
  ]);
});

test('a failed pull is ErrImagePull with the registry’s message, then ImagePullBackOff for 10 s doubling to 5 min', async () => {
  const { images, events, puller } = setup();
  const image = 'docker.io/library/nope:1';
  images.answer = (name) => notFound(name);
  const p = pod(image);
  const registryMessage = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;

  const first = await ensure(puller, p);
  assert.ok(first instanceof ImageError);
  assert.deepEqual([first.reason, first.message], ['ErrImagePull', registryMessage]);
  assert.deepEqual(events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [
    `Normal Pulling: Pulling image "${image}"`,
    `Warning Failed: Failed to pull image "${image}": ${registryMessage}`,
    'Warning Failed: Error: ErrImagePull',
  ]);

  events.length = 0;
  images.clock.now += 9_999;
  const backingOff = await ensure(puller, p);
  assert.ok(backingOff instanceof ImageError);
  assert.deepEqual([backingOff.reason, backingOff.message], ['ImagePullBackOff', `Back-off pulling image "${image}": ErrImagePull: ${registryMessage}`]);
  assert.deepEqual(events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [`Normal BackOff: Back-off pulling image "${image}"`, 'Warning Failed: Error: ImagePullBackOff']);
  assert.equal(images.pulls.length, 1);

  // Each failure doubles the wait: stepping a second at a time, pulls happen 10, 20, 40, 80, 160, 300, 300 s apart.
  images.clock.now = 0;
  const pullTimes = [0];
  while (pullTimes.length < 8) {
    images.clock.now += 1000;
    const pulls = images.pulls.length;
    await ensure(puller, p);
    if (images.pulls.length > pulls) pullTimes.push(images.clock.now);
  }
  assert.deepEqual(pullTimes.slice(1).map((at, i) => at - pullTimes[i]!), [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
});

test('the back-off is per pod and image: another pod pulls the same image at once', async () => {
  const { images, puller } = setup();
  images.answer = (name) => notFound(name);
  assert.equal((await ensure(puller, pod('nope:1')) as ImageError).reason, 'ErrImagePull');
  const other = { ...pod('nope:1'), metadata: { namespace: 'default', name: 'web', uid: 'uid-2' } };
  assert.equal((await ensure(puller, other) as ImageError).reason, 'ErrImagePull');
  assert.equal(images.pulls.length, 2);
});

test('pull secrets give the runtime an AuthConfig for the image’s registry only, tried in turn', async () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secret = (name: string, auths: Record<string, unknown>): Secret => ({
    metadata: { namespace: 'default', name },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
  });
  const { images, events, puller } = setup([
    secret('stale', { '127.0.0.1:5000/team': { auth: b64('old:wrong') } }),
    secret('good', { '127.0.0.1:5000': { username: 'me', password: 'right' } }),
    secret('elsewhere', { 'ghcr.io': { username: 'x', password: 'y' } }),
  ]);
  images.answer = (name, auth) => (auth?.password === 'right' ? 'sha256:private' : new CriError('x', grpcStatus.UNKNOWN, 'PullImage', 'e', `pulling ${name}: 401 Unauthorized`));
  const p = pod('127.0.0.1:5000/team/app:1', { imagePullSecrets: [{ name: 'stale' }, { name: 'good' }, { name: 'elsewhere' }, { name: 'gone' }] });
  assert.equal(await ensure(puller, p), 'sha256:private');
  assert.deepEqual(images.pulls.map((x) => x.auth), [{ username: 'old', password: 'wrong' }, { username: 'me', password: 'right' }]);
  assert.deepEqual(events[0], {
    type: 'Warning',
    reason: 'FailedToRetrieveImagePullSecret',
    message: 'Unable to retrieve some image pull secrets (gone); attempting to pull the image may not succeed.',
  });

  // An image elsewhere gets no credentials at all.
  images.pulls.length = 0;
  images.answer = () => 'sha256:public';
  assert.equal(await ensure(puller, pod('docker.io/library/busybox:1.36', { imagePullSecrets: [{ name: 'good' }] })), 'sha256:public');
  assert.deepEqual(images.pulls, [{ image: 'docker.io/library/busybox:1.36' }]);

  // Every credential failing: kubelet's aggregate of their errors.
  images.answer = (name) => new CriError('x', grpcStatus.UNKNOWN, 'PullImage', 'e', `pulling ${name}: 401 Unauthorized`);
  const failed = (await ensure(puller, pod('127.0.0.1:5000/team/app:2', { imagePullSecrets: [{ name: 'stale' }, { name: 'good' }] }))) as ImageError;
  assert.equal(failed.message, '[rpc error: code = Unknown desc = pulling 127.0.0.1:5000/team/app:2: 401 Unauthorized, rpc error: code = Unknown desc = pulling 127.0.0.1:5000/team/app:2: 401 Unauthorized]');
});

test('durations read as Go prints them', () => {
  assert.deepEqual([0, 313, 1000, 1594, 7264, 65_200, 3_600_000].map(goDuration), ['0s', '313ms', '1s', '1.594s', '7.264s', '1m5.2s', '1h0m0s']);
});

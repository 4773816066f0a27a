// The agent's volumes without a runtime: kubelet's atomic writer layout and
// its in-place updates (a reader never sees a mix), configMap/secret items
// and modes, downward API values, hostPath type checks and their errors,
// each container's CRI mounts, and the refresh of projected tokens.
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import type { NodeObjects } from '../../common/agent-protocol.js';
import { DesiredState } from '../../agent/desired/desired-state.js';
import { writePayload } from '../../agent/volumes/atomic-writer.js';
import type { NodeApi } from '../../agent/volumes/node-api.js';
import { PodTokens } from '../../agent/volumes/pod-tokens.js';
import { prepareHostPath } from '../../agent/volumes/host-path.js';
import { configMapPayload, downwardApiPayload, type ProjectionSources, secretPayload } from '../../agent/volumes/projections.js';
import { VolumeManager } from '../../agent/volumes/volume-manager.js';
import { tempDir } from '../helpers/temp.js';

const quiet = createLogger({ level: 'error' });
const file = (text: string, mode = 0o644) => ({ data: Buffer.from(text), mode });

const pod: Pod = {
  metadata: { name: 'web', namespace: 'default', uid: '0b0e7e57-0000-4000-8000-000000000001', labels: { app: 'web', tier: 'front "end"' }, annotations: { note: 'a\nb' } },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } } }] },
};

const sources = (objects: { configMaps?: Record<string, unknown>; secrets?: Record<string, unknown> }): ProjectionSources => ({
  configMap: (_ns, name) => objects.configMaps?.[name] as never,
  secret: (_ns, name) => objects.secrets?.[name] as never,
  allocatable: { cpu: '4', memory: '8Gi' },
});

test('the atomic writer lays files out as kubelet does: ..data to a timestamped folder, one symlink per name', async (t) => {
  const dir = await tempDir(t);
  assert.equal(await writePayload(dir, new Map([['app.conf', file('x=1')], ['nested/inner.txt', file('in', 0o600)]])), true);
  const entries = (await readdir(dir)).sort();
  assert.equal(entries.length, 4, entries.join(' '));
  const generation = entries.find((e) => /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/.test(e));
  assert.ok(generation, `a timestamped folder among ${entries.join(' ')}`);
  assert.equal(await readlink(join(dir, '..data')), generation);
  assert.equal(await readlink(join(dir, 'app.conf')), '..data/app.conf');
  assert.equal(await readlink(join(dir, 'nested')), '..data/nested');
  assert.equal(await readFile(join(dir, 'nested/inner.txt'), 'utf8'), 'in');
  assert.equal((await stat(join(dir, 'nested/inner.txt'))).mode & 0o777, 0o600);
  assert.equal((await stat(join(dir, 'app.conf'))).mode & 0o777, 0o644);
  // The same payload again writes nothing.
  assert.equal(await writePayload(dir, new Map([['app.conf', file('x=1')], ['nested/inner.txt', file('in', 0o600)]])), false);
  assert.equal(await readlink(join(dir, '..data')), generation);
});

test('an update in place swaps the whole set at once, drops removed names and never shows a mix', async (t) => {
  const dir = await tempDir(t);
  await writePayload(dir, new Map([['a', file('a1')], ['b', file('b1')], ['old', file('gone soon')]]));
  // A reader that keeps reading both files through ..data while updates happen sees pairs from one generation only.
  let stop = false;
  const seen = new Set<string>();
  const reader = (async () => {
    while (!stop) {
      try {
        const data = await readlink(join(dir, '..data'));
        const pair = `${await readFile(join(dir, data, 'a'), 'utf8')}/${await readFile(join(dir, data, 'b'), 'utf8')}`;
        seen.add(pair);
      } catch (err) {
        // The generation read was removed between readlink and readFile: a reader retries, as it would.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  })();
  for (let i = 2; i <= 30; i++) await writePayload(dir, new Map([['a', file(`a${i}`)], ['b', file(`b${i}`)]]));
  stop = true;
  await reader;
  for (const pair of seen) {
    const [a, b] = pair.split('/');
    assert.equal(a!.slice(1), b!.slice(1), `a mixed pair: ${pair}`);
  }
  assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'a30');
  assert.deepEqual((await readdir(dir)).filter((e) => !e.startsWith('..')).sort(), ['a', 'b']);
  assert.equal((await readdir(dir)).filter((e) => e.startsWith('..') && e !== '..data').length, 1, 'old generations are removed');
});

test('the atomic writer refuses paths that would leave the volume', async (t) => {
  const dir = await tempDir(t);
  for (const bad of ['../x', '/etc/passwd', 'a/../../x', '..hidden', '']) {
    await assert.rejects(writePayload(dir, new Map([[bad, file('x')]])), /invalid path/, bad);
  }
  assert.deepEqual(await readdir(dir), [], 'nothing written');
});

test('configMap and secret volumes: all keys or the items asked for, with their modes; missing keys and objects as kubelet words them', () => {
  const cm = { data: { 'app.conf': 'x=1', other: 'o' }, binaryData: { 'logo.bin': Buffer.from([1, 2]).toString('base64') } };
  const from = sources({ configMaps: { settings: cm }, secrets: { tls: { data: { 'tls.key': Buffer.from('KEY').toString('base64') } } } });
  const all = configMapPayload(pod, { name: 'settings' }, 0o644, from);
  assert.deepEqual([...all.keys()].sort(), ['app.conf', 'logo.bin', 'other']);
  assert.deepEqual(all.get('logo.bin')!.data, Buffer.from([1, 2]));
  const items = configMapPayload(pod, { name: 'settings', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }, { key: 'other', path: 'o' }] }, 0o640, from);
  assert.deepEqual([...items].map(([p, f]) => [p, f.data.toString(), f.mode]), [
    ['conf/app.conf', 'x=1', 0o600],
    ['o', 'o', 0o640],
  ]);
  assert.throws(() => configMapPayload(pod, { name: 'settings', items: [{ key: 'nope', path: 'n' }] }, 0o644, from), /configmap references non-existent config key: nope/);
  assert.equal(configMapPayload(pod, { name: 'settings', items: [{ key: 'nope', path: 'n' }], optional: true }, 0o644, from).size, 0);
  assert.throws(() => configMapPayload(pod, { name: 'missing' }, 0o644, from), /configmap "missing" not found/);
  assert.equal(configMapPayload(pod, { name: 'missing', optional: true }, 0o644, from).size, 0);
  const secret = secretPayload(pod, { secretName: 'tls' }, 0o400, from);
  assert.equal(secret.get('tls.key')!.data.toString(), 'KEY');
  assert.equal(secret.get('tls.key')!.mode, 0o400);
  assert.throws(() => secretPayload(pod, { secretName: 'tls', items: [{ key: 'tls.crt', path: 'c' }] }, 0o644, from), /references non-existent secret key: tls.crt/);
  assert.throws(() => secretPayload(pod, { secretName: 'nope' }, 0o644, from), /secret "nope" not found/);
});

test('downwardAPI files: labels and annotations as sorted quoted lines, name, uid, and resources over their divisor', () => {
  const payload = downwardApiPayload(
    pod,
    [
      { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
      { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
      { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } },
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' }, mode: 0o600 },
      { path: 'uid', fieldRef: { fieldPath: 'metadata.uid' } },
      { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
      { path: 'cpu-req', resourceFieldRef: { containerName: 'c', resource: 'requests.cpu', divisor: '1m' } },
      { path: 'cpu-limit', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' } },
    ],
    0o644,
    sources({}),
  );
  const text = (path: string) => payload.get(path)!.data.toString();
  assert.equal(text('labels'), 'app="web"\ntier="front \\"end\\""');
  assert.equal(text('annotations'), 'note="a\\nb"');
  assert.equal(text('app'), 'web');
  assert.equal(text('name'), 'web');
  assert.equal(payload.get('name')!.mode, 0o600);
  assert.equal(text('uid'), pod.metadata!.uid);
  assert.equal(text('mem'), '64');
  assert.equal(text('cpu-req'), '250');
  assert.equal(text('cpu-limit'), '4', 'no limit: the node allocatable');
});

test('hostPath types are checked, and created for the …OrCreate types, with kubelet’s errors', async (t) => {
  const dir = await tempDir(t);
  await prepareHostPath(join(dir, 'made/deep'), 'DirectoryOrCreate');
  assert.ok((await stat(join(dir, 'made/deep'))).isDirectory());
  await prepareHostPath(join(dir, 'made/file.txt'), 'FileOrCreate');
  assert.ok((await stat(join(dir, 'made/file.txt'))).isFile());
  await prepareHostPath(join(dir, 'anything'), '');
  await assert.rejects(prepareHostPath(join(dir, 'absent'), 'Directory'), { message: `hostPath type check failed: ${join(dir, 'absent')} is not a directory` });
  await assert.rejects(prepareHostPath(join(dir, 'made/file.txt'), 'Directory'), { message: `hostPath type check failed: ${join(dir, 'made/file.txt')} is not a directory` });
  await assert.rejects(prepareHostPath(join(dir, 'made'), 'File'), { message: `hostPath type check failed: ${join(dir, 'made')} is not a file` });
  await assert.rejects(prepareHostPath(join(dir, 'made/file.txt'), 'DirectoryOrCreate'), /is not a directory/);
  await assert.rejects(prepareHostPath(join(dir, 'made'), 'Socket'), /is not a socket file/);
  await assert.rejects(prepareHostPath('/dev/null', 'BlockDevice'), { message: 'hostPath type check failed: /dev/null is not a block device' });
  await prepareHostPath('/dev/null', 'CharDevice');
  const socket = join(dir, 's.sock');
  const server = createServer().listen(socket);
  t.after(() => server.close());
  await new Promise((resolve) => server.once('listening', resolve));
  await prepareHostPath(socket, 'Socket');
  await assert.rejects(prepareHostPath(dir, 'Nonsense'), /invalid HostPathType/);
});

test('the volume manager sets up emptyDir, configMap and downwardAPI volumes and gives each container its mounts', async (t) => {
  const dir = await tempDir(t);
  const desired = new DesiredState({ log: quiet });
  const message = (objects: { resource: 'pods' | 'configmaps' | 'secrets'; object: { metadata: Record<string, unknown> } & Record<string, unknown> }[]): NodeObjects => ({
    upserted: objects.map(({ resource, object }) => ({
      key: { resource, namespace: 'default', name: String(object.metadata['name']) },
      resourceVersion: String(object.metadata['resourceVersion'] ?? '1'),
      json: Buffer.from(JSON.stringify(object)),
    })),
    removed: [],
    synced: true,
  });
  const withVolumes: Pod = {
    ...pod,
    spec: {
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'config', configMap: { name: 'settings', defaultMode: 0o640 } },
        { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
      ],
      containers: [
        {
          name: 'c',
          image: 'busybox',
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'scratch', mountPath: '/sub', subPath: 'part/one', readOnly: true },
            { name: 'config', mountPath: '/etc/app', mountPropagation: 'HostToContainer' },
          ],
        },
      ],
    },
  };
  desired.beginSnapshot();
  desired.apply(message([{ resource: 'configmaps', object: { metadata: { name: 'settings', namespace: 'default', resourceVersion: '5' }, data: { key: 'v1' } } }]));
  // downwardAPI volumes go on a tmpfs: only where mounting works (root); the rest is checked everywhere.
  const canMount = process.getuid?.() === 0;
  const volumes = new VolumeManager({ dir, desired, log: quiet });
  const spec = canMount ? withVolumes : { ...withVolumes, spec: { ...withVolumes.spec, volumes: withVolumes.spec!.volumes!.slice(0, 2) } };
  t.after(() => volumes.tearDown(pod.metadata!.uid!));
  await volumes.setUp(spec as Pod);
  const set = { mountsFor: (container: Container) => volumes.mountsFor(spec as Pod, container) };
  const podDir = join(dir, 'pods', pod.metadata!.uid!, 'volumes');
  const mounts = await set.mountsFor(withVolumes.spec!.containers[0]!);
  assert.deepEqual(mounts, [
    { containerPath: '/scratch', hostPath: join(podDir, 'kubernetes.io~empty-dir/scratch'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
    { containerPath: '/sub', hostPath: join(podDir, 'kubernetes.io~empty-dir/scratch/part/one'), readonly: true, propagation: 'PROPAGATION_PRIVATE' },
    { containerPath: '/etc/app', hostPath: join(podDir, 'kubernetes.io~configmap/config'), readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
  ]);
  assert.equal((await stat(join(podDir, 'kubernetes.io~empty-dir/scratch'))).mode & 0o777, 0o777);
  assert.equal(await readFile(join(podDir, 'kubernetes.io~configmap/config/key'), 'utf8'), 'v1');
  assert.equal((await stat(join(podDir, 'kubernetes.io~configmap/config/key'))).mode & 0o777, 0o640);
  if (canMount) assert.equal(await readFile(join(podDir, 'kubernetes.io~downward-api/info/name'), 'utf8'), 'web');
  // A changed ConfigMap: the pod is named for a reconcile, and the next set-up writes it in place.
  desired.apply({ ...message([{ resource: 'configmaps', object: { metadata: { name: 'settings', namespace: 'default', resourceVersion: '6' }, data: { key: 'v2' } } }]), synced: false });
  desired.apply(message([{ resource: 'pods', object: withVolumes as never }]));
  assert.deepEqual(volumes.podsUsing(['configmaps/default/settings']), ['pods/default/web']);
  assert.deepEqual(volumes.podsUsing(['configmaps/other/settings', 'secrets/default/settings']), []);
  await volumes.setUp(spec as Pod);
  assert.equal(await readFile(join(podDir, 'kubernetes.io~configmap/config/key'), 'utf8'), 'v2');
  // A subPath may not lead out of its volume, even through a symlink.
  await mkdir(join(podDir, 'kubernetes.io~empty-dir/scratch/x'), { recursive: true });
  await writeFile(join(dir, 'outside'), 'secret');
  const { symlink } = await import('node:fs/promises');
  await symlink(join(dir, 'outside'), join(podDir, 'kubernetes.io~empty-dir/scratch/escape'));
  await assert.rejects(set.mountsFor({ name: 'c', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: 'escape' }] }), /leads outside of volume "scratch"/);
  await assert.rejects(set.mountsFor({ name: 'c', volumeMounts: [{ name: 'scratch', mountPath: '/x', subPath: '../../x' }] }), /invalid subPath/);
  // Teardown removes everything of the pod.
  await volumes.tearDown(pod.metadata!.uid!);
  await assert.rejects(lstat(join(dir, 'pods', pod.metadata!.uid!)), { code: 'ENOENT' });
});

test('a volume that fails holds the pod with kubelet’s FailedMount message', async (t) => {
  const dir = await tempDir(t);
  const desired = new DesiredState({ log: quiet });
  const volumes = new VolumeManager({ dir, desired, log: quiet });
  await assert.rejects(volumes.setUp({ ...pod, spec: { containers: [], volumes: [{ name: 'host', hostPath: { path: join(dir, 'nope'), type: 'Directory' } }] } }), {
    message: `MountVolume.SetUp failed for volume "host" : hostPath type check failed: ${join(dir, 'nope')} is not a directory`,
  });
  await assert.rejects(volumes.setUp({ ...pod, spec: { containers: [], volumes: [{ name: 'cfg', configMap: { name: 'absent' } }] } }), {
    message: 'MountVolume.SetUp failed for volume "cfg" : configmap "absent" not found',
  });
});

test('projected tokens are bound to the pod, kept until 80 % of their lifetime, then asked again; a failed refresh keeps a valid one', async () => {
  let now = Date.parse('2026-11-22T10:00:00Z');
  const asked: { path: string; body: unknown }[] = [];
  let fail = false;
  const api = {
    post: async (path: string, body: unknown) => {
      asked.push({ path, body });
      if (fail) throw new Error('server away');
      return { status: { token: `token-${asked.length}`, expirationTimestamp: new Date(now + 3600_000).toISOString() } };
    },
  } as unknown as NodeApi;
  const tokens = new PodTokens(api, () => now);
  const projection = { path: 'token', audience: 'vault', expirationSeconds: 3600 };
  const withAccount: Pod = { ...pod, spec: { ...pod.spec!, serviceAccountName: 'builder' } };
  assert.equal(await tokens.token(withAccount, projection), 'token-1');
  assert.deepEqual(asked[0], {
    path: '/api/v1/namespaces/default/serviceaccounts/builder/token',
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: ['vault'], expirationSeconds: 3600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: pod.metadata!.uid } },
    },
  });
  now += 0.79 * 3600_000;
  assert.equal(await tokens.token(withAccount, projection), 'token-1', 'before 80 %: the same token');
  assert.equal(asked.length, 1);
  now += 0.02 * 3600_000;
  assert.equal(await tokens.token(withAccount, projection), 'token-2', 'after 80 %: a new one');
  now += 0.9 * 3600_000;
  fail = true;
  assert.equal(await tokens.token(withAccount, projection), 'token-2', 'the server away: the old one while it is valid');
  now += 0.2 * 3600_000;
  await assert.rejects(tokens.token(withAccount, projection), /failed to fetch token: server away/);
});

test('a projected volume already written is kept as it is while the server is out of reach; a new one waits for it', { skip: process.getuid?.() !== 0 && 'mounting a tmpfs needs root' }, async (t) => {
  const dir = await tempDir(t);
  const desired = new DesiredState({ log: quiet });
  let reachable = true;
  const api = {
    post: async () => {
      if (!reachable) throw new Error('connect ECONNREFUSED');
      return { status: { token: 'first-token', expirationTimestamp: new Date(Date.now() + 600_000).toISOString() } };
    },
  } as unknown as NodeApi;
  let clock = Date.now();
  const volumes = new VolumeManager({ dir, desired, tokens: new PodTokens(api, () => clock), log: quiet });
  const withToken: Pod = { ...pod, spec: { containers: [], volumes: [{ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 600 } }] } }] } };
  t.after(() => volumes.tearDown(pod.metadata!.uid!));
  reachable = false;
  await assert.rejects(volumes.setUp(withToken), /MountVolume.SetUp failed for volume "token" : failed to fetch token: connect ECONNREFUSED/);
  reachable = true;
  await volumes.setUp(withToken);
  const file = join(dir, 'pods', pod.metadata!.uid!, 'volumes', 'kubernetes.io~projected', 'token', 'token');
  assert.equal(await readFile(file, 'utf8'), 'first-token');
  // Past its lifetime, with the server away: the agent (restarted, say) keeps the volume and the pod runs on.
  reachable = false;
  clock += 700_000;
  await volumes.setUp(withToken);
  assert.equal(await readFile(file, 'utf8'), 'first-token');
});

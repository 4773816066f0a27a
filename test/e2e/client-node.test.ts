// The essentials with the real @kubernetes/client-node (2.x) against a real
// `bramble server`: typed and dynamic CRUD, the three patch types, error
// mapping, a raw Watch, and an informer through a forced relist.
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1ConfigMap,
  type V1Deployment,
  type V1Status,
} from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { tempDir } from '../helpers/temp.js';

const NS = 'default';
const CM_PATH = `/api/v1/namespaces/${NS}/configmaps`;

/** Values pushed by callbacks, taken in arrival order by the test. */
class Queue<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.waiter?.();
  }

  async take(what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.items.shift()!;
  }

  /** Waits `ms` and returns whatever arrived (to check that nothing unexpected did). */
  async drain(ms: number): Promise<T[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.items.splice(0);
  }
}

async function cluster(t: TestContext): Promise<KubeConfig> {
  const dataDir = join(await tempDir(t), 'data');
  await startServer(t, serverArgs(dataDir));
  const kc = new KubeConfig();
  kc.loadFromFile(join(dataDir, 'kubeconfig.yaml'));
  return kc;
}

/**
 * `promise`, or a failure after `ms`. Watch.watch() and informer.start()
 * resolve once the watch's response headers arrive, which a server must send
 * at once, not with the first event (kube-apiserver flushes them).
 */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms (no response headers for an idle watch?)`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The rejection of `promise`, which must be an ApiException. */
async function apiError(promise: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to reject');
}

/** client-node 2.x hands the error body over as the raw response text. */
function statusOf(err: ApiException<unknown>): V1Status {
  return (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as V1Status;
}

const configMap = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS, labels },
  data,
});

test('client-node: namespaces, ConfigMap CRUD with every patch type, errors', async (t) => {
  const kc = await cluster(t);
  const core = kc.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);

  const namespaces = await core.listNamespace();
  assert.equal(namespaces.kind, 'NamespaceList');
  const names = namespaces.items.map((n) => n.metadata?.name);
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(names.includes(ns), `${ns} in ${names.join(', ')}`);
  assert.equal(namespaces.items.find((n) => n.metadata?.name === 'default')?.status?.phase, 'Active');
  assert.match(namespaces.metadata?.resourceVersion ?? '', /^\d+$/);

  // Typed API.
  const created = await core.createNamespacedConfigMap({ namespace: NS, body: configMap('web', { greeting: 'hello' }, { app: 'demo' }) });
  assert.equal(created.metadata?.name, 'web');
  assert.equal(created.metadata?.namespace, NS);
  assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
  assert.match(created.metadata?.resourceVersion ?? '', /^\d+$/);
  assert.ok(created.metadata?.creationTimestamp instanceof Date, 'creationTimestamp deserialises to a Date');
  assert.deepEqual(created.data, { greeting: 'hello' });

  const read = await core.readNamespacedConfigMap({ name: 'web', namespace: NS });
  assert.equal(read.metadata?.uid, created.metadata?.uid);
  assert.equal(read.metadata?.resourceVersion, created.metadata?.resourceVersion);

  read.data = { greeting: 'bonjour' };
  const replaced = await core.replaceNamespacedConfigMap({ name: 'web', namespace: NS, body: read });
  assert.deepEqual(replaced.data, { greeting: 'bonjour' });
  assert.notEqual(replaced.metadata?.resourceVersion, created.metadata?.resourceVersion);

  // A replace carrying a stale resourceVersion conflicts.
  const stale = await apiError(core.replaceNamespacedConfigMap({ name: 'web', namespace: NS, body: { ...read, metadata: { ...read.metadata, resourceVersion: created.metadata!.resourceVersion! } } }));
  assert.equal(stale.code, 409);
  assert.equal(statusOf(stale).reason, 'Conflict');

  // JSON merge patch: the Content-Type set explicitly; null deletes a key.
  const merged = await core.patchNamespacedConfigMap(
    { name: 'web', namespace: NS, body: { data: { extra: '1', greeting: null }, metadata: { labels: { tier: 'front' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  assert.deepEqual(merged.data, { extra: '1' });
  assert.deepEqual(merged.metadata?.labels, { app: 'demo', tier: 'front' });

  // The generated patch methods default to a JSON patch (their first declared Content-Type).
  const jsonPatched = await core.patchNamespacedConfigMap({
    name: 'web',
    namespace: NS,
    body: [
      { op: 'add', path: '/data/greeting', value: 'hola' },
      { op: 'remove', path: '/data/extra' },
    ],
  });
  assert.deepEqual(jsonPatched.data, { greeting: 'hola' });

  // Dynamic API: discovery maps kind → resource; patch defaults to a strategic merge.
  const viaObjects = await objects.read<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: NS } });
  assert.deepEqual(viaObjects.data, { greeting: 'hola' });
  const strategic = await objects.patch<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web', namespace: NS, annotations: { note: 'hi' } }, data: { more: '2' } });
  assert.deepEqual(strategic.data, { greeting: 'hola', more: '2' });
  assert.equal(strategic.metadata?.annotations?.['note'], 'hi');
  const other = await objects.create<V1ConfigMap>(configMap('other', { a: 'b' }));
  assert.equal(other.metadata?.name, 'other');
  other.data = { a: 'c' };
  assert.deepEqual((await objects.replace<V1ConfigMap>(other)).data, { a: 'c' });
  const listed = await objects.list<V1ConfigMap>('v1', 'ConfigMap', NS, undefined, undefined, undefined, undefined, 'app=demo');
  assert.deepEqual(
    listed.items.map((i) => i.metadata?.name),
    ['web'],
  );
  const gone = await objects.delete(other);
  assert.equal(gone.kind, 'Status');
  assert.equal(gone.status, 'Success');
  assert.equal(gone.details?.name, 'other');

  // Errors: the HTTP code and the Status body.
  const missing = await apiError(core.readNamespacedConfigMap({ name: 'nope', namespace: NS }));
  assert.equal(missing.code, 404);
  const status = statusOf(missing);
  assert.equal(status.kind, 'Status');
  assert.equal(status.apiVersion, 'v1');
  assert.equal(status.status, 'Failure');
  assert.equal(status.reason, 'NotFound');
  assert.equal(status.code, 404);
  assert.equal(status.message, 'configmaps "nope" not found');
  assert.deepEqual(status.details, { name: 'nope', kind: 'configmaps' });

  const missingObject = await apiError(objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nope', namespace: NS } }));
  assert.equal(missingObject.code, 404);

  const duplicate = await apiError(core.createNamespacedConfigMap({ namespace: NS, body: configMap('web', {}) }));
  assert.equal(duplicate.code, 409);
  assert.equal(statusOf(duplicate).reason, 'AlreadyExists');

  const invalid = await apiError(core.createNamespacedConfigMap({ namespace: NS, body: configMap('Not_A_Name', {}) }));
  assert.equal(invalid.code, 422);
  assert.equal(statusOf(invalid).reason, 'Invalid');

  const noNamespace = await apiError(core.createNamespacedConfigMap({ namespace: 'nowhere', body: { ...configMap('web', {}), metadata: { name: 'web' } } }));
  assert.equal(noNamespace.code, 404);

  const deleted = await core.deleteNamespacedConfigMap({ name: 'web', namespace: NS });
  assert.equal(deleted.status, 'Success');
  assert.equal((await apiError(core.readNamespacedConfigMap({ name: 'web', namespace: NS }))).code, 404);
});

test('client-node: Deployment create/read/replace/patch/delete', async (t) => {
  const kc = await cluster(t);
  const apps = kc.makeApiClient(AppsV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS, labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] },
            { name: 'sidecar', image: 'busybox:1.36', command: ['sleep', 'infinity'] },
          ],
        },
      },
    },
  };

  const created = await apps.createNamespacedDeployment({ namespace: NS, body: deployment });
  assert.equal(created.kind, 'Deployment');
  assert.equal(created.apiVersion, 'apps/v1');
  assert.equal(created.metadata?.generation, 1);
  assert.equal(created.spec?.replicas, 1);
  assert.deepEqual(created.spec?.selector.matchLabels, { app: 'web' });

  const read = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
  assert.equal(read.metadata?.uid, created.metadata?.uid);
  assert.deepEqual(
    read.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`),
    ['web=nginx:1.25', 'sidecar=busybox:1.36'],
  );

  // The deployment controller writes the status meanwhile, so a replace from
  // a read before that write conflicts: re-read and replace again, as
  // client-go's RetryOnConflict does.
  let replaced: V1Deployment | undefined;
  for (let current = read, attempt = 1; replaced === undefined; attempt++) {
    current.spec!.replicas = 3;
    try {
      replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: current });
    } catch (err) {
      if (!(err instanceof ApiException) || err.code !== 409 || attempt === 5) throw err;
      current = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    }
  }
  assert.equal(replaced.spec?.replicas, 3);
  assert.equal(replaced.metadata?.generation, 2);

  // Strategic merge (KubernetesObjectApi's default): containers merge by name,
  // so the sidecar stays and only web's image changes.
  const patched = await objects.patch<V1Deployment>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS },
    spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
  } as V1Deployment);
  assert.deepEqual(
    patched.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`),
    ['web=nginx:1.27', 'sidecar=busybox:1.36'],
  );
  assert.equal(patched.metadata?.generation, 3);

  // A merge patch with the same shape replaces the whole list.
  const merged = await apps.patchNamespacedDeployment(
    { name: 'web', namespace: NS, body: { spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  assert.equal(merged.spec?.replicas, 2);
  assert.deepEqual(
    merged.spec?.template.spec?.containers.map((c) => c.name),
    ['web'],
  );

  const list = await apps.listNamespacedDeployment({ namespace: NS });
  assert.equal(list.kind, 'DeploymentList');
  assert.deepEqual(
    list.items.map((d) => d.metadata?.name),
    ['web'],
  );

  const missing = await apiError(apps.readNamespacedDeployment({ name: 'nope', namespace: NS }));
  assert.equal(missing.code, 404);
  assert.equal(statusOf(missing).message, 'deployments.apps "nope" not found');

  await apps.deleteNamespacedDeployment({ name: 'web', namespace: NS });
  assert.equal((await apiError(apps.readNamespacedDeployment({ name: 'web', namespace: NS }))).code, 404);
});

interface WatchEvent {
  type: string;
  name: string;
  rv: string;
  data: Record<string, string> | undefined;
}

test('client-node: Watch sees ADDED, MODIFIED, DELETED in order', async (t) => {
  const kc = await cluster(t);
  const core = kc.makeApiClient(CoreV1Api);
  const start = await core.listNamespacedConfigMap({ namespace: NS });

  const events = new Queue<WatchEvent>();
  const done = new Queue<unknown>();
  const watching = new Watch(kc).watch(
    CM_PATH,
    { resourceVersion: start.metadata?.resourceVersion },
    (type, obj: V1ConfigMap) => events.push({ type, name: obj.metadata?.name ?? '', rv: obj.metadata?.resourceVersion ?? '', data: obj.data }),
    (err) => done.push(err),
  );
  t.after(async () => (await watching).abort());
  await within(watching, 5_000, 'Watch.watch() on an idle collection');

  const created = await core.createNamespacedConfigMap({ namespace: NS, body: configMap('watched', { v: '1' }) });
  const replaced = await core.replaceNamespacedConfigMap({ name: 'watched', namespace: NS, body: { ...created, data: { v: '2' } } });
  await core.deleteNamespacedConfigMap({ name: 'watched', namespace: NS });

  const added = await events.take('ADDED');
  assert.deepEqual(added, { type: 'ADDED', name: 'watched', rv: created.metadata?.resourceVersion, data: { v: '1' } });
  const modified = await events.take('MODIFIED');
  assert.deepEqual(modified, { type: 'MODIFIED', name: 'watched', rv: replaced.metadata?.resourceVersion, data: { v: '2' } });
  const deleted = await events.take('DELETED');
  assert.equal(deleted.type, 'DELETED');
  assert.equal(deleted.name, 'watched');
  assert.ok(Number(deleted.rv) > Number(modified.rv), `DELETED at ${deleted.rv}, after ${modified.rv}`);
  assert.deepEqual(await events.drain(200), []);
  assert.deepEqual(await done.drain(0), [], 'the watch is still open');

  // Watching from the DELETED event's revision replays nothing.
  const after = new Queue<WatchEvent>();
  const second = new Watch(kc).watch(
    CM_PATH,
    { resourceVersion: deleted.rv },
    (type, obj: V1ConfigMap) => after.push({ type, name: obj.metadata?.name ?? '', rv: obj.metadata?.resourceVersion ?? '', data: obj.data }),
    () => {},
  );
  t.after(async () => (await second).abort());
  await within(second, 5_000, 'a second Watch.watch()');
  await core.createNamespacedConfigMap({ namespace: NS, body: configMap('later', {}) });
  assert.deepEqual(
    [await after.take('ADDED later')].map((e) => `${e.type} ${e.name}`),
    ['ADDED later'],
  );

  // A server-side timeout ends the stream cleanly: done(null).
  const timed = new Queue<unknown>();
  const third = new Watch(kc).watch(CM_PATH, { resourceVersion: deleted.rv, timeoutSeconds: 1 }, () => {}, (err) => timed.push(err));
  t.after(async () => (await third).abort());
  assert.equal(await timed.take('the end of a 1 s watch', 5_000), null);
});

test('client-node: informer lists, follows add/update/delete, and survives a forced relist', async (t) => {
  const kc = await cluster(t);
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: NS, body: configMap('inf-pre', { v: '0' }) });

  const informer = makeInformer<V1ConfigMap>(kc, CM_PATH, () => core.listNamespacedConfigMap({ namespace: NS }));
  const events = new Queue<string>();
  const errorList: unknown[] = [];
  // A function, so that assert.deepEqual(errors(), []) narrows nothing.
  const errors = () => errorList.splice(0);
  let connects = 0;
  // Other ConfigMaps the server may keep in default (kube-root-ca.crt) are not this test's.
  const record = (verb: string) => (obj: V1ConfigMap) => {
    const name = obj.metadata?.name ?? '';
    if (name.startsWith('inf-')) events.push(`${verb} ${name} ${JSON.stringify(obj.data ?? {})}`);
  };
  informer.on('add', record('add'));
  informer.on('update', record('update'));
  informer.on('delete', record('delete'));
  informer.on('error', (err) => errorList.push(err));
  informer.on('connect', () => connects++);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await informer.stop();
  });
  const names = () =>
    informer
      .list(NS)
      .map((o) => o.metadata?.name ?? '')
      .filter((n) => n.startsWith('inf-'))
      .sort();

  await within(informer.start(), 5_000, 'informer.start() (list, then watch)');
  // The initial list.
  assert.equal(await events.take('add from the list'), 'add inf-pre {"v":"0"}');
  assert.deepEqual(names(), ['inf-pre']);
  assert.equal(informer.get('inf-pre', NS)?.data?.['v'], '0');

  // Changes, seen through the watch.
  const a = await core.createNamespacedConfigMap({ namespace: NS, body: configMap('inf-a', { v: '1' }) });
  assert.equal(await events.take('add inf-a'), 'add inf-a {"v":"1"}');
  await core.replaceNamespacedConfigMap({ name: 'inf-a', namespace: NS, body: { ...a, data: { v: '2' } } });
  assert.equal(await events.take('update inf-a'), 'update inf-a {"v":"2"}');
  await core.patchNamespacedConfigMap({ name: 'inf-pre', namespace: NS, body: { data: { v: '3' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  assert.equal(await events.take('update inf-pre'), 'update inf-pre {"v":"3"}');
  await core.deleteNamespacedConfigMap({ name: 'inf-a', namespace: NS });
  assert.equal(await events.take('delete inf-a'), 'delete inf-a {"v":"2"}');
  assert.deepEqual(names(), ['inf-pre']);
  assert.equal(informer.get('inf-pre', NS)?.data?.['v'], '3');
  assert.deepEqual(await events.drain(100), []);
  assert.deepEqual(errors(), []);

  // Forced relist. client-node relists when its resourceVersion is empty, which
  // is what a 410 Expired does; this server compacts only after minutes and
  // 1000 revisions, so the test stops the informer, changes things behind its
  // back, clears the version as a 410 would and starts it again: it must LIST,
  // reconcile (delete what vanished, add what appeared, update what changed),
  // then WATCH from the list's resourceVersion.
  await informer.stop();
  // Stopping aborts the watch; client-node reports that abort as an error,
  // asynchronously, and that report also aborts whatever request the informer
  // then has: wait for it before starting again.
  for (let i = 0; i < 100 && errorList.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const stopErrors = errors();
  assert.ok(
    stopErrors.every((e) => e instanceof Error && e.name === 'AbortError'),
    `only the stop's abort: ${stopErrors.map(String).join('; ')}`,
  );
  await core.deleteNamespacedConfigMap({ name: 'inf-pre', namespace: NS });
  await core.createNamespacedConfigMap({ namespace: NS, body: configMap('inf-new', { v: '4' }) });
  (informer as unknown as { resourceVersion: string }).resourceVersion = '';
  const connectsBefore = connects;
  await within(informer.start(), 5_000, 'informer.start() after the relist');
  assert.equal(connects, connectsBefore + 1);
  assert.deepEqual(
    [await events.take('delete from the relist'), await events.take('add from the relist')],
    ['delete inf-pre {"v":"3"}', 'add inf-new {"v":"4"}'],
  );
  assert.deepEqual(names(), ['inf-new']);

  // And the watch after the relist works.
  await core.createNamespacedConfigMap({ namespace: NS, body: configMap('inf-after', { v: '5' }) });
  assert.equal(await events.take('add inf-after'), 'add inf-after {"v":"5"}');
  await core.patchNamespacedConfigMap({ name: 'inf-new', namespace: NS, body: [{ op: 'replace', path: '/data/v', value: '6' }] });
  assert.equal(await events.take('update inf-new'), 'update inf-new {"v":"6"}');
  await core.deleteNamespacedConfigMap({ name: 'inf-after', namespace: NS });
  assert.equal(await events.take('delete inf-after'), 'delete inf-after {"v":"5"}');
  assert.deepEqual(names(), ['inf-new']);
  assert.deepEqual(await events.drain(100), []);
  assert.deepEqual(errors(), []);

  stopped = true;
  await informer.stop();
});

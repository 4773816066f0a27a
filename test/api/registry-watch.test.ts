// The registry's watch: event types with and without selectors, and a
// watch that decodes only the objects its caller wants.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { KubeObject } from '../../server/api/objects.js';
import { type ApiWatchEvent, Registry, type WatchOptions } from '../../server/api/registry/registry.js';
import { parseLabelSelector } from '../../server/api/selectors.js';
import type { LevelStoreOptions } from '../../server/store/level-store.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { testStore } from '../helpers/store.js';

async function setup(t: TestContext, storeOptions: Partial<LevelStoreOptions> = {}) {
  const { catalogue, registry } = await apiRegistry(t, { store: await testStore(t, storeOptions) });
  return { registry, configmaps: catalogue.get('', 'v1', 'configmaps')! };
}

const configMap = (name: string, labels: Record<string, string>, data: Record<string, string>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data }) as KubeObject;

/** Watches from now; `take(n)` gives the next n events as [type, name or revision, data.v]. */
function watchFromNow(t: TestContext, registry: Registry, type: Parameters<Registry['watch']>[0], opts: Omit<WatchOptions, 'signal' | 'resourceVersion'>) {
  const abort = new AbortController();
  t.after(() => abort.abort());
  const events = registry.watch(type, undefined, { ...opts, resourceVersion: String(registry.revision), signal: abort.signal });
  const describe = (e: ApiWatchEvent) => {
    const obj = e.object as KubeObject & { data?: { v?: string } };
    return [e.type, e.type === 'BOOKMARK' ? obj.metadata.resourceVersion : obj.metadata.name, obj.data?.v];
  };
  return {
    take: async (n: number) => {
      const out = [];
      for (let i = 0; i < n; i++) out.push(describe((await events.next()).value as ApiWatchEvent));
      return out;
    },
  };
}

test('a watch without selectors sends ADDED, MODIFIED and DELETED with the object of each change', async (t) => {
  const { registry, configmaps } = await setup(t);
  const watch = watchFromNow(t, registry, configmaps, {});
  const created = await registry.create(configmaps, 'default', configMap('a', {}, { v: '1' }), {});
  await registry.update(configmaps, 'default', 'a', { ...created, data: { v: '2' } }, {});
  await registry.delete(configmaps, 'default', 'a', {});
  assert.deepEqual(await watch.take(3), [
    ['ADDED', 'a', '1'],
    ['MODIFIED', 'a', '2'],
    ['DELETED', 'a', '2'],
  ]);
});

test('with a label selector, an object that comes into the selection is ADDED and one that leaves it DELETED', async (t) => {
  const { registry, configmaps } = await setup(t);
  const watch = watchFromNow(t, registry, configmaps, { labelSelector: parseLabelSelector('app=web') });
  const created = await registry.create(configmaps, 'default', configMap('a', { app: 'db' }, { v: '1' }), {});
  const selected = await registry.update(configmaps, 'default', 'a', { ...created, metadata: { ...created.metadata, labels: { app: 'web' } }, data: { v: '2' } }, {});
  const changed = await registry.update(configmaps, 'default', 'a', { ...selected, data: { v: '3' } }, {});
  await registry.update(configmaps, 'default', 'a', { ...changed, metadata: { ...changed.metadata, labels: { app: 'db' } }, data: { v: '4' } }, {});
  assert.deepEqual(await watch.take(3), [
    ['ADDED', 'a', '2'],
    ['MODIFIED', 'a', '3'],
    ['DELETED', 'a', '3'],
  ]);
});

test('a watch that wants some keys gets only those, and bookmarks of how far the store got while none come', async (t) => {
  const { registry, configmaps } = await setup(t, { progressIntervalMs: 100 });
  const watch = watchFromNow(t, registry, configmaps, { wants: (key) => key === 'default/wanted' });
  const other = await registry.create(configmaps, 'default', configMap('other', {}, { v: '1' }), {});
  await registry.create(configmaps, 'default', configMap('wanted', {}, { v: '1' }), {});
  const updated = await registry.update(configmaps, 'default', 'other', { ...other, data: { v: '2' } }, {});
  await registry.delete(configmaps, 'default', 'wanted', {});
  const last = await registry.create(configmaps, 'default', configMap('another', {}, { v: '1' }), {});
  assert.ok(Number(last.metadata.resourceVersion) > Number(updated.metadata.resourceVersion));
  assert.deepEqual(await watch.take(3), [
    ['ADDED', 'wanted', '1'],
    ['DELETED', 'wanted', '1'],
    // Idle as far as it can tell: the store's progress, at its newest revision.
    ['BOOKMARK', last.metadata.resourceVersion, undefined],
  ]);
});

test('a metadata-only watch sends each change with apiVersion, kind and the metadata at its revision, and nothing else', async (t) => {
  const { registry, configmaps } = await setup(t);
  const abort = new AbortController();
  t.after(() => abort.abort());
  const events = registry.watch(configmaps, undefined, { resourceVersion: String(registry.revision), metadataOnly: true, signal: abort.signal });
  const created = await registry.create(configmaps, 'default', { ...configMap('a', { app: 'web' }, { v: '1' }), metadata: { name: 'a', labels: { app: 'web' }, annotations: { note: '{"x": [1]}' } } }, {});
  const updated = await registry.update(configmaps, 'default', 'a', { ...created, data: { v: '2' } }, {});
  await registry.delete(configmaps, 'default', 'a', {});
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await events.next()).value as ApiWatchEvent);
  assert.deepEqual(got, [
    { type: 'ADDED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: created.metadata } },
    { type: 'MODIFIED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: updated.metadata } },
    { type: 'DELETED', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...updated.metadata, resourceVersion: String(registry.revision) } } },
  ]);
});

test('a metadata-only watch takes no selectors', async (t) => {
  const { registry, configmaps } = await setup(t);
  const events = registry.watch(configmaps, undefined, { labelSelector: parseLabelSelector('app=web'), metadataOnly: true, signal: new AbortController().signal });
  await assert.rejects(events.next(), /takes no selectors/);
});

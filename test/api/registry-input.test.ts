// What the registry does with the object a create or update is given: left
// as it was, unless the caller gives it up (adoptInput, the API handler's
// freshly decoded bodies); either way the same object is written.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { KubeObject } from '../../server/api/objects.js';
import { apiRegistry } from '../helpers/api-registry.js';

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  return { registry, pods: catalogue.get('', 'v1', 'pods')!, configmaps: catalogue.get('', 'v1', 'configmaps')! };
}

const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

/** The object without what differs between two writes of it. */
function comparable(obj: KubeObject): unknown {
  const { uid: _u, creationTimestamp: _c, resourceVersion: _r, name: _n, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

test('a create leaves the object it was given as it was, unless given it up; both write the same object', async (t) => {
  const { registry, pods } = await setup(t);
  const input = pod('kept');
  const created = await registry.create(pods, 'default', input, {});
  assert.deepEqual(input, pod('kept'));
  const adopted = pod('adopted');
  const createdAdopted = await registry.create(pods, 'default', adopted, { adoptInput: true });
  // Defaults were filled in on the object itself.
  assert.equal((adopted['spec'] as { restartPolicy?: string }).restartPolicy, 'Always');
  assert.deepEqual(comparable(createdAdopted), comparable(created));
  assert.deepEqual(comparable(await registry.get(pods, 'default', 'adopted')), comparable(await registry.get(pods, 'default', 'kept')));
});

test('an update leaves the object it was given as it was, unless given it up; both write the same object', async (t) => {
  const { registry, configmaps } = await setup(t);
  for (const name of ['kept', 'adopted']) {
    await registry.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: '1' } }, {});
  }
  // With its namespace already set: an update fills in a missing one on the object it is given, copy or not.
  const next = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v: '2' } });
  const input = next('kept');
  const updated = await registry.update(configmaps, 'default', 'kept', input, {});
  assert.deepEqual(input, next('kept'));
  const adopted = next('adopted');
  const updatedAdopted = await registry.update(configmaps, 'default', 'adopted', adopted, { adoptInput: true });
  assert.ok(adopted.metadata.uid !== undefined);
  assert.deepEqual(comparable(updatedAdopted), comparable(updated));
  assert.deepEqual((await registry.get(configmaps, 'default', 'adopted'))['data'], { v: '2' });
});

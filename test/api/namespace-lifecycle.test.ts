import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../common/log.js';
import { ApiError } from '../../server/api/status.js';
import { NamespaceController } from '../../server/controllers/namespace-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });

test('a deleted namespace turns Terminating, refuses new objects, is emptied, then goes', async (t) => {
  const { catalogue, registry } = await apiRegistry(t);
  const namespaces = catalogue.get('', 'v1', 'namespaces')!;
  const configmaps = catalogue.get('', 'v1', 'configmaps')!;
  await registry.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } }, {});
  for (const name of ['a', 'b']) await registry.create(configmaps, 'doomed', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }, {});
  // One object held by a finalizer of its own: the namespace waits for it.
  await registry.create(configmaps, 'doomed', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } }, {});
  await registry.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bystander' } }, {});

  // Without the controller: the deletion only marks the namespace.
  const { object, pending } = await registry.delete(namespaces, undefined, 'doomed', {});
  assert.equal(pending, true);
  assert.equal((object['status'] as { phase: string }).phase, 'Terminating');
  await assert.rejects(
    registry.create(configmaps, 'doomed', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } }, {}),
    (err) => err instanceof ApiError && err.code === 403 && /being terminated/.test(err.message),
  );

  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const controller = await NamespaceController.start({ registry, catalogue, informers, log: quiet });
  t.after(() => controller.close());
  await until(async () => (await registry.list(configmaps, 'doomed', {})).items.length === 1, 'the free objects to go');
  assert.equal((await registry.get(namespaces, undefined, 'doomed')).metadata.name, 'doomed', 'a held object keeps the namespace');

  await registry.patch(configmaps, 'doomed', 'held', (cm) => ({ ...cm, metadata: { ...cm.metadata, finalizers: [] } }), {});
  await until(async () => {
    try {
      await registry.get(namespaces, undefined, 'doomed');
      return false;
    } catch (err) {
      return err instanceof ApiError && err.code === 404;
    }
  }, 'the namespace to go');
  assert.equal((await registry.list(configmaps, 'default', {})).items.length, 1, 'other namespaces are untouched');
});

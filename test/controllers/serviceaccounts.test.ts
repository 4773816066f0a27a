// The ServiceAccount controller on a real store and registry: a "default"
// account in every active namespace, made again when deleted, never in a
// namespace being deleted.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../common/log.js';
import { SYSTEM_NAMESPACES } from '../../server/api/kinds/namespaces.js';
import { ServiceAccountController } from '../../server/controllers/serviceaccount-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  const namespaces = catalogue.get('', 'v1', 'namespaces')!;
  const accounts = catalogue.get('', 'v1', 'serviceaccounts')!;
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const controller = await ServiceAccountController.start({ registry, catalogue, informers, log: quiet });
  t.after(() => controller.close());
  const names = async (namespace: string) => (await registry.list(accounts, namespace, {})).items.map((sa) => sa.metadata.name);
  return { registry, namespaces, accounts, controller, names };
}

test('every namespace, the system ones and new ones, gets a default ServiceAccount', async (t) => {
  const { registry, namespaces, names } = await setup(t);
  for (const namespace of SYSTEM_NAMESPACES) await until(async () => (await names(namespace)).includes('default'), `default in ${namespace}`);
  await registry.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }, {});
  await until(async () => (await names('team-a')).includes('default'), 'default in team-a');
  assert.deepEqual(await names('team-a'), ['default'], 'only the default account');
});

test('a deleted default ServiceAccount is made again; other accounts are left alone', async (t) => {
  const { registry, accounts, names } = await setup(t);
  await until(async () => (await names('default')).includes('default'), 'the default account');
  const first = await registry.get(accounts, 'default', 'default');
  await registry.create(accounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder' } }, {});

  await registry.delete(accounts, 'default', 'default', {});
  await until(async () => (await names('default')).includes('default'), 'the default account back');
  const second = await registry.get(accounts, 'default', 'default');
  assert.notEqual(second.metadata.uid, first.metadata.uid, 'a new account');

  await registry.delete(accounts, 'default', 'builder', {});
  await sleep(200);
  assert.deepEqual(await names('default'), ['default'], 'only the default account comes back');
});

test('no default ServiceAccount is made in a namespace being deleted', async (t) => {
  const { registry, namespaces, accounts, controller, names } = await setup(t);
  await registry.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } }, {});
  await until(async () => (await names('doomed')).includes('default'), 'the default account');

  // No namespace controller runs here: the namespace stays Terminating.
  await registry.delete(namespaces, undefined, 'doomed', {});
  await registry.delete(accounts, 'doomed', 'default', {});
  await sleep(200);
  await controller.settled();
  assert.deepEqual(await names('doomed'), []);
});

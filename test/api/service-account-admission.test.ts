// The ServiceAccount admission's pull secrets: a new pod that names none
// gets its service account's imagePullSecrets (and so its node the Secrets).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { withServiceAccountAdmission } from '../../server/api/kinds/service-account-admission.js';
import type { KubeObject } from '../../server/api/objects.js';
import { apiRegistry } from '../helpers/api-registry.js';

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t, {
    rules: (store, catalogue) => withServiceAccountAdmission(rulesFor, store, catalogue.get('', 'v1', 'serviceaccounts')!),
  });
  const serviceAccounts = catalogue.get('', 'v1', 'serviceaccounts')!;
  return { registry, pods: catalogue.get('', 'v1', 'pods')!, serviceAccounts };
}

const pod = (name: string, spec: Partial<PodSpec> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'registry.example.com/app:1' }], ...spec },
});

const pullSecrets = (obj: KubeObject) => (obj['spec'] as PodSpec).imagePullSecrets;

test('a new pod gets its service account’s imagePullSecrets unless it names its own', async (t) => {
  const { registry, pods, serviceAccounts } = await setup(t);
  await registry.create(serviceAccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'puller' }, imagePullSecrets: [{ name: 'regcred' }, { name: 'other' }] } as KubeObject, {});

  assert.deepEqual(pullSecrets(await registry.create(pods, 'default', pod('a', { serviceAccountName: 'puller' }), {})), [{ name: 'regcred' }, { name: 'other' }]);
  assert.deepEqual(pullSecrets(await registry.create(pods, 'default', pod('b', { serviceAccountName: 'puller', imagePullSecrets: [{ name: 'mine' }] }), {})), [{ name: 'mine' }]);
  // The dry run shows it too.
  assert.deepEqual(pullSecrets(await registry.create(pods, 'default', pod('c', { serviceAccountName: 'puller' }), { dryRun: true })), [{ name: 'regcred' }, { name: 'other' }]);
  // A service account without pull secrets, or not there (yet): none.
  await registry.create(serviceAccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } } as KubeObject, {});
  assert.equal(pullSecrets(await registry.create(pods, 'default', pod('d'), {})), undefined);
  assert.equal(pullSecrets(await registry.create(pods, 'default', pod('e', { serviceAccountName: 'missing' }), {})), undefined);
});

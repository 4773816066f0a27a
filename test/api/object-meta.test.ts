// Every kind's metadata is checked on create and update as upstream's
// ValidateObjectMeta does (labels, annotations, owner references,
// finalizers), with its messages, and a refused write changes nothing.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { KubeObject } from '../../server/api/objects.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { widgetsDefinition } from '../helpers/crd-objects.js';

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  return { registry, configmaps: catalogue.get('', 'v1', 'configmaps')!, crds: catalogue.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')! };
}

const configMap = (metadata: Partial<KubeObject['metadata']>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', ...metadata }, data: { a: 'b' } });

async function refusal(write: Promise<unknown>): Promise<string> {
  const err = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError && err.code === 422, `expected a 422, got ${String(err)}`);
  return err.message;
}

const QUALIFIED =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

test('label keys and values, annotation keys and the annotations’ total size are checked, with upstream’s messages', async (t) => {
  const { registry, configmaps } = await setup(t);
  const create = (metadata: Partial<KubeObject['metadata']>) => refusal(registry.create(configmaps, 'default', configMap(metadata), {}));
  assert.equal(await create({ labels: { 'bad key!': 'x' } }), `ConfigMap "cm" is invalid: metadata.labels: Invalid value: "bad key!": ${QUALIFIED}`);
  assert.equal(
    await create({ labels: { app: 'x'.repeat(64) } }),
    `ConfigMap "cm" is invalid: metadata.labels: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`,
  );
  assert.equal(await create({ annotations: { 'bad key!': 'x' } }), `ConfigMap "cm" is invalid: metadata.annotations: Invalid value: "bad key!": ${QUALIFIED}`);
  // Case does not matter in annotation keys; values are free.
  await registry.create(configmaps, 'default', configMap({ name: 'cased', annotations: { 'Example.COM/Note': '{"any": ["thing"]} \n' } }), {});
  // 256 KiB of keys and values together: exactly at the limit passes, a byte more does not (bytes, not characters).
  const at = 256 * 1024 - 'a'.length;
  await registry.create(configmaps, 'default', configMap({ name: 'at-limit', annotations: { a: 'x'.repeat(at) } }), {});
  assert.equal(await create({ annotations: { a: `${'x'.repeat(at - 1)}é` } }), 'ConfigMap "cm" is invalid: metadata.annotations: Too long: must have at most 262144 bytes');
  // An update is held to the same rules; the stored object stays as it was.
  const stored = await registry.get(configmaps, 'default', 'at-limit');
  assert.equal(
    await refusal(registry.update(configmaps, 'default', 'at-limit', { ...stored, metadata: { ...stored.metadata, labels: { 'a/b/c': 'x' } } }, {})),
    `ConfigMap "at-limit" is invalid: metadata.labels: Invalid value: "a/b/c": a qualified name ${QUALIFIED.replace('name part ', '')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
  );
  assert.deepEqual((await registry.get(configmaps, 'default', 'at-limit')).metadata, stored.metadata);
  await assert.rejects(registry.get(configmaps, 'default', 'cm'), /not found/);
});

test('owner references need apiVersion, kind, name and uid, one controller at most, and no Event as owner', async (t) => {
  const { registry, configmaps } = await setup(t);
  const create = (ownerReferences: object[]) => refusal(registry.create(configmaps, 'default', configMap({ ownerReferences } as Partial<KubeObject['metadata']>), {}));
  assert.equal(
    await create([{ apiVersion: '', kind: '', name: '', uid: '' }]),
    'ConfigMap "cm" is invalid: [metadata.ownerReferences[0].apiVersion: Required value: must not be empty, metadata.ownerReferences[0].kind: Required value: must not be empty, metadata.ownerReferences[0].name: Required value: must not be empty, metadata.ownerReferences[0].uid: Required value: must not be empty]',
  );
  assert.equal(
    await create([{ apiVersion: 'apps/v1/x', kind: 'ReplicaSet', name: 'rs', uid: '1' }]),
    'ConfigMap "cm" is invalid: metadata.ownerReferences[0].apiVersion: Invalid value: "apps/v1/x": must be <group>/<version> or <version>',
  );
  assert.equal(
    await create([{ apiVersion: 'v1', kind: 'Event', name: 'e', uid: '1' }]),
    'ConfigMap "cm" is invalid: metadata.ownerReferences[0]: Invalid value: v1.OwnerReference{APIVersion:"v1", Kind:"Event", Name:"e", UID:"1", Controller:(*bool)(nil), BlockOwnerDeletion:(*bool)(nil)}: /v1, Kind=Event is disallowed from being an owner',
  );
  const message = await create([
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'b', uid: '2', controller: true },
  ]);
  assert.match(message, /^ConfigMap "cm" is invalid: metadata\.ownerReferences: Invalid value: \[\]v1\.OwnerReference\{.*\}: Only one reference can have Controller set to true\. Found "true" in references for ReplicaSet\/a and StatefulSet\/b$/);
});

test('finalizers: qualified names, not both orphan and foregroundDeletion, a domain on built-in kinds, none new once deleting', async (t) => {
  const { registry, configmaps, crds } = await setup(t);
  const create = (finalizers: string[]) => refusal(registry.create(configmaps, 'default', configMap({ finalizers }), {}));
  assert.equal(
    await create(['Bad Finalizer']),
    `ConfigMap "cm" is invalid: [metadata.finalizers: Invalid value: "Bad Finalizer": ${QUALIFIED}, metadata.finalizers[0]: Invalid value: "Bad Finalizer": name is neither a standard finalizer name nor is it fully qualified]`,
  );
  assert.equal(
    await create(['example.com/keep', 'mine']),
    'ConfigMap "cm" is invalid: metadata.finalizers[1]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified',
  );
  assert.equal(
    await create(['orphan', 'foregroundDeletion']),
    'ConfigMap "cm" is invalid: metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
  );
  // A CRD (apimachinery's own check, as custom resources) may carry a finalizer without a domain.
  const widgets = widgetsDefinition();
  const crd = await registry.create(crds, undefined, { ...widgets, metadata: { ...widgets.metadata, finalizers: ['mine'] } } as KubeObject, {});
  assert.ok(crd.metadata.finalizers?.includes('mine'));

  // Once deleting, finalizers may go but not come.
  await registry.create(configmaps, 'default', configMap({ name: 'held', finalizers: ['example.com/a'] }), {});
  await registry.delete(configmaps, 'default', 'held', {});
  const deleting = await registry.get(configmaps, 'default', 'held');
  const withFinalizers = (finalizers: string[]) => ({ ...deleting, metadata: { ...deleting.metadata, finalizers } });
  assert.equal(
    await refusal(registry.update(configmaps, 'default', 'held', withFinalizers(['example.com/a', 'example.com/c', 'example.com/b']), {})),
    'ConfigMap "held" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b", "example.com/c"}',
  );
  await registry.update(configmaps, 'default', 'held', withFinalizers([]), {});
  await assert.rejects(registry.get(configmaps, 'default', 'held'), /not found/);
});

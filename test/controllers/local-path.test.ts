// Local-path storage on a real store and registry, with the scheduler and
// the provisioner running: claims get the default class, a pod's claim is
// annotated with its node when the pod is bound, the provisioner makes the
// volume on that node and binds both ways, VolumeBinding keeps later pods
// on the volume's node and holds pods whose claim is missing, and the
// volume goes with its claim.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Event, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { STORAGE_PATH_ANNOTATION } from '../../common/local-path.js';
import { createLogger } from '../../common/log.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { withDefaultStorageClass } from '../../server/api/kinds/storage.js';
import type { KubeObject } from '../../server/api/objects.js';
import { ApiError } from '../../server/api/status.js';
import { LocalPathProvisioner } from '../../server/controllers/local-path-provisioner.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { Scheduler } from '../../server/scheduler/scheduler.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t, {
    rules: (store, catalogue) => withDefaultStorageClass(rulesFor, store, catalogue.get('storage.k8s.io', 'v1', 'storageclasses')!),
  });
  const classes = catalogue.get('storage.k8s.io', 'v1', 'storageclasses')!;
  const type = (plural: string) => catalogue.get('', 'v1', plural)!;
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const provisioner = await LocalPathProvisioner.start({ registry, catalogue, informers, log: quiet });
  t.after(() => provisioner.close());
  const scheduler = await Scheduler.start({ registry, catalogue, informers, log: quiet });
  t.after(() => scheduler.close());
  const node = (name: string) =>
    registry.create(
      type('nodes'),
      undefined,
      {
        metadata: { name, labels: { 'kubernetes.io/hostname': name }, annotations: { [STORAGE_PATH_ANNOTATION]: `/var/lib/bramble/${name}/storage` } },
        status: { allocatable: { cpu: '4', memory: '4Gi', pods: '110' }, capacity: { cpu: '4', memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
      } as unknown as KubeObject,
      {},
    );
  const claim = (name: string, spec: Partial<PersistentVolumeClaim['spec']> = {}) =>
    registry.create(
      type('persistentvolumeclaims'),
      'default',
      { metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } } as unknown as KubeObject,
      {},
    ) as Promise<KubeObject & PersistentVolumeClaim>;
  const pod = (name: string, claimName: string, spec: Partial<Pod['spec']> = {}) =>
    registry.create(
      type('pods'),
      'default',
      {
        metadata: { name },
        spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }], ...spec },
      } as unknown as KubeObject,
      {},
    );
  const getClaim = async (name: string) => (await registry.get(type('persistentvolumeclaims'), 'default', name)) as unknown as KubeObject & PersistentVolumeClaim;
  const getVolume = async (name: string) => (await registry.get(type('persistentvolumes'), undefined, name)) as unknown as KubeObject & PersistentVolume;
  const getPod = async (name: string) => (await registry.get(type('pods'), 'default', name)) as unknown as Pod;
  const events = async (name: string) =>
    (await registry.list(type('events'), 'default', {})).items.map((e) => e as unknown as Event).filter((e) => e.involvedObject.name === name);
  return { registry, type, classes, node, claim, pod, getClaim, getVolume, getPod, events };
}

test('a claim without a class gets the default local-path class and waits, Pending, for its first pod', async (t) => {
  const { claim, getClaim, events, registry, classes } = await setup(t);
  const sc = await registry.get(classes, undefined, 'local-path');
  assert.equal(sc['provisioner'], 'rancher.io/local-path');
  assert.equal(sc['volumeBindingMode'], 'WaitForFirstConsumer');
  assert.equal(sc['reclaimPolicy'], 'Delete');
  assert.equal(sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'], 'true');
  await claim('data');
  await claim('none', { storageClassName: '' });
  const created = await getClaim('data');
  assert.equal(created.spec?.storageClassName, 'local-path');
  assert.equal(created.status?.phase, 'Pending');
  assert.equal((await getClaim('none')).spec?.storageClassName, '', 'an explicit "" keeps no class');
  await until(async () => (await events('data')).some((e) => e.reason === 'WaitForFirstConsumer'), 'the WaitForFirstConsumer event');
});

test('the first pod of a claim picks its node; the provisioner makes the volume there and binds claim and volume', async (t) => {
  const { node, claim, pod, getClaim, getVolume, getPod, registry, type } = await setup(t);
  await node('pi-1');
  const data = await claim('data');
  await pod('writer', 'data');
  await until(async () => (await getPod('writer')).spec?.nodeName === 'pi-1', 'the pod bound');
  await until(async () => (await getClaim('data')).status?.phase === 'Bound', 'the claim bound');
  const bound = await getClaim('data');
  const name = `pvc-${data.metadata.uid}`;
  assert.equal(bound.metadata.annotations?.['volume.kubernetes.io/selected-node'], 'pi-1');
  assert.equal(bound.spec?.volumeName, name);
  assert.deepEqual(bound.status?.capacity, { storage: '1Gi' });
  assert.deepEqual(bound.status?.accessModes, ['ReadWriteOnce']);
  const volume = await getVolume(name);
  assert.equal(volume.status?.phase, 'Bound');
  assert.deepEqual(volume.spec?.hostPath, { path: `/var/lib/bramble/pi-1/storage/${name}_default_data`, type: 'DirectoryOrCreate' });
  assert.deepEqual(volume.spec?.nodeAffinity?.required?.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['pi-1'] }] }]);
  assert.equal(volume.spec?.claimRef?.uid, data.metadata.uid);
  assert.equal(volume.spec?.persistentVolumeReclaimPolicy, 'Delete');
  assert.equal(volume.spec?.storageClassName, 'local-path');
  // The claim goes (its pod first): the volume goes with it.
  await registry.delete(type('pods'), 'default', 'writer', { gracePeriodSeconds: 0 });
  await registry.delete(type('persistentvolumeclaims'), 'default', 'data', {});
  await until(
    async () =>
      getVolume(name).then(
        () => false,
        (err: unknown) => err instanceof ApiError && err.code === 404,
      ),
    'the volume deleted',
  );
});

test('VolumeBinding: later pods of a bound claim go to its node only; a missing claim or an unbound immediate one holds the pod', async (t) => {
  const { node, claim, pod, getClaim, getPod, registry, classes } = await setup(t);
  await node('pi-1');
  await node('pi-2');
  await claim('data');
  await pod('first', 'data', { nodeSelector: { 'kubernetes.io/hostname': 'pi-2' } });
  await until(async () => (await getClaim('data')).status?.phase === 'Bound', 'bound on pi-2');
  for (const name of ['a', 'b', 'c']) await pod(name, 'data');
  for (const name of ['a', 'b', 'c']) await until(async () => (await getPod(name)).spec?.nodeName !== undefined, `${name} placed`);
  for (const name of ['a', 'b', 'c']) assert.equal((await getPod(name)).spec?.nodeName, 'pi-2', `${name} beside its volume`);
  const message = async (name: string) => (await getPod(name)).status?.conditions?.find((c) => c.type === 'PodScheduled')?.message;
  await pod('elsewhere', 'data', { nodeSelector: { 'kubernetes.io/hostname': 'pi-1' } });
  await until(async () => (await message('elsewhere')) !== undefined, 'elsewhere unschedulable');
  assert.equal(await message('elsewhere'), "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict.");
  await pod('orphan', 'missing');
  await until(async () => (await message('orphan')) !== undefined, 'orphan unschedulable');
  assert.equal(await message('orphan'), '0/2 nodes are available: persistentvolumeclaim "missing" not found.');
  await registry.create(classes, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'nfs' }, provisioner: 'example.com/nfs' } as KubeObject, {});
  await claim('immediate', { storageClassName: 'nfs' });
  await pod('waits', 'immediate');
  await until(async () => (await message('waits')) !== undefined, 'waits unschedulable');
  assert.equal(await message('waits'), '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.');
  // The missing claim appears: the pod set aside is tried again and placed.
  await claim('missing');
  await until(async () => (await getPod('orphan')).spec?.nodeName !== undefined, 'orphan placed once its claim exists');
});

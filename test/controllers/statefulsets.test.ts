// The StatefulSet controller in-process, on a real store and registry with a
// stand-in kubelet making pods Running and Ready (or holding them back):
// ordered creation and removal, identity, claims and their retention,
// rolling updates with a partition, OnDelete, Parallel, revisions, status.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../server/api/objects.js';
import type { Revision } from '../../server/controllers/controller-revisions.js';
import { StatefulSetController } from '../../server/controllers/statefulset-controller.js';
import { until } from '../helpers/store.js';
import { type PodObject, workloadCluster } from '../helpers/workload-sim.js';

type STS = KubeObject & StatefulSet;
type PVC = KubeObject & PersistentVolumeClaim;

const statefulSet = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name },
  spec: {
    replicas: 3,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    ...spec,
  },
});

async function setup(t: TestContext) {
  const c = await workloadCluster(t, (d) => StatefulSetController.start(d));
  const pods = async () => (await c.list<PodObject>('pods')).sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const names = async () => (await pods()).map((p) => p.metadata.name);
  const sts = (name: string) => c.get<STS>('statefulSets', name);
  const claims = async () => (await c.list<PVC>('claims')).map((p) => p.metadata.name).sort();
  const image = (pod: PodObject) => pod.spec?.containers[0]?.image;
  const isReady = (pod: PodObject) => pod.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true;
  const released = new Set<string>();
  // Pods stay NotReady until released by name.
  const holdAll = () => c.kubelet.holdNotReady((p) => !released.has(p.metadata.name!));
  const release = (name: string) => {
    released.add(name);
    holdAll();
  };
  return { ...c, pods, names, sts, claims, image, isReady, holdAll, release };
}

test('OrderedReady creates web-0, web-1, web-2 in order, each only once the one before is Running and Ready', async (t) => {
  const c = await setup(t);
  c.holdAll();
  await c.apply('statefulSets', statefulSet('web'));
  await until(async () => (await c.names()).join() === 'web-0', 'web-0 created');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await c.names(), ['web-0'], 'web-1 waits while web-0 is not Ready');
  c.release('web-0');
  await until(async () => (await c.names()).join() === 'web-0,web-1', 'web-1 created');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await c.names(), ['web-0', 'web-1']);
  c.release('web-1');
  c.release('web-2');
  await until(async () => (await c.sts('web')).status?.readyReplicas === 3, 'three ready');
  const status = (await c.sts('web')).status!;
  assert.equal(status.replicas, 3);
  assert.equal(status.availableReplicas, 3);
  assert.equal(status.currentReplicas, 3);
  assert.equal(status.updatedReplicas, 3);
  assert.equal(status.observedGeneration, 1);
  assert.equal(status.collisionCount, 0);
  assert.equal(status.currentRevision, status.updateRevision);
  assert.match(status.currentRevision!, /^web-[a-z0-9]+$/);
});

test('each pod has a stable identity and its own claim, made before the pod and named <claim>-<set>-<ordinal>', async (t) => {
  const c = await setup(t);
  await c.apply('statefulSets', statefulSet('db', { replicas: 2 }));
  await until(async () => (await c.names()).length === 2, 'two pods');
  const [pod] = await c.pods();
  assert.equal(pod!.metadata.name, 'db-0');
  assert.equal(pod!.spec?.hostname, 'db-0');
  assert.equal(pod!.spec?.subdomain, 'db');
  assert.equal(pod!.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'db-0');
  assert.equal(pod!.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
  const status = (await c.sts('db')).status!;
  assert.equal(pod!.metadata.labels?.['controller-revision-hash'], status.updateRevision);
  assert.deepEqual(pod!.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, { claimName: 'data-db-0' });
  assert.deepEqual(await c.claims(), ['data-db-0', 'data-db-1']);
  const claim = await c.get<PVC>('claims', 'data-db-0');
  assert.equal(claim.metadata.labels?.['app'], 'db');
  assert.ok(Date.parse(claim.metadata.creationTimestamp!) <= Date.parse(pod!.metadata.creationTimestamp!));
  // Retain, Retain (the default): no owner on the claims.
  assert.equal(claim.metadata.ownerReferences, undefined);
  const revisions = await c.list<Revision>('revisions');
  assert.deepEqual(revisions.map((r) => [r.metadata.name, r.revision]), [[status.updateRevision, 1]]);
});

test('scaling down waits for the remaining pods to be Ready, removes the highest ordinal first, and keeps the claims', async (t) => {
  const c = await setup(t);
  await c.apply('statefulSets', statefulSet('web'));
  await until(async () => (await c.sts('web')).status?.readyReplicas === 3, 'three ready');
  const deleted: string[] = [];
  const abort = new AbortController();
  t.after(() => abort.abort());
  void (async () => {
    for await (const event of c.registry.watch(c.types.pods, 'default', { signal: abort.signal, resourceVersion: String(c.registry.revision) })) {
      if (event.type === 'DELETED') deleted.push((event.object as PodObject).metadata.name!);
    }
  })().catch(() => undefined);
  c.kubelet.holdNotReady((p) => p.metadata.name === 'web-0');
  await until(async () => (await c.sts('web')).status?.readyReplicas === 2, 'web-0 not ready');
  await c.update('statefulSets', 'web', (s: STS) => (s.spec!.replicas = 1));
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await c.names(), ['web-0', 'web-1', 'web-2'], 'nothing removed while web-0 is not Ready');
  c.kubelet.holdNotReady(() => false);
  await until(async () => (await c.names()).join() === 'web-0', 'scaled to one');
  await until(() => deleted.length === 2, 'both deletions seen');
  assert.deepEqual(deleted, ['web-2', 'web-1']);
  assert.deepEqual(await c.claims(), ['data-web-0', 'data-web-1', 'data-web-2']);
  await until(async () => (await c.sts('web')).status?.replicas === 1, 'status replicas 1');
});

test('a deleted pod comes back with the same name, identity and claim', async (t) => {
  const c = await setup(t);
  await c.apply('statefulSets', statefulSet('web'));
  await until(async () => (await c.sts('web')).status?.readyReplicas === 3, 'three ready');
  const before = (await c.pods()).find((p) => p.metadata.name === 'web-1')!;
  await c.deletePod('web-1');
  await until(async () => {
    const now = (await c.pods()).find((p) => p.metadata.name === 'web-1');
    return now !== undefined && now.metadata.uid !== before.metadata.uid && c.isReady(now);
  }, 'web-1 back');
  const after = (await c.pods()).find((p) => p.metadata.name === 'web-1')!;
  assert.equal(after.spec?.hostname, 'web-1');
  assert.deepEqual(after.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, { claimName: 'data-web-1' });
  assert.deepEqual(await c.claims(), ['data-web-0', 'data-web-1', 'data-web-2']);
});

test('a rolling update goes from the highest ordinal down to the partition, one healthy pod at a time, then completes the revision', async (t) => {
  const c = await setup(t);
  await c.apply('statefulSets', statefulSet('web', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
  await until(async () => (await c.sts('web')).status?.readyReplicas === 3, 'three ready');
  const first = (await c.sts('web')).status!.currentRevision;
  c.kubelet.holdNotReady((p) => p.metadata.name === 'web-2' && p.spec?.containers[0]?.image === 'nginx:2');
  await c.update('statefulSets', 'web', (s: STS) => (s.spec!.template.spec!.containers[0]!.image = 'nginx:2'));
  await until(async () => (await c.pods()).some((p) => p.metadata.name === 'web-2' && c.image(p) === 'nginx:2' && p.status?.phase === 'Running'), 'web-2 updated');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual((await c.pods()).map(c.image), ['nginx:1', 'nginx:1', 'nginx:2'], 'web-1 waits for web-2 to be Ready');
  c.kubelet.holdNotReady(() => false);
  await until(async () => (await c.pods()).map(c.image).join() === 'nginx:1,nginx:2,nginx:2', 'web-1 updated');
  await until(async () => (await c.sts('web')).status?.updatedReplicas === 2, 'two updated');
  await new Promise((r) => setTimeout(r, 200));
  let status = (await c.sts('web')).status!;
  assert.equal(c.image((await c.pods())[0]!), 'nginx:1', 'web-0 is below the partition');
  assert.equal(status.currentRevision, first);
  assert.notEqual(status.updateRevision, first);
  assert.equal(status.currentReplicas, 1);

  await c.update('statefulSets', 'web', (s: STS) => (s.spec!.updateStrategy!.rollingUpdate!.partition = 0));
  // As upstream, the sync that recreates web-0 already sees the update complete, counting the two pods it had; the next counts three.
  await until(async () => {
    const s = (await c.sts('web')).status;
    return s?.currentRevision === s?.updateRevision && s?.readyReplicas === 3;
  }, 'the update complete');
  status = (await c.sts('web')).status!;
  assert.deepEqual((await c.pods()).map(c.image), ['nginx:2', 'nginx:2', 'nginx:2']);
  assert.equal(status.currentReplicas, 3);
  assert.deepEqual((await c.pods()).map((p) => p.metadata.labels?.['controller-revision-hash']), [status.updateRevision, status.updateRevision, status.updateRevision]);

  // Back to the first template: its revision is renumbered, not copied.
  await c.update('statefulSets', 'web', (s: STS) => (s.spec!.template.spec!.containers[0]!.image = 'nginx:1'));
  await until(async () => (await c.sts('web')).status?.updateRevision === first, 'rolled back to the first revision');
  const revisions = (await c.list<Revision>('revisions')).map((r) => [r.metadata.name, r.revision]);
  assert.equal(revisions.length, 2);
  assert.deepEqual(revisions.find(([name]) => name === first), [first, 3]);
});

test('OnDelete leaves pods on the old revision until they are deleted', async (t) => {
  const c = await setup(t);
  await c.apply('statefulSets', statefulSet('web', { replicas: 2, updateStrategy: { type: 'OnDelete' } }));
  await until(async () => (await c.sts('web')).status?.readyReplicas === 2, 'two ready');
  await c.update('statefulSets', 'web', (s: STS) => (s.spec!.template.spec!.containers[0]!.image = 'nginx:2'));
  await until(async () => (await c.sts('web')).status?.observedGeneration === 2, 'the change seen');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual((await c.pods()).map(c.image), ['nginx:1', 'nginx:1']);
  const status = (await c.sts('web')).status!;
  assert.notEqual(status.currentRevision, status.updateRevision);
  await c.deletePod('web-0');
  await until(async () => (await c.pods()).map(c.image).join() === 'nginx:2,nginx:1', 'web-0 back on the new template');
});

test('Parallel creates every pod at once without waiting for readiness, and removes them at once', async (t) => {
  const c = await setup(t);
  c.holdAll();
  await c.apply('statefulSets', statefulSet('web', { podManagementPolicy: 'Parallel' }));
  await until(async () => (await c.names()).join() === 'web-0,web-1,web-2', 'all three created while none is Ready');
  await c.update('statefulSets', 'web', (s: STS) => (s.spec!.replicas = 0));
  await until(async () => (await c.names()).length === 0, 'all removed while none is Ready');
});

test('retention policy Delete: claims are owned by the set, and a scaled-away pod’s claim by that pod', async (t) => {
  const c = await setup(t);
  await c.apply('statefulSets', statefulSet('web', { replicas: 2, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
  await until(async () => (await c.sts('web')).status?.readyReplicas === 2, 'two ready');
  const set = await c.sts('web');
  const owners = async (name: string) => (await c.get<PVC>('claims', name)).metadata.ownerReferences?.map((r) => `${r.kind}/${r.name}/${r.uid}`) ?? [];
  await until(async () => (await owners('data-web-1')).length === 1, 'claims owned');
  assert.deepEqual(await owners('data-web-0'), [`StatefulSet/web/${set.metadata.uid}`]);
  const web1 = (await c.pods()).find((p) => p.metadata.name === 'web-1')!;
  await c.update('statefulSets', 'web', (s: STS) => (s.spec!.replicas = 1));
  await until(async () => (await c.names()).join() === 'web-0', 'scaled down');
  // The garbage collector deletes the claim once its owner pod is gone.
  assert.deepEqual(await owners('data-web-1'), [`Pod/web-1/${web1.metadata.uid}`]);
  assert.deepEqual(await owners('data-web-0'), [`StatefulSet/web/${set.metadata.uid}`]);
});

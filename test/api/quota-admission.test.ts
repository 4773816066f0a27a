// ResourceQuota admission over a real registry and store: what each create
// (and usage-changing update) is charged, the 403s word for word, the
// quotas' status.used written before the object is stored (so racing
// creates never both get the last unit), and dry runs charging nothing.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Container, ResourceQuotaSpec } from 'kubernetes-types/core/v1.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { withLimitRanger } from '../../server/api/kinds/limit-ranger.js';
import type { KubeObject } from '../../server/api/objects.js';
import { withResourceQuota } from '../../server/api/quota/quota-admission.js';
import type { Registry } from '../../server/api/registry/registry.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry, forbidden } from '../helpers/api-registry.js';

async function setup(t: TestContext) {
  let bound: Registry | undefined;
  const { catalogue, registry } = await apiRegistry(t, {
    rules: (store, catalogue) =>
      withResourceQuota(withLimitRanger(rulesFor, store, catalogue.get('', 'v1', 'limitranges')!), { store, quotas: catalogue.get('', 'v1', 'resourcequotas')!, registry: () => bound! }),
  });
  bound = registry;
  const type = (plural: string) => catalogue.get('', 'v1', plural)!;
  /** A quota as the controller leaves it: status.hard its spec.hard, status.used given (zero for the rest). */
  const quota = async (name: string, spec: ResourceQuotaSpec, used: Record<string, string> = {}) => {
    await registry.create(type('resourcequotas'), 'default', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec } as KubeObject, {});
    const status = { hard: spec.hard, used: Object.fromEntries(Object.keys(spec.hard ?? {}).map((r) => [r, used[r] ?? '0'])) };
    await registry.patch(type('resourcequotas'), 'default', name, (q) => ({ ...q, status }), { subresource: 'status' });
  };
  const usedOf = async (name: string) => ((await registry.get(type('resourcequotas'), 'default', name))['status'] as { used?: Record<string, string> }).used;
  const createPod = (name: string, containers: Container[] = [{ name: 'web', image: 'nginx' }], opts: { dryRun?: boolean; spec?: object } = {}) =>
    registry.create(type('pods'), 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers, ...opts.spec } } as KubeObject, opts.dryRun ? { dryRun: true } : {});
  const create = (plural: string, obj: object, opts: { dryRun?: boolean } = {}) => registry.create(type(plural), 'default', obj as KubeObject, opts.dryRun ? { dryRun: true } : {});
  return { registry, type, quota, usedOf, createPod, create };
}

const sized = (name: string, requests: Record<string, string>, limits: Record<string, string> = requests): Container => ({ name, image: 'nginx', resources: { requests, limits } });

test('pods are counted into status.used on create, and the one past the limit is refused with upstream’s words', async (t) => {
  const { quota, usedOf, createPod } = await setup(t);
  await quota('compute', { hard: { pods: '2' } });
  await createPod('one');
  assert.deepEqual(await usedOf('compute'), { pods: '1' });
  await createPod('two');
  assert.deepEqual(await usedOf('compute'), { pods: '2' });
  assert.equal(await forbidden(createPod('three')), 'pods "three" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2');
  assert.deepEqual(await usedOf('compute'), { pods: '2' });
});

test('compute resources are summed as upstream prints them, and a quota on cpu or memory makes every container set it', async (t) => {
  const { quota, usedOf, createPod } = await setup(t);
  await quota('compute', { hard: { 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '2', 'limits.memory': '2Gi', pods: '10' } });
  assert.equal(
    await forbidden(createPod('bare', [{ name: 'web', image: 'nginx' }, sized('side', { cpu: '100m' }, { cpu: '100m' })])),
    'pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: web; limits.memory for: side,web; requests.cpu for: web; requests.memory for: side,web',
  );
  await createPod('a', [sized('web', { cpu: '250m', memory: '256Mi' }, { cpu: '500m', memory: '512Mi' })]);
  await createPod('b', [sized('web', { cpu: '250m', memory: '256Mi' }, { cpu: '1', memory: '512Mi' })]);
  assert.deepEqual(await usedOf('compute'), { 'limits.cpu': '1500m', 'limits.memory': '1Gi', pods: '2', 'requests.cpu': '500m', 'requests.memory': '512Mi' });
  assert.equal(
    await forbidden(createPod('big', [sized('web', { cpu: '600m', memory: '100Mi' }, { cpu: '600m', memory: '100Mi' })])),
    'pods "big" is forbidden: exceeded quota: compute, requested: limits.cpu=600m,requests.cpu=600m, used: limits.cpu=1500m,requests.cpu=500m, limited: limits.cpu=2,requests.cpu=1',
  );
  // Init containers count by their largest (beside the sidecars before them), then the overhead.
  await createPod('init', [sized('web', { cpu: '100m', memory: '64Mi' })], {
    spec: {
      initContainers: [sized('setup', { cpu: '300m', memory: '32Mi' }), { ...sized('proxy', { cpu: '50m', memory: '16Mi' }), restartPolicy: 'Always' }, sized('late', { cpu: '100m', memory: '100Mi' })],
    },
  });
  const used = await usedOf('compute');
  // cpu: max(100m + 50m, 300m, 100m + 50m) = 300m; memory: max(64Mi + 16Mi, 32Mi, 100Mi + 16Mi) = 116Mi.
  assert.equal(used?.['requests.cpu'], '800m');
  assert.equal(used?.['requests.memory'], '628Mi');
});

test('every matching quota is checked, in name order, and each is charged', async (t) => {
  const { quota, usedOf, createPod } = await setup(t);
  await quota('a-pods', { hard: { pods: '5' } }, { pods: '1' });
  await quota('b-count', { hard: { 'count/pods': '1', 'requests.cpu': '1' } }, { 'count/pods': '1' });
  assert.equal(
    await forbidden(createPod('p', [sized('web', { cpu: '1', memory: '1Mi' })])),
    'pods "p" is forbidden: exceeded quota: b-count, requested: count/pods=1, used: count/pods=1, limited: count/pods=1',
  );
  // Nothing was charged to the quota that had room either.
  assert.deepEqual(await usedOf('a-pods'), { pods: '1' });
});

test('a quota whose usage is not yet counted refuses what it would limit', async (t) => {
  const { registry, type, createPod } = await setup(t);
  await registry.create(type('resourcequotas'), 'default', { metadata: { name: 'fresh' }, spec: { hard: { pods: '1', 'requests.cpu': '1' } } } as unknown as KubeObject, {});
  // Before the controller wrote status.hard, the quota limits nothing.
  await createPod('early', [sized('web', { cpu: '1', memory: '1Mi' })]);
  await registry.patch(type('resourcequotas'), 'default', 'fresh', (q) => ({ ...q, status: { hard: { pods: '1', 'requests.cpu': '1' }, used: { pods: '0' } } }), { subresource: 'status' });
  assert.equal(await forbidden(createPod('later', [sized('web', { cpu: '1', memory: '1Mi' })])), 'pods "later" is forbidden: status unknown for quota: fresh, resources: pods,requests.cpu');
});

test('scopes: BestEffort and NotBestEffort, Terminating and NotTerminating, PriorityClass selectors', async (t) => {
  const { quota, usedOf, createPod } = await setup(t);
  await quota('best-effort', { hard: { pods: '1' }, scopes: ['BestEffort'] });
  await quota('not-best-effort', { hard: { pods: '5' }, scopes: ['NotBestEffort', 'NotTerminating'] });
  await quota('terminating', { hard: { pods: '5' }, scopes: ['Terminating'] });
  await quota('high', { hard: { pods: '5' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } });
  await createPod('be');
  assert.match(await forbidden(createPod('be2')), /exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1$/);
  await createPod('burstable', [sized('web', { cpu: '100m' })]);
  await createPod('job', [sized('web', { cpu: '100m' })], { spec: { activeDeadlineSeconds: 30 } });
  await createPod('important', [sized('web', { cpu: '100m' })], { spec: { priorityClassName: 'high' } });
  assert.deepEqual(await usedOf('best-effort'), { pods: '1' });
  assert.deepEqual(await usedOf('not-best-effort'), { pods: '2' });
  assert.deepEqual(await usedOf('terminating'), { pods: '1' });
  assert.deepEqual(await usedOf('high'), { pods: '1' });
});

test('a dry run is checked against the quota and charges nothing', async (t) => {
  const { quota, usedOf, createPod } = await setup(t);
  await quota('compute', { hard: { pods: '1' } });
  await createPod('dry', undefined, { dryRun: true });
  assert.deepEqual(await usedOf('compute'), { pods: '0' });
  await createPod('real');
  assert.match(await forbidden(createPod('dry2', undefined, { dryRun: true })), /exceeded quota: compute, requested: pods=1, used: pods=1, limited: pods=1$/);
  assert.deepEqual(await usedOf('compute'), { pods: '1' });
});

test('twenty creates at once against pods=5: exactly five are stored, the others refused', async (t) => {
  const { registry, type, quota, usedOf, createPod } = await setup(t);
  await quota('compute', { hard: { pods: '5' } });
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => createPod(`p${i}`)));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
  for (const r of results) if (r.status === 'rejected') assert.match((r.reason as ApiError).message, /exceeded quota: compute, requested: pods=1, used: pods=5, limited: pods=5$/);
  assert.equal((await registry.list(type('pods'), 'default', {})).items.length, 5);
  assert.deepEqual(await usedOf('compute'), { pods: '5' });
});

test('services: counts, node ports and load balancers, and a change of type charged on update', async (t) => {
  const { registry, type, quota, usedOf, create } = await setup(t);
  await quota('svc', { hard: { services: '5', 'services.nodeports': '2', 'services.loadbalancers': '1', 'count/services': '5' } });
  const service = (name: string, spec: object) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });
  await create('services', service('plain', {}));
  await create('services', service('np', { type: 'NodePort' }));
  assert.deepEqual(await usedOf('svc'), { 'count/services': '2', services: '2', 'services.loadbalancers': '0', 'services.nodeports': '1' });
  assert.equal(
    await forbidden(create('services', service('np2', { type: 'NodePort', ports: [{ port: 80, name: 'a' }, { port: 81, name: 'b' }] }))),
    'services "np2" is forbidden: exceeded quota: svc, requested: services.nodeports=2, used: services.nodeports=1, limited: services.nodeports=2',
  );
  // plain → LoadBalancer: one more node port and a load balancer.
  await registry.patch(type('services'), 'default', 'plain', (s) => ({ ...s, spec: { ...(s['spec'] as object), type: 'LoadBalancer' } }), {});
  assert.deepEqual(await usedOf('svc'), { 'count/services': '2', services: '2', 'services.loadbalancers': '1', 'services.nodeports': '2' });
  const refused = await forbidden(registry.patch(type('services'), 'default', 'np', (s) => ({ ...s, spec: { ...(s['spec'] as object), type: 'LoadBalancer' } }), {}));
  assert.equal(refused, 'services "np" is forbidden: exceeded quota: svc, requested: services.loadbalancers=1, used: services.loadbalancers=1, limited: services.loadbalancers=1');
});

test('claims: count and storage, in total and per storage class; config maps and secrets by their names and count/', async (t) => {
  const { quota, usedOf, create } = await setup(t);
  await quota('storage', {
    hard: { persistentvolumeclaims: '3', 'requests.storage': '10Gi', 'gold.storageclass.storage.k8s.io/requests.storage': '1Gi', 'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1' },
  });
  await quota('objects', { hard: { configmaps: '1', 'count/secrets': '1', secrets: '2' } });
  const claim = (name: string, storage: string, storageClassName?: string) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } }, ...(storageClassName ? { storageClassName } : {}) },
  });
  await create('persistentvolumeclaims', claim('plain', '2Gi'));
  await create('persistentvolumeclaims', claim('gold', '512Mi', 'gold'));
  assert.deepEqual(await usedOf('storage'), {
    'gold.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
    'gold.storageclass.storage.k8s.io/requests.storage': '512Mi',
    persistentvolumeclaims: '2',
    'requests.storage': '2560Mi',
  });
  assert.equal(
    await forbidden(create('persistentvolumeclaims', claim('gold2', '1Gi', 'gold'))),
    'persistentvolumeclaims "gold2" is forbidden: exceeded quota: storage, requested: gold.storageclass.storage.k8s.io/persistentvolumeclaims=1,gold.storageclass.storage.k8s.io/requests.storage=1Gi, used: gold.storageclass.storage.k8s.io/persistentvolumeclaims=1,gold.storageclass.storage.k8s.io/requests.storage=512Mi, limited: gold.storageclass.storage.k8s.io/persistentvolumeclaims=1,gold.storageclass.storage.k8s.io/requests.storage=1Gi',
  );
  await create('configmaps', { metadata: { name: 'one' } });
  assert.equal(await forbidden(create('configmaps', { metadata: { name: 'two' } })), 'configmaps "two" is forbidden: exceeded quota: objects, requested: configmaps=1, used: configmaps=1, limited: configmaps=1');
  await create('secrets', { metadata: { name: 's1' } });
  assert.equal(await forbidden(create('secrets', { metadata: { name: 's2' } })), 'secrets "s2" is forbidden: exceeded quota: objects, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1');
  assert.deepEqual(await usedOf('objects'), { configmaps: '1', 'count/secrets': '1', secrets: '1' });
});

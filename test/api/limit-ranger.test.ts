// LimitRanger admission over a real registry and store: the defaults a new
// pod's containers get from its namespace's LimitRanges (and the annotation
// telling so), and upstream's 403s for what a Container, Pod or
// PersistentVolumeClaim item refuses, word for word.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { LimitRangeItem, PersistentVolumeClaim, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { withLimitRanger } from '../../server/api/kinds/limit-ranger.js';
import { withServiceAccountAdmission } from '../../server/api/kinds/service-account-admission.js';
import type { KubeObject } from '../../server/api/objects.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry, forbidden } from '../helpers/api-registry.js';

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t, {
    rules: (store, catalogue) => withLimitRanger(withServiceAccountAdmission(rulesFor, store, catalogue.get('', 'v1', 'serviceaccounts')!), store, catalogue.get('', 'v1', 'limitranges')!),
  });
  const type = (plural: string) => catalogue.get('', 'v1', plural)!;
  const limitRange = (name: string, limits: LimitRangeItem[], namespace = 'default') =>
    registry.create(type('limitranges'), namespace, { apiVersion: 'v1', kind: 'LimitRange', metadata: { name }, spec: { limits } } as KubeObject, {});
  const createPod = async (name: string, spec: Partial<PodSpec>, opts: { dryRun?: boolean; namespace?: string } = {}) =>
    (await registry.create(type('pods'), opts.namespace ?? 'default', pod(name, spec), opts.dryRun ? { dryRun: true } : {})) as KubeObject & Pod;
  return { registry, type, limitRange, createPod };
}

const pod = (name: string, spec: Partial<PodSpec>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec },
});

const claim = (name: string, storage: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
});

const annotation = (obj: KubeObject) => obj.metadata.annotations?.['kubernetes.io/limit-ranger'];
const resources = (obj: KubeObject & Pod, i = 0) => obj.spec!.containers[i]!.resources;

test('a new pod’s containers get the default limits and requests they lack, and the annotation says which', async (t) => {
  const { limitRange, createPod } = await setup(t);
  await limitRange('defaults', [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } }]);

  const web = await createPod('web', {});
  // defaultRequest's memory came from default (the LimitRange's own defaulting).
  assert.deepEqual(resources(web), { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
  assert.equal(annotation(web), 'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web');
  // The QoS class follows the resources set here.
  assert.equal((web.status as { qosClass?: string }).qosClass, 'Burstable');

  // What a container sets stays (its limit became its request in the pod's own defaults).
  const partial = await createPod('partial', { containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '1' } } }] });
  assert.deepEqual(resources(partial), { limits: { cpu: '1', memory: '256Mi' }, requests: { cpu: '1', memory: '256Mi' } });
  assert.equal(annotation(partial), 'LimitRanger plugin set: memory request for container web; memory limit for container web');

  // Nothing set: no annotation, and the pod's own is left alone.
  const full = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } };
  const complete = await createPod('complete', { containers: [{ name: 'web', image: 'nginx', resources: full }] });
  assert.deepEqual(resources(complete), full);
  assert.equal(annotation(complete), undefined);
  assert.equal((complete.status as { qosClass?: string }).qosClass, 'Guaranteed');

  // Init containers too, after the containers; requests before limits for each.
  const init = await createPod('init', {
    initContainers: [{ name: 'setup', image: 'busybox', resources: { requests: { cpu: '50m' } } }],
    containers: [{ name: 'web', image: 'nginx' }, { name: 'side', image: 'nginx', resources: { limits: { cpu: '200m', memory: '64Mi' } } }],
  });
  assert.deepEqual(init.spec!.initContainers![0]!.resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '50m', memory: '256Mi' } });
  assert.equal(
    annotation(init),
    'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web; memory request for init container setup; cpu, memory limit for init container setup',
  );
});

test('several LimitRanges: the first by name fills in, later ones only what is still missing, and the annotation tells of the last that set something', async (t) => {
  const { limitRange, createPod } = await setup(t);
  await limitRange('b-memory', [{ type: 'Container', default: { cpu: '2', memory: '128Mi' } }]);
  await limitRange('a-cpu', [{ type: 'Container', default: { cpu: '1' } }, { type: 'Pod', max: { cpu: '4' } }]);
  const web = await createPod('web', {});
  assert.deepEqual(resources(web), { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '1', memory: '128Mi' } });
  assert.equal(annotation(web), 'LimitRanger plugin set: memory request for container web; memory limit for container web');
  assert.equal((web.status as { qosClass?: string }).qosClass, 'Guaranteed');
  // Another namespace's LimitRanges do not count.
  await limitRange('elsewhere', [{ type: 'Container', default: { cpu: '3' } }], 'kube-system');
  assert.equal(resources(await createPod('web-2', {}))?.limits?.['cpu'], '1');
  assert.deepEqual(resources(await createPod('sys', {}, { namespace: 'kube-system' })), { limits: { cpu: '3' }, requests: { cpu: '3' } });
});

test('Container items: min and max on requests and limits, in one 403 listing every breach once', async (t) => {
  const { limitRange, createPod } = await setup(t);
  await limitRange('bounds', [{ type: 'Container', min: { cpu: '100m' }, max: { memory: '1Gi' } }]);
  assert.equal(
    await forbidden(createPod('x', { containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '50m' }, limits: { memory: '2Gi' } } }] })),
    'pods "x" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, maximum memory usage per Container is 1Gi, but limit is 2Gi]',
  );
  // One breach: no brackets; the same breach in two containers is told once.
  const big = { name: 'web', image: 'nginx', resources: { limits: { memory: '2Gi' } } };
  assert.equal(await forbidden(createPod('y', { containers: [big, { ...big, name: 'other' }] })), 'pods "y" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi');
  // A request over max under a limit over max: the limit is told.
  assert.equal(
    await forbidden(createPod('z', { containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '200m', memory: '1536Mi' }, limits: { memory: '1536Mi' } } }] })),
    'pods "z" is forbidden: maximum memory usage per Container is 1Gi, but limit is 1536Mi',
  );
  // Init containers are held to it too.
  await limitRange('floor', [{ type: 'Container', min: { memory: '64Mi' } }]);
  assert.equal(
    await forbidden(createPod('init', { initContainers: [{ name: 'setup', image: 'busybox', resources: { requests: { cpu: '100m', memory: '32Mi' } } }] })),
    'pods "init" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi',
  );
  // The defaults (default limit 1Gi from max, default requests from min) pass.
  const web = await createPod('web', {});
  assert.deepEqual(resources(web), { limits: { memory: '1Gi' }, requests: { cpu: '100m', memory: '1Gi' } });
});

test('maxLimitRequestRatio: the ratio printed as Go’s %f, and a missing or zero request or limit refused', async (t) => {
  const { limitRange, createPod } = await setup(t);
  await limitRange('ratio', [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }]);
  const container = (requests: Record<string, string>, limits: Record<string, string>) => ({ containers: [{ name: 'web', image: 'nginx', resources: { requests, limits } }] });
  assert.equal(await forbidden(createPod('a', container({ cpu: '100m' }, { cpu: '500m' }))), 'pods "a" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000');
  assert.equal(await forbidden(createPod('b', container({ cpu: '300m' }, { cpu: '1' }))), 'pods "b" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 3.333333');
  assert.equal(await forbidden(createPod('c', container({ cpu: '0' }, { cpu: '1' }))), 'pods "c" is forbidden: cpu max limit to request ratio per Container is 2, but no request is specified or request is 0');
  assert.equal(await forbidden(createPod('d', container({ cpu: '100m' }, {}))), 'pods "d" is forbidden: cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0');
  await createPod('e', container({ cpu: '250m' }, { cpu: '500m' }));
  // A tie at the seventh decimal rounds to even, as Go's strconv does (129/128 = 1.0078125).
  await limitRange('tight', [{ type: 'Container', maxLimitRequestRatio: { memory: '1' } }], 'kube-system');
  assert.equal(
    await forbidden(createPod('f', container({ cpu: '250m', memory: '128Mi' }, { cpu: '500m', memory: '129Mi' }), { namespace: 'kube-system' })),
    'pods "f" is forbidden: memory max limit to request ratio per Container is 1, but provided ratio is 1.007812',
  );
});

test('Pod items: the pod’s total (sidecars added, the largest other init container beside them), and a missing request or limit', async (t) => {
  const { limitRange, createPod } = await setup(t);
  await limitRange('pod', [{ type: 'Pod', max: { memory: '1Gi', cpu: '1500m' }, min: { cpu: '100m' } }]);
  const c = (name: string, cpu: string, memory: string, restartPolicy?: string) => ({
    name,
    image: 'nginx',
    resources: { limits: { cpu, memory } },
    ...(restartPolicy === undefined ? {} : { restartPolicy }),
  });
  assert.equal(
    await forbidden(createPod('sum', { containers: [c('a', '500m', '600Mi'), c('b', '500m', '600Mi')] })),
    'pods "sum" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1200Mi',
  );
  assert.equal(
    await forbidden(createPod('sidecar', { initContainers: [c('proxy', '1', '100Mi', 'Always')], containers: [c('a', '1', '100Mi')] })),
    'pods "sidecar" is forbidden: maximum cpu usage per Pod is 1500m, but limit is 2',
  );
  // An init container larger than the containers: its own quantity, as written.
  assert.equal(
    await forbidden(createPod('init', { initContainers: [c('setup', '100m', '2Gi')], containers: [c('a', '200m', '100Mi')] })),
    'pods "init" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 2Gi',
  );
  assert.equal(
    await forbidden(createPod('none', {})),
    'pods "none" is forbidden: [minimum cpu usage per Pod is 100m.  No request is specified, maximum cpu usage per Pod is 1500m.  No limit is specified, maximum memory usage per Pod is 1Gi.  No limit is specified]',
  );
  await createPod('fits', { initContainers: [c('setup', '1', '1Gi')], containers: [c('a', '700m', '500Mi'), c('b', '700m', '500Mi')] });
});

test('the first LimitRange by name that refuses is the one told', async (t) => {
  const { limitRange, createPod } = await setup(t);
  await limitRange('b', [{ type: 'Container', max: { cpu: '1' } }]);
  await limitRange('a', [{ type: 'Container', max: { cpu: '2' } }]);
  const big = { containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '3' } } }] };
  assert.equal(await forbidden(createPod('x', big)), 'pods "x" is forbidden: maximum cpu usage per Container is 2, but limit is 3');
});

test('pods: dry runs and server-side apply go through it; updates, and pods the kind’s validation refuses, do not', async (t) => {
  const { registry, type, limitRange, createPod } = await setup(t);
  await limitRange('limits', [{ type: 'Container', default: { cpu: '200m' }, max: { cpu: '1' } }]);
  const dry = await createPod('dry', {}, { dryRun: true });
  assert.deepEqual(resources(dry), { limits: { cpu: '200m' }, requests: { cpu: '200m' } });
  assert.equal(annotation(dry), 'LimitRanger plugin set: cpu request for container web; cpu limit for container web');
  const big = { containers: [{ name: 'web', image: 'nginx', resources: { limits: { cpu: '2' } } }] };
  assert.equal(await forbidden(createPod('dry-big', big, { dryRun: true })), 'pods "dry-big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');

  const manager = { name: 'kubectl' };
  const { object: applied, created } = await registry.apply(type('pods'), 'default', 'applied', pod('applied', {}), { manager, force: false });
  assert.ok(created);
  assert.equal(annotation(applied), 'LimitRanger plugin set: cpu request for container web; cpu limit for container web');
  assert.equal(await forbidden(registry.apply(type('pods'), 'default', 'applied-big', pod('applied-big', big), { manager, force: false })), 'pods "applied-big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');

  // A generated name is the one told.
  const generated = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-' }, spec: big } as KubeObject;
  assert.match(await forbidden(registry.create(type('pods'), 'default', generated, {})), /^pods "web-[a-z0-9]{5}" is forbidden: maximum cpu usage per Container is 1, but limit is 2$/);

  // The kind's 422 comes first, as upstream's validating admission runs after the strategy's validation.
  const invalid = { containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '3' }, limits: { cpu: '2' } } }] };
  await assert.rejects(createPod('invalid', invalid), (err: unknown) => err instanceof ApiError && err.code === 422);

  // A LimitRange that comes later does not touch pods already there, nor refuses their updates.
  await registry.create(type('pods'), 'default', pod('older', {}), {});
  await limitRange('stricter', [{ type: 'Container', min: { memory: '1Gi' } }]);
  const labelled = await registry.patch(type('pods'), 'default', 'older', (p) => ({ ...p, metadata: { ...p.metadata, labels: { tier: 'web' } } }), {});
  assert.equal(labelled.metadata.labels?.['tier'], 'web');
});

test('a pod gets both the LimitRange’s defaults and its service account’s pull secrets', async (t) => {
  const { registry, type, limitRange, createPod } = await setup(t);
  await registry.create(type('serviceaccounts'), 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'puller' }, imagePullSecrets: [{ name: 'regcred' }] } as KubeObject, {});
  await limitRange('defaults', [{ type: 'Container', default: { memory: '64Mi' } }]);
  const web = await createPod('web', { serviceAccountName: 'puller' });
  assert.deepEqual(web.spec!.imagePullSecrets, [{ name: 'regcred' }]);
  assert.deepEqual(resources(web), { limits: { memory: '64Mi' }, requests: { memory: '64Mi' } });
});

test('claims: storage min and max on create and update, not once the claim is being deleted', async (t) => {
  const { registry, type, limitRange } = await setup(t);
  const claims = type('persistentvolumeclaims');
  await registry.create(claims, 'default', { ...claim('older', '10Gi'), metadata: { name: 'older', finalizers: ['example.com/hold'] } }, {});
  await limitRange('storage', [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '5Gi' } }]);

  assert.equal(await forbidden(registry.create(claims, 'default', claim('big', '10Gi'), {})), 'persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi');
  assert.equal(await forbidden(registry.create(claims, 'default', claim('small', '500Mi'), { dryRun: true })), 'persistentvolumeclaims "small" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
  const fits = (await registry.create(claims, 'default', claim('fits', '5Gi'), {})) as KubeObject & PersistentVolumeClaim;
  assert.equal(fits.spec?.resources?.requests?.['storage'], '5Gi');
  // A claim's request is held to it on every update, even one that leaves the request as it was.
  const label = (c: KubeObject) => ({ ...c, metadata: { ...c.metadata, labels: { app: 'db' } } });
  assert.equal(await forbidden(registry.patch(claims, 'default', 'older', label, {})), 'persistentvolumeclaims "older" is forbidden: maximum storage usage per PersistentVolumeClaim is 5Gi, but request is 10Gi');
  // Being deleted, its finalizers may go.
  await registry.delete(claims, 'default', 'older', {});
  await registry.patch(claims, 'default', 'older', (c) => ({ ...c, metadata: { ...c.metadata, finalizers: [] } }), {});
  await assert.rejects(registry.get(claims, 'default', 'older'), (err: unknown) => err instanceof ApiError && err.code === 404);
  // Container and Pod items say nothing of claims.
  await limitRange('pods', [{ type: 'Container', max: { cpu: '1' } }, { type: 'Pod', max: { memory: '1Gi' } }]);
  await registry.create(claims, 'default', claim('still-fits', '2Gi'), {});
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUILTIN_RESOURCES, Catalogue } from '../../server/api/catalogue.js';
import type { ResourceType } from '../../server/api/resources.js';

const find = (group: string, plural: string): ResourceType => {
  const r = BUILTIN_RESOURCES.find((t) => t.group === group && t.plural === plural);
  assert.ok(r, `${plural} in group "${group}"`);
  return r;
};

test('every built-in type is well formed', () => {
  for (const r of BUILTIN_RESOURCES) {
    assert.match(r.kind, /^[A-Z][A-Za-z]+$/, r.plural);
    assert.equal(r.listKind, `${r.kind}List`);
    assert.match(r.plural, /^[a-z]+$/);
    assert.equal(r.singular, r.kind.toLowerCase(), 'upstream: the singular of a built-in type is its lower-cased kind');
    assert.ok(r.verbs.length > 0, r.plural);
    for (const s of r.subresources) {
      assert.match(s.name, /^[a-z]+$/);
      assert.ok(s.kind.kind !== '' && s.kind.version !== '', `${r.plural}/${s.name} has a full response kind`);
      assert.ok(s.verbs.length > 0);
    }
  }
});

test('no two types share a group/version/plural, and a short name means one resource', () => {
  const keys = BUILTIN_RESOURCES.map((r) => `${r.group}/${r.version}/${r.plural}`);
  assert.equal(new Set(keys).size, keys.length);
  // "ev" names events in both the core and events.k8s.io groups, as upstream: same plural, so not ambiguous.
  const pluralOf = new Map<string, string>();
  for (const r of BUILTIN_RESOURCES) {
    for (const short of r.shortNames) {
      assert.equal(pluralOf.get(short) ?? r.plural, r.plural, `short name ${short}`);
      pluralOf.set(short, r.plural);
    }
  }
});

test('the types asked for are all there, in the versions upstream serves', () => {
  const want: Record<string, string[]> = {
    'v1': ['configmaps', 'endpoints', 'events', 'limitranges', 'namespaces', 'nodes', 'persistentvolumeclaims', 'persistentvolumes', 'pods', 'resourcequotas', 'secrets', 'serviceaccounts', 'services'],
    'apps/v1': ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'],
    'batch/v1': ['cronjobs', 'jobs'],
    'certificates.k8s.io/v1': ['certificatesigningrequests'],
    'scheduling.k8s.io/v1': ['priorityclasses'],
    'coordination.k8s.io/v1': ['leases'],
    'node.k8s.io/v1': ['runtimeclasses'],
    'discovery.k8s.io/v1': ['endpointslices'],
    'events.k8s.io/v1': ['events'],
    'authentication.k8s.io/v1': ['selfsubjectreviews', 'tokenreviews'],
    'authentication.k8s.io/v1beta1': ['selfsubjectreviews'],
    'authorization.k8s.io/v1': ['localsubjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews'],
    'rbac.authorization.k8s.io/v1': ['clusterrolebindings', 'clusterroles', 'rolebindings', 'roles'],
    'policy/v1': ['poddisruptionbudgets'],
    'networking.k8s.io/v1': ['ingressclasses', 'ingresses', 'networkpolicies'],
    'autoscaling/v1': ['horizontalpodautoscalers'],
    'autoscaling/v2': ['horizontalpodautoscalers'],
    'storage.k8s.io/v1': ['csidrivers', 'csinodes', 'csistoragecapacities', 'storageclasses', 'volumeattachments'],
    'admissionregistration.k8s.io/v1': ['mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations'],
    'apiextensions.k8s.io/v1': ['customresourcedefinitions'],
  };
  const have: Record<string, string[]> = {};
  for (const r of BUILTIN_RESOURCES) (have[r.group === '' ? r.version : `${r.group}/${r.version}`] ??= []).push(r.plural);
  for (const list of Object.values(have)) list.sort();
  assert.deepEqual(have, want);
});

test('spot checks against upstream discovery', () => {
  const deploy = find('apps', 'deployments');
  assert.equal(deploy.kind, 'Deployment');
  assert.deepEqual(deploy.shortNames, ['deploy']);
  assert.deepEqual(deploy.categories, ['all']);
  assert.deepEqual(deploy.verbs, ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
  assert.deepEqual(deploy.subresources, [
    { name: 'scale', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
    { name: 'status', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
  ]);
  for (const plural of ['replicasets', 'statefulsets']) {
    assert.deepEqual(find('apps', plural).subresources.find((s) => s.name === 'scale')?.kind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  }
  assert.equal(find('apps', 'daemonsets').subresources.some((s) => s.name === 'scale'), false);

  const pods = find('', 'pods');
  assert.deepEqual(pods.shortNames, ['po']);
  assert.deepEqual(pods.categories, ['all']);
  const podSub = Object.fromEntries(pods.subresources.map((s) => [s.name, s]));
  assert.deepEqual(podSub['log'], { name: 'log', kind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] });
  assert.deepEqual(podSub['exec'], { name: 'exec', kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] });
  assert.deepEqual(podSub['attach']?.kind.kind, 'PodAttachOptions');
  assert.deepEqual(podSub['portforward']?.kind.kind, 'PodPortForwardOptions');
  assert.deepEqual(podSub['proxy'], { name: 'proxy', kind: { group: '', version: 'v1', kind: 'PodProxyOptions' }, verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  assert.deepEqual(podSub['binding'], { name: 'binding', kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] });
  assert.deepEqual(podSub['eviction'], { name: 'eviction', kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] });
  assert.ok(podSub['status'] && podSub['ephemeralcontainers']);

  assert.deepEqual(find('', 'services').shortNames, ['svc']);
  assert.deepEqual(find('', 'services').subresources.map((s) => [s.name, s.kind.kind, s.verbs]), [
    ['proxy', 'ServiceProxyOptions', ['create', 'delete', 'get', 'patch', 'update']],
    ['status', 'Service', ['get', 'patch', 'update']],
  ]);
  assert.deepEqual(find('', 'services').categories, ['all']);
  const ns = find('', 'namespaces');
  assert.equal(ns.namespaced, false);
  assert.deepEqual(ns.shortNames, ['ns']);
  assert.equal(ns.verbs.includes('deletecollection'), false, 'upstream namespaces have no deletecollection');
  assert.deepEqual(ns.subresources.map((s) => [s.name, s.verbs]), [['finalize', ['update']], ['status', ['get', 'patch', 'update']]]);
  for (const plural of ['nodes', 'persistentvolumes']) assert.equal(find('', plural).namespaced, false);
  assert.deepEqual(find('', 'serviceaccounts').subresources, [
    { name: 'token', kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] },
  ]);

  assert.equal(find('', 'events').kind, 'Event');
  assert.equal(find('events.k8s.io', 'events').kind, 'Event');
  assert.deepEqual(find('events.k8s.io', 'events').shortNames, ['ev']);

  const shortNames = Object.fromEntries(BUILTIN_RESOURCES.filter((r) => r.group !== 'events.k8s.io').flatMap((r) => r.shortNames.map((s) => [s, r.plural])));
  assert.deepEqual(shortNames, {
    cm: 'configmaps', ep: 'endpoints', ev: 'events', limits: 'limitranges', ns: 'namespaces', no: 'nodes', pvc: 'persistentvolumeclaims',
    pv: 'persistentvolumes', po: 'pods', quota: 'resourcequotas', sa: 'serviceaccounts', svc: 'services', ds: 'daemonsets', deploy: 'deployments',
    rs: 'replicasets', sts: 'statefulsets', hpa: 'horizontalpodautoscalers', cj: 'cronjobs', ing: 'ingresses', netpol: 'networkpolicies',
    pdb: 'poddisruptionbudgets', sc: 'storageclasses', crd: 'customresourcedefinitions', crds: 'customresourcedefinitions', csr: 'certificatesigningrequests', pc: 'priorityclasses',
  });
  const inAll = BUILTIN_RESOURCES.filter((r) => r.categories.includes('all')).map((r) => r.plural).sort();
  // HPAs in both versions they are served in, as upstream's discovery has them.
  assert.deepEqual(inAll, ['cronjobs', 'daemonsets', 'deployments', 'horizontalpodautoscalers', 'horizontalpodautoscalers', 'jobs', 'pods', 'replicasets', 'services', 'statefulsets']);
  assert.deepEqual(find('apiextensions.k8s.io', 'customresourcedefinitions').categories, ['api-extensions']);
  assert.equal(find('rbac.authorization.k8s.io', 'clusterroles').namespaced, false);
  assert.equal(find('rbac.authorization.k8s.io', 'roles').namespaced, true);
  // Reviews are create-only and never stored, as upstream serves them.
  for (const [group, plural, namespaced] of [
    ['authorization.k8s.io', 'selfsubjectaccessreviews', false],
    ['authorization.k8s.io', 'subjectaccessreviews', false],
    ['authorization.k8s.io', 'localsubjectaccessreviews', true],
    ['authentication.k8s.io', 'selfsubjectreviews', false],
  ] as const) {
    assert.deepEqual([find(group, plural).verbs, find(group, plural).namespaced], [['create'], namespaced], plural);
  }
});

const widget = (version: string, plural = 'widgets'): ResourceType => ({
  group: 'example.com',
  version,
  kind: 'Widget',
  listKind: 'WidgetList',
  plural,
  singular: 'widget',
  namespaced: true,
  shortNames: [],
  categories: [],
  verbs: ['get', 'list'],
  subresources: [],
});

test('the catalogue looks types up, and add/remove change its generation', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  assert.equal(c.all().length, BUILTIN_RESOURCES.length);
  assert.equal(c.get('apps', 'v1', 'deployments')?.kind, 'Deployment');
  assert.equal(c.get('apps', 'v1', 'nope'), undefined);
  assert.equal(c.byKind('', 'v1', 'Pod')?.plural, 'pods');
  assert.equal(c.byKind('events.k8s.io', 'v1', 'Event')?.group, 'events.k8s.io');
  assert.equal(c.byKind('apps', 'v1', 'Pod'), undefined);

  const g0 = c.generation;
  c.add(widget('v1'));
  const g1 = c.generation;
  assert.notEqual(g1, g0);
  assert.equal(c.get('example.com', 'v1', 'widgets')?.verbs.length, 2);
  c.add({ ...widget('v1'), verbs: ['get'] });
  assert.notEqual(c.generation, g1, 'replacing is a change too');
  assert.deepEqual(c.get('example.com', 'v1', 'widgets')?.verbs, ['get']);
  assert.equal(c.all().length, BUILTIN_RESOURCES.length + 1, 'replaced, not added twice');

  const g2 = c.generation;
  c.remove('example.com', 'v1', 'widgets');
  assert.notEqual(c.generation, g2);
  assert.equal(c.get('example.com', 'v1', 'widgets'), undefined);
  const g3 = c.generation;
  c.remove('example.com', 'v1', 'widgets');
  assert.equal(c.generation, g3, 'removing nothing changes nothing');
});

test('groups: core first, built-ins in upstream order, then others by name; versions preferred first', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  for (const v of ['v1alpha1', 'v1', 'v2beta1', 'v1beta1', 'v2', 'v10beta2']) c.add(widget(v));
  c.add({ ...widget('v1'), group: 'aaa.io' });
  assert.deepEqual(
    c.groups().map((g) => g.name),
    ['', 'apps', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io',
      'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io', 'node.k8s.io', 'discovery.k8s.io', 'aaa.io', 'example.com'],
  );
  const example = c.groups().find((g) => g.name === 'example.com');
  assert.deepEqual(example, { name: 'example.com', versions: ['v2', 'v1', 'v10beta2', 'v2beta1', 'v1beta1', 'v1alpha1'], preferred: 'v2' });
  assert.deepEqual(c.groups()[0], { name: '', versions: ['v1'], preferred: 'v1' });
  assert.deepEqual(c.groups().find((g) => g.name === 'autoscaling'), { name: 'autoscaling', versions: ['v2', 'v1'], preferred: 'v2' });
});

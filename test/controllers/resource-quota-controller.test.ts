// The resource quota controller on a real store and registry (with quota
// admission, as the server runs): status.hard follows spec.hard, status.used
// counts what the namespace holds (terminal pods not, count/ of any built-in
// kind or custom resource, scopes), and goes back down as objects go.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { ResourceQuotaSpec } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { CrdCatalogue } from '../../server/api/crd/crd-catalogue.js';
import { withCustomResourceRules } from '../../server/api/crd/rules.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import type { KubeObject } from '../../server/api/objects.js';
import { withResourceQuota } from '../../server/api/quota/quota-admission.js';
import type { Registry } from '../../server/api/registry/registry.js';
import { ResourceQuotaController } from '../../server/controllers/resource-quota-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { widgetsDefinition } from '../helpers/crd-objects.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });

async function setup(t: TestContext) {
  let bound: Registry | undefined;
  const { catalogue, registry } = await apiRegistry(t, {
    rules: (store, catalogue) =>
      withResourceQuota(withCustomResourceRules(rulesFor, quiet), { store, quotas: catalogue.get('', 'v1', 'resourcequotas')!, registry: () => bound! }),
  });
  bound = registry;
  const crds = await CrdCatalogue.start({ registry, catalogue, log: quiet });
  t.after(() => crds.close());
  const type = (plural: string, group = '', version = 'v1') => catalogue.get(group, version, plural)!;
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const controller = await ResourceQuotaController.start({ registry, catalogue, informers, log: quiet });
  t.after(() => controller.close());
  const quota = (name: string, spec: ResourceQuotaSpec) => registry.create(type('resourcequotas'), 'default', { metadata: { name }, spec } as unknown as KubeObject, {});
  const statusOf = async (name: string) => (await registry.get(type('resourcequotas'), 'default', name))['status'] as { hard?: Record<string, string>; used?: Record<string, string> };
  const pod = (name: string, requests?: Record<string, string>, spec: object = {}) =>
    registry.create(
      type('pods'),
      'default',
      { metadata: { name }, spec: { containers: [{ name: 'web', image: 'nginx', ...(requests ? { resources: { requests, limits: requests } } : {}) }], ...spec } } as unknown as KubeObject,
      {},
    );
  /** Until the controller has caught up with what the informers brought (a watch event is a few ticks away). */
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await controller.settled();
    }
  };
  return { registry, catalogue, type, quota, statusOf, pod, settle };
}

test('a new quota gets status.hard and the namespace’s usage, counted from what is stored', async (t) => {
  const { registry, type, quota, statusOf, pod, settle } = await setup(t);
  await pod('a', { cpu: '100m', memory: '64Mi' });
  await pod('b', { cpu: '1', memory: '1Gi' });
  await pod('done', { cpu: '1', memory: '1Gi' });
  await registry.patch(type('pods'), 'default', 'done', (p) => ({ ...p, status: { ...(p['status'] as object), phase: 'Succeeded' } }), { subresource: 'status' });
  await registry.create(type('configmaps'), 'default', { metadata: { name: 'cm' } } as KubeObject, {});
  await registry.create(type('deployments', 'apps'), 'default', {
    metadata: { name: 'web' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
  } as unknown as KubeObject, {});
  await quota('all', {
    hard: { pods: '10', 'count/pods': '10', 'requests.cpu': '4', 'limits.memory': '4Gi', cpu: '4', configmaps: '5', 'count/deployments.apps': '2', services: '3' },
  });
  await settle();
  const status = await statusOf('all');
  assert.deepEqual(status.hard, { configmaps: '5', 'count/deployments.apps': '2', 'count/pods': '10', cpu: '4', 'limits.memory': '4Gi', pods: '10', 'requests.cpu': '4', services: '3' });
  // The finished pod is stored (count/pods) but charges nothing else; kube-root-ca.crt is no config map here (no publisher runs).
  assert.deepEqual(status.used, {
    configmaps: '1',
    'count/deployments.apps': '1',
    'count/pods': '3',
    cpu: '1100m',
    'limits.memory': '1088Mi',
    pods: '2',
    'requests.cpu': '1100m',
    services: '0',
  });
});

test('usage goes back down as objects go, and follows spec.hard as it changes', async (t) => {
  const { registry, type, quota, statusOf, pod, settle } = await setup(t);
  await quota('pods', { hard: { pods: '2' } });
  await settle();
  await pod('a');
  await pod('b');
  await settle();
  assert.deepEqual((await statusOf('pods')).used, { pods: '2' });
  await registry.delete(type('pods'), 'default', 'a', { gracePeriodSeconds: 0 });
  await settle();
  assert.deepEqual((await statusOf('pods')).used, { pods: '1' });
  await registry.patch(type('resourcequotas'), 'default', 'pods', (q) => ({ ...q, spec: { hard: { pods: '3', secrets: '1' } } }), {});
  await settle();
  assert.deepEqual(await statusOf('pods'), { hard: { pods: '3', secrets: '1' }, used: { pods: '1', secrets: '0' } });
});

test('scoped quotas count only the pods in all their scopes', async (t) => {
  const { quota, statusOf, pod, settle } = await setup(t);
  await pod('be');
  await pod('burst', { cpu: '100m' });
  await pod('job', { cpu: '200m' }, { activeDeadlineSeconds: 60 });
  await quota('best-effort', { hard: { pods: '5' }, scopes: ['BestEffort'] });
  await quota('long-running', { hard: { pods: '5', 'requests.cpu': '1' }, scopes: ['NotBestEffort', 'NotTerminating'] });
  await quota('terminating', { hard: { 'requests.cpu': '1' }, scopes: ['Terminating'] });
  await settle();
  assert.deepEqual((await statusOf('best-effort')).used, { pods: '1' });
  assert.deepEqual((await statusOf('long-running')).used, { pods: '1', 'requests.cpu': '100m' });
  assert.deepEqual((await statusOf('terminating')).used, { 'requests.cpu': '200m' });
});

test('a write of the status alone (admission’s charge for an object not yet stored) is not recounted until the spec changes', async (t) => {
  const { registry, type, quota, statusOf, settle } = await setup(t);
  await quota('pods', { hard: { pods: '5' } });
  await settle();
  await registry.patch(type('resourcequotas'), 'default', 'pods', (q) => ({ ...q, status: { hard: { pods: '5' }, used: { pods: '1' } } }), { subresource: 'status' });
  await settle();
  assert.deepEqual((await statusOf('pods')).used, { pods: '1' });
  await registry.patch(type('resourcequotas'), 'default', 'pods', (q) => ({ ...q, spec: { hard: { pods: '6' } } }), {});
  await settle();
  assert.deepEqual(await statusOf('pods'), { hard: { pods: '6' }, used: { pods: '0' } });
});

test('custom resources named by count/ are followed while their CRD is served: usage comes down as they go, not at the next resync', async (t) => {
  const { registry, catalogue, type, quota, statusOf, settle } = await setup(t);
  const crdType = type('customresourcedefinitions', 'apiextensions.k8s.io');
  await registry.create(crdType, undefined, widgetsDefinition() as unknown as KubeObject, {});
  await until(() => catalogue.get('example.com', 'v1', 'widgets') !== undefined, 'the widgets to be served');
  const widgets = type('widgets', 'example.com');
  const widget = (name: string) => registry.create(widgets, 'default', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name } } as KubeObject, {});
  await widget('a');
  await widget('b');
  await quota('widgets', { hard: { 'count/widgets.example.com': '5' } });
  await settle();
  assert.deepEqual((await statusOf('widgets')).used, { 'count/widgets.example.com': '2' });
  await registry.delete(widgets, 'default', 'a', {});
  await settle();
  assert.deepEqual((await statusOf('widgets')).used, { 'count/widgets.example.com': '1' });
  // Deleting the CRD deletes its objects, which counts down too; once it is gone, a recount leaves the usage as it was.
  await registry.delete(crdType, undefined, 'widgets.example.com', {});
  await until(() => catalogue.get('example.com', 'v1', 'widgets') === undefined, 'the widgets to be gone');
  await registry.patch(type('resourcequotas'), 'default', 'widgets', (q) => ({ ...q, spec: { hard: { 'count/widgets.example.com': '6' } } }), {});
  await settle();
  assert.deepEqual(await statusOf('widgets'), { hard: { 'count/widgets.example.com': '6' }, used: { 'count/widgets.example.com': '0' } });
});

// metrics.k8s.io from the in-memory store: objects exactly as metrics-server
// writes them, a node reporting only for its own pods, samples dropped with
// their pod or node, and list/get with selectors. Fake caches stand in for
// the shared informers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsReport } from '../../common/agent-protocol.js';
import { createLogger } from '../../common/log.js';
import type { KubeObject } from '../../server/api/objects.js';
import type { SharedInformer } from '../../server/controllers/shared-informers.js';
import { MetricsApi } from '../../server/metrics/metrics-api.js';
import { cpuQuantity, goDuration, memoryQuantity } from '../../server/metrics/metrics-objects.js';
import { MetricsStore } from '../../server/metrics/metrics-store.js';
import { ApiError } from '../../server/api/status.js';

const quiet = createLogger({ level: 'error' });

/** A cache of objects by key, telling subscribers of each change. */
function fakeCache(objects: KubeObject[]): SharedInformer & { set(key: string, obj: KubeObject | undefined): void } {
  const map = new Map(objects.map((o) => [o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!, o]));
  const subscribers: ((key: string) => void)[] = [];
  return {
    get: (key: string) => map.get(key),
    values: () => map.values(),
    subscribe: (f: (key: string) => void) => subscribers.push(f),
    set(key: string, obj: KubeObject | undefined) {
      if (obj === undefined) map.delete(key);
      else map.set(key, obj);
      for (const f of subscribers) f(key);
    },
  } as unknown as SharedInformer & { set(key: string, obj: KubeObject | undefined): void };
}

const pod = (name: string, node: string, labels: Record<string, string> = {}, phase = 'Running'): KubeObject =>
  ({ metadata: { name, namespace: 'default', uid: `uid-${name}`, labels }, spec: { nodeName: node }, status: { phase } }) as unknown as KubeObject;
const node = (name: string): KubeObject => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name } } }) as unknown as KubeObject;

function report(pods: string[], nodeUsage = true): MetricsReport {
  return {
    ...(nodeUsage ? { node: { timestampMs: Date.parse('2026-11-22T10:00:15.400Z'), windowNs: 15_004_312_000, usage: { cpuNanoCores: 250_000_000, memoryWorkingSetBytes: 512 * 1024 * 1024 } } } : {}),
    pods: pods.map((name) => ({
      namespace: 'default',
      name,
      uid: `uid-${name}`,
      timestampMs: Date.parse('2026-11-22T10:00:15Z'),
      windowNs: 15_000_000_000,
      containers: [{ name: 'app', usage: { cpuNanoCores: 1_234_567, memoryWorkingSetBytes: 12_345 * 1024 } }],
    })),
  };
}

function setup() {
  const pods = fakeCache([pod('web', 'pi-1', { app: 'web' }), pod('db', 'pi-1', { app: 'db' }), pod('other', 'pi-2'), pod('waiting', 'pi-1', {}, 'Pending')]);
  const nodes = fakeCache([node('pi-1'), node('pi-2')]);
  const store = new MetricsStore({ pods, nodes, log: quiet });
  const api = new MetricsApi({ store, pods, nodes, now: () => new Date('2026-11-22T10:00:20.700Z') });
  const get = (path: string, query = '') => {
    const parts = path.split('/');
    const namespaced = parts[0] === 'namespaces';
    const [resource, name] = namespaced ? parts.slice(2) : parts;
    const answer = api.answer(
      { kind: 'resource', verb: name === undefined ? 'list' : 'get', group: 'metrics.k8s.io', version: 'v1beta1', resource: resource!, ...(namespaced ? { namespace: parts[1]! } : {}), ...(name ? { name } : {}) },
      new URLSearchParams(query),
      'application/json',
    );
    return JSON.parse(String(answer.body)) as Record<string, any>;
  };
  return { pods, nodes, store, get };
}

test('quantities and windows are written as metrics-server writes them', () => {
  assert.equal(cpuQuantity(1_234_567), '1234567n');
  assert.equal(cpuQuantity(1_230_000), '1230u');
  assert.equal(cpuQuantity(250_000_000), '250m');
  assert.equal(cpuQuantity(2_000_000_000), '2');
  assert.equal(cpuQuantity(0), '0');
  assert.equal(memoryQuantity(12_345 * 1024), '12345Ki');
  assert.equal(memoryQuantity(512 * 1024 * 1024), '512Mi');
  assert.equal(memoryQuantity(1000), '1k');
  assert.equal(memoryQuantity(12_345), '12345');
  assert.equal(goDuration(15_000_000_000), '15s');
  assert.equal(goDuration(15_004_312_000), '15.004312s');
  assert.equal(goDuration(60_500_000_000), '1m0.5s');
  assert.equal(goDuration(850_000_000), '850ms');
  assert.equal(goDuration(7_200_000_000_000), '2h0m0s');
});

test('PodMetrics and NodeMetrics carry the metadata, time, window and usage of the sample', () => {
  const { store, get } = setup();
  store.report('pi-1', report(['web']));
  assert.deepEqual(get('namespaces/default/pods/web'), {
    kind: 'PodMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-11-22T10:00:20Z', labels: { app: 'web' } },
    timestamp: '2026-11-22T10:00:15Z',
    window: '15s',
    containers: [{ name: 'app', usage: { cpu: '1234567n', memory: '12345Ki' } }],
  });
  assert.deepEqual(get('nodes/pi-1'), {
    kind: 'NodeMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: 'pi-1', creationTimestamp: '2026-11-22T10:00:20Z', labels: { 'kubernetes.io/hostname': 'pi-1' } },
    timestamp: '2026-11-22T10:00:15Z',
    window: '15.004312s',
    usage: { cpu: '250m', memory: '512Mi' },
  });
});

test("a node's samples of another node's pods, of unknown pods and of a pod's earlier incarnation are refused", () => {
  const { store } = setup();
  const stolen = report(['web', 'other', 'ghost']);
  stolen.pods.push({ ...stolen.pods[0]!, name: 'db', uid: 'uid-old-db' });
  assert.equal(store.report('pi-1', stolen), 3);
  assert.ok(store.pod('default', 'web'));
  assert.equal(store.pod('default', 'other'), undefined);
  assert.equal(store.pod('default', 'db'), undefined);
  assert.equal(store.report('pi-2', report(['web'])), 1, 'pi-2 cannot speak for pi-1’s pod');
  assert.equal(store.pod('default', 'web')?.node, 'pi-1');
});

test("a node's report replaces its earlier one, and samples go with their pod, their node, or the agent's stream", () => {
  const { store, pods, nodes } = setup();
  store.report('pi-1', report(['web', 'db']));
  store.report('pi-1', report(['web']));
  assert.equal(store.pod('default', 'db'), undefined);
  pods.set('default/web', undefined);
  assert.equal(store.pod('default', 'web'), undefined);
  store.report('pi-2', report(['other']));
  nodes.set('pi-2', undefined);
  assert.equal(store.node('pi-2'), undefined);
  assert.equal(store.pod('default', 'other'), undefined);
  store.report('pi-1', report(['db']));
  store.forgetNode('pi-1');
  assert.equal(store.node('pi-1'), undefined);
  assert.equal(store.pod('default', 'db'), undefined);
});

test('lists filter by namespace and selectors, show only Running pods with samples, and a pod without metrics is NotFound as metrics-server says', () => {
  const { store, get } = setup();
  store.report('pi-1', report(['web', 'db']));
  store.report('pi-2', report(['other'], false));
  assert.deepEqual(get('namespaces/default/pods').items.map((p: any) => p.metadata.name), ['db', 'other', 'web']);
  assert.deepEqual(get('namespaces/default/pods', 'labelSelector=app%3Dweb').items.map((p: any) => p.metadata.name), ['web']);
  assert.deepEqual(get('pods', 'fieldSelector=metadata.name%3Ddb').items.map((p: any) => p.metadata.name), ['db']);
  assert.deepEqual(get('namespaces/kube-system/pods').items, []);
  assert.equal(get('pods').kind, 'PodMetricsList');
  assert.deepEqual(get('nodes').items.map((n: any) => n.metadata.name), ['pi-1'], 'pi-2 sent no node usage');
  assert.throws(() => get('namespaces/default/pods/waiting'), (err: ApiError) => err.code === 404 && err.message === 'podmetrics.metrics.k8s.io "default/waiting" not found');
  assert.throws(() => get('namespaces/default/pods/nope'), (err: ApiError) => err.code === 404 && err.message === 'pod "nope" not found');
  assert.throws(() => get('nodes/pi-2'), (err: ApiError) => err.code === 404 && err.message === 'nodemetrics.metrics.k8s.io "pi-2" not found');
  assert.throws(() => get('namespaces/default/pods', 'labelSelector=a%20in'), (err: ApiError) => err.code === 400);
});

// The HorizontalPodAutoscaler: upstream's replica calculator (tolerance,
// missing metrics, unready pods, AverageValue), the downscale stabilization
// window and behavior policies with a fake clock, and the controller on a
// real store and registry scaling a Deployment from in-memory metrics.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import type { KubeObject } from '../../server/api/objects.js';
import { ScalingHistory } from '../../server/controllers/hpa-normalization.js';
import { HorizontalPodAutoscalerController } from '../../server/controllers/horizontal-pod-autoscaler-controller.js';
import { type PodMetric, rawResourceReplicas, resourceReplicas } from '../../server/controllers/replica-calculator.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { MetricsStore } from '../../server/metrics/metrics-store.js';
import { apiRegistry } from '../helpers/api-registry.js';

const quiet = createLogger({ level: 'error' });
const NOW = Date.parse('2026-11-22T10:00:00Z');
const LONG_AGO = '2026-11-22T09:00:00Z';

function pod(name: string, opts: { phase?: string; ready?: boolean; started?: string; cpuRequest?: string } = {}): Pod {
  return {
    metadata: { name },
    spec: { containers: [{ name: 'app', resources: { requests: { cpu: opts.cpuRequest ?? '100m' } } }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: opts.started ?? LONG_AGO,
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: opts.started ?? LONG_AGO }],
    },
  };
}

const metric = (value: number): PodMetric => ({ value, timestampMs: NOW - 1000, windowMs: 15_000 });
const metrics = (values: Record<string, number>) => new Map(Object.entries(values).map(([k, v]) => [k, metric(v)]));

test('utilization is the pods’ usage over their requests; within the tolerance nothing changes', () => {
  const pods = [pod('a'), pod('b')];
  // 150m + 150m of 200m requested: 150% of a 50% target → 3 × 2 pods.
  assert.deepEqual(resourceReplicas({ currentReplicas: 2, resource: 'cpu', metrics: metrics({ a: 150, b: 150 }), pods, now: NOW }, 50), { replicas: 6, utilization: 150, rawAverage: 150 });
  // 54% of 50%: a ratio of 1.08 is within 0.1.
  assert.equal(resourceReplicas({ currentReplicas: 2, resource: 'cpu', metrics: metrics({ a: 54, b: 54 }), pods, now: NOW }, 50).replicas, 2);
  assert.equal(resourceReplicas({ currentReplicas: 2, resource: 'cpu', metrics: metrics({ a: 10, b: 10 }), pods, now: NOW }, 50).replicas, 1);
  assert.throws(() => resourceReplicas({ currentReplicas: 1, resource: 'cpu', metrics: metrics({ a: 1 }), pods: [{ ...pod('a'), spec: { containers: [{ name: 'app' }] } }], now: NOW }, 50), /missing request for cpu in container app of Pod a/);
});

test('pods without metrics count as using their whole request on a scale-down and nothing on a scale-up', () => {
  const pods = [pod('a'), pod('b'), pod('c'), pod('d')];
  // Down: a and b at 10%; c and d, missing, at 100%: (10+10+100+100)/4 = 55% of 50% → within tolerance, no change.
  assert.equal(resourceReplicas({ currentReplicas: 4, resource: 'cpu', metrics: metrics({ a: 10, b: 10 }), pods, now: NOW }, 50).replicas, 4);
  // Up: a and b at 200%; c and d at 0: 100% of 50% → 2 × 4 = 8.
  assert.equal(resourceReplicas({ currentReplicas: 4, resource: 'cpu', metrics: metrics({ a: 200, b: 200 }), pods, now: NOW }, 50).replicas, 8);
});

test('unready and pending pods hold a CPU scale-up back; failed and deleted pods are ignored; no usable metric is an error', () => {
  const starting = new Date(NOW - 60_000).toISOString();
  const pods = [pod('a'), pod('b', { ready: false, started: starting }), pod('c', { phase: 'Pending' }), pod('d', { phase: 'Failed' })];
  // a at 300% alone would ask for 6 × 1; with b and c at 0: 100% of 50% → 2 × 3 = 6... over the 3 pods counted.
  assert.equal(resourceReplicas({ currentReplicas: 4, resource: 'cpu', metrics: metrics({ a: 300, b: 300, d: 300 }), pods, now: NOW }, 50).replicas, 6);
  // A sample taken before a window had passed since the pod turned ready is not trusted either.
  const justReady = [pod('a', { started: new Date(NOW - 5000).toISOString() })];
  assert.throws(() => resourceReplicas({ currentReplicas: 1, resource: 'cpu', metrics: metrics({ a: 300 }), pods: justReady, now: NOW }, 50), /did not receive metrics for targeted pods/);
  assert.throws(() => resourceReplicas({ currentReplicas: 1, resource: 'cpu', metrics: metrics({}), pods: [], now: NOW }, 50), /no pods returned by selector/);
});

test('an AverageValue target divides the average usage per pod by the target', () => {
  const pods = [pod('a'), pod('b')];
  const memory = (mib: number) => mib * 1024 * 1024 * 1000;
  const proposal = rawResourceReplicas({ currentReplicas: 2, resource: 'memory', metrics: metrics({ a: memory(300), b: memory(100) }), pods, now: NOW }, memory(100));
  assert.deepEqual(proposal, { replicas: 4, rawAverage: memory(200) });
});

test('without a behavior the highest recommendation of the last 5 minutes wins, and scale-ups are at most 2× (at least 4)', () => {
  const history = new ScalingHistory();
  const args = { behavior: undefined, minReplicas: 1, maxReplicas: 10, current: 5, desired: 5 };
  history.normalize('ns/h', args, NOW);
  const down = history.normalize('ns/h', { ...args, desired: 2 }, NOW + 60_000);
  assert.equal(down.replicas, 5);
  assert.deepEqual(down.able, { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
  // Past the window, the low recommendations are all that is left.
  assert.equal(history.normalize('ns/h', { ...args, desired: 2 }, NOW + 301_000).replicas, 2);
  const up = new ScalingHistory().normalize('ns/u', { ...args, current: 1, desired: 9 }, NOW);
  assert.equal(up.replicas, 4);
  assert.deepEqual(up.limited, { status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
  const capped = new ScalingHistory().normalize('ns/m', { ...args, current: 8, desired: 30 }, NOW);
  assert.deepEqual([capped.replicas, capped.limited.reason], [10, 'TooManyReplicas']);
});

test("a behavior's policies limit how much changes per period", () => {
  const history = new ScalingHistory();
  const behavior = { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };
  const first = history.normalize('ns/b', { behavior, minReplicas: 1, maxReplicas: 10, current: 2, desired: 6 }, NOW);
  assert.deepEqual([first.replicas, first.limited.reason], [3, 'ScaleUpLimit']);
  history.recordScale('ns/b', behavior, 2, 3, NOW);
  // Within the minute, the one pod allowed was already added.
  assert.equal(history.normalize('ns/b', { behavior, minReplicas: 1, maxReplicas: 10, current: 3, desired: 6 }, NOW + 30_000).replicas, 3);
  assert.equal(history.normalize('ns/b', { behavior, minReplicas: 1, maxReplicas: 10, current: 3, desired: 6 }, NOW + 61_000).replicas, 4);
});

async function cluster(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const type = (group: string, plural: string) => catalogue.get(group, group === 'autoscaling' ? 'v2' : 'v1', plural)!;
  await registry.create(type('', 'nodes'), undefined, { metadata: { name: 'pi-1' } } as unknown as KubeObject, {});
  await registry.create(type('apps', 'deployments'), 'default', {
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'busybox' }] } } },
  } as unknown as KubeObject, {});
  const uids: Record<string, string> = {};
  for (const name of ['web-1', 'web-2']) {
    const created = await registry.create(type('', 'pods'), 'default', { metadata: { name, labels: { app: 'web' } }, spec: { nodeName: 'pi-1', containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m' } } }] } } as unknown as KubeObject, {});
    uids[name] = created.metadata.uid!;
    await registry.patch(type('', 'pods'), 'default', name, (p) => ({ ...p, status: { phase: 'Running', startTime: LONG_AGO, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: LONG_AGO }] } }), { subresource: 'status' });
  }
  const pods = informers.of('', 'v1', 'pods');
  const nodes = informers.of('', 'v1', 'nodes');
  await Promise.all([pods.start(), nodes.start()]);
  const metricsStore = new MetricsStore({ pods, nodes, log: quiet });
  const usage = (millicores: number) =>
    metricsStore.report('pi-1', {
      pods: Object.entries(uids).map(([name, uid]) => ({ namespace: 'default', name, uid, timestampMs: now - 1000, windowNs: 15e9, containers: [{ name: 'app', usage: { cpuNanoCores: millicores * 1e6, memoryWorkingSetBytes: 1 << 20 } }] })),
    });
  let now = NOW;
  const controller = await HorizontalPodAutoscalerController.start({ registry, catalogue, informers, metrics: metricsStore, log: quiet, now: () => now, syncPeriodMs: 3_600_000 });
  t.after(() => controller.close());
  return { registry, type, controller, usage, advance: (ms: number) => (now += ms) };
}

test('the controller scales a Deployment up from its pods’ usage, writes its status and conditions, and records SuccessfulRescale', async (t) => {
  const { registry, type, controller, usage } = await cluster(t);
  usage(150);
  await registry.create(type('autoscaling', 'horizontalpodautoscalers'), 'default', {
    metadata: { name: 'web' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
  } as unknown as KubeObject, {});
  // Its creation queues it: the first sync happens on its own (the API's own status has no conditions).
  const hpaStatus = async () => (await registry.get(type('autoscaling', 'horizontalpodautoscalers'), 'default', 'web'))['status'] as Record<string, any> | undefined;
  for (let i = 0; i < 100 && (await hpaStatus())?.['conditions'] === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  const replicas = async () => ((await registry.get(type('apps', 'deployments'), 'default', 'web'))['spec'] as { replicas: number }).replicas;
  // 150% of a 50% target on 2 pods asks for 6; at most 2 × 2 = 4 at once.
  assert.equal(await replicas(), 4);
  const status = (await hpaStatus())!;
  assert.equal(status['currentReplicas'], 2);
  assert.equal(status['desiredReplicas'], 4);
  assert.equal(status['lastScaleTime'], '2026-11-22T10:00:00Z');
  assert.deepEqual(status['currentMetrics'], [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 150, averageValue: '150m' } } }]);
  assert.deepEqual(
    status['conditions'].map((c: any) => [c.type, c.status, c.reason]),
    [['AbleToScale', 'True', 'SucceededRescale'], ['ScalingActive', 'True', 'ValidMetricFound'], ['ScalingLimited', 'True', 'ScaleUpLimit']],
  );
  // The next sync goes on up to the maximum.
  await controller.reconcile('default/web');
  assert.equal(await replicas(), 5);
  assert.deepEqual((await hpaStatus())!['conditions'].find((c: any) => c.type === 'ScalingLimited').reason, 'TooManyReplicas');
  await new Promise((r) => setTimeout(r, 100));
  const all = (await registry.list(type('', 'events'), 'default', {})).items as unknown as { reason: string; message: string }[];
  assert.ok(all.some((e) => e.reason === 'SuccessfulRescale' && e.message === 'New size: 4; reason: cpu resource utilization (percentage of request) above target'));
});

test('without metrics (the API\'s default cpu metric) the controller says so in ScalingActive and does not scale', async (t) => {
  const { registry, type, controller } = await cluster(t);
  await registry.create(type('autoscaling', 'horizontalpodautoscalers'), 'default', {
    metadata: { name: 'web' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5 },
  } as unknown as KubeObject, {});
  await new Promise((r) => setTimeout(r, 100));
  await controller.reconcile('default/web');
  const hpa = await registry.get(type('autoscaling', 'horizontalpodautoscalers'), 'default', 'web');
  const active = (hpa['status'] as any).conditions.find((c: any) => c.type === 'ScalingActive');
  assert.deepEqual([active.status, active.reason, active.message], [
    'False',
    'FailedGetResourceMetric',
    'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
  ]);
  assert.equal(((await registry.get(type('apps', 'deployments'), 'default', 'web'))['spec'] as { replicas: number }).replicas, 2);
});

test('a scale-down waits for the stabilization window', async (t) => {
  const { registry, type, controller, usage, advance } = await cluster(t);
  usage(50);
  await registry.create(type('autoscaling', 'horizontalpodautoscalers'), 'default', {
    metadata: { name: 'web' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
  } as unknown as KubeObject, {});
  await new Promise((r) => setTimeout(r, 100));
  await controller.reconcile('default/web');
  const replicas = async () => ((await registry.get(type('apps', 'deployments'), 'default', 'web'))['spec'] as { replicas: number }).replicas;
  assert.equal(await replicas(), 2);
  usage(5);
  advance(60_000);
  await controller.reconcile('default/web');
  assert.equal(await replicas(), 2, 'held by the earlier recommendation of 2');
  advance(300_000);
  usage(5);
  await controller.reconcile('default/web');
  assert.equal(await replicas(), 1);
});

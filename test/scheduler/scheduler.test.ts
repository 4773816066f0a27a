// The scheduler loop on a real store and registry, with simulated Nodes (no
// agent is needed to decide where a pod goes): pods are bound through the
// binding subresource, an unschedulable pod gets kubectl's message and an
// event and is retried when the cluster changes, not in a busy loop.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import type { KubeObject } from '../../server/api/objects.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { fitError, Scheduler } from '../../server/scheduler/scheduler.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  const pods = catalogue.get('', 'v1', 'pods')!;
  const nodes = catalogue.get('', 'v1', 'nodes')!;
  const events = catalogue.get('', 'v1', 'events')!;
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const scheduler = await Scheduler.start({ registry, catalogue, informers, log: quiet });
  t.after(() => scheduler.close());
  const node = (name: string, opts: { cpu?: string; labels?: Record<string, string>; unschedulable?: boolean } = {}) =>
    registry.create(
      nodes,
      undefined,
      {
        metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
        spec: opts.unschedulable ? { unschedulable: true } : {},
        status: {
          allocatable: { cpu: opts.cpu ?? '4', memory: '4Gi', pods: '110' },
          capacity: { cpu: opts.cpu ?? '4', memory: '4Gi', pods: '110' },
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      } as unknown as KubeObject,
      {},
    );
  const pod = (name: string, spec: Partial<Pod['spec']> = {}, meta: Partial<KubeObject['metadata']> = {}) =>
    registry.create(pods, 'default', { metadata: { name, ...meta }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } } as unknown as KubeObject, {});
  const get = async (name: string) => (await registry.get(pods, 'default', name)) as unknown as Pod;
  const eventsOf = async (name: string) =>
    (await registry.list(events, 'default', {})).items.map((e) => e as unknown as Event).filter((e) => e.involvedObject.name === name);
  const nodeOf = async (name: string) => (await get(name)).spec?.nodeName;
  return { registry, pods, nodes, node, pod, get, eventsOf, nodeOf };
}

const cpu = (amount: string) => ({ containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: amount } } }] });

test('a pod is bound to a node through the binding subresource, with PodScheduled=True and a Scheduled event', async (t) => {
  const { node, pod, get, eventsOf, nodeOf } = await setup(t);
  await node('pi-1');
  await pod('web');
  await until(async () => (await nodeOf('web')) === 'pi-1', 'bound');
  const bound = await get('web');
  assert.deepEqual(
    bound.status?.conditions?.map((c) => [c.type, c.status]),
    [['PodScheduled', 'True']],
  );
  await until(async () => (await eventsOf('web')).some((e) => e.reason === 'Scheduled'), 'the event');
  const event = (await eventsOf('web')).find((e) => e.reason === 'Scheduled')!;
  assert.equal(event.message, 'Successfully assigned default/web to pi-1');
  assert.equal(event.type, 'Normal');
  assert.equal(event.source?.component, 'default-scheduler');
});

test('a pod that fits nowhere gets Unschedulable with the reasons counted per node, and is placed once a node has room', async (t) => {
  const { registry, nodes, node, pod, get, eventsOf, nodeOf } = await setup(t);
  await node('small-1', { cpu: '1' });
  await node('small-2', { cpu: '1' });
  await node('cordoned', { cpu: '8', unschedulable: true });
  await pod('big', cpu('2'));
  const message = '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.';
  await until(async () => (await get('big')).status?.conditions?.some((c) => c.message === message) === true, 'the condition', 10_000);
  const condition = (await get('big')).status!.conditions!.find((c) => c.type === 'PodScheduled')!;
  assert.equal(condition.status, 'False');
  assert.equal(condition.reason, 'Unschedulable');
  await until(async () => (await eventsOf('big')).some((e) => e.reason === 'FailedScheduling'), 'the event');
  const failed = (await eventsOf('big')).filter((e) => e.reason === 'FailedScheduling');
  assert.equal(failed.length, 1, 'one event, counted up on retries');
  assert.equal(failed[0]!.type, 'Warning');
  assert.equal(failed[0]!.message, message);

  // Nothing changes in the cluster: the pod is not retried (no busy loop), so the event's count stays.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal((await eventsOf('big')).find((e) => e.reason === 'FailedScheduling')!.count, 1);
  assert.equal(await nodeOf('big'), undefined);

  // Uncordoning the big node is a change that makes room: the pod goes there.
  await registry.patch(nodes, undefined, 'cordoned', (n) => ({ ...n, spec: {} }), {});
  await until(async () => (await nodeOf('big')) === 'cordoned', 'bound after the uncordon', 10_000);
});

test('requests already bound count: pods fill a node and the rest spill to the next', async (t) => {
  const { node, pod, nodeOf } = await setup(t);
  await node('a', { cpu: '1' });
  await node('b', { cpu: '1' });
  for (const name of ['p1', 'p2', 'p3', 'p4']) await pod(name, cpu('500m'));
  await pod('p5', cpu('500m'));
  await until(async () => (await Promise.all(['p1', 'p2', 'p3', 'p4'].map(nodeOf))).every((n) => n !== undefined), 'four bound');
  const placed = await Promise.all(['p1', 'p2', 'p3', 'p4'].map(nodeOf));
  assert.deepEqual(placed.filter((n) => n === 'a').length, 2);
  assert.deepEqual(placed.filter((n) => n === 'b').length, 2);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(await nodeOf('p5'), undefined, 'the fifth does not fit');
});

test("a controller's pods are spread across nodes", async (t) => {
  const { node, pod, nodeOf } = await setup(t);
  for (const name of ['n1', 'n2', 'n3']) await node(name);
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: '0f6c8b2e-0000-4000-8000-000000000001', controller: true };
  const names = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
  for (const name of names) await pod(name, {}, { labels: { app: 'web' }, ownerReferences: [owner] });
  await until(async () => (await Promise.all(names.map(nodeOf))).every((n) => n !== undefined), 'all bound');
  const placed = await Promise.all(names.map(nodeOf));
  for (const n of ['n1', 'n2', 'n3']) assert.equal(placed.filter((p) => p === n).length, 2, `two on ${n}: ${placed.join(' ')}`);
});

test('pods for another scheduler, with scheduling gates, or already bound are left alone', async (t) => {
  const { node, pod, nodeOf } = await setup(t);
  await node('pi-1');
  await pod('other', { schedulerName: 'my-scheduler' });
  await pod('gated', { schedulingGates: [{ name: 'example.com/wait' }] });
  await pod('mine');
  await until(async () => (await nodeOf('mine')) === 'pi-1', 'ours bound');
  assert.equal(await nodeOf('other'), undefined);
  assert.equal(await nodeOf('gated'), undefined);
});

test('with no nodes at all the pod says so', async (t) => {
  const { pod, get } = await setup(t);
  await pod('lonely');
  await until(async () => (await get('lonely')).status?.conditions?.some((c) => c.message === 'no nodes available to schedule pods') === true, 'the condition');
});

test('the fit error sorts its counts as upstream does', () => {
  assert.equal(
    fitError(12, new Map([['node(s) had untolerated taint {dedicated: edge}', 2], ['Insufficient cpu', 10]])),
    '0/12 nodes are available: 10 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: edge}.',
  );
});

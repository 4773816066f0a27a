// Pods leave nodes with NoExecute taints they do not tolerate: at once, after
// their tolerationSeconds, or never; a node's autonomy window stretches the
// stay after it is lost. On a real store and registry, with a fake clock.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Event, PodCondition, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { BUILTIN_RESOURCES, Catalogue } from '../../server/api/catalogue.js';
import type { KubeObject } from '../../server/api/objects.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { AUTONOMY_ANNOTATION, evictionTime, TaintEvictionController } from '../../server/controllers/taint-eviction-controller.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });
const T0 = Date.parse('2026-11-22T10:00:00Z');
const unreachable = (at = T0): Taint => ({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z') });

async function setup(t: TestContext, nodeAnnotations: Record<string, string> = {}) {
  const { catalogue, registry } = await apiRegistry(t);
  const nodes = catalogue.get('', 'v1', 'nodes')!;
  const pods = catalogue.get('', 'v1', 'pods')!;
  const events = catalogue.get('', 'v1', 'events')!;
  await registry.create(nodes, undefined, { metadata: { name: 'pi-1', annotations: nodeAnnotations }, spec: {} } as unknown as KubeObject, {});
  let now = T0;
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const controller = await TaintEvictionController.start({ registry, catalogue, informers, log: quiet, now: () => now });
  t.after(() => controller.close());
  const pod = (name: string, tolerations?: Toleration[]) =>
    registry.create(
      pods,
      'default',
      { metadata: { name }, spec: { nodeName: 'pi-1', containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) } } as unknown as KubeObject,
      {},
    );
  // Pods still on the node: an evicted pod is marked for deletion (its kubelet, absent here, would then delete it).
  const names = async () => (await registry.list(pods, 'default', {})).items.filter((p) => p.metadata.deletionTimestamp === undefined).map((p) => p.metadata.name).sort();
  const taint = (taints: Taint[]) => registry.patch(nodes, undefined, 'pi-1', (n) => ({ ...n, spec: { taints } }), {});
  const settle = async () => {
    // Let the informers see the latest writes, then reconcile as the queue would.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await controller.reconcile('pi-1');
  };
  const eventsList = async () => (await registry.list(events, 'default', {})).items.map((e) => e as unknown as Event);
  const conditions = async (name: string) => ((await registry.get(pods, 'default', name))['status'] as { conditions?: PodCondition[] } | undefined)?.conditions ?? [];
  return { registry, pod, names, taint, settle, eventsList, conditions, advance: (ms: number) => (now += ms) };
}

test('a pod that does not tolerate a NoExecute taint leaves at once, with a TaintManagerEviction event and the DisruptionTarget condition', async (t) => {
  const { pod, names, taint, settle, eventsList, conditions } = await setup(t);
  await pod('tolerates-unreachable');
  await pod('tolerates-nothing-of-this');
  await taint([{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }]);
  // Admission gives every pod the 300 s not-ready/unreachable tolerations, not this custom one.
  await until(async () => (await names()).length === 0, 'both evicted');
  await settle();
  const evicted = (await eventsList()).filter((e) => e.reason === 'TaintManagerEviction').map((e) => e.message).sort();
  assert.deepEqual(evicted, ['Marking for deletion Pod default/tolerates-nothing-of-this', 'Marking for deletion Pod default/tolerates-unreachable']);
  for (const name of ['tolerates-nothing-of-this', 'tolerates-unreachable']) {
    const disruption = (await conditions(name)).find((c) => c.type === 'DisruptionTarget');
    assert.deepEqual(
      [disruption?.status, disruption?.reason, disruption?.message, disruption?.lastTransitionTime],
      ['True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint', '2026-11-22T10:00:00Z'],
      name,
    );
  }
});

test('an unreachable node keeps pods for their tolerationSeconds (300 s by default), and those tolerating it without a time for good', async (t) => {
  const { pod, names, taint, settle, advance } = await setup(t);
  await pod('default-toleration');
  await pod('short', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]);
  await pod('forever', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
  await taint([unreachable()]);
  await settle();
  assert.deepEqual(await names(), ['default-toleration', 'forever', 'short']);
  advance(30_000);
  await settle();
  assert.deepEqual(await names(), ['default-toleration', 'forever']);
  advance(270_000);
  await settle();
  assert.deepEqual(await names(), ['forever']);
  advance(24 * 3600_000);
  await settle();
  assert.deepEqual(await names(), ['forever']);
});

test("a node's autonomy window keeps its pods longer after it is lost, but not past other taints", async (t) => {
  const { pod, names, taint, settle, advance } = await setup(t, { [AUTONOMY_ANNOTATION]: '3600' });
  await pod('default-toleration');
  await taint([unreachable()]);
  advance(300_000);
  await settle();
  assert.deepEqual(await names(), ['default-toleration'], 'still there after 300 s');
  advance(3300_000);
  await settle();
  assert.deepEqual(await names(), [], 'gone after the hour');
});

test('the clock counts from when the taint was added, not from when the controller saw it', () => {
  const tolerations: Toleration[] = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }];
  assert.equal(evictionTime(tolerations, [unreachable(T0)], 0, T0 + 200_000), T0 + 300_000);
  assert.equal(evictionTime(tolerations, [{ key: 'other', effect: 'NoExecute' }], 0, T0), T0, 'not tolerated: now');
  assert.equal(evictionTime([{ operator: 'Exists' }], [unreachable(T0)], 0, T0), Infinity, 'tolerates everything, for good');
});

test('an autonomy annotation that is not a whole number is said to be wrong, with a Warning event', async (t) => {
  const { registry, pod, taint, settle } = await setup(t, { [AUTONOMY_ANNOTATION]: 'an hour' });
  await pod('p');
  await taint([unreachable()]);
  await settle();
  const events = (await registry.list(new Catalogue(BUILTIN_RESOURCES).get('', 'v1', 'events')!, 'default', {})).items as unknown as Event[];
  const warning = events.find((e) => e.reason === 'InvalidAutonomySeconds');
  assert.equal(warning?.type, 'Warning');
  assert.match(warning?.message ?? '', /is not a whole number of seconds/);
});

// Pods nobody else cleans up: those of a node that is gone (after a
// quarantine), unscheduled ones being deleted, and the oldest finished ones
// past the threshold. On a real store and registry, with a fake clock.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { PodCondition } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import type { KubeObject } from '../../server/api/objects.js';
import { PodGcController } from '../../server/controllers/pod-gc-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';

const quiet = createLogger({ level: 'error' });

async function setup(t: TestContext, terminatedThreshold = 100) {
  const { catalogue, registry } = await apiRegistry(t);
  const pods = catalogue.get('', 'v1', 'pods')!;
  const nodes = catalogue.get('', 'v1', 'nodes')!;
  const node = (name: string) => registry.create(nodes, undefined, { metadata: { name } } as unknown as KubeObject, {});
  const pod = async (name: string, nodeName?: string, phase?: string) => {
    const created = await registry.create(pods, 'default', { metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] } } as unknown as KubeObject, {});
    if (phase !== undefined) await registry.patch(pods, 'default', name, (p) => ({ ...p, status: { ...(p['status'] as object), phase } }), { subresource: 'status' });
    return created;
  };
  let now = Date.parse('2026-11-22T10:00:00Z');
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const start = async () => {
    const gc = await PodGcController.start({ registry, catalogue, informers, log: quiet, now: () => now, terminatedThreshold, quarantineMs: 40_000 });
    t.after(() => gc.close());
    return gc;
  };
  const names = async () => (await registry.list(pods, 'default', {})).items.map((p) => p.metadata.name).sort();
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
  return { registry, nodes, podType: pods, node, pod, start, names, settle, advance: (ms: number) => (now += ms) };
}

test("a deleted node's pods go once it has stayed gone for the quarantine, marked Failed with DisruptionTarget DeletionByPodGC first; pods of existing nodes stay", async (t) => {
  const { registry, nodes, podType, node, pod, start, names, settle, advance } = await setup(t);
  await node('pi-1');
  await node('pi-2');
  await pod('on-1', 'pi-1');
  await pod('on-2', 'pi-2');
  const gc = await start();
  // The status written before the deletion, as watchers see it.
  const abort = new AbortController();
  t.after(() => abort.abort());
  const modified: KubeObject[] = [];
  void (async () => {
    for await (const event of registry.watch(podType, 'default', { resourceVersion: String(registry.revision), signal: abort.signal })) {
      if (event.type === 'MODIFIED') modified.push(event.object as KubeObject);
    }
  })().catch(() => undefined);
  await registry.delete(nodes, undefined, 'pi-2', {});
  await settle();
  await gc.sweep();
  assert.deepEqual(await names(), ['on-1', 'on-2'], 'not during the quarantine');
  advance(40_000);
  await gc.sweep();
  assert.deepEqual(await names(), ['on-1']);
  await settle();
  const marked = modified.find((p) => p.metadata.name === 'on-2')?.['status'] as { phase?: string; conditions?: PodCondition[] } | undefined;
  assert.equal(marked?.phase, 'Failed');
  const disruption = marked?.conditions?.find((c) => c.type === 'DisruptionTarget');
  assert.deepEqual([disruption?.status, disruption?.reason, disruption?.message], ['True', 'DeletionByPodGC', 'PodGC: node no longer exists']);
});

test('a node that comes back within the quarantine keeps its pods', async (t) => {
  const { registry, nodes, node, pod, start, names, settle, advance } = await setup(t);
  await node('pi-1');
  await pod('on-1', 'pi-1');
  const gc = await start();
  await registry.delete(nodes, undefined, 'pi-1', {});
  await settle();
  await gc.sweep();
  advance(20_000);
  await node('pi-1');
  await settle();
  await gc.sweep();
  advance(30_000);
  await gc.sweep();
  assert.deepEqual(await names(), ['on-1']);
});

test('past the threshold the oldest finished pods go, and running ones never', async (t) => {
  const { node, pod, start, names, settle } = await setup(t, 2);
  await node('pi-1');
  for (const name of ['done-1', 'done-2', 'done-3', 'done-4']) {
    await pod(name, 'pi-1', name === 'done-2' ? 'Failed' : 'Succeeded');
    // Creation times are whole seconds: one apart, so "oldest" is well defined.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await pod('running', 'pi-1', 'Running');
  const gc = await start();
  await settle();
  await gc.sweep();
  assert.deepEqual(await names(), ['done-3', 'done-4', 'running']);
});

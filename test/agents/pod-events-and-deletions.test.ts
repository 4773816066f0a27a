// What a node reports about pods beyond their status: events, recorded as
// kubelet's (source kubelet on that node, the container by fieldPath), and
// the final deletion of a pod that stopped after being deleted. Both only
// for the reporting node's own pod with that uid: no node can forge events
// for, or delete, another node's pods. And the graceful deletion that makes
// that final deletion needed. On a real store and registry.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { PodEventReport } from '../../common/agent-protocol.js';
import { createLogger } from '../../common/log.js';
import { PodDeleter } from '../../server/agents/pod-deleter.js';
import { PodEventWriter } from '../../server/agents/pod-event-writer.js';
import type { KubeObject } from '../../server/api/objects.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  const pods = catalogue.get('', 'v1', 'pods')!;
  const events = catalogue.get('', 'v1', 'events')!;
  const create = async (name: string, spec: object = { nodeName: 'pi-1' }) =>
    (await registry.create(pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec } } as KubeObject, {})) as KubeObject & Pod;
  const get = async (name: string) => (await registry.get(pods, 'default', name).catch(() => undefined)) as (KubeObject & Pod) | undefined;
  const listEvents = async () => (await registry.list(events, 'default', {})).items as unknown as Event[];
  return { registry, catalogue, pods, create, get, listEvents };
}

test('pod events are recorded from kubelet on the reporting node, only for its own pod with that uid; malformed ones are refused', async (t) => {
  const { registry, catalogue, create, listEvents } = await setup(t);
  const web = await create('web');
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  const writer = new PodEventWriter({ registry, catalogue, log: quiet });
  const event = (overrides: Partial<PodEventReport> = {}): PodEventReport => ({
    namespace: 'default', name: 'web', uid: web.metadata.uid!, type: 'Normal', reason: 'Started', message: 'Started container app', fieldPath: 'spec.containers{app}', ...overrides,
  });

  await writer.write('pi-2', event({ reason: 'Forged' }), log);
  await writer.write('pi-1', event({ uid: 'another-uid', reason: 'Forged' }), log);
  await writer.write('pi-1', event({ name: 'nope', reason: 'Forged' }), log);
  await writer.write('pi-1', event({ type: 'Fatal' }), log);
  await writer.write('pi-1', event({ reason: 'no spaces please' }), log);
  await writer.write('pi-1', event({ fieldPath: 'metadata.name' }), log);
  assert.equal(lines.filter((l) => /level=debug.*pod event dropped/.test(l)).length, 3, lines.join(''));
  assert.equal(lines.filter((l) => /level=warn.*pod event refused/.test(l)).length, 3, lines.join(''));

  await writer.write('pi-1', event(), log);
  await until(async () => (await listEvents()).length === 1, 'the event');
  await writer.write('pi-1', event(), log);
  await until(async () => (await listEvents())[0]?.count === 2, 'the same event again, aggregated');
  await writer.write('pi-1', event({ type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container app in pod web_default(x)' }), log);
  await until(async () => (await listEvents()).length === 2, 'two events');
  const all = await listEvents();
  assert.ok(all.every((e) => e.reason !== 'Forged'));
  const started = all.find((e) => e.reason === 'Started')!;
  assert.deepEqual(started.source, { component: 'kubelet', host: 'pi-1' });
  assert.equal(started.reportingComponent, 'kubelet');
  assert.equal(started.reportingInstance, 'pi-1');
  assert.deepEqual(
    [started.involvedObject.kind, started.involvedObject.name, started.involvedObject.uid, started.involvedObject.fieldPath, started.count, started.type],
    ['Pod', 'web', web.metadata.uid, 'spec.containers{app}', 2, 'Normal'],
  );
});

test('a bound pod is deleted gracefully, its node finishes the deletion; unbound, finished and grace-0 deletions are immediate', async (t) => {
  const { registry, catalogue, pods, create, get } = await setup(t);
  const log = quiet;
  const deleter = new PodDeleter({ registry, catalogue });

  // Bound and running: only marked, with the spec's grace period (30 s by default).
  const web = await create('web');
  const before = Date.now();
  await registry.delete(pods, 'default', 'web', {});
  const marked = (await get('web'))!;
  assert.equal(marked.metadata.deletionGracePeriodSeconds, 30);
  const at = Date.parse(marked.metadata.deletionTimestamp!);
  assert.ok(at >= Math.floor(before / 1000) * 1000 + 29_000 && at <= Date.now() + 31_000, marked.metadata.deletionTimestamp);
  // Asked again with the same or a longer grace: nothing changes; a shorter one moves the time earlier.
  await registry.delete(pods, 'default', 'web', { gracePeriodSeconds: 60 });
  assert.equal((await get('web'))!.metadata.resourceVersion, marked.metadata.resourceVersion);
  await registry.delete(pods, 'default', 'web', { gracePeriodSeconds: 10 });
  const shortened = (await get('web'))!;
  assert.equal(shortened.metadata.deletionGracePeriodSeconds, 10);
  assert.equal(Date.parse(shortened.metadata.deletionTimestamp!), at - 20_000);

  // Only its own node, with its uid, finishes it.
  await deleter.delete('pi-2', { namespace: 'default', name: 'web', uid: web.metadata.uid! }, log);
  await deleter.delete('pi-1', { namespace: 'default', name: 'web', uid: 'another-uid' }, log);
  assert.ok(await get('web'), 'still there');
  await deleter.delete('pi-1', { namespace: 'default', name: 'web', uid: web.metadata.uid! }, log);
  assert.equal(await get('web'), undefined);

  // A node cannot delete a pod nobody is deleting.
  const other = await create('other');
  await deleter.delete('pi-1', { namespace: 'default', name: 'other', uid: other.metadata.uid! }, log);
  assert.ok(await get('other'));

  // At once: grace 0 asked for, a pod no node runs, a finished pod.
  await registry.delete(pods, 'default', 'other', { gracePeriodSeconds: 0 });
  assert.equal(await get('other'), undefined);
  await create('pending', {});
  await registry.delete(pods, 'default', 'pending', {});
  assert.equal(await get('pending'), undefined);
  await create('finished');
  await registry.patch(pods, 'default', 'finished', (p) => ({ ...p, status: { phase: 'Succeeded' } }) as KubeObject, { subresource: 'status' });
  await registry.delete(pods, 'default', 'finished', {});
  assert.equal(await get('finished'), undefined);
  // The spec's own grace period counts.
  await create('quick', { nodeName: 'pi-1', terminationGracePeriodSeconds: 0 });
  await registry.delete(pods, 'default', 'quick', {});
  assert.equal(await get('quick'), undefined);
});

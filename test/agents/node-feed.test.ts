// The objects a node is sent: its pods and the ConfigMaps and Secrets they
// use, nothing else; a snapshot on every new stream, then changes. The
// server's feed runs on a real store and registry; what it sends goes into
// the agent's DesiredState, as it does over the real stream.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { NodeObjects } from '../../common/agent-protocol.js';
import { createLogger } from '../../common/log.js';
import { DesiredState } from '../../agent/desired/desired-state.js';
import { NodeFeed } from '../../server/agents/node-feed.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import type { KubeObject } from '../../server/api/objects.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const SECRET_VALUE = 'hunter2-do-not-log';

async function setup(t: TestContext) {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => void lines.push(line) });
  const { catalogue, registry } = await apiRegistry(t, { logger: log });
  const type = (plural: string) => catalogue.get('', 'v1', plural)!;
  const create = (plural: string, obj: object) => registry.create(type(plural), 'default', obj as KubeObject, {});
  return {
    /** Started after the objects a test begins with, so its first list holds them all. */
    startFeed: async () => {
      const informers = new SharedInformers(registry, catalogue, log);
      t.after(() => informers.close());
      const feed = await NodeFeed.start({ registry, catalogue, informers, log });
      t.after(() => feed.close());
      return feed;
    },
    registry,
    lines,
    type,
    create,
    pod: (name: string, nodeName: string | undefined, uses: { configMap?: string; secret?: string } = {}) =>
      create('pods', {
        metadata: { name },
        spec: {
          ...(nodeName !== undefined ? { nodeName } : {}),
          containers: [
            {
              name: 'c',
              image: 'busybox',
              ...(uses.secret !== undefined ? { env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: uses.secret, key: 'password' } } }] } : {}),
            },
          ],
          ...(uses.configMap !== undefined ? { volumes: [{ name: 'config', configMap: { name: uses.configMap } }] } : {}),
        },
      }),
    configMap: (name: string, data: Record<string, string>) => create('configmaps', { metadata: { name }, data }),
    secret: (name: string) => create('secrets', { metadata: { name }, stringData: { password: SECRET_VALUE } }),
  };
}

/** A node's end of the feed: every message, and the agent's view built from them. */
function connect(feed: NodeFeed, node: string) {
  const messages: NodeObjects[] = [];
  const desired = new DesiredState({ log: createLogger({ level: 'error' }) });
  desired.beginSnapshot();
  const end = feed.subscribe(node, (objects) => {
    messages.push(objects);
    desired.apply(objects);
  });
  const held = () =>
    [...desired.list('pods'), ...desired.list('configmaps'), ...desired.list('secrets')].map((h) => `${h.key.resource}/${h.key.namespace}/${h.key.name}`).sort();
  return { messages, desired, end, held };
}

test('a node gets a snapshot of its pods and of the ConfigMaps and Secrets they use, and nothing else', async (t) => {
  const { startFeed, pod, configMap, secret, lines } = await setup(t);
  await configMap('app-config', { mode: 'edge' });
  await secret('app-secret');
  await secret('other-secret');
  await secret('unused');
  await pod('on-a', 'pi-a', { configMap: 'app-config', secret: 'app-secret' });
  await pod('on-b', 'pi-b', { secret: 'other-secret' });
  await pod('pending', undefined, { secret: 'unused' });

  const feed = await startFeed();
  const a = connect(feed, 'pi-a');
  await until(() => a.desired.synced, 'pi-a synced');
  assert.deepEqual(a.held(), ['configmaps/default/app-config', 'pods/default/on-a', 'secrets/default/app-secret']);
  assert.equal(a.messages.length, 1, 'one message holds the whole small snapshot');
  assert.equal(a.messages[0]!.synced, true);
  const sentSecret = a.desired.get('secrets', 'default', 'app-secret')!.object as { kind?: string; data?: Record<string, string> };
  assert.equal(sentSecret.kind, 'Secret');
  assert.equal(Buffer.from(sentSecret.data!['password']!, 'base64').toString(), SECRET_VALUE);

  const b = connect(feed, 'pi-b');
  await until(() => b.desired.synced, 'pi-b synced');
  assert.deepEqual(b.held(), ['pods/default/on-b', 'secrets/default/other-secret']);

  // A node with no pods still learns that it holds nothing.
  const c = connect(feed, 'pi-c');
  await until(() => c.desired.synced, 'pi-c synced');
  assert.deepEqual(c.held(), []);

  assert.ok(!lines.some((line) => line.includes(SECRET_VALUE) || line.includes(Buffer.from(SECRET_VALUE).toString('base64'))), 'no Secret value in the logs');
});

test('changes follow: a used ConfigMap updated, a missing Secret created, pods added and removed; others are not sent', async (t) => {
  const { startFeed, registry, type, pod, configMap, secret } = await setup(t);
  await configMap('app-config', { mode: 'edge' });
  await pod('web', 'pi-a', { configMap: 'app-config', secret: 'not-yet' });
  const feed = await startFeed();
  const a = connect(feed, 'pi-a');
  await until(() => a.desired.synced, 'synced');
  // The pod is sent although its Secret does not exist (kubelet then reports it); the Secret follows when created.
  assert.deepEqual(a.held(), ['configmaps/default/app-config', 'pods/default/web']);
  await secret('not-yet');
  await until(() => a.desired.get('secrets', 'default', 'not-yet') !== undefined, 'the Secret arrives');

  const updated = await registry.update(type('configmaps'), 'default', 'app-config', { ...(await registry.get(type('configmaps'), 'default', 'app-config')), data: { mode: 'home' } }, {});
  await until(() => a.desired.get('configmaps', 'default', 'app-config')?.resourceVersion === updated.metadata.resourceVersion, 'the update arrives');
  assert.deepEqual((a.desired.get('configmaps', 'default', 'app-config')!.object as { data?: unknown }).data, { mode: 'home' });

  const count = a.messages.length;
  await configMap('unrelated', { x: '1' });
  await secret('unrelated-secret');
  await pod('elsewhere', 'pi-b', { configMap: 'app-config' });
  await pod('second', 'pi-a');
  await until(() => a.desired.get('pods', 'default', 'second') !== undefined, 'the new pod arrives');
  assert.equal(a.messages.length, count + 1, 'only the new pod was sent to pi-a');

  // Gone, as its kubelet deletes it once stopped (grace 0).
  await registry.delete(type('pods'), 'default', 'web', { gracePeriodSeconds: 0 });
  await until(() => a.desired.get('pods', 'default', 'web') === undefined, 'the deleted pod goes');
  assert.deepEqual(a.held(), ['pods/default/second'], 'what only the deleted pod used goes with it');
});

test('a new stream starts with a fresh snapshot that drops what changed while the node was away', async (t) => {
  const { startFeed, registry, type, pod, secret } = await setup(t);
  await secret('s');
  await pod('stays', 'pi-a', { secret: 's' });
  await pod('goes', 'pi-a');
  const feed = await startFeed();
  const first = connect(feed, 'pi-a');
  await until(() => first.desired.synced, 'synced');
  first.end();
  await registry.delete(type('pods'), 'default', 'goes', { gracePeriodSeconds: 0 });
  await pod('new', 'pi-a');
  const count = first.messages.length;

  // The agent keeps its view between streams; the next snapshot replaces it whole, only when complete.
  first.desired.beginSnapshot();
  assert.equal(first.desired.get('pods', 'default', 'goes') !== undefined, true, 'kept until the snapshot ends');
  const again = feed.subscribe('pi-a', (objects) => first.desired.apply(objects));
  t.after(again);
  await until(() => first.desired.get('pods', 'default', 'new') !== undefined, 'resynced');
  assert.deepEqual(first.held(), ['pods/default/new', 'pods/default/stays', 'secrets/default/s']);
  assert.equal(first.messages.length, count, 'the ended stream got nothing more');
});

test('a large snapshot comes in several messages and is applied only when the last arrives', async (t) => {
  const { startFeed, configMap, pod } = await setup(t);
  const big = 'x'.repeat(700 * 1024);
  for (const name of ['big-1', 'big-2', 'big-3']) {
    await configMap(name, { blob: big });
    await pod(`uses-${name}`, 'pi-a', { configMap: name });
  }
  const feed = await startFeed();
  const a = connect(feed, 'pi-a');
  const seen: boolean[] = [];
  const original = a.desired.apply.bind(a.desired);
  a.desired.apply = (objects) => {
    original(objects);
    seen.push(a.desired.synced);
  };
  await until(() => a.desired.synced, 'synced');
  assert.ok(a.messages.length >= 3, `sent in ${a.messages.length} messages`);
  assert.ok(a.messages.every((m) => m.upserted.reduce((n, d) => n + d.json.length, 0) < 1.5 * 1024 * 1024), 'each message stays near 1 MiB');
  const lastOnly = a.messages.map((_, i) => i === a.messages.length - 1);
  assert.deepEqual(
    a.messages.map((m) => m.synced),
    lastOnly,
  );
  assert.deepEqual(seen, lastOnly, 'the agent saw nothing of the snapshot before it was complete');
  assert.equal(a.held().length, 6);
});

test('a malformed message is refused whole and changes nothing', () => {
  const desired = new DesiredState({ log: createLogger({ level: 'error' }) });
  desired.beginSnapshot();
  const good = (name: string) => ({
    key: { resource: 'pods' as const, namespace: 'default', name },
    resourceVersion: '5',
    json: Buffer.from(JSON.stringify({ metadata: { namespace: 'default', name } })),
  });
  desired.apply({ upserted: [good('a')], removed: [], synced: true });
  const bad: NodeObjects[] = [
    { upserted: [good('b'), { ...good('c'), json: Buffer.from('{not json') }], removed: [], synced: true },
    { upserted: [{ ...good('d'), json: Buffer.from(JSON.stringify({ metadata: { namespace: 'default', name: 'someone-else' } })) }], removed: [], synced: true },
    { upserted: [{ ...good('e'), key: { resource: 'nodes' as 'pods', namespace: 'default', name: 'e' } }], removed: [], synced: true },
    { upserted: [], removed: [{ resource: 'pods', namespace: '', name: 'a' }], synced: true },
  ];
  for (const message of bad) assert.throws(() => desired.apply(message), /the server sent/);
  assert.deepEqual(
    desired.list('pods').map((h) => h.key.name),
    ['a'],
  );
});

// The agent's cache of what it holds: written only when what the node acts
// on changes (never for a pod's status reports coming back), read back after
// a restart into a DesiredState flagged as cached, replaced by the server's
// first snapshot; kept where only the agent can read it.
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { NodeObjects, NodeResource } from '../../common/agent-protocol.js';
import { createLogger } from '../../common/log.js';
import { DesiredCache } from '../../agent/desired/desired-cache.js';
import { DesiredState } from '../../agent/desired/desired-state.js';
import { tempDir } from '../helpers/temp.js';

function object(resource: NodeResource, name: string, resourceVersion: string, body: Record<string, unknown> = {}) {
  const obj = { metadata: { namespace: 'default', name, resourceVersion }, ...body };
  return { key: { resource, namespace: 'default', name }, resourceVersion, json: Buffer.from(JSON.stringify(obj)) };
}

const pod = (name: string, rv: string, phase = 'Running', image = 'busybox:1.36', extra: Record<string, unknown> = {}) =>
  object('pods', name, rv, { spec: { containers: [{ name: 'c', image }] }, status: { phase, ...extra } });

function message(upserted: NodeObjects['upserted'], removed: NodeObjects['removed'] = [], synced = false): NodeObjects {
  return { upserted, removed, synced };
}

/** A cache and a state wired as the agent wires them, counting the cache's writes. */
async function agentState(t: TestContext, dir: string) {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  const cache = await DesiredCache.open({ dir, log });
  t.after(() => cache.close());
  const changes: string[][] = [];
  let writing: Promise<void> = Promise.resolve();
  const desired: DesiredState = new DesiredState({
    log,
    onChange: (refs) => {
      changes.push([...refs]);
      writing = cache.update(desired, refs);
    },
  });
  return { cache, desired, changes, writes: () => lines.filter((l) => l.includes('msg="agent cache written"')).length, settled: () => writing, lines };
}

test('the cache is written when what the node acts on changes, never for a pod’s status alone, and reads back', async (t) => {
  const dir = join(await tempDir(t), 'cache');
  const a = await agentState(t, dir);
  a.desired.beginSnapshot();
  a.desired.apply(message([pod('web', '1'), object('secrets', 'token', '2', { type: 'Opaque', data: { k: 'c2VjcmV0' } })], [], true));
  await a.settled();
  assert.equal(a.writes(), 1);

  // The agent's status reports coming back: nothing to do, nothing to write.
  a.desired.apply(message([pod('web', '3', 'Running', 'busybox:1.36', { podIP: '10.0.0.5' })]));
  a.desired.apply(message([pod('web', '4', 'Running', 'busybox:1.36', { podIP: '10.0.0.6', conditions: [] })]));
  await a.settled();
  assert.equal(a.writes(), 1);
  assert.deepEqual(a.changes, [['pods/default/web', 'secrets/default/token']]);

  // Even a new phase alone is no change, until the pod ends: that is kept (it is not run again); a deletion removes.
  a.desired.apply(message([pod('web', '4b', 'Pending')]));
  await a.settled();
  assert.equal(a.writes(), 1);
  a.desired.apply(message([pod('web', '5', 'Succeeded')]));
  await a.settled();
  a.desired.apply(message([pod('other', '6')], [{ resource: 'secrets', namespace: 'default', name: 'token' }]));
  await a.settled();
  assert.equal(a.writes(), 3);
  await a.cache.close();

  // Only the agent can read it: Secrets are in it.
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  for (const file of await readdir(dir)) assert.equal((await stat(join(dir, file))).mode & 0o777, 0o600, file);

  // A restart reads it back.
  const b = await agentState(t, dir);
  const cached = await b.cache.load();
  assert.deepEqual(cached.map((h) => `${h.key.resource}/${h.key.name}@${h.resourceVersion}:${(h.object as { status?: { phase?: string } }).status?.phase}`).sort(), [
    'pods/other@6:Running',
    'pods/web@5:Succeeded',
  ]);
  b.desired.loadCached(cached);
  assert.equal(b.desired.synced, true);
  assert.equal(b.desired.fromCache, true);
  assert.deepEqual(b.changes, [['pods/default/other', 'pods/default/web']]);
  await b.settled();
  assert.equal(b.writes(), 0, 'loading what was cached writes nothing');

  // The server's first snapshot replaces the cached view: web was deleted meanwhile.
  b.desired.beginSnapshot();
  b.desired.apply(message([pod('other', '6'), pod('new', '9')], [], true));
  assert.equal(b.desired.fromCache, false);
  assert.deepEqual(b.changes.at(-1), ['pods/default/new', 'pods/default/web']);
  await b.settled();
  assert.equal(b.writes(), 1);
  await b.cache.close();
  const c = await agentState(t, dir);
  assert.deepEqual((await c.cache.load()).map((h) => h.key.name).sort(), ['new', 'other']);
});

test('a state that has heard from the server ignores the cache', async (t) => {
  const a = await agentState(t, join(await tempDir(t), 'cache'));
  a.desired.beginSnapshot();
  a.desired.apply(message([pod('live', '1')], [], true));
  const [held] = a.desired.list('pods');
  a.desired.loadCached([{ ...held!, key: { ...held!.key, name: 'stale' } }]);
  assert.deepEqual(a.desired.list('pods').map((h) => h.key.name), ['live']);
  assert.equal(a.desired.fromCache, false);
});

test('an unreadable cache entry is dropped with a warning naming it; the others load; files it did not write are removed', async (t) => {
  const dir = join(await tempDir(t), 'cache');
  await mkdir(dir, { mode: 0o700 });
  const entry = (ref: string, value: string) => writeFile(join(dir, `${encodeURIComponent(ref)}.json`), value, { mode: 0o600 });
  await entry('pods/default/good', JSON.stringify({ resourceVersion: '1', object: { metadata: { namespace: 'default', name: 'good' } } }));
  await entry('pods/default/torn', '{"resourceVersion": "2", "object": {"metad');
  await entry('secrets/default/mismatch', JSON.stringify({ resourceVersion: '3', object: { metadata: { namespace: 'default', name: 'other' }, data: { k: 'aHVudGVyMg==' } } }));
  // A rename a crash cut short, and what an older agent's LevelDB cache left.
  await writeFile(join(dir, `${encodeURIComponent('pods/default/good')}.json.tmp`), '{"resourceVer');
  await writeFile(join(dir, 'CURRENT'), 'MANIFEST-000001\n');
  const a = await agentState(t, dir);
  assert.deepEqual((await a.cache.load()).map((h) => h.key.name), ['good']);
  const warning = a.lines.find((l) => l.includes('dropping unreadable entries'));
  assert.match(warning ?? '', /entries="pods\/default\/torn, secrets\/default\/mismatch"/);
  assert.ok(!a.lines.some((l) => l.includes('aHVudGVyMg==')));
  assert.deepEqual(await readdir(dir), [`${encodeURIComponent('pods/default/good')}.json`]);
  await a.cache.close();
  const b = await agentState(t, dir);
  assert.equal((await b.cache.load()).length, 1);
});

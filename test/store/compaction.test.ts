import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { isStoreError } from '../../server/store/errors.js';
import { openLevelStore } from '../../server/store/level-store.js';
import { RetentionClock } from '../../server/store/retention.js';
import { tempDir } from '../helpers/temp.js';
import { bytes, take, testStore, text, until } from '../helpers/store.js';

test('retention keeps both the time window and the revision count', () => {
  const clock = new RetentionClock({ retainMs: 5 * 60_000, retainRevisions: 1000 });
  const min = 60_000;
  assert.equal(clock.tick(0, 500), 0, 'nothing is old enough yet');
  assert.equal(clock.tick(1 * min, 5000), 0);
  // At 5 min the sample from t=0 (revision 500) has aged out of the window.
  assert.equal(clock.tick(5 * min, 9000), 500);
  // At 6 min the sample from 1 min (revision 5000) is the bound.
  assert.equal(clock.tick(6 * min, 9500), 5000);
  // The count bound wins when few revisions were written.
  assert.equal(clock.tick(20 * min, 9900), 8900);
});

test('compaction runs by itself and old revisions then answer Compacted', async (t) => {
  const store = await testStore(t, { compactionIntervalMs: 20, retention: { retainMs: 0, retainRevisions: 10 } });
  await store.create('/c/keep', bytes('kept'));
  for (let i = 0; i < 100; i++) await store.create(`/c/${i}`, bytes(`v${i}`));
  for (let i = 0; i < 50; i++) await store.delete(`/c/${i}`);
  await until(() => store.compactRevision >= store.revision - 10, 'compaction');
  assert.throws(() => store.watch('/c/', 1), (err) => isStoreError(err, 'Compacted'));
  await assert.rejects(store.get('/c/keep', { revision: 1 }), (err) => isStoreError(err, 'Compacted'));
  // Current state is intact, including a key last written long before the compacted revision.
  assert.equal(text((await store.get('/c/keep'))?.value), 'kept');
  assert.equal(await store.count('/c/'), 51);
  // History inside the window is still there, with previous values.
  const from = store.revision - 5;
  const watch = store.watch('/c/', from);
  t.after(() => watch.close());
  const replayed = await take(watch, 5);
  assert.ok(replayed.every((m) => m.kind === 'event' && m.event.type === 'DELETE' && m.event.prev !== undefined));
});

test('compaction waits for a watch that is still replaying history', async (t) => {
  const path = join(await tempDir(t), 'db');
  const seed = await openLevelStore({ path });
  await Promise.all(Array.from({ length: 100 }, (_, i) => seed.create(`/p/${i}`, bytes('v'))));
  await seed.close();
  // Aggressive compaction only from here: the watch starts before its first tick.
  const store = await testStore(t, { path, compactionIntervalMs: 10, retention: { retainMs: 0, retainRevisions: 0 }, watchBufferLimit: 10 });
  const watch = store.watch('/p/', 0);
  t.after(() => watch.close());
  // The replay is stuck behind a full queue while compaction ticks many times.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(store.compactRevision, 0);
  const got = await take(watch, 100);
  assert.deepEqual(
    got.map((m) => (m.kind === 'event' ? m.event.kv.modRevision : -1)),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  await until(() => store.compactRevision === 100, 'compaction once the replay is done');
});

test('with the default retention at least 1,000 revisions of history stay', async (t) => {
  const store = await testStore(t, { compactionIntervalMs: 20, retention: { retainMs: 0 } });
  await store.create('/k', bytes('0'));
  for (let i = 1; i < 1200; i++) await store.update('/k', bytes(String(i)));
  await until(() => store.compactRevision > 0, 'compaction');
  assert.ok(store.compactRevision <= store.revision - 1000);
  assert.equal(text((await store.get('/k', { revision: store.revision - 1000 }))?.value), String(1199 - 1000));
});

test('the time window holds compaction back', async (t) => {
  const store = await testStore(t, { compactionIntervalMs: 10, retention: { retainMs: 60_000, retainRevisions: 0 } });
  for (let i = 0; i < 50; i++) await store.create(`/t/${i}`, bytes('v'));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(store.compactRevision, 0);
});

test('after compaction and reopen, revisions never go back and history stays consistent', async (t) => {
  const path = join(await tempDir(t), 'db');
  const opts = { path, compactionIntervalMs: 10, retention: { retainMs: 0, retainRevisions: 0 } };
  const store = await openLevelStore(opts);
  await store.create('/a', bytes('1'));
  await store.create('/b', bytes('2'));
  await store.delete('/b');
  await until(() => store.compactRevision === 3, 'compaction to the last revision');
  await store.close();
  const again = await openLevelStore(opts);
  t.after(() => again.close());
  assert.equal(again.revision, 3, 'the last revision was a compacted delete; it must not be reused');
  assert.equal(again.compactRevision, 3);
  assert.deepEqual((await again.list('')).items.map((kv) => kv.key), ['/a']);
  assert.deepEqual(await again.create('/c', bytes('3')), { revision: 4 });
});

test('a key with a TTL is deleted by itself and watchers see the DELETE', async (t) => {
  const store = await testStore(t);
  const watch = store.watch('/ttl/', 0);
  t.after(() => watch.close());
  await store.create('/ttl/gone', bytes('x'), { ttlSeconds: 0.15 });
  await store.create('/ttl/kept', bytes('y'), { ttlSeconds: 0.15 });
  // Writing without a TTL removes it, as a put without a lease does in etcd.
  await store.update('/ttl/kept', bytes('z'));
  const got = await take(watch, 4);
  const last = got[3];
  assert.ok(last?.kind === 'event');
  assert.equal(last.event.type, 'DELETE');
  assert.equal(last.event.kv.key, '/ttl/gone');
  assert.equal(await store.get('/ttl/gone'), undefined);
  assert.equal(text((await store.get('/ttl/kept'))?.value), 'z');
});

test('a TTL survives a restart and fires after it', async (t) => {
  const path = join(await tempDir(t), 'db');
  const store = await openLevelStore({ path });
  await store.create('/ttl/e', bytes('event'), { ttlSeconds: 0.2 });
  assert.ok((await store.get('/ttl/e'))?.expiresAt);
  await store.close();
  await new Promise((r) => setTimeout(r, 250));
  const again = await openLevelStore({ path });
  t.after(() => again.close());
  await until(async () => (await again.get('/ttl/e')) === undefined, 'expiry after reopen');
  assert.equal(again.revision, 2);
});

import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { isStoreError } from '../../server/store/errors.js';
import type { WatchEvent, WatchMessage } from '../../server/store/types.js';
import { bytes, take, testStore, text } from '../helpers/store.js';

const events = (messages: WatchMessage[]): WatchEvent[] =>
  messages.flatMap((m) => (m.kind === 'event' ? [m.event] : []));

test('a watch delivers PUT and DELETE events under its prefix, in order, with previous values', async (t) => {
  const store = await testStore(t);
  const watch = store.watch('/w/', store.revision);
  t.after(() => watch.close());
  await store.create('/w/a', bytes('1'));
  await store.create('/other', bytes('x'));
  await store.update('/w/a', bytes('2'));
  await store.delete('/w/a');
  const got = events(await take(watch, 3));
  assert.deepEqual(
    got.map((e) => [e.type, e.kv.key, e.kv.modRevision, text(e.kv.value), text(e.prev?.value)]),
    [
      ['PUT', '/w/a', 1, '1', undefined],
      ['PUT', '/w/a', 3, '2', '1'],
      ['DELETE', '/w/a', 4, '', '2'],
    ],
  );
  assert.equal(got[2]!.prev?.modRevision, 3);
});

test('a watch from an old revision replays history, then follows live writes', async (t) => {
  const store = await testStore(t);
  await store.create('/w/a', bytes('1'));
  await store.update('/w/a', bytes('2'));
  await store.create('/w/b', bytes('b'));
  const watch = store.watch('/w/', 1);
  t.after(() => watch.close());
  await store.delete('/w/b');
  const got = events(await take(watch, 3));
  assert.deepEqual(
    got.map((e) => [e.type, e.kv.key, e.kv.modRevision, text(e.prev?.value)]),
    [
      ['PUT', '/w/a', 2, '1'],
      ['PUT', '/w/b', 3, undefined],
      ['DELETE', '/w/b', 4, 'b'],
    ],
  );
});

test('list-then-watch under concurrent writes: no gap, no duplicate, same final state', async (t) => {
  const store = await testStore(t);
  const writers = 8;
  const perWriter = 300;
  let listed: Awaited<ReturnType<typeof store.list>> | undefined;
  const writing = Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) {
        const key = `/h/${w}/${i % 20}`;
        const current = await store.get(key);
        if (current === undefined) await store.create(key, bytes(`${w}.${i}`));
        else if (i % 7 === 0) await store.delete(key);
        else await store.update(key, bytes(`${w}.${i}`), { expectedRevision: current.modRevision });
        if (w === 0 && i === perWriter / 3) listed = await store.list('/h/');
      }
    }),
  );
  while (listed === undefined) await new Promise((r) => setTimeout(r, 1));
  const watch = store.watch('/h/', listed.revision);
  t.after(() => watch.close());
  await writing;
  const final = store.revision;
  const got = events(await take(watch, final - listed.revision, 20_000));
  // Every write is under /h/, so the events are exactly the revisions after the list.
  assert.deepEqual(
    got.map((e) => e.kv.modRevision),
    Array.from({ length: final - listed.revision }, (_, i) => listed!.revision + 1 + i),
  );
  const state = new Map(listed.items.map((kv) => [kv.key, text(kv.value)]));
  for (const e of got) {
    if (e.type === 'DELETE') state.delete(e.kv.key);
    else state.set(e.kv.key, text(e.kv.value));
  }
  const now = await store.list('/h/');
  assert.deepEqual(state, new Map(now.items.map((kv) => [kv.key, text(kv.value)])));
});

test('a watch started during heavy writes hands over from replay to live without gaps', async (t) => {
  const store = await testStore(t);
  for (let i = 0; i < 2000; i++) await store.create(`/r/${i}`, bytes('x'));
  const writing = Promise.all(Array.from({ length: 500 }, (_, i) => store.create(`/r/live/${i}`, bytes('y'))));
  const watch = store.watch('/r/', 0);
  t.after(() => watch.close());
  await writing;
  const got = events(await take(watch, 2500, 20_000));
  assert.deepEqual(
    got.map((e) => e.kv.modRevision),
    Array.from({ length: 2500 }, (_, i) => i + 1),
  );
});

test('an idle watch receives progress notifications with the current revision', async (t) => {
  const store = await testStore(t, { progressIntervalMs: 30 });
  await store.create('/elsewhere', bytes('1'));
  const watch = store.watch('/idle/', store.revision);
  t.after(() => watch.close());
  await store.create('/elsewhere2', bytes('2'));
  const [msg] = await take(watch, 1);
  assert.deepEqual(msg, { kind: 'progress', revision: 2 });
});

test('a slow watcher is closed with a resumable WatchOverflow error; resuming loses nothing', async (t) => {
  const store = await testStore(t, { watchBufferLimit: 50 });
  const watch = store.watch('/s/', 0);
  for (let i = 0; i < 120; i++) await store.create(`/s/${i}`, bytes('v'));
  const delivered: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const m of watch) if (m.kind === 'event') delivered.push(m.event.kv.modRevision);
    })(),
    (err) => {
      assert.ok(isStoreError(err, 'WatchOverflow'));
      assert.equal(err.revision, delivered[delivered.length - 1]);
      return true;
    },
  );
  assert.equal(delivered.length, 50);
  const resumed = store.watch('/s/', delivered[delivered.length - 1]!);
  t.after(() => resumed.close());
  const rest = events(await take(resumed, 70)).map((e) => e.kv.modRevision);
  assert.deepEqual([...delivered, ...rest], Array.from({ length: 120 }, (_, i) => i + 1));
});

test('closing a watch or aborting its signal ends the iteration', async (t) => {
  const store = await testStore(t);
  const watch = store.watch('/c/', 0);
  setTimeout(() => watch.close(), 20);
  for await (const _ of watch) assert.fail('no events expected');
  const ac = new AbortController();
  const aborted = store.watch('/c/', 0, { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  for await (const _ of aborted) assert.fail('no events expected');
  // A watch closed another way lets go of a long-lived signal.
  const shared = new AbortController();
  for (let i = 0; i < 5; i++) store.watch('/c/', 0, { signal: shared.signal }).close();
  assert.equal(getEventListeners(shared.signal, 'abort').length, 0);
});

test('closing the store ends open watches with Closed', async (t) => {
  const store = await testStore(t);
  const watch = store.watch('/c/', 0);
  const draining = (async () => {
    for await (const _ of watch);
  })();
  const ended = assert.rejects(draining, (err) => isStoreError(err, 'Closed'));
  await store.close();
  await ended;
});

test('a watch from a revision not yet written starts after it', async (t) => {
  const store = await testStore(t);
  const watch = store.watch('/f/', 3);
  t.after(() => watch.close());
  for (let i = 1; i <= 5; i++) await store.create(`/f/${i}`, bytes('v'));
  const got = events(await take(watch, 2));
  assert.deepEqual(got.map((e) => e.kv.modRevision), [4, 5]);
});

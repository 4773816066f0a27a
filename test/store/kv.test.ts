import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStoreError, type StoreErrorCode } from '../../server/store/errors.js';
import { MAX_VALUE_BYTES } from '../../server/store/level-store.js';
import { bytes, take, testStore, text } from '../helpers/store.js';

const rejectsWith = (p: Promise<unknown>, code: StoreErrorCode) =>
  assert.rejects(p, (err) => isStoreError(err, code) || assert.fail(`expected ${code}, got ${String(err)}`));

test('every write gets the next revision; create and mod revisions and version are kept per key', async (t) => {
  const store = await testStore(t);
  assert.equal(store.revision, 0);
  assert.deepEqual(await store.create('/a', bytes('1')), { revision: 1 });
  assert.deepEqual(await store.create('/b', bytes('x')), { revision: 2 });
  assert.deepEqual(await store.update('/a', bytes('2')), { revision: 3 });
  const a = await store.get('/a');
  assert.equal(text(a?.value), '2');
  assert.equal(a?.createRevision, 1);
  assert.equal(a?.modRevision, 3);
  assert.equal(a?.version, 2);
  assert.equal(store.revision, 3);
});

test('create of an existing key fails with KeyExists and changes nothing', async (t) => {
  const store = await testStore(t);
  await store.create('/a', bytes('1'));
  await rejectsWith(store.create('/a', bytes('2')), 'KeyExists');
  assert.equal(text((await store.get('/a'))?.value), '1');
  assert.equal(store.revision, 1);
});

test('update with a stale expected revision fails with Conflict naming the current one', async (t) => {
  const store = await testStore(t);
  await store.create('/a', bytes('1'));
  await store.update('/a', bytes('2'), { expectedRevision: 1 });
  await assert.rejects(store.update('/a', bytes('3'), { expectedRevision: 1 }), (err) => {
    assert.ok(isStoreError(err, 'Conflict'));
    assert.equal(err.revision, 2);
    return true;
  });
  assert.equal(text((await store.get('/a'))?.value), '2');
  assert.equal(store.revision, 2);
});

test('update and delete of a missing key fail with NotFound', async (t) => {
  const store = await testStore(t);
  await rejectsWith(store.update('/nope', bytes('1')), 'NotFound');
  await rejectsWith(store.delete('/nope'), 'NotFound');
  assert.equal(store.revision, 0);
});

test('delete returns the previous value; a stale expected revision fails and keeps the key', async (t) => {
  const store = await testStore(t);
  await store.create('/a', bytes('1'));
  await store.update('/a', bytes('2'));
  await rejectsWith(store.delete('/a', { expectedRevision: 1 }), 'Conflict');
  assert.equal(text((await store.get('/a'))?.value), '2');
  const del = await store.delete('/a', { expectedRevision: 2 });
  assert.equal(del.revision, 3);
  assert.equal(text(del.prev.value), '2');
  assert.equal(del.prev.modRevision, 2);
  assert.equal(await store.get('/a'), undefined);
  // A new incarnation starts over.
  await store.create('/a', bytes('again'));
  const a = await store.get('/a');
  assert.equal(a?.createRevision, 4);
  assert.equal(a?.version, 1);
});

test('get at a revision sees the value as it was; a future revision is refused', async (t) => {
  const store = await testStore(t);
  await store.create('/a', bytes('1'));
  await store.update('/a', bytes('2'));
  await store.delete('/a');
  assert.equal(text((await store.get('/a', { revision: 1 }))?.value), '1');
  assert.equal(text((await store.get('/a', { revision: 2 }))?.value), '2');
  assert.equal(await store.get('/a', { revision: 3 }), undefined);
  await rejectsWith(store.get('/a', { revision: 4 }), 'FutureRevision');
});

test('list returns keys under a prefix in key order with the revision it read at', async (t) => {
  const store = await testStore(t);
  for (const k of ['/p/b', '/p/a', '/q/a', '/p/c', '/pz']) await store.create(k, bytes(k));
  await store.delete('/p/c');
  const list = await store.list('/p/');
  assert.deepEqual(list.items.map((i) => i.key), ['/p/a', '/p/b']);
  assert.equal(list.revision, 6);
  assert.equal(list.remaining, 0);
  assert.equal(list.continue, undefined);
  assert.equal(await store.count('/p/'), 2);
  assert.equal(await store.count(''), 4);
});

test('paged list with limit and continue reads every page at the first page revision', async (t) => {
  const store = await testStore(t);
  for (let i = 0; i < 25; i++) await store.create(`/k/${String(i).padStart(2, '0')}`, bytes(`v${i}`));
  const first = await store.list('/k/', { limit: 10 });
  assert.equal(first.items.length, 10);
  assert.equal(first.remaining, 15);
  assert.ok(first.continue);
  // Writes after the first page must not show in later pages.
  await store.delete('/k/15');
  await store.update('/k/20', bytes('changed'));
  await store.create('/k/99', bytes('new'));
  const second = await store.list('/k/', { limit: 10, continue: first.continue });
  const third = await store.list('/k/', { limit: 10, continue: second.continue! });
  assert.equal(second.revision, first.revision);
  assert.equal(third.revision, first.revision);
  const keys = [...first.items, ...second.items, ...third.items].map((i) => i.key);
  assert.deepEqual(keys, Array.from({ length: 25 }, (_, i) => `/k/${String(i).padStart(2, '0')}`));
  assert.equal(text(third.items.find((i) => i.key === '/k/20')?.value), 'v20');
  assert.equal(third.continue, undefined);
  assert.equal(third.remaining, 0);
});

test('a malformed or foreign continue token is refused', async (t) => {
  const store = await testStore(t);
  for (let i = 0; i < 3; i++) await store.create(`/k/${i}`, bytes('v'));
  const page = await store.list('/k/', { limit: 1 });
  await rejectsWith(store.list('/other/', { continue: page.continue! }), 'InvalidArgument');
  await rejectsWith(store.list('/k/', { continue: 'not-a-token' }), 'InvalidArgument');
});

test('bad keys, values and TTLs are refused before anything is written', async (t) => {
  const store = await testStore(t);
  await rejectsWith(store.create('', bytes('v')), 'InvalidArgument');
  await rejectsWith(store.create('x'.repeat(5000), bytes('v')), 'InvalidArgument');
  await rejectsWith(store.create('/k', bytes('v'), { ttlSeconds: -1 }), 'InvalidArgument');
  await rejectsWith(store.get('/k', { revision: -3 }), 'InvalidArgument');
  await rejectsWith(store.create('/k', 'not bytes' as unknown as Uint8Array), 'InvalidArgument');
  await rejectsWith(store.create('/k', new Uint8Array(MAX_VALUE_BYTES + 1)), 'InvalidArgument');
  await store.create('/k', new Uint8Array(MAX_VALUE_BYTES));
  assert.equal(store.revision, 1);
});

test('concurrent writes are group-committed: fewer synced batches than writes, distinct revisions', async (t) => {
  const store = await testStore(t);
  const results = await Promise.all(Array.from({ length: 500 }, (_, i) => store.create(`/g/${i}`, bytes(`v${i}`))));
  const revisions = results.map((r) => r.revision).sort((a, b) => a - b);
  assert.deepEqual(revisions, Array.from({ length: 500 }, (_, i) => i + 1));
  const { commits, writes } = store.stats;
  assert.equal(writes, 500);
  assert.ok(commits < writes / 5, `expected batching, got ${commits} commits for ${writes} writes`);
});

test('writes in one batch see each other in order', async (t) => {
  const store = await testStore(t);
  const [created, updated, conflict] = await Promise.allSettled([
    store.create('/x', bytes('1')),
    store.update('/x', bytes('2'), { expectedRevision: 1 }),
    store.update('/x', bytes('3'), { expectedRevision: 1 }),
  ]);
  assert.deepEqual(created.status === 'fulfilled' && created.value, { revision: 1 });
  assert.deepEqual(updated.status === 'fulfilled' && updated.value, { revision: 2 });
  assert.ok(conflict.status === 'rejected' && isStoreError(conflict.reason, 'Conflict'));
  assert.equal(text((await store.get('/x'))?.value), '2');
});

test('a write in the batch after the one that made its previous value acknowledges in order and returns that value', async (t) => {
  const store = await testStore(t);
  const watch = store.watch('/y', 0);
  t.after(() => watch.close());
  const order: string[] = [];
  // The create goes to disk at once, alone; the delete waits for the next batch, which is written before the create's is published.
  const created = store.create('/y', bytes('1')).then((r) => {
    order.push('create');
    assert.equal(store.revision, r.revision);
    return r;
  });
  const deleted = store.delete('/y').then((r) => {
    order.push('delete');
    return r;
  });
  assert.deepEqual(await created, { revision: 1 });
  const { revision, prev } = await deleted;
  assert.equal(revision, 2);
  assert.equal(text(prev.value), '1');
  assert.equal(prev.modRevision, 1);
  assert.deepEqual(order, ['create', 'delete']);
  assert.deepEqual(store.stats, { commits: 2, writes: 2 });
  const events = await take(watch, 2);
  assert.deepEqual(
    events.map((m) => m.kind === 'event' && [m.event.type, m.event.kv.modRevision, text(m.event.prev?.value)]),
    [
      ['PUT', 1, undefined],
      ['DELETE', 2, '1'],
    ],
  );
});

test('a closed store refuses work with Closed', async (t) => {
  const store = await testStore(t);
  await store.close();
  await rejectsWith(store.create('/a', bytes('1')), 'Closed');
  await rejectsWith(store.get('/a'), 'Closed');
});

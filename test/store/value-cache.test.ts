import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValueCache } from '../../server/store/value-cache.js';
import { bytes, testStore, text } from '../helpers/store.js';

const kv = (revision: number, size: number) => ({ key: `/k/${revision}`, value: new Uint8Array(size), createRevision: revision, modRevision: revision, version: 1 });

test('the value cache stays within its byte budget, evicting the oldest entries first', () => {
  const cache = new ValueCache(10_000);
  for (let r = 1; r <= 100; r++) {
    cache.set(kv(r, 1000));
    assert.ok(cache.size <= 10_000, `${cache.size} bytes after ${r} values`);
  }
  assert.equal(cache.get(1), undefined, 'the oldest went first');
  assert.ok(cache.get(100) !== undefined);
  for (let r = 101; r <= 106; r++) cache.set(kv(r, 1000));
  assert.equal(cache.get(95), undefined, 'older entries made room');
  assert.ok(cache.get(106) !== undefined);
  cache.set(kv(200, 20_000));
  assert.equal(cache.get(200), undefined, 'a value larger than the budget is not kept');
});

test('the value cache keeps evicting oldest first over many more writes than it holds', () => {
  const cache = new ValueCache(10_000);
  for (let r = 1; r <= 5000; r++) cache.set(kv(r, 1000));
  assert.ok(cache.size <= 10_000, `${cache.size} bytes`);
  const kept = Array.from({ length: 5000 }, (_, i) => i + 1).filter((r) => cache.get(r) !== undefined);
  assert.deepEqual(kept, [4993, 4994, 4995, 4996, 4997, 4998, 4999, 5000], 'the newest values, as many as fit (8 of 1,142 bytes each)');
  cache.set(kv(4995, 1000));
  cache.set(kv(5001, 1000));
  assert.equal(cache.get(4993), undefined, 'a value set again keeps its place: the oldest still goes first');
  assert.ok(cache.get(4995) !== undefined);
});

test('values read back from the store are the ones written, even when the writer reuses its buffer', async (t) => {
  const store = await testStore(t, { valueCacheBytes: 4096 });
  const buffer = Buffer.from('first');
  await store.create('/a', buffer);
  buffer.write('XXXXX');
  assert.equal(text((await store.get('/a'))?.value), 'first');
  // Past the cache's budget, reads come from disk and agree.
  for (let i = 0; i < 50; i++) await store.create(`/b/${i}`, bytes(`value ${i} `.repeat(20)));
  const list = await store.list('/b/');
  assert.equal(list.items.length, 50);
  for (const item of list.items) assert.equal(text(item.value), `value ${item.key.slice(3)} `.repeat(20), item.key);
  assert.equal(text((await store.get('/a'))?.value), 'first');
});

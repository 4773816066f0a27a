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

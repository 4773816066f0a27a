import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SortedKeys } from '../../server/store/sorted-keys.js';

/** A deterministic sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/** Up to `limit` keys from `key` on, through scan (which must stop when told). */
function keysFrom(keys: SortedKeys, key: string, exclusive: boolean, limit = Infinity): string[] {
  const out: string[] = [];
  keys.scan(key, exclusive, (k) => {
    assert.ok(out.length < limit, 'scan goes on after its visitor said stop');
    out.push(k);
    return out.length < limit;
  });
  return out;
}

function lowerBound(keys: readonly string[], key: string): number {
  const i = keys.findIndex((k) => k >= key);
  return i === -1 ? keys.length : i;
}

function upperBound(keys: readonly string[], key: string): number {
  const i = keys.findIndex((k) => k > key);
  return i === -1 ? keys.length : i;
}

test('sorted keys agree with one sorted array through thousands of inserts and deletes across many chunks', () => {
  const next = random(7);
  const name = () => `/registry/configmaps/ns${Math.floor(next() * 3)}/cm-${Math.floor(next() * 4000)}`;
  const initial = [...new Set(Array.from({ length: 1500 }, name))].sort();
  const keys = new SortedKeys(initial);
  const reference = [...initial];
  for (let step = 0; step < 6000; step++) {
    const key = name();
    const at = lowerBound(reference, key);
    const present = reference[at] === key;
    if (next() < 0.75) {
      if (!present) {
        keys.insert(key);
        reference.splice(at, 0, key);
      }
    } else {
      keys.delete(key);
      if (present) reference.splice(at, 1);
    }
    if (step % 500 === 0) assert.deepEqual(keysFrom(keys, '', false), reference, `all keys in order after step ${step}`);
  }
  assert.deepEqual(keysFrom(keys, '', false), reference);
  for (let probe = 0; probe < 300; probe++) {
    const key = next() < 0.5 ? name() : reference[Math.floor(next() * reference.length)]!;
    assert.equal(keys.rank(key, false), lowerBound(reference, key), `keys below ${key}`);
    assert.equal(keys.rank(key, true), upperBound(reference, key), `keys at or below ${key}`);
    assert.deepEqual(keysFrom(keys, key, false, 5), reference.slice(lowerBound(reference, key), lowerBound(reference, key) + 5));
    assert.deepEqual(keysFrom(keys, key, true, 5), reference.slice(upperBound(reference, key), upperBound(reference, key) + 5));
  }
  assert.equal(keys.rank('/registry/configmaps/ns1/\uffff', false) - keys.rank('/registry/configmaps/ns1/', true), reference.filter((k) => k.startsWith('/registry/configmaps/ns1/')).length);
});

test('sorted keys keep only what retain accepts, and work again from empty', () => {
  const keys = new SortedKeys();
  assert.deepEqual(keysFrom(keys, '', false), []);
  assert.equal(keys.rank('a', true), 0);
  keys.delete('missing');
  for (let i = 0; i < 2000; i++) keys.insert(`k${String(i).padStart(4, '0')}`);
  keys.retain((k) => k.endsWith('7'));
  const kept = keysFrom(keys, '', false);
  assert.equal(kept.length, 200);
  assert.ok(kept.every((k, i) => k.endsWith('7') && (i === 0 || kept[i - 1]! < k)));
  keys.retain(() => false);
  assert.deepEqual(keysFrom(keys, '', false), []);
  keys.insert('z');
  keys.insert('a');
  assert.deepEqual(keysFrom(keys, '', false), ['a', 'z']);
});

// The work queue's promises: keys de-duplicated, never processed twice at
// once, re-run when queued while in hand, failures retried, and with more
// than one worker, slow keys processed side by side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkQueue } from '../../common/work-queue.js';

test('with three workers, three slow keys are processed at once and a fourth waits for a free worker', async () => {
  let inHand = 0;
  let most = 0;
  const queue = new WorkQueue(async () => {
    most = Math.max(most, ++inHand);
    await sleep(30);
    inHand--;
  }, () => assert.fail('no key fails'), { workers: 3 });
  for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
  await queue.drained();
  assert.equal(most, 3);
});

test('a key queued while it is in hand is not processed twice at once, but runs again afterwards', async () => {
  const runs: string[] = [];
  let inHand = 0;
  const queue = new WorkQueue(async (key) => {
    assert.equal(++inHand, 1, `${key} is processed by one worker at a time`);
    runs.push(key);
    await sleep(20);
    inHand--;
  }, () => assert.fail('no key fails'), { workers: 4 });
  queue.add('pod');
  await sleep(5);
  queue.add('pod');
  queue.add('pod');
  await queue.drained();
  assert.deepEqual(runs, ['pod', 'pod']);
});

test('a failed key is retried after a back-off, and reported each time', async () => {
  const failures: number[] = [];
  let attempts = 0;
  const queue = new WorkQueue(async () => {
    if (++attempts < 3) throw new Error('not yet');
  }, (_key, _err, retryInMs) => failures.push(retryInMs));
  queue.add('k');
  const deadline = Date.now() + 5000;
  while (attempts < 3 && Date.now() < deadline) await sleep(20);
  await queue.close();
  assert.equal(attempts, 3);
  assert.deepEqual(failures, [200, 400]);
});

test('a queue needs at least one worker', () => {
  assert.throws(() => new WorkQueue(async () => undefined, () => undefined, { workers: 0 }), /at least one worker/);
});

test('a key added just as the last worker finds nothing left is still processed, whatever the microtask it lands in', async () => {
  // The gap between a worker's last look for a key and its promise settling is a few microtasks wide; try each.
  for (let depth = 0; depth < 12; depth++) {
    const seen: string[] = [];
    const queue: WorkQueue = new WorkQueue(async (key) => {
      seen.push(key);
      if (key !== 'first') return;
      let later = Promise.resolve();
      for (let i = 0; i < depth; i++) later = later.then(() => undefined);
      void later.then(() => queue.add('second'));
    }, () => assert.fail('no key fails'));
    queue.add('first');
    await sleep(5);
    await queue.drained();
    assert.deepEqual(seen, ['first', 'second'], `added after ${depth} microtasks`);
  }
});

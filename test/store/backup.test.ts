import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { backupChunks, restoreBackup, saveBackup, verifyBackup } from '../../server/store/backup.js';
import { isStoreError } from '../../server/store/errors.js';
import { type LevelStore, openLevelStore } from '../../server/store/level-store.js';
import { bytes, testStore, text } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

async function backupTo(store: LevelStore, file: string): Promise<void> {
  await saveBackup(backupChunks(store.snapshotEntries()), file);
}

test('an online backup taken during writes restores to one consistent revision', async (t) => {
  const dir = await tempDir(t);
  const store = await testStore(t);
  for (let i = 0; i < 200; i++) await store.create(`/b/${i}`, bytes(`v${i}`));
  let stop = false;
  const writing = (async () => {
    for (let i = 0; !stop; i++) await store.update(`/b/${i % 200}`, bytes(`w${i}`));
  })();
  await new Promise((r) => setTimeout(r, 20));
  const file = join(dir, 'backup.bramble');
  await backupTo(store, file);
  stop = true;
  await writing;
  const summary = await verifyBackup(file);
  assert.ok(summary.revision >= 200 && summary.revision < store.revision, 'the backup is of a moment during the writes');

  const restoredPath = join(dir, 'restored', 'db');
  assert.equal((await restoreBackup(file, restoredPath)).revision, summary.revision);
  const restored = await openLevelStore({ path: restoredPath });
  t.after(() => restored.close());
  assert.equal(restored.revision, summary.revision);
  // Exactly the live state as of that revision: same keys, values and revisions.
  const expected = await store.list('/b/', { revision: summary.revision });
  const actual = await restored.list('/b/');
  assert.deepEqual(
    actual.items.map((kv) => [kv.key, text(kv.value), kv.modRevision]),
    expected.items.map((kv) => [kv.key, text(kv.value), kv.modRevision]),
  );
  // And the restored store goes on from there.
  assert.deepEqual(await restored.create('/after', bytes('x')), { revision: summary.revision + 1 });
});

test('a truncated or damaged backup is refused and the data dir stays untouched', async (t) => {
  const dir = await tempDir(t);
  const store = await testStore(t);
  for (let i = 0; i < 50; i++) await store.create(`/d/${i}`, bytes('x'.repeat(100)));
  const file = join(dir, 'good.bramble');
  await backupTo(store, file);
  const good = await readFile(file);

  const cases: [string, Buffer][] = [
    ['truncated', good.subarray(0, good.length - 100)],
    ['flipped byte', Buffer.from(good.map((b, i) => (i === 2000 ? b ^ 1 : b)))],
    ['not a backup', Buffer.from('hello world, this is not a backup at all')],
    ['trailing bytes', Buffer.concat([good, Buffer.from('x')])],
    ['huge length', Buffer.concat([good.subarray(0, 17), Buffer.from([0xff, 0xff, 0xff, 0xff])])],
  ];
  for (const [name, content] of cases) {
    const bad = join(dir, `${name}.bramble`);
    await writeFile(bad, content);
    const target = join(dir, name, 'db');
    await assert.rejects(restoreBackup(bad, target), (err) => isStoreError(err, 'Corrupt'), name);
    await assert.rejects(stat(target), { code: 'ENOENT' }, `${name}: nothing may be left behind`);
  }
});

test('restore refuses a store folder that is not empty', async (t) => {
  const dir = await tempDir(t);
  const store = await testStore(t);
  await store.create('/a', bytes('1'));
  const file = join(dir, 'b.bramble');
  await backupTo(store, file);
  const target = join(dir, 'occupied');
  await mkdir(target);
  await writeFile(join(target, 'something'), 'mine');
  await assert.rejects(restoreBackup(file, target), (err) => isStoreError(err, 'InvalidArgument') && /not empty/.test(err.message));
  assert.equal(await readFile(join(target, 'something'), 'utf8'), 'mine');
});

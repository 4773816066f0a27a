import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Level } from 'level';
import { mountTmpfs } from '../../agent/volumes/tmpfs.js';
import { isStoreError, type StoreErrorCode } from '../../server/store/errors.js';
import { openLevelStore } from '../../server/store/level-store.js';
import { tempDir } from '../helpers/temp.js';
import { bytes, text } from '../helpers/store.js';

const execFileAsync = promisify(execFile);
const crashWriter = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crash-writer.js');

/** Runs the writer child until it has acknowledged `acks` writes, then SIGKILLs it. */
async function writeUntilKilled(path: string, round: number, acks: number): Promise<Map<string, { value: string; revision: number }>> {
  const child = spawn(process.execPath, [crashWriter, path, String(round)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked = new Map<string, { value: string; revision: number }>();
  let buffered = '';
  let count = 0;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [left, rev] = line.split(' ');
      if (left === 'open') continue;
      const [key, value] = left!.includes('=') ? left!.split('=') : [left!, left!];
      acked.set(key!, { value: value!, revision: Number(rev) });
      if (++count === acks) setTimeout(() => child.kill('SIGKILL'), Math.random() * 20);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const signal = await exited;
  clearTimeout(timer);
  assert.equal(signal, 'SIGKILL', 'the writer must die by SIGKILL, not exit by itself');
  assert.ok(count >= acks, `writer acknowledged only ${count} writes`);
  return acked;
}

test('every acknowledged write survives kill -9 and revisions never go back', async (t) => {
  const path = join(await tempDir(t), 'db');
  let highest = 0;
  const all = new Map<string, { value: string; revision: number }>();
  for (const [round, acks] of [[1, 300], [2, 2000], [3, 50]] as const) {
    const acked = await writeUntilKilled(path, round, acks);
    for (const [k, v] of acked) all.set(k, v);
    const store = await openLevelStore({ path });
    try {
      const maxAcked = Math.max(...[...acked.values()].map((a) => a.revision));
      assert.ok(store.revision >= maxAcked, `revision ${store.revision} went below acknowledged ${maxAcked}`);
      assert.ok(store.revision >= highest, `revision ${store.revision} went back from ${highest}`);
      highest = store.revision;
      for (const [key, { value, revision }] of all) {
        const kv = await store.get(key);
        assert.ok(kv !== undefined, `acknowledged ${key}@${revision} is missing after kill -9`);
        if (key.startsWith('/crash/last/')) {
          // A later write may have landed without its acknowledgement reaching us.
          assert.ok(kv.modRevision >= revision, `${key} went back to ${kv.modRevision} from ${revision}`);
          if (kv.modRevision === revision) assert.equal(text(kv.value), value);
        } else {
          assert.equal(kv.modRevision, revision);
          assert.equal(text(kv.value), value);
        }
      }
      const next = await store.create(`/after/${round}`, bytes('x'));
      assert.equal(next.revision, highest + 1);
      highest = next.revision;
    } finally {
      await store.close();
    }
  }
});

/**
 * What a refused open must leave as it was: every LevelDB entry, or (when
 * LevelDB itself cannot open the folder) every file. LevelDB's own log
 * recovery may rewrite files at open without changing their content.
 */
async function fingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const raw = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    await raw.open({ createIfMissing: false });
    for await (const [k, v] of raw.iterator()) hash.update(k).update(v);
    await raw.close();
    return `entries:${hash.digest('hex')}`;
  } catch {
    // LOG and LOCK are LevelDB's own diagnostics, rewritten by every attempt to open.
    const names = (await readdir(dir)).filter((n) => !['LOCK', 'LOG', 'LOG.old'].includes(n)).sort();
    for (const name of names) hash.update(name).update(await readFile(join(dir, name)));
    return `files:${hash.digest('hex')}`;
  }
}

async function assertRefused(path: string, code: StoreErrorCode, message: RegExp): Promise<void> {
  const before = await fingerprint(path);
  await assert.rejects(openLevelStore({ path }), (err) => {
    assert.ok(isStoreError(err, code), `expected ${code}, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
  assert.deepEqual(await fingerprint(path), before, 'a refused store must be left untouched');
}

async function storeWithData(t: import('node:test').TestContext): Promise<string> {
  const path = join(await tempDir(t), 'db');
  const store = await openLevelStore({ path });
  for (let i = 0; i < 20; i++) await store.create(`/k/${i}`, randomBytes(512));
  await store.close();
  return path;
}

test('a store of an unknown format version is refused with a clear error', async (t) => {
  const path = await storeWithData(t);
  const raw = new Level<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await raw.put(Buffer.from('mformat'), Buffer.from('99'));
  await raw.close();
  await assertRefused(path, 'UnsupportedFormat', /format version "99".*reads version 1/);
});

test('a LevelDB database that is not a Bramble store is refused', async (t) => {
  const path = join(await tempDir(t), 'db');
  const raw = new Level(path);
  await raw.put('hello', 'world');
  await raw.close();
  await assertRefused(path, 'Corrupt', /not a Bramble store/);
});

test('a damaged CURRENT file gives a clear error and the store is not reset', async (t) => {
  const path = await storeWithData(t);
  await writeFile(join(path, 'CURRENT'), 'garbage');
  await assertRefused(path, 'Corrupt', /damaged/);
});

test('a store folder without CURRENT is refused instead of starting empty', async (t) => {
  const path = await storeWithData(t);
  await rm(join(path, 'CURRENT'));
  await assertRefused(path, 'Corrupt', /no LevelDB CURRENT file/);
});

test('a flipped byte inside a stored value is caught by the record checksum', async (t) => {
  const path = join(await tempDir(t), 'db');
  const marker = randomBytes(256);
  const store = await openLevelStore({ path });
  await store.create('/victim', marker);
  await store.close();
  // Reopening once moves the write-ahead log into a table file, where LevelDB itself does not check.
  const raw = new Level(path);
  await raw.open();
  await raw.close();
  let damaged = false;
  for (const name of await readdir(path)) {
    const file = join(path, name);
    const content = await readFile(file);
    const at = content.indexOf(marker);
    if (at === -1) continue;
    content[at + 100] ^= 0xff;
    await writeFile(file, content);
    damaged = true;
  }
  assert.ok(damaged, 'the value was found in a file');
  await assertRefused(path, 'Corrupt', /revision 1 is damaged \(checksum mismatch\)/);
});

test('a store held by another opener is refused as Locked', async (t) => {
  const path = join(await tempDir(t), 'db');
  const first = await openLevelStore({ path });
  t.after(() => first.close());
  await assert.rejects(openLevelStore({ path }), (err) => isStoreError(err, 'Locked') && /in use by another process/.test(err.message));
});

test('a batch the disk refuses fails with Unavailable and changes nothing; the batch before it stays acknowledged; no write is taken until a restart', async (t) => {
  const dir = await tempDir(t);
  // A small tmpfs, so the disk itself refuses the write (ENOSPC). tempDir unmounts it once the store is closed (below, as its hooks run first).
  await mountTmpfs(dir, 1n << 20n);
  const path = join(dir, 'db');
  let store = await openLevelStore({ path });
  try {
    await store.create('/a', bytes('a'));
    const settled: string[] = [];
    // '/b' goes to disk at once, alone; '/c' waits for the next batch, which is handed to LevelDB before '/b' is acknowledged.
    const small = store.create('/b', bytes('b')).finally(() => settled.push('/b'));
    const large = store.create('/c', randomBytes(2 << 20)).finally(() => settled.push('/c'));
    assert.deepEqual(await small, { revision: 2 });
    await assert.rejects(large, (err) => isStoreError(err, 'Unavailable') || assert.fail(`expected Unavailable, got ${String(err)}`));
    assert.deepEqual(settled, ['/b', '/c']);
    assert.equal(store.revision, 2);
    assert.equal(await store.get('/c'), undefined);
    assert.equal(text((await store.get('/b'))?.value), 'b', 'reads go on');

    // With room again, LevelDB would take a write after its torn log record, and lose it on the next open: the store refuses it.
    await execFileAsync('mount', ['-o', 'remount,size=16m', dir]);
    await assert.rejects(store.create('/d', bytes('d')), (err) => {
      assert.ok(isStoreError(err, 'Unavailable'), String(err));
      assert.match(err.message, /takes no writes since its disk refused one .*restart the server/);
      return true;
    });
    assert.equal(store.revision, 2);

    // A restart: recovery drops the torn record, and writes are taken again.
    await store.close();
    store = await openLevelStore({ path });
    assert.equal(store.revision, 2);
    assert.deepEqual(await store.create('/d', bytes('d')), { revision: 3 });
    await store.close();
    store = await openLevelStore({ path });
    const listed = await store.list('/');
    assert.deepEqual(
      listed.items.map((kv) => [kv.key, text(kv.value), kv.modRevision]),
      [
        ['/a', 'a', 1],
        ['/b', 'b', 2],
        ['/d', 'd', 3],
      ],
    );
  } finally {
    await store.close();
  }
});

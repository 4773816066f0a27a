import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { storeDir } from '../../common/paths.js';
import { openLevelStore } from '../../server/store/level-store.js';
import { api, credentialsFrom } from '../helpers/api-client.js';
import { runBramble, serverArgs, startServer } from '../helpers/bramble.js';
import { text } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

test('bramble server starts, says it is ready, and stops cleanly on SIGTERM', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const server = await startServer(t, serverArgs(dataDir));
  assert.match(server.log(), /level=info msg="bramble server ready" dataDir=\S+ revision=\d+ server=https:\/\/127\.0\.0\.1:\d+ kubeconfig=\S+kubeconfig\.yaml/);
  assert.equal((await stat(join(dataDir, 'server', 'admin.sock'))).mode & 0o777, 0o600);
  assert.equal(await server.stop(), 0);
  assert.match(server.log(), /msg="bramble server stopped"/);
});

test('a second server on the same data dir is refused with a clear error', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const first = await startServer(t, serverArgs(dataDir));
  const second = await runBramble(['server', ...serverArgs(dataDir)]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /in use by another process \(is bramble server running\?\)/);
  assert.equal(await first.stop(), 0);
});

test('backup while the server runs, restore into an empty data dir, and the data is all there', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  const seeded = await openLevelStore({ path: storeDir(dataDir) });
  for (let i = 0; i < 100; i++) await seeded.create(`/registry/things/${i}`, Buffer.from(`thing ${i}`));
  await seeded.delete('/registry/things/7');
  await seeded.close();

  const server = await startServer(t, serverArgs(dataDir));
  const file = join(dir, 'snapshot.bramble');
  const backup = await runBramble(['server', 'backup', '--data-dir', dataDir, '--to', file]);
  assert.equal(backup.code, 0, backup.stderr);
  // 101 seeded writes, then the server's own start-up writes (system namespaces).
  const backedUp = /^backup of revision (\d+) \(\d+ entries, 7 files, \d+ bytes\) written to (.+)\n$/.exec(backup.stdout);
  assert.ok(backedUp, backup.stdout);
  assert.equal(backedUp[2], file);
  const revision = Number(backedUp[1]);
  assert.ok(revision > 101, `revision ${revision}`);
  assert.match(server.log(), /msg="backup sent"/, 'the backup came from the running server');
  assert.equal((await stat(file)).mode & 0o777, 0o600, 'backups hold secrets: owner only');
  assert.equal(await server.stop(), 0);

  const restoredDir = join(dir, 'restored');
  const restore = await runBramble(['server', 'restore', '--data-dir', restoredDir, '--from', file]);
  assert.equal(restore.code, 0, restore.stderr);
  assert.match(restore.stdout, new RegExp(`^restored revision ${revision} \\(\\d+ entries, 7 PKI files\\) into `));
  const restored = await openLevelStore({ path: storeDir(restoredDir) });
  assert.equal(restored.revision, revision);
  const items = (await restored.list('/registry/things/')).items;
  assert.equal(items.length, 99);
  assert.equal(text(items.find((kv) => kv.key === '/registry/things/42')?.value), 'thing 42');
  await restored.close();
  assert.equal((await stat(join(restoredDir, 'server', 'tls', 'ca.key'))).mode & 0o777, 0o600);

  // The restored server has the same CA: the kubeconfig written before the backup still works.
  await startServer(t, serverArgs(restoredDir));
  const fresh = await credentialsFrom(join(restoredDir, 'kubeconfig.yaml'));
  const before = await credentialsFrom(join(dataDir, 'kubeconfig.yaml'));
  const ns = await api({ ...before, server: fresh.server }, 'GET', '/api/v1/namespaces/default');
  assert.equal(ns.status, 200, ns.text);

  // Restoring over a data dir that has a store is refused and leaves it alone.
  const again = await runBramble(['server', 'restore', '--data-dir', restoredDir, '--from', file]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /is not empty: restore needs an empty data dir/);
});

test('backup with no server running reads the store directly', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  const seeded = await openLevelStore({ path: storeDir(dataDir) });
  await seeded.create('/a', Buffer.from('1'));
  await seeded.close();
  const r = await runBramble(['server', 'backup', '--data-dir', dataDir, '--to', join(dir, 'b.bramble')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^backup of revision 1 \(\d+ entries, 0 files, /);
});

test('a damaged backup file is refused by restore and creates nothing', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'bad.bramble');
  await writeFile(file, 'BRAMBLE-BACKUP 1\n\u0000\u0000\u0000\u0002{}');
  const restoredDir = join(dir, 'restored');
  const r = await runBramble(['server', 'restore', '--data-dir', restoredDir, '--from', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /is not a usable Bramble backup|holds store format/);
  await assert.rejects(stat(join(restoredDir, 'server', 'db')), { code: 'ENOENT' });
  assert.ok((await readFile(file)).length > 0);
});

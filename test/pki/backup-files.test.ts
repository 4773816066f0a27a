import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pkiBackupFiles, restorePkiFiles } from '../../server/pki/backup-files.js';
import { ensureClusterPki, PkiError } from '../../server/pki/index.js';
import { tempDir } from '../helpers/temp.js';

test('the PKI folder goes into a backup and comes back byte for byte, keys owner-only', async (t) => {
  const dir = await tempDir(t);
  const pki = join(dir, 'tls');
  await ensureClusterPki({ dir: pki, sans: [] });
  const files = await pkiBackupFiles(pki);
  assert.deepEqual(files.map((f) => f.name).sort(), (await readdir(pki)).map((n) => `tls/${n}`).sort());
  const restored = join(dir, 'restored', 'tls');
  assert.equal(await restorePkiFiles(restored, files), files.length);
  for (const f of files) {
    const path = join(restored, f.name.slice('tls/'.length));
    assert.deepEqual(await readFile(path), f.content);
    assert.equal((await stat(path)).mode & 0o777, f.name.endsWith('.key') ? 0o600 : 0o644, f.name);
  }
  // A second start on the restored folder keeps the same CA.
  const again = await ensureClusterPki({ dir: restored, sans: [] });
  assert.equal(again.caCertPem, (await readFile(join(pki, 'ca.crt'), 'utf8')));
});

test('a backup naming a file outside the PKI folder is refused and nothing is written', async (t) => {
  const dir = await tempDir(t);
  const target = join(dir, 'tls');
  for (const name of ['tls/../../escape', 'tls/sub/dir', 'tls/.hidden', 'tls/']) {
    await assert.rejects(restorePkiFiles(target, [{ name, content: Buffer.from('x') }]), (err) => err instanceof PkiError, name);
  }
  assert.deepEqual(await readdir(dir), []);
});

test('restoring the PKI into a folder that has files is refused', async (t) => {
  const dir = await tempDir(t);
  const target = join(dir, 'tls');
  await restorePkiFiles(target, [{ name: 'tls/ca.crt', content: Buffer.from('one') }]);
  await writeFile(join(target, 'extra'), 'mine');
  await assert.rejects(restorePkiFiles(target, [{ name: 'tls/ca.crt', content: Buffer.from('two') }]), /not empty/);
  assert.equal(await readFile(join(target, 'ca.crt'), 'utf8'), 'one');
});

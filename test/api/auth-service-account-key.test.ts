// The service-account signing key in the cluster PKI: created beside the CA
// on first start (0600, P-256 PKCS#8), the same key on every later start, and
// a damaged one replaced with a warning.
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger, type Logger } from '../../common/log.js';
import { ensureClusterPki } from '../../server/pki/index.js';
import { tempDir } from '../helpers/temp.js';
import { HOST } from '../pki/pki-helpers.js';

function captured(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
}

test('first start creates service-account.key beside the CA; later starts reuse it silently', async (t) => {
  const dir = join(await tempDir(t), 'pki');
  const first = captured();
  const pki = await ensureClusterPki({ interfaces: HOST, dir, sans: [], logger: first.logger });
  const file = join(dir, 'service-account.key');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(await readFile(file, 'utf8'), pki.serviceAccountKeyPem);
  assert.match(pki.serviceAccountKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(createPrivateKey(pki.serviceAccountKeyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.notEqual(pki.serviceAccountKeyPem, pki.adminKeyPem);
  assert.equal(first.lines.filter((l) => l.includes('msg="created service-account signing key"')).length, 1, first.lines.join(''));
  assert.ok(!first.lines.join('').includes('PRIVATE KEY'));

  const second = captured();
  const again = await ensureClusterPki({ interfaces: HOST, dir, sans: [], logger: second.logger });
  assert.equal(again.serviceAccountKeyPem, pki.serviceAccountKeyPem);
  assert.deepEqual(second.lines, []);
});

test('a damaged or non-P-256 service-account key is replaced, with a warning', async (t) => {
  const dir = await tempDir(t);
  const pki = await ensureClusterPki({ interfaces: HOST, dir, sans: [] });
  const file = join(dir, 'service-account.key');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  for (const damaged of ['not a key\n', rsa]) {
    await writeFile(file, damaged);
    const { logger, lines } = captured();
    const again = await ensureClusterPki({ interfaces: HOST, dir, sans: [], logger });
    assert.notEqual(again.serviceAccountKeyPem, pki.serviceAccountKeyPem);
    assert.equal(createPrivateKey(again.serviceAccountKeyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(await readFile(file, 'utf8'), again.serviceAccountKeyPem);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(again.caCertPem, pki.caCertPem, 'the CA is not touched');
    assert.equal(lines.length, 1, lines.join(''));
    assert.match(lines[0]!, /level=warn msg="replaced damaged service-account signing key; tokens it signed no longer work" .*file=/);
  }
});

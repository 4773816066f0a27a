// A node's key and request, signed by the cluster CA, read back: the name and
// validity the agent reads (to know who it is and when to renew) are the
// certificate's, to the second.
import 'reflect-metadata';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { certificateFacts, newKeyAndRequest } from '../../common/certificate-request.js';
import { certificateAuthority, createCa, issueForRequest, parseCertificate, parsePrivateKey } from '../../server/pki/certificates.js';

test('a certificate issued for a node’s request names the node and the validity it was issued with', async () => {
  const now = new Date('2026-11-22T08:00:00Z');
  const caPair = await createCa('bramble-ca', 3650, now);
  const ca = await certificateAuthority(parseCertificate(caPair.certPem), parsePrivateKey(caPair.keyPem));
  const { keyPem, csrPem } = await newKeyAndRequest({ commonName: 'system:node:pi-1', organizations: ['system:nodes'] });
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
  const certPem = await issueForRequest(ca, csrPem, { subject: { commonName: 'system:node:pi-1', organizations: ['system:nodes'] }, usage: 'clientAuth', sans: [], days: 365 }, now);
  const facts = certificateFacts(certPem);
  const issued = parseCertificate(certPem);
  assert.equal(facts.commonName, 'system:node:pi-1');
  assert.equal(facts.notBefore.getTime(), issued.notBefore.getTime());
  assert.equal(facts.notAfter.getTime(), issued.notAfter.getTime());
  assert.throws(() => certificateFacts('not a certificate'));
});

test('a node’s request is a PKCS#10 request OpenSSL verifies, naming the subject it was made for', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'csr-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { csrPem } = await newKeyAndRequest({ commonName: 'system:node:pi-2', organizations: ['system:nodes', 'bramble:edge'] });
  await writeFile(join(dir, 'node.csr'), csrPem);
  const out = execFileSync('openssl', ['req', '-in', join(dir, 'node.csr'), '-noout', '-verify', '-subject', '-nameopt', 'RFC2253'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(out, /^subject=O=bramble:edge,O=system:nodes,CN=system:node:pi-2$/m);
  const csr = new Pkcs10CertificateRequest(csrPem);
  assert.equal(await csr.verify(), true);
  assert.equal(csr.signatureAlgorithm.name, 'ECDSA');
});

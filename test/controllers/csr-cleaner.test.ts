// The CSR cleaner as upstream 1.31's csrcleaner decides: pending requests go
// a day after creation, denied and failed ones an hour after that condition,
// issued ones an hour after approval or once their certificate expired;
// approved ones not yet issued stay. On a real store and registry, with a
// fake clock.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createLogger } from '../../common/log.js';
import type { KubeObject } from '../../server/api/objects.js';
import { CsrCleaner } from '../../server/controllers/csr-cleaner.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { createCa, parseCertificate } from '../../server/pki/certificates.js';
import { apiRegistry } from '../helpers/api-registry.js';

const quiet = createLogger({ level: 'error' });
const HOUR = 3_600_000;

async function requestPem(): Promise<string> {
  const params = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(params, true, ['sign', 'verify']);
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=jane,O=devs', keys, signingAlgorithm: params })).toString('pem');
}

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  const type = catalogue.get('certificates.k8s.io', 'v1', 'certificatesigningrequests')!;
  const request = Buffer.from(await requestPem()).toString('base64');
  // Whole seconds, as the timestamps hold them.
  const start = Math.floor(Date.now() / 1000) * 1000;
  let now = start;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  const csr = async (name: string, condition?: { type: string; at: number }, certificate?: string) => {
    await registry.create(type, undefined, { metadata: { name }, spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] } } as unknown as KubeObject, {});
    if (condition === undefined) return;
    const stamp = iso(condition.at);
    const sub = condition.type === 'Failed' ? 'status' : 'approval';
    await registry.patch(type, undefined, name, (c) => ({ ...c, status: { conditions: [{ type: condition.type, status: 'True', reason: 'Test', lastUpdateTime: stamp, lastTransitionTime: stamp }] } }), { subresource: sub });
    if (certificate !== undefined) await registry.patch(type, undefined, name, (c) => ({ ...c, status: { ...(c['status'] as object), certificate } }), { subresource: 'status' });
  };
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const cleaner = await CsrCleaner.start({ registry, catalogue, informers, log: quiet, now: () => now });
  t.after(() => cleaner.close());
  const names = async () => (await registry.list(type, undefined, {})).items.map((c) => c.metadata.name).sort();
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
  /** Moves the clock and runs the hourly pass. */
  const pass = async (to: number) => {
    now = to;
    cleaner.resync();
    await settle();
  };
  return { csr, names, settle, pass, start };
}

test('pending requests go a day after creation; denied and failed ones an hour after the condition', async (t) => {
  const { csr, names, settle, pass, start } = await setup(t);
  await csr('pending');
  await csr('denied', { type: 'Denied', at: start });
  await csr('failed', { type: 'Failed', at: start });
  await settle();
  assert.deepEqual(await names(), ['denied', 'failed', 'pending']);
  await pass(start + HOUR);
  assert.deepEqual(await names(), ['denied', 'failed', 'pending'], 'an hour exactly is not older than an hour');
  await pass(start + HOUR + 1000);
  assert.deepEqual(await names(), ['pending']);
  await pass(start + 24 * HOUR - 1000);
  assert.deepEqual(await names(), ['pending']);
  await pass(start + 24 * HOUR + 1000);
  assert.deepEqual(await names(), []);
});

test('issued requests go an hour after approval, or once their certificate expired; approved ones not issued stay', async (t) => {
  const { csr, names, pass, start, settle } = await setup(t);
  const ca = await createCa('test-ca', 1, new Date(start - 23.5 * HOUR));
  const certificate = Buffer.from(ca.certPem).toString('base64');
  const notAfter = parseCertificate(ca.certPem).notAfter.getTime();
  await csr('issued', { type: 'Approved', at: start }, certificate);
  await csr('approved', { type: 'Approved', at: start });
  await settle();
  await pass(Math.min(notAfter - 1000, start + HOUR));
  assert.deepEqual(await names(), ['approved', 'issued']);
  assert.ok(notAfter < start + HOUR, 'the certificate expires first');
  await pass(notAfter + 1000);
  assert.deepEqual(await names(), ['approved']);
  await pass(start + 48 * HOUR);
  assert.deepEqual(await names(), ['approved'], 'approved but never issued: upstream keeps it');
});

// CertificateSigningRequests as upstream 1.31 has them, through the resource
// handler with a chosen user and authorizer: the requester filled in from the
// request's user, the status cleared, validation's messages (the request's
// PEM and signature, usages, signerName, expirationSeconds, conditions), the
// approval subresource changing the conditions alone and needing `approve`
// on the signer, the status subresource setting the certificate once and
// needing `sign`, a kube-apiserver-client request for system:masters refused;
// the printer's columns; and the signing controller issuing a certificate
// with the cluster CA, or a Failed condition for usages the signer refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createLogger } from '../../common/log.js';
import { type Attributes, type Authorizer, NO_OPINION } from '../../server/api/auth/authorizer.js';
import type { UserInfo } from '../../server/api/auth/user.js';
import { toTable } from '../../server/api/table/table.js';
import { type CsrObject } from '../../server/api/kinds/certificate-signing-requests.js';
import { CsrSigningController } from '../../server/controllers/csr-signing-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { certificateAuthority, createCa, parseCertificate, parsePrivateKey } from '../../server/pki/certificates.js';
import { signRequest } from '../../server/pki/certificate-requests.js';
import { handlerApi } from '../helpers/handler-api.js';

const PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const ADMIN: UserInfo = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
const JANE: UserInfo = { name: 'jane', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['a'] } };
/** May update the approval subresource but not approve for any signer. */
const CLERK: UserInfo = { name: 'clerk', groups: ['system:authenticated'] };
/** May approve for kubernetes.io/* signers only. */
const APPROVER: UserInfo = { name: 'approver', groups: ['system:authenticated'] };

const authorizer: Authorizer = {
  async authorize(user: UserInfo, attrs: Attributes) {
    if (user.groups.includes('system:masters')) return { decision: 'allow', reason: '' };
    if (attrs.kind === 'path') return NO_OPINION;
    if (attrs.resource === 'signers') return user === APPROVER && attrs.verb === 'approve' && attrs.name === 'kubernetes.io/*' ? { decision: 'allow', reason: '' } : NO_OPINION;
    return { decision: 'allow', reason: '' };
  },
};

async function csrPem(subject: string, algorithm: 'ec' | 'rsa' = 'ec'): Promise<string> {
  const params = algorithm === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await crypto.subtle.generateKey(params, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: subject, keys, signingAlgorithm: params });
  return csr.toString('pem');
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

function manifest(name: string, request: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request: b64(request), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...spec },
  };
}

const messages = (body: Record<string, unknown>) => ((body['details'] as { causes?: { field: string; message: string }[] }).causes ?? []).map((c) => `${c.field}: ${c.message}`);

test('create: the requester is the request’s user, the status is cleared, and the fields are validated with upstream’s messages', async (t) => {
  const api = await handlerApi(t, authorizer);
  const pem = await csrPem('CN=jane,O=devs', 'rsa');
  const made = await api.send(JANE, 'POST', PATH, { ...manifest('jane', pem, { username: 'root', groups: ['system:masters'] }), status: { conditions: [{ type: 'Approved', status: 'True' }] } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const spec = made.body['spec'] as CsrObject['spec'];
  assert.equal(spec.username, 'jane');
  assert.equal(spec.uid, 'u-1');
  assert.deepEqual(spec.groups, ['devs', 'system:authenticated']);
  assert.deepEqual(spec.extra, { scopes: ['a'] });
  assert.deepEqual(made.body['status'], {});

  const notPem = await api.send(JANE, 'POST', PATH, manifest('bad', 'hello', { usages: [], signerName: 'example', expirationSeconds: 599 }));
  assert.equal(notPem.status, 422);
  assert.deepEqual(messages(notPem.body), [
    'spec.request: Invalid value: []byte{0x68, 0x65, 0x6c, 0x6c, 0x6f}: PEM block type must be CERTIFICATE REQUEST',
    'spec.usages: Required value',
    "spec.signerName: Invalid value: \"example\": must be a fully qualified domain and path of the form 'example.com/signer-name'",
    'spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)',
  ]);

  // A request whose signature is another key's.
  const other = new x509.Pkcs10CertificateRequest(await csrPem('CN=x'));
  const mine = new x509.Pkcs10CertificateRequest(await csrPem('CN=x'));
  const forged = Buffer.from(mine.rawData);
  const sig = Buffer.from(other.signature);
  forged.set(sig.subarray(0, Math.min(8, sig.length)), forged.length - 8);
  const forgedPem = x509.PemConverter.encode(forged, 'CERTIFICATE REQUEST');
  const unsigned = await api.send(JANE, 'POST', PATH, manifest('forged', forgedPem));
  assert.equal(unsigned.status, 422, JSON.stringify(unsigned.body));
  assert.match(messages(unsigned.body)[0]!, /^spec\.request: Invalid value: \[\]byte\{0x2d, .*: x509: ECDSA verification failure$/);

  const fields = await api.send(JANE, 'POST', PATH, manifest('fields', pem, { usages: ['client auth', 'flying', 'client auth'], signerName: 'kubernetes.io/legacy-unknown' }));
  assert.deepEqual(messages(fields.body).map((m) => m.replace(/supported values: .*/, 'supported values: …')), [
    'spec.usages[1]: Unsupported value: "flying": supported values: …',
    'spec.usages[2]: Duplicate value: "client auth"',
    'spec.signerName: Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version',
  ]);
  const signers = await api.send(JANE, 'POST', PATH, manifest('signer', pem, { signerName: 'Example/x_y' }));
  assert.deepEqual(messages(signers.body), [
    `spec.signerName: Invalid value: "Example": validating label "Example": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    'spec.signerName: Invalid value: "Example": should be a domain with at least two segments separated by dots',
    `spec.signerName: Invalid value: "x_y": validating label "x_y": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  ]);

  const badBase64 = await api.send(JANE, 'POST', PATH, { ...manifest('b', pem), spec: { request: 'abc', signerName: 'a.b/c', usages: ['client auth'] } });
  assert.equal(badBase64.status, 400);
  assert.equal(badBase64.body['message'], 'CertificateSigningRequest in version "v1" cannot be handled as a CertificateSigningRequest: illegal base64 data at input byte 0');

  // CertificateSubjectRestriction: no system:masters certificates from the kube-apiserver-client signer; another signer may.
  const masters = await csrPem('CN=evil,O=system:masters');
  const refused = await api.send(ADMIN, 'POST', PATH, manifest('evil', masters));
  assert.equal(refused.status, 403);
  assert.equal(refused.body['message'], 'certificatesigningrequests.certificates.k8s.io "evil" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed');
  assert.equal((await api.send(ADMIN, 'POST', PATH, manifest('custom', masters, { signerName: 'example.com/mine' }))).status, 201);

  // The main resource changes metadata only.
  const updated = await api.send(JANE, 'PUT', `${PATH}/jane`, { ...made.body, metadata: { ...(made.body['metadata'] as object), labels: { a: 'b' } }, spec: { ...spec, usages: ['server auth'] } });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  assert.deepEqual((updated.body['spec'] as CsrObject['spec']).usages, ['client auth']);
  assert.deepEqual((updated.body['metadata'] as { labels: unknown }).labels, { a: 'b' });
});

test('approval: conditions alone, approve on the signer needed; status: the certificate once, sign needed; the table', async (t) => {
  const api = await handlerApi(t, authorizer);
  const made = await api.send(JANE, 'POST', PATH, manifest('jane', await csrPem('CN=jane')));
  const approve = (body: Record<string, unknown>) => ({
    ...body,
    spec: { ...(body['spec'] as object), usages: ['server auth'] },
    status: { certificate: b64('junk'), conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.' }] },
  });
  const clerk = await api.send(CLERK, 'PUT', `${PATH}/jane/approval`, approve(made.body));
  assert.equal(clerk.status, 403);
  assert.equal(clerk.body['message'], 'certificatesigningrequests.certificates.k8s.io "jane" is forbidden: user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"');

  const approved = await api.send(APPROVER, 'PUT', `${PATH}/jane/approval`, approve(made.body));
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const status = approved.body['status'] as NonNullable<CsrObject['status']>;
  assert.equal(status.certificate, undefined, 'the approval writes no certificate');
  assert.deepEqual((approved.body['spec'] as CsrObject['spec']).usages, ['client auth']);
  const condition = status.conditions![0]!;
  assert.equal(condition.type, 'Approved');
  assert.ok(condition.lastUpdateTime && condition.lastTransitionTime, 'timestamps filled in');

  const both = await api.send(ADMIN, 'PUT', `${PATH}/jane/approval`, { ...approved.body, status: { conditions: [...status.conditions!, { type: 'Denied', status: 'True' }] } });
  assert.deepEqual(messages(both.body), ['status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive']);
  const removed = await api.send(ADMIN, 'PUT', `${PATH}/jane/approval`, { ...approved.body, status: { conditions: [] } });
  assert.deepEqual(messages(removed.body), ['status.conditions: Forbidden: updates may not remove a condition of type "Approved"']);
  const falseApproval = await api.send(ADMIN, 'PUT', `${PATH}/jane/approval`, { ...approved.body, status: { conditions: [{ type: 'Approved', status: 'False' }, { type: 'Approved', status: 'True' }] } });
  assert.deepEqual(messages(falseApproval.body), ['status.conditions[0].status: Unsupported value: "False": supported values: "True"', 'status.conditions[1].type: Duplicate value: "Approved"']);

  // The status subresource keeps the approval as it was; its certificate is checked and needs `sign`.
  const junk = await api.send(ADMIN, 'PUT', `${PATH}/jane/status`, { ...approved.body, status: { ...status, certificate: b64('junk') } });
  assert.deepEqual(messages(junk.body), ['status.certificate: Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block']);
  const caPair = await createCa('test-ca', 10, new Date());
  const unsignedBySigner = await api.send(CLERK, 'PUT', `${PATH}/jane/status`, { ...approved.body, status: { ...status, certificate: b64(caPair.certPem) } });
  assert.equal(unsignedBySigner.body['message'], 'certificatesigningrequests.certificates.k8s.io "jane" is forbidden: user not permitted to sign requests with signerName "kubernetes.io/kube-apiserver-client"');
  const dropped = await api.send(ADMIN, 'PUT', `${PATH}/jane/status`, { ...approved.body, status: { conditions: [{ type: 'Failed', status: 'True' }], certificate: b64(caPair.certPem) } });
  assert.deepEqual(messages(dropped.body), ['status.conditions: Forbidden: updates may not remove a condition of type "Approved"']);
  const reworded = [{ ...condition, message: 'changed' }, { type: 'Failed', status: 'True' }];
  const issued = await api.send(ADMIN, 'PUT', `${PATH}/jane/status`, { ...approved.body, status: { conditions: reworded, certificate: b64(caPair.certPem) } });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const issuedConditions = (issued.body['status'] as NonNullable<CsrObject['status']>).conditions!;
  assert.deepEqual(issuedConditions.map((c) => [c.type, c.message]), [['Approved', condition.message], ['Failed', undefined]], 'the Approved condition is kept as it was');
  const again = await api.send(ADMIN, 'PUT', `${PATH}/jane/status`, { ...issued.body, status: { ...(issued.body['status'] as object), certificate: b64(`${caPair.certPem}${caPair.certPem}`) } });
  assert.deepEqual(messages(again.body), ['status.certificate: Forbidden: updates may not modify existing certificate content']);

  const table = toTable(api.catalogue.get('certificates.k8s.io', 'v1', 'certificatesigningrequests')!, [issued.body as unknown as CsrObject, { ...made.body, spec: { ...(made.body['spec'] as object), expirationSeconds: 3600 } } as unknown as CsrObject], {
    includeObject: 'None',
    now: new Date(),
  });
  assert.deepEqual(table.columnDefinitions.map((c) => c.name), ['Name', 'Age', 'SignerName', 'Requestor', 'RequestedDuration', 'Condition']);
  assert.deepEqual(table.rows.map((r) => r.cells.filter((_, i) => i !== 1)), [
    ['jane', 'kubernetes.io/kube-apiserver-client', 'jane', '<none>', 'Approved,Failed,Issued'],
    ['jane', 'kubernetes.io/kube-apiserver-client', 'jane', '60m', 'Pending'],
  ]);
});

test('the signing controller issues approved kube-apiserver-client requests with the CA, and fails those with usages the signer refuses', async (t) => {
  const api = await handlerApi(t, authorizer);
  const pair = await createCa('test-ca', 10, new Date());
  const ca = await certificateAuthority(parseCertificate(pair.certPem), parsePrivateKey(pair.keyPem));
  const log = createLogger({ level: 'error' });
  const informers = new SharedInformers(api.registry, api.catalogue, log);
  const controller = await CsrSigningController.start({
    registry: api.registry,
    catalogue: api.catalogue,
    informers,
    log,
    sign: (csr, usages, ttlMs) => signRequest(ca, csr, { usages, ttlMs, now: new Date() }),
  });
  t.after(async () => {
    await controller.close();
    await informers.close();
  });
  for (const [name, usages] of [['good', ['client auth', 'digital signature']], ['server', ['server auth']]] as const) {
    const made = await api.send(JANE, 'POST', PATH, manifest(name, await csrPem(`CN=${name},O=devs,O=ops`, 'rsa'), { usages, expirationSeconds: 7200 }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await api.send(ADMIN, 'PUT', `${PATH}/${name}/approval`, { ...made.body, status: { conditions: [{ type: 'Approved', status: 'True' }] } });
  }
  const settled = async (name: string) => {
    for (let i = 0; i < 100; i++) {
      const got = await api.send(ADMIN, 'GET', `${PATH}/${name}`);
      const status = got.body['status'] as NonNullable<CsrObject['status']>;
      if (status.certificate || status.conditions?.some((c) => c.type === 'Failed')) return status;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`${name} never settled`);
  };
  const good = await settled('good');
  const cert = new x509.X509Certificate(Buffer.from(good.certificate!, 'base64').toString());
  assert.equal(cert.subject, 'CN=good, O=devs, O=ops');
  assert.equal(cert.issuer, parseCertificate(pair.certPem).subject);
  assert.ok(await cert.verify({ publicKey: parseCertificate(pair.certPem).publicKey, signatureOnly: true }));
  const lifetimeS = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 1000;
  assert.ok(Math.abs(lifetimeS - 7500) <= 1, `${lifetimeS}s: backdated 5 minutes at the start, not at the end (shorter than 8 hours)`);
  assert.deepEqual([...(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], ['1.3.6.1.5.5.7.3.2']);
  assert.equal(cert.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);

  const kubelet = 'kubernetes.io/kube-apiserver-client-kubelet';
  const kubeletUsages = ['digital signature', 'key encipherment', 'client auth'];
  for (const [name, subject] of [['node', 'CN=system:node:n1,O=system:nodes'], ['not-node', 'CN=system:node:n1,O=devs']] as const) {
    const made = await api.send(ADMIN, 'POST', PATH, manifest(name, await csrPem(subject), { signerName: kubelet, usages: kubeletUsages }));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await api.send(ADMIN, 'PUT', `${PATH}/${name}/approval`, { ...made.body, status: { conditions: [{ type: 'Approved', status: 'True' }] } });
  }
  assert.equal(new x509.X509Certificate(Buffer.from((await settled('node')).certificate!, 'base64').toString()).subject, 'CN=system:node:n1, O=system:nodes');
  assert.equal((await settled('not-node')).conditions!.find((c) => c.type === 'Failed')?.message, 'subject organization is not system:nodes');

  const server = await settled('server');
  assert.equal(server.certificate, undefined);
  const failed = server.conditions!.find((c) => c.type === 'Failed')!;
  assert.deepEqual([failed.reason, failed.message], ['SignerValidationFailure', 'invalid usage for client certificate: server auth']);
});

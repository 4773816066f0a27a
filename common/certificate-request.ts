// What a client needs to get a certificate without handing over its key: a
// fresh ECDSA P-256 key and a PKCS#10 request for it; and, later, when the
// certificate it got names and when it expires.
import 'reflect-metadata'; // before @peculiar/x509: its tsyringe container cannot load without the polyfill
import * as x509 from '@peculiar/x509';

const KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

export interface KeyAndRequest {
  /** PKCS#8 PEM: stays with its owner. */
  readonly keyPem: string;
  readonly csrPem: string;
}

export async function newKeyAndRequest(subject: { commonName: string; organizations: readonly string[] }): Promise<KeyAndRequest> {
  const keys = await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [subject.commonName] }, ...subject.organizations.map((o) => ({ O: [o] }))],
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const keyPem = x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') + '\n';
  return { keyPem, csrPem: `${csr.toString('pem')}\n` };
}

/** Whom a PEM certificate names and when it is valid; throws when it is not one. */
export function certificateFacts(certPem: string): { commonName: string; notBefore: Date; notAfter: Date } {
  const cert = new x509.X509Certificate(certPem);
  const commonName = cert.subjectName.getField('CN')[0] ?? '';
  return { commonName, notBefore: cert.notBefore, notAfter: cert.notAfter };
}

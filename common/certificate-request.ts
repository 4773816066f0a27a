// What a client needs to get a certificate without handing over its key: a
// fresh ECDSA P-256 key and a PKCS#10 request for it; and, later, when the
// certificate it got names and when it expires. The request builder
// (@peculiar/x509) is loaded only when a request is made (joining, renewing
// once a year): a running agent never needs its ~10 MB in memory.
import { X509Certificate } from 'node:crypto';

const KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

export interface KeyAndRequest {
  /** PKCS#8 PEM: stays with its owner. */
  readonly keyPem: string;
  readonly csrPem: string;
}

export async function newKeyAndRequest(subject: { commonName: string; organizations: readonly string[] }): Promise<KeyAndRequest> {
  // Before @peculiar/x509: its tsyringe container cannot load without the polyfill.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
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
  const cert = new X509Certificate(certPem);
  // Node gives the subject as one "KEY=value" line per attribute.
  const commonName = cert.subject.split('\n').find((line) => line.startsWith('CN='))?.slice('CN='.length) ?? '';
  return { commonName, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

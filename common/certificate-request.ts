// What a client needs to get a certificate without handing over its key: a
// fresh ECDSA P-256 key and a PKCS#10 request for it; and, later, when the
// certificate it got names and when it expires. The request is a few DER
// structures around node:crypto's key and signature, encoded here: an X.509
// library would stay in a running agent's memory for the one request it
// makes when joining (megabytes of a Pi's RAM).
import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';

export interface KeyAndRequest {
  /** PKCS#8 PEM: stays with its owner. */
  readonly keyPem: string;
  readonly csrPem: string;
}

// Object identifiers, as DER contents (RFC 5280, RFC 5758).
const OID_COMMON_NAME = [0x55, 0x04, 0x03]; // 2.5.4.3
const OID_ORGANIZATION = [0x55, 0x04, 0x0a]; // 2.5.4.10
const OID_ECDSA_WITH_SHA256 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]; // 1.2.840.10045.4.3.2

export async function newKeyAndRequest(subject: { commonName: string; organizations: readonly string[] }): Promise<KeyAndRequest> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = sequence(
    ...[[OID_COMMON_NAME, subject.commonName] as const, ...subject.organizations.map((o) => [OID_ORGANIZATION, o] as const)].map(([oid, value]) =>
      der(0x31, sequence(der(0x06, Buffer.from(oid)), der(0x0c, Buffer.from(value, 'utf8')))),
    ),
  );
  // CertificationRequestInfo (RFC 2986): version 0, subject, key, no attributes.
  const info = sequence(der(0x02, Buffer.from([0])), name, publicKey.export({ type: 'spki', format: 'der' }), der(0xa0, Buffer.alloc(0)));
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  const csr = sequence(info, sequence(der(0x06, Buffer.from(OID_ECDSA_WITH_SHA256))), der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), csrPem: pem('CERTIFICATE REQUEST', csr) };
}

/** Whom a PEM certificate names and when it is valid; throws when it is not one. */
export function certificateFacts(certPem: string): { commonName: string; notBefore: Date; notAfter: Date } {
  const cert = new X509Certificate(certPem);
  // Node gives the subject as one "KEY=value" line per attribute.
  const commonName = cert.subject.split('\n').find((line) => line.startsWith('CN='))?.slice('CN='.length) ?? '';
  return { commonName, notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo) };
}

function sequence(...parts: Buffer[]): Buffer {
  return der(0x30, Buffer.concat(parts));
}

/** One DER element: tag, definite length (short or long form), contents. */
function der(tag: number, contents: Buffer): Buffer {
  const n = contents.length;
  if (n > 0xffff) throw new Error(`a certificate request element of ${n} bytes is too long`);
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), contents]);
}

function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g)!;
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// PKCS#10 certificate requests as upstream's CertificateSigningRequests carry
// them: read from the first PEM block (certificates.ParseCSR), their own
// signature checked synchronously with node:crypto (validation cannot wait),
// and signed by the cluster CA as kube-controller-manager's csrsigning
// controller signs them (authority.PermissiveSigningPolicy): the request's
// subject and names, the usages asked for, a validity backdated 5 minutes.
import 'reflect-metadata'; // before @peculiar/x509: its tsyringe container cannot load without the polyfill
import * as x509 from '@peculiar/x509';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { authorityKeyId, type CertificateAuthority } from './certificates.js';

export type CertificateRequest = x509.Pkcs10CertificateRequest;

const REQUEST_BLOCK = /-----BEGIN ([^-\n]*)-----\r?\n([\s\S]*?)-----END \1-----/;
const BACKDATE_MS = 5 * 60_000;
/** Shorter certificates are not backdated at the end (upstream's Short). */
const SHORT_MS = 8 * 3_600_000;

/** The request in `pemText`, or why it is none, as Go words it. */
export function parseCertificateRequest(pemText: string): CertificateRequest | string {
  const block = REQUEST_BLOCK.exec(pemText);
  if (block === null || block[1] !== 'CERTIFICATE REQUEST') return 'PEM block type must be CERTIFICATE REQUEST';
  try {
    return new x509.Pkcs10CertificateRequest(Buffer.from(block[2]!.replace(/\s+/g, ''), 'base64'));
  } catch {
    return 'x509: malformed certificate request';
  }
}

/** Undefined when the request is signed by its own key; else Go's CheckSignature error. */
export function signatureError(csr: CertificateRequest): string | undefined {
  const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  const [info, , signature] = derChildren(Buffer.from(csr.rawData));
  const kind = key.asymmetricKeyType;
  const failure = kind === 'rsa' ? 'crypto/rsa: verification error' : kind === 'ec' ? 'x509: ECDSA verification failure' : 'x509: Ed25519 verification failure';
  if (info === undefined || signature === undefined || signature[0] !== 0x03) return failure;
  const hash = (csr.signatureAlgorithm as { hash?: { name?: string } }).hash?.name?.replace('-', '').toLowerCase();
  try {
    // A BIT STRING's content starts with its count of unused bits.
    const ok = verify(kind === 'ed25519' ? null : (hash ?? null), info, key, derContent(signature).subarray(1));
    return ok ? undefined : failure;
  } catch {
    return failure;
  }
}

/** The request subject's organizations (upstream's Subject.Organization). */
export function requestOrganizations(csr: CertificateRequest): string[] {
  return csr.subjectName.toJSON().flatMap((rdn) => rdn['O'] ?? []);
}

const PEM_BLOCK = /-----BEGIN ([^-\n]*)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Undefined when `pemText` holds CERTIFICATE blocks only (at least one), else why not, as upstream's validateCertificate words it. */
export function certificatePemError(pemText: string): string | undefined {
  let blocks = 0;
  for (const [, type, body] of pemText.matchAll(PEM_BLOCK)) {
    if (type !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(type)}`;
    if (/^[\w-]+:/m.test(body!)) return 'no PEM block headers are permitted';
    try {
      new x509.X509Certificate(Buffer.from(body!.replace(/\s+/g, ''), 'base64'));
    } catch {
      return 'x509: malformed certificate';
    }
    blocks++;
  }
  return blocks === 0 ? 'must contain at least one CERTIFICATE PEM block' : undefined;
}

/** The subjectAltNames the request asks for. */
export function requestAltNames(csr: CertificateRequest): x509.JsonGeneralNames {
  const extension = csr.getExtension('2.5.29.17');
  return extension === null ? [] : new x509.SubjectAlternativeNameExtension(extension.rawData).names.toJSON();
}

/** `x509.KeyUsage` bits and extended usages by the names a CSR's spec.usages use (upstream's keyUsageDict and extKeyUsageDict). */
const KEY_USAGES: Readonly<Record<string, number>> = {
  signing: x509.KeyUsageFlags.digitalSignature,
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
  'encipher only': x509.KeyUsageFlags.encipherOnly,
  'decipher only': x509.KeyUsageFlags.decipherOnly,
};
const EXTENDED_USAGES: Readonly<Record<string, string>> = {
  any: '2.5.29.37.0',
  'server auth': '1.3.6.1.5.5.7.3.1',
  'client auth': '1.3.6.1.5.5.7.3.2',
  'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4',
  's/mime': '1.3.6.1.5.5.7.3.4',
  'ipsec end system': '1.3.6.1.5.5.7.3.5',
  'ipsec tunnel': '1.3.6.1.5.5.7.3.6',
  'ipsec user': '1.3.6.1.5.5.7.3.7',
  timestamping: '1.3.6.1.5.5.7.3.8',
  'ocsp signing': '1.3.6.1.5.5.7.3.9',
  'microsoft sgc': '1.3.6.1.4.1.311.10.3.3',
  'netscape sgc': '2.16.840.1.113730.4.1',
};

export interface SigningPolicy {
  readonly usages: readonly string[];
  readonly ttlMs: number;
  readonly now: Date;
}

/** The PEM certificate the CA issues for `csr`; throws with upstream's reason when it cannot. */
export async function signRequest(ca: CertificateAuthority, csr: CertificateRequest, policy: SigningPolicy): Promise<string> {
  const unknown = policy.usages.filter((u) => KEY_USAGES[u] === undefined && EXTENDED_USAGES[u] === undefined);
  if (unknown.length > 0) throw new Error(`unrecognized usage values: ${unknown.join(', ')}`);
  const keyUsage = policy.usages.reduce((bits, u) => bits | (KEY_USAGES[u] ?? 0), 0);
  const extended = [...new Set(policy.usages.flatMap((u) => EXTENDED_USAGES[u] ?? []))];
  const now = policy.now.getTime();
  const caNotAfter = ca.cert.notAfter.getTime();
  const notBefore = now - BACKDATE_MS;
  let notAfter = policy.ttlMs < SHORT_MS ? now + policy.ttlMs : notBefore + policy.ttlMs;
  if (notAfter >= caNotAfter) notAfter = caNotAfter;
  if (notBefore >= caNotAfter) throw new Error(`the signer has expired: NotAfter=${ca.cert.notAfter.toISOString()}`);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (keyUsage !== 0) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (extended.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(extended));
  const sans = requestAltNames(csr);
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  extensions.push(await authorityKeyId(ca.cert));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject: csr.subjectName,
    issuer: ca.cert.subjectName,
    publicKey: csr.publicKey,
    signingKey: ca.signingKey,
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
    extensions,
  });
  return `${cert.toString('pem')}\n`;
}

/** The encoded children of a DER SEQUENCE (each with its tag and length). */
function derChildren(der: Buffer): Buffer[] {
  const content = derContent(der);
  const children: Buffer[] = [];
  for (let at = 0; at < content.length; ) {
    const size = derSize(content.subarray(at));
    children.push(content.subarray(at, at + size));
    at += size;
  }
  return children;
}

function derHeader(der: Buffer): { header: number; length: number } {
  const first = der[1] ?? 0;
  if (first < 0x80) return { header: 2, length: first };
  const bytes = first & 0x7f;
  let length = 0;
  for (let i = 0; i < bytes; i++) length = length * 256 + (der[2 + i] ?? 0);
  return { header: 2 + bytes, length };
}

function derSize(der: Buffer): number {
  const { header, length } = derHeader(der);
  return header + length;
}

function derContent(der: Buffer): Buffer {
  const { header, length } = derHeader(der);
  return der.subarray(header, header + length);
}

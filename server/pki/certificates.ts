// Creating and reading the cluster's certificates and keys: ECDSA P-256 keys
// from webcrypto, certificates built and read with @peculiar/x509, and keys
// read with node:crypto (PKCS#8 PEM on disk).
import 'reflect-metadata'; // before @peculiar/x509: its tsyringe container cannot load without the polyfill
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

const KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;
/** Certificates start an hour early so a peer whose clock lags ours still accepts them. */
const BACKDATE_MS = 3_600_000;

export interface Subject {
  readonly commonName: string;
  readonly organizations: readonly string[];
}

export interface SubjectAltName {
  readonly type: 'dns' | 'ip';
  readonly value: string;
}

export interface PemPair {
  readonly certPem: string;
  /** PKCS#8 */
  readonly keyPem: string;
}

/** A CA certificate with the key that signs for it. */
export interface CertificateAuthority {
  readonly cert: x509.X509Certificate;
  readonly signingKey: CryptoKey;
}

export interface LeafProfile {
  readonly subject: Subject;
  readonly usage: 'serverAuth' | 'clientAuth';
  readonly sans: readonly SubjectAltName[];
  readonly days: number;
}

export type Certificate = x509.X509Certificate;

export async function createCa(commonName: string, days: number, now: Date): Promise<PemPair> {
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [commonName] }],
    keys,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + days * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: pem(cert), keyPem: await pkcs8Pem(keys.privateKey) };
}

export async function issueLeaf(ca: CertificateAuthority, profile: LeafProfile, now: Date): Promise<PemPair> {
  const keys = await newKeyPair();
  const cert = await signLeaf(ca, profile, keys.publicKey, now);
  return { certPem: pem(cert), keyPem: await pkcs8Pem(keys.privateKey) };
}

/**
 * A certificate for the key of a PKCS#10 request (the key never leaves its
 * owner), after checking the request's signature, key type and that its
 * subject is exactly `profile.subject`. Throws with a short reason otherwise.
 */
export async function issueForRequest(ca: CertificateAuthority, csrPem: string, profile: LeafProfile, now: Date): Promise<string> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new Error(`not a valid PKCS#10 certificate request (${(err as Error).message})`);
  }
  if (!(await csr.verify())) throw new Error('the certificate request is not signed by its own key');
  const algorithm = csr.publicKey.algorithm as EcKeyAlgorithm;
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') throw new Error('the certificate request must be for an ECDSA P-256 key');
  const { commonName, organizations } = subjectOf(csr.subjectName);
  const wanted = profile.subject;
  if (commonName !== wanted.commonName || organizations.join('\n') !== wanted.organizations.join('\n')) {
    throw new Error(`the certificate request is for CN=${commonName} O=${organizations.join(',')}, not CN=${wanted.commonName} O=${wanted.organizations.join(',')}`);
  }
  const publicKey = await csr.publicKey.export({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyImportParams, ['verify']);
  return pem(await signLeaf(ca, profile, publicKey, now));
}

async function signLeaf(ca: CertificateAuthority, profile: LeafProfile, publicKey: CryptoKey, now: Date): Promise<Certificate> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage[profile.usage]]),
    await authorityKeyId(ca.cert),
  ];
  if (profile.sans.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(profile.sans.map((s) => ({ type: s.type, value: s.value }))));
  }
  return x509.X509CertificateGenerator.create({
    subject: [{ CN: [profile.subject.commonName] }, ...profile.subject.organizations.map((o) => ({ O: [o] }))],
    issuer: ca.cert.subjectName, // byte-for-byte the CA's subject, so chains link
    publicKey,
    signingKey: ca.signingKey,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + profile.days * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
}

function subjectOf(name: x509.Name): Subject {
  const json = name.toJSON();
  const values = (type: string) => json.flatMap((rdn) => rdn[type] ?? []);
  return { commonName: values('CN').join(','), organizations: values('O') };
}

/** Throws with a short reason when `text` is not one PEM certificate. */
export function parseCertificate(text: string): Certificate {
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error('not a PEM certificate');
  try {
    return new x509.X509Certificate(text);
  } catch (err) {
    throw new Error(`not a valid certificate (${(err as Error).message})`);
  }
}

/** Throws with a short reason when `text` is not an ECDSA P-256 private key. */
export function parsePrivateKey(text: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (err) {
    throw new Error(`not a valid private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('not an ECDSA P-256 key');
  }
  return key;
}

export function keyMatches(cert: Certificate, key: KeyObject): boolean {
  const certKey = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
  return certKey.equals(createPublicKey(key));
}

export function isCaCertificate(cert: Certificate): boolean {
  return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

/** True when `issuer`'s key made `cert`'s signature (validity dates are checked elsewhere). */
export function isSignedBy(cert: Certificate, issuer: Certificate): Promise<boolean> {
  return cert.verify({ publicKey: issuer.publicKey, signatureOnly: true });
}

export async function certificateAuthority(cert: Certificate, key: KeyObject): Promise<CertificateAuthority> {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return { cert, signingKey: await crypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']) };
}

export function subjectAltNames(cert: Certificate): SubjectAltName[] {
  const names = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
  return names.flatMap((n) => (n.type === 'dns' || n.type === 'ip' ? [{ type: n.type, value: n.value }] : []));
}

function newKeyPair(): Promise<CryptoKeyPair> {
  // Extractable so the private key can be written out as PKCS#8.
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

export async function authorityKeyId(ca: Certificate): Promise<x509.AuthorityKeyIdentifierExtension> {
  // Reuse the CA's own identifier when it has one: verifiers match on the bytes.
  const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId) : x509.AuthorityKeyIdentifierExtension.create(ca.publicKey);
}

function pem(cert: Certificate): string {
  return `${cert.toString('pem')}\n`;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY') + '\n';
}

// The cluster's PKI on disk: a CA, the API server's serving certificate, the
// admin client certificate and the service-account signing key. Created on
// first start; later starts reuse them and renew what is close to expiry or
// no longer names this host. The CA is never created over an existing one,
// since every node and kubeconfig trusts it: anything wrong with it stops the
// server with a clear error.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { Logger } from '../../common/log.js';
import {
  type Certificate,
  type CertificateAuthority,
  certificateAuthority,
  createCa,
  isCaCertificate,
  isSignedBy,
  issueForRequest,
  issueLeaf,
  keyMatches,
  type LeafProfile,
  type PemPair,
  parseCertificate,
  parsePrivateKey,
  subjectAltNames,
} from './certificates.js';
import { type CertificateRequest, signRequest } from './certificate-requests.js';
import { PkiError } from './errors.js';
import { readIfExists, writeFileAtomic } from '../../common/fs.js';
import { missingSans, servingSans } from './sans.js';
import { ensureServiceAccountKey } from './service-account-key.js';

const DAY_MS = 86_400_000;
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
/** Renew leaf certificates this long before they expire (k3s uses 90 days). */
const RENEW_WITHIN_DAYS = 120;
/** Warn this long before the CA expires: replacing it means re-joining every node. */
const CA_WARN_WITHIN_DAYS = 365;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const CA_ADVICE =
  'restore ca.crt and ca.key from a backup; bramble will not replace the cluster CA because every node and kubeconfig trusts it';

export interface ClusterPki {
  readonly caCertPem: string;
  readonly servingCertPem: string;
  readonly servingKeyPem: string;
  readonly adminCertPem: string;
  readonly adminKeyPem: string;
  /** Signs service-account tokens (PKCS#8 PEM, ECDSA P-256). */
  readonly serviceAccountKeyPem: string;
  /** Issues a client certificate signed by the cluster CA (for node identities later). */
  issueClientCert(
    subject: { commonName: string; organizations: readonly string[] },
    days: number,
  ): Promise<{ certPem: string; keyPem: string }>;
  /** Signs a CertificateSigningRequest's request with the CA as upstream's csrsigning controller does (its subject and names, `usages`, `ttlMs`). */
  signCertificateRequest(csr: CertificateRequest, usages: readonly string[], ttlMs: number): Promise<string>;
  /** Signs a client certificate for the key of a PKCS#10 request whose subject must be `subject`. */
  signClientRequest(csrPem: string, subject: { commonName: string; organizations: readonly string[] }, days: number): Promise<string>;
}

export interface PkiOptions {
  /** Folder for the PKI files (created 0700 if missing). */
  readonly dir: string;
  /** Extra names or IP addresses for the serving certificate (--tls-san). */
  readonly sans: readonly string[];
  readonly logger?: Logger;
  /** For tests: the current time. */
  readonly now?: Date;
  /** For tests: this host's interfaces (default: os.networkInterfaces(); other tests' pod bridges come and go). */
  readonly interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export async function ensureClusterPki(opts: PkiOptions): Promise<ClusterPki> {
  const now = opts.now ?? new Date();
  const wantedSans = servingSans(opts.sans, opts.interfaces ?? networkInterfaces());
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const { ca, caCertPem, created } = await loadOrCreateCa(opts, now);
  const serving = await ensureLeaf(opts, 'serving', ca, created, now, {
    subject: { commonName: 'bramble', organizations: [] },
    usage: 'serverAuth',
    sans: wantedSans,
    days: LEAF_DAYS,
  });
  const admin = await ensureLeaf(opts, 'admin', ca, created, now, {
    subject: { commonName: 'system:admin', organizations: ['system:masters'] },
    usage: 'clientAuth',
    sans: [],
    days: LEAF_DAYS,
  });
  const serviceAccountKeyPem = await ensureServiceAccountKey(opts.dir, opts.logger);
  return {
    caCertPem,
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
    serviceAccountKeyPem,
    issueClientCert: async (subject, days) => {
      if (subject.commonName === '') throw new RangeError('a client certificate needs a common name (the user name)');
      if (!Number.isFinite(days) || days <= 0) {
        throw new RangeError(`client certificate lifetime must be a positive number of days, not ${days}`);
      }
      return issueLeaf(ca, { subject, usage: 'clientAuth', sans: [], days }, opts.now ?? new Date());
    },
    signCertificateRequest: (csr, usages, ttlMs) => signRequest(ca, csr, { usages, ttlMs, now: new Date() }),
    signClientRequest: (csrPem, subject, days) => issueForRequest(ca, csrPem, { subject, usage: 'clientAuth', sans: [], days }, opts.now ?? new Date()),
  };
}

async function loadOrCreateCa(
  opts: PkiOptions,
  now: Date,
): Promise<{ ca: CertificateAuthority; caCertPem: string; created: boolean }> {
  const certPath = join(opts.dir, 'ca.crt');
  const keyPath = join(opts.dir, 'ca.key');
  const certPem = await readIfExists(certPath);
  const keyPem = await readIfExists(keyPath);
  if (certPem === undefined && keyPem === undefined) {
    const pair = await createCa(`bramble-ca@${Math.floor(now.getTime() / 1000)}`, CA_DAYS, now);
    // Key first: a crash in between leaves a lone ca.key, which the next start refuses rather than guesses about.
    await writeFileAtomic(keyPath, pair.keyPem, KEY_MODE);
    await writeFileAtomic(certPath, pair.certPem, CERT_MODE);
    const cert = parseCertificate(pair.certPem);
    opts.logger?.info('created cluster CA', { dir: opts.dir, expires: cert.notAfter.toISOString() });
    return { ca: await certificateAuthority(cert, parsePrivateKey(pair.keyPem)), caCertPem: pair.certPem, created: true };
  }
  if (certPem === undefined || keyPem === undefined) {
    const [present, missing] = certPem === undefined ? [keyPath, certPath] : [certPath, keyPath];
    throw new PkiError(
      `${present} exists but ${missing} does not: ${CA_ADVICE} ` +
        `(on a new install that was interrupted, delete ${opts.dir} and start again)`,
    );
  }
  const cert = orPkiError(() => parseCertificate(certPem), `${certPath} cannot be parsed`);
  const key = orPkiError(() => parsePrivateKey(keyPem), `${keyPath} cannot be parsed`);
  if (!isCaCertificate(cert)) throw new PkiError(`${certPath} is not a CA certificate: ${CA_ADVICE}`);
  if (!keyMatches(cert, key)) throw new PkiError(`${keyPath} is not the key of ${certPath}: ${CA_ADVICE}`);
  const daysLeft = (cert.notAfter.getTime() - now.getTime()) / DAY_MS;
  if (daysLeft < CA_WARN_WITHIN_DAYS) {
    opts.logger?.warn(daysLeft > 0 ? 'cluster CA expires soon' : 'cluster CA has expired', {
      file: certPath,
      expires: cert.notAfter.toISOString(),
      daysLeft: Math.floor(daysLeft),
    });
  }
  return { ca: await certificateAuthority(cert, key), caCertPem: certPem, created: false };
}

/** Reuses `dir/<name>.crt` and `.key` when they still fit `profile`, otherwise issues and writes new ones. */
async function ensureLeaf(
  opts: PkiOptions,
  name: 'serving' | 'admin',
  ca: CertificateAuthority,
  newCa: boolean,
  now: Date,
  profile: LeafProfile,
): Promise<PemPair> {
  const certPath = join(opts.dir, `${name}.crt`);
  const keyPath = join(opts.dir, `${name}.key`);
  const current = newCa ? { reason: 'new CA' } : await checkLeaf(opts.dir, name, ca.cert, profile, now);
  if ('certPem' in current) return current;
  const issued = await issueLeaf(ca, profile, now);
  // Key first: after a crash in between, the old certificate no longer matches and is re-issued.
  await writeFileAtomic(keyPath, issued.keyPem, KEY_MODE);
  await writeFileAtomic(certPath, issued.certPem, CERT_MODE);
  const fields = { file: certPath, ...current, expires: parseCertificate(issued.certPem).notAfter.toISOString() };
  if (current.reason === 'damaged') opts.logger?.warn(`replaced damaged ${name} certificate`, fields);
  else opts.logger?.info(`issued ${name} certificate`, fields);
  return issued;
}

type Renewal = { reason: string; [detail: string]: string };

/** The files when they can be used as they are, otherwise why not. */
async function checkLeaf(
  dir: string,
  name: string,
  caCert: Certificate,
  profile: LeafProfile,
  now: Date,
): Promise<PemPair | Renewal> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  const certPem = await readIfExists(certPath);
  const keyPem = await readIfExists(keyPath);
  if (certPem === undefined || keyPem === undefined) return { reason: 'missing' };
  // A damaged leaf holds no identity worth keeping (the CA can always issue another).
  let cert: Certificate;
  try {
    cert = parseCertificate(certPem);
    if (!keyMatches(cert, parsePrivateKey(keyPem))) return { reason: 'damaged', error: `${keyPath} is not the certificate's key` };
  } catch (err) {
    return { reason: 'damaged', error: (err as Error).message };
  }
  // A leaf from another CA means ca.crt was swapped: re-issuing would hide that.
  if (!(await isSignedBy(cert, caCert))) {
    throw new PkiError(`${certPath} is not signed by the cluster CA in ${join(dir, 'ca.crt')}: ${CA_ADVICE}`);
  }
  const daysLeft = (cert.notAfter.getTime() - now.getTime()) / DAY_MS;
  if (daysLeft < RENEW_WITHIN_DAYS) return { reason: 'expires soon', previousExpiry: cert.notAfter.toISOString() };
  const missing = missingSans(subjectAltNames(cert), profile.sans);
  if (missing.length > 0) return { reason: 'names changed', added: missing.join(',') };
  return { certPem, keyPem };
}

function orPkiError<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    throw new PkiError(`${what} (${(err as Error).message}): ${CA_ADVICE}`);
  }
}

// What a joined node keeps in its data dir: its key and certificate, the
// cluster CA it pinned, and the node password that proves it is the machine
// that first claimed its name. Written only after a successful join (a
// failed join leaves nothing behind), key before certificate.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readIfExists, writeFileAtomic } from '../../common/fs.js';

export interface NodeCredentials {
  readonly caPem: string;
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
}

const files = (dir: string) => ({
  key: join(dir, 'node.key'),
  cert: join(dir, 'node.crt'),
  ca: join(dir, 'ca.crt'),
  password: join(dir, 'node-password'),
});

/** The stored credentials, or undefined when this node has not joined (or its files are incomplete). */
export async function loadCredentials(dir: string): Promise<NodeCredentials | undefined> {
  const f = files(dir);
  const [keyPem, certPem, caPem] = await Promise.all([readIfExists(f.key), readIfExists(f.cert), readIfExists(f.ca)]);
  if (keyPem === undefined || certPem === undefined || caPem === undefined) return undefined;
  return { keyPem, certPem, caPem };
}

/** The node password kept from an earlier join, or a new one (written only by saveCredentials). */
export async function nodePassword(dir: string): Promise<{ password: string; stored: boolean }> {
  const stored = (await readIfExists(files(dir).password))?.trim();
  return stored ? { password: stored, stored: true } : { password: randomBytes(24).toString('hex'), stored: false };
}

export async function saveCredentials(dir: string, credentials: NodeCredentials, password: string): Promise<void> {
  const f = files(dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(f.password, `${password}\n`, 0o600);
  await writeFileAtomic(f.ca, credentials.caPem, 0o644);
  await writeFileAtomic(f.key, credentials.keyPem, 0o600);
  await writeFileAtomic(f.cert, credentials.certPem, 0o644);
}

/** A renewed certificate and its new key. */
export async function saveRenewal(dir: string, keyPem: string, certPem: string): Promise<void> {
  const f = files(dir);
  await writeFileAtomic(f.key, keyPem, 0o600);
  await writeFileAtomic(f.cert, certPem, 0o644);
}

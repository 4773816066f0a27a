// The key that signs service-account tokens (ES256 JWTs), kept beside the CA
// as service-account.key (PKCS#8, 0600). Created on first start and reused
// after. Unlike the CA nothing else trusts it: replacing it only ends the
// tokens it signed (a day at most), so a damaged key is replaced with a warning.
import { generateKeyPair } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../common/log.js';
import { parsePrivateKey } from './certificates.js';
import { readIfExists, writeFileAtomic } from '../../common/fs.js';

const KEY_FILE = 'service-account.key';
const KEY_MODE = 0o600;

/** The PEM of `dir/service-account.key`, created when missing or damaged. */
export async function ensureServiceAccountKey(dir: string, logger: Logger | undefined): Promise<string> {
  const path = join(dir, KEY_FILE);
  const current = await readIfExists(path);
  if (current !== undefined) {
    try {
      parsePrivateKey(current);
      return current;
    } catch (err) {
      logger?.warn('replaced damaged service-account signing key; tokens it signed no longer work', { file: path, error: err });
    }
  }
  const { privateKey } = await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  await writeFileAtomic(path, pem, KEY_MODE);
  if (current === undefined) logger?.info('created service-account signing key', { file: path });
  return pem;
}

// The PKI travels in backups: a restored server keeps its CA, so every
// kubeconfig, node certificate and service-account token stays valid.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isMissingOrEmptyDir } from '../../common/fs.js';
import type { BackupFile } from '../store/backup.js';
import { PkiError } from './errors.js';

const PREFIX = 'tls/';
/** A backup comes from outside: only plain file names under tls/ are ever written. */
const SAFE_NAME = /^tls\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The files of the PKI folder, named for a backup. */
export async function pkiBackupFiles(dir: string): Promise<BackupFile[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const files: BackupFile[] = [];
  for (const entry of entries) {
    if (entry.isFile()) files.push({ name: PREFIX + entry.name, content: await readFile(join(dir, entry.name)) });
  }
  return files;
}

/** Writes a backup's PKI files into `dir`, which must be missing or empty; all of them or none. */
export async function restorePkiFiles(dir: string, files: readonly BackupFile[]): Promise<number> {
  const pki = files.filter((f) => f.name.startsWith(PREFIX));
  for (const f of pki) if (!SAFE_NAME.test(f.name)) throw new PkiError(`the backup names a PKI file "${f.name}", which is not a plain file name`);
  if (pki.length === 0) return 0;
  if (!(await isMissingOrEmptyDir(dir))) throw new PkiError(`${dir} is not empty: restore needs an empty data dir (move the old one aside first)`);
  const scratch = join(dirname(dir), `.restore-tls-${process.pid}-${Date.now()}`);
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  try {
    for (const f of pki) {
      // Keys stay owner-only, as the server writes them.
      await writeFile(join(scratch, f.name.slice(PREFIX.length)), f.content, { mode: f.name.endsWith('.key') ? 0o600 : 0o644, flush: true });
    }
    await rm(dir, { recursive: true, force: true });
    await rename(scratch, dir);
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
  return pki.length;
}

import { readdir } from 'node:fs/promises';

/** True when `path` does not exist or is an empty folder. */
export async function isMissingOrEmptyDir(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

// Temporary folders that are removed when the test ends, pass or fail; what
// an agent mounted inside (its pods' tmpfs volumes) is unmounted first.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmountAll } from '../../agent/volumes/tmpfs.js';
import type { Teardown } from './teardown.js';

export async function tempDir(t: Teardown, name = 'bramble-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), name));
  t.after(() => removeAll(dir));
  return dir;
}

/** Unmounts what is mounted under `dir`, then removes it; an agent still running may mount again meanwhile, so once more if so. */
async function removeAll(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await unmountAll(dir);
      await rm(dir, { recursive: true, force: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || attempt >= 3) throw err;
    }
  }
}

// Reads of the host's /proc, /sys and /etc below a root folder: "/" on a
// node, a fake tree in tests (this machine is no Raspberry Pi).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export class HostFiles {
  constructor(readonly root: string) {}

  path(hostPath: string): string {
    return join(this.root, hostPath);
  }

  /** The file's text, trimmed; throws with the path when it cannot be read. */
  async read(hostPath: string): Promise<string> {
    return (await readFile(this.path(hostPath), 'utf8')).trim();
  }

  /** As read(), but undefined when the file does not exist (a fact this machine lacks). */
  async readOptional(hostPath: string): Promise<string | undefined> {
    try {
      return await this.read(hostPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}

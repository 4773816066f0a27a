// hostPath volumes: the path on the node, checked (or created) as its type
// says, with kubelet's errors (pkg/volume/hostpath: checkType), which a user
// then reads in the pod's FailedMount event.
import { chmod, lstat, mkdir, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Upstream's HostPathType values; "" checks nothing. */
export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

const KINDS: Readonly<Record<Exclude<HostPathType, '' | 'DirectoryOrCreate' | 'FileOrCreate'>, string>> = {
  Directory: 'a directory',
  File: 'a file',
  Socket: 'a socket file',
  CharDevice: 'a character device',
  BlockDevice: 'a block device',
};

/** Checks `path` against `type`, creating it for the …OrCreate types; throws kubelet's error when it does not fit. */
export async function prepareHostPath(path: string, type: string | undefined, createMode = 0o755): Promise<void> {
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if ((await kindOf(path)) === undefined) {
        await mkdir(path, { recursive: true, mode: createMode });
        await chmod(path, createMode);
      }
      return expect(path, 'Directory');
    case 'FileOrCreate':
      if ((await kindOf(path)) === undefined) {
        await mkdir(dirname(path), { recursive: true, mode: 0o755 });
        await (await open(path, 'a', 0o644)).close();
      }
      return expect(path, 'File');
    case 'Directory':
    case 'File':
    case 'Socket':
    case 'CharDevice':
    case 'BlockDevice':
      return expect(path, type as keyof typeof KINDS);
    default:
      throw new Error(`invalid HostPathType ${JSON.stringify(type)}`);
  }
}

async function expect(path: string, type: keyof typeof KINDS): Promise<void> {
  if ((await kindOf(path)) !== type) throw new Error(`hostPath type check failed: ${path} is not ${KINDS[type]}`);
}

/** What is at `path` (symlinks followed), or undefined when nothing is. */
async function kindOf(path: string): Promise<keyof typeof KINDS | 'Other' | undefined> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    // A dangling symlink is something, not nothing: …OrCreate must not write through it.
    return (await lstat(path).catch(() => undefined)) === undefined ? undefined : 'Other';
  }
  if (info.isDirectory()) return 'Directory';
  if (info.isFile()) return 'File';
  if (info.isSocket()) return 'Socket';
  if (info.isCharacterDevice()) return 'CharDevice';
  if (info.isBlockDevice()) return 'BlockDevice';
  return 'Other';
}

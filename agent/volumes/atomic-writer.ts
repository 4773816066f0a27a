// Writes a set of files into a volume folder so that a reader never sees a
// mix of old and new contents, with kubelet's layout (util/atomic_writer.go):
// the files live in a timestamped folder "..2026_11_22_08_06_55.123", a
// symlink "..data" points to it, and each top-level name the user sees is a
// symlink through "..data" ("key -> ..data/key"). An update writes a new
// timestamped folder, swaps "..data" with one rename (atomic), then removes
// the old folder and the names no longer in the payload. Nothing is written
// when the payload equals what is there (kind to SD cards).
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

/** One file of a projection: its bytes and its mode. */
export interface ProjectedFile {
  readonly data: Buffer;
  readonly mode: number;
}

/** Relative path ("key", "dir/key") → file. */
export type Payload = ReadonlyMap<string, ProjectedFile>;

const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';

/** Why a path cannot be part of a payload, or undefined when it can (upstream's validatePath). */
export function invalidPayloadPath(path: string): string | undefined {
  if (path === '') return 'must not be empty';
  if (path.length > 4096) return 'must be at most 4096 characters long';
  if (posix.isAbsolute(path)) return 'must be a relative path';
  const parts = path.split('/');
  if (parts.includes('..')) return "must not contain '..'";
  if (parts[0]!.startsWith('..')) return "must not start with '..'";
  return undefined;
}

/** Makes `dir` hold exactly `payload`; returns whether anything was written. */
export async function writePayload(dir: string, payload: Payload): Promise<boolean> {
  for (const path of payload.keys()) {
    const why = invalidPayloadPath(path);
    if (why !== undefined) throw new Error(`invalid path ${JSON.stringify(path)}: ${why}`);
  }
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const current = await currentDataDir(dir);
  if (current !== undefined && (await holds(join(dir, current), payload))) return false;

  // The new generation, complete before anyone can see it.
  const generation = generationName(new Date());
  const target = join(dir, generation);
  await mkdir(target, { mode: 0o755 });
  await chmod(target, 0o755);
  for (const [path, file] of payload) {
    const full = join(target, path);
    await mkdir(dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, file.data, { mode: file.mode });
    await chmod(full, file.mode);
  }
  // The swap: a new symlink renamed over the old one.
  const next = join(dir, NEW_DATA_DIR);
  await rm(next, { force: true });
  await symlink(generation, next);
  await rename(next, join(dir, DATA_DIR));
  if (current !== undefined && current !== generation) await rm(join(dir, current), { recursive: true, force: true });

  // The user-visible names: one symlink per top-level entry of the payload.
  const wanted = new Set([...payload.keys()].map((path) => path.split('/')[0]!));
  for (const name of await readdir(dir)) {
    if (name.startsWith('..') || wanted.has(name)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
  }
  for (const name of wanted) {
    const link = join(dir, name);
    const existing = await readlink(link).catch(() => undefined);
    if (existing === join(DATA_DIR, name)) continue;
    await rm(link, { recursive: true, force: true });
    await symlink(join(DATA_DIR, name), link);
  }
  return true;
}

/** "..2026_11_22_08_06_55.3141592653": the UTC time and a random number, as kubelet's os.MkdirTemp pattern makes it. */
function generationName(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const time = [now.getUTCFullYear(), two(now.getUTCMonth() + 1), two(now.getUTCDate()), two(now.getUTCHours()), two(now.getUTCMinutes()), two(now.getUTCSeconds())];
  return `..${time.join('_')}.${randomBytes(4).readUInt32BE()}`;
}

/** The generation "..data" points to, if any. */
async function currentDataDir(dir: string): Promise<string | undefined> {
  try {
    return await readlink(join(dir, DATA_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Whether `generation` holds exactly the payload (same paths, bytes and modes). */
async function holds(generation: string, payload: Payload): Promise<boolean> {
  const found = await filesUnder(generation, '');
  if (found === undefined || found.length !== payload.size) return false;
  for (const path of found) {
    const file = payload.get(path);
    if (file === undefined) return false;
    const full = join(generation, path);
    const info = await stat(full);
    if ((info.mode & 0o7777) !== file.mode || info.size !== file.data.length) return false;
    if (!(await readFile(full)).equals(file.data)) return false;
  }
  return true;
}

/** Relative paths of the regular files under `dir`, or undefined when it is missing. */
async function filesUnder(dir: string, prefix: string): Promise<string[] | undefined> {
  let names: string[];
  try {
    names = await readdir(join(dir, prefix));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const out: string[] = [];
  for (const name of names) {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    const info = await lstat(join(dir, path));
    if (info.isDirectory()) out.push(...((await filesUnder(dir, path)) ?? []));
    else out.push(path);
  }
  return out;
}

// Memory-backed volume folders: a tmpfs mounted on the folder (emptyDir with
// medium Memory; secret, downwardAPI and projected volumes, as kubelet keeps
// their contents off the disk), and the mounts found again from
// /proc/self/mountinfo, so teardown works after an agent restart too.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mounts a tmpfs on `dir` (which exists) unless one is there; `sizeBytes` bounds it (emptyDir's sizeLimit). */
export async function mountTmpfs(dir: string, sizeBytes?: bigint): Promise<void> {
  if ((await mountPointsUnder(dir)).includes(resolve(dir))) return;
  const options = ['mode=0777', ...(sizeBytes !== undefined && sizeBytes > 0n ? [`size=${sizeBytes}`] : [])];
  await exec('mount', ['-t', 'tmpfs', '-o', options.join(','), 'tmpfs', dir]);
}

/** Unmounts everything mounted at or under `dir`, deepest first. */
export async function unmountAll(dir: string): Promise<void> {
  const points = (await mountPointsUnder(dir)).sort((a, b) => b.length - a.length);
  for (const point of points) await exec('umount', [point]);
}

/** Mount points at or under `dir`. */
export async function mountPointsUnder(dir: string): Promise<string[]> {
  const root = resolve(dir);
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    // Spaces and the like come octal-escaped ("\040").
    const point = field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    if (point === root || point.startsWith(root + sep)) points.push(point);
  }
  return [...new Set(points)];
}

async function exec(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { timeout: 10_000 });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (err as Error).message}`);
  }
}

// Air-gap images, as k3s has them: at start the agent imports every image
// archive in DATA/agent/images/ (docker-archive or OCI archive; .tar,
// .tar.gz/.tgz, .tar.zst/.tzst) into containerd's k8s.io namespace, so a Pi
// with no registry runs pods from images copied onto it (imagePullPolicy
// Never or IfNotPresent).
//
// CRI has no import call. containerd's own gRPC API can do it, but that
// means ingesting every blob through the content service, writing image
// records and unpacking layers into snapshots: what its Go client does in a
// few thousand lines. `ctr images import` (Debian's containerd package ships
// it with the daemon, same version) does exactly that, so the agent runs it,
// one archive at a time (an SD card and small memory), feeding compressed
// archives through a decompressor on its stdin since ctr reads plain tar only.
//
// An archive is imported again only when its name, size or modification
// time changed (kept in a small file beside the folder), so a restart does
// not re-read big archives from the SD card. One that fails is said in the
// log, left out of that file (tried again at the next start), and does not
// stop the others.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { readIfExists, writeFileAtomic } from '../../common/fs.js';
import type { Logger } from '../../common/log.js';

export interface ImageArchivesOptions {
  /** The folder of archives: DATA/agent/images. */
  readonly dir: string;
  /** Where what was imported is remembered (name, size, mtime). */
  readonly stateFile: string;
  /** containerd's socket (the CRI endpoint's path: containerd serves both). */
  readonly containerdSocket: string;
  readonly log: Logger;
  /** The ctr binary; default `ctr` on PATH. */
  readonly ctr?: string;
}

export interface ImportOutcome {
  readonly imported: string[];
  readonly unchanged: string[];
  readonly failed: string[];
}

interface Seen {
  size: number;
  mtimeMs: number;
}

type Compression = 'none' | 'gzip' | 'zstd';

/** An import that takes longer is given up (a corrupt stream that never ends). */
const IMPORT_TIMEOUT_MS = 15 * 60_000;
/** How much of ctr's error output is kept for the log. */
const STDERR_LIMIT = 4096;

export async function importImageArchives(opts: ImageArchivesOptions): Promise<ImportOutcome> {
  const outcome: ImportOutcome = { imported: [], unchanged: [], failed: [] };
  let names: string[];
  try {
    names = (await readdir(opts.dir, { withFileTypes: true })).filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return outcome;
    throw err;
  }
  const before = await readState(opts);
  const after: Record<string, Seen> = {};
  for (const name of names) {
    const compression = compressionOf(name);
    if (compression === undefined) {
      opts.log.debug('not an image archive; skipped', { file: join(opts.dir, name) });
      continue;
    }
    const file = join(opts.dir, name);
    let seen: Seen;
    try {
      const s = await stat(file);
      seen = { size: s.size, mtimeMs: s.mtimeMs };
    } catch (err) {
      opts.log.warn('could not read an image archive', { file, error: (err as Error).message });
      outcome.failed.push(name);
      continue;
    }
    const last = before[name];
    if (last !== undefined && last.size === seen.size && last.mtimeMs === seen.mtimeMs) {
      after[name] = seen;
      outcome.unchanged.push(name);
      continue;
    }
    const started = performance.now();
    try {
      const images = await ctrImport(opts, file, compression);
      after[name] = seen;
      outcome.imported.push(name);
      opts.log.info('imported an image archive', { file, images: images.join(', '), ms: Math.round(performance.now() - started) });
    } catch (err) {
      outcome.failed.push(name);
      opts.log.warn('could not import an image archive; the others go on, and it is tried again at the next start', { file, error: (err as Error).message });
    }
  }
  if (JSON.stringify(after) !== JSON.stringify(before)) await writeFileAtomic(opts.stateFile, `${JSON.stringify({ files: after })}\n`, 0o600);
  return outcome;
}

function compressionOf(name: string): Compression | undefined {
  if (name.endsWith('.tar')) return 'none';
  if (name.endsWith('.tar.gz') || name.endsWith('.tgz')) return 'gzip';
  if (name.endsWith('.tar.zst') || name.endsWith('.tzst')) return 'zstd';
  return undefined;
}

/** What was imported before; a missing or unreadable file means nothing was. */
async function readState(opts: ImageArchivesOptions): Promise<Record<string, Seen>> {
  const text = await readIfExists(opts.stateFile);
  if (text === undefined) return {};
  try {
    const files = (JSON.parse(text) as { files?: unknown }).files;
    if (typeof files !== 'object' || files === null) throw new Error('no "files"');
    const state: Record<string, Seen> = {};
    for (const [name, seen] of Object.entries(files as Record<string, Partial<Seen>>)) {
      if (typeof seen?.size === 'number' && typeof seen.mtimeMs === 'number') state[name] = { size: seen.size, mtimeMs: seen.mtimeMs };
    }
    return state;
  } catch (err) {
    opts.log.warn('the record of imported image archives does not read; importing them all again', { file: opts.stateFile, error: (err as Error).message });
    return {};
  }
}

/** Runs `ctr images import` on one archive; returns the names it printed. */
async function ctrImport(opts: ImageArchivesOptions, file: string, compression: Compression): Promise<string[]> {
  const ctr = opts.ctr ?? 'ctr';
  const child = spawn(ctr, ['--address', opts.containerdSocket, '--namespace', 'k8s.io', 'images', 'import', compression === 'none' ? file : '-'], {
    stdio: [compression === 'none' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    timeout: IMPORT_TIMEOUT_MS,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-STDERR_LIMIT)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-STDERR_LIMIT)));
  const exited = new Promise<number | string>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error(`${ctr} is not installed (Debian's containerd package ships it)`) : err),
    );
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const feeding = compression === 'none' ? Promise.resolve() : feed(decompressed(file, compression), child.stdin!);
  const [fed, status] = await Promise.allSettled([feeding, exited]);
  if (status.status === 'rejected') throw status.reason as Error;
  // A broken compressed archive is the cause of what ctr then says about a truncated tar.
  if (fed.status === 'rejected') throw fed.reason as Error;
  if (status.value !== 0) throw new Error(`ctr images import exited with ${status.value}: ${stderr.trim() || stdout.trim()}`);
  // "unpacking docker.io/library/busybox:1.36 (sha256:…)...done"
  return [...stdout.matchAll(/unpacking (\S+) \(/g)].map((m) => m[1]!);
}

/** The archive as plain tar: gunzip in-process, zstd through Debian's zstd tool. */
function decompressed(file: string, compression: 'gzip' | 'zstd'): Readable {
  if (compression === 'gzip') return createReadStream(file).pipe(createGunzip());
  const zstd = spawn('zstd', ['--decompress', '--stdout', '--quiet', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  zstd.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-STDERR_LIMIT)));
  zstd.on('error', (err: NodeJS.ErrnoException) =>
    zstd.stdout!.destroy(err.code === 'ENOENT' ? new Error('zstd is not installed: run apt-get install zstd, or give the archive as .tar or .tar.gz') : err),
  );
  zstd.on('close', (code) => {
    if (code !== 0 && code !== null) zstd.stdout!.destroy(new Error(`zstd failed: ${stderr.trim()}`));
  });
  return zstd.stdout!;
}

async function feed(source: Readable, stdin: NodeJS.WritableStream): Promise<void> {
  try {
    await pipeline(source, stdin);
  } catch (err) {
    // ctr gone early (its own error is the one said) or the archive did not decompress.
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    throw new Error(`could not decompress: ${(err as Error).message}`);
  }
}

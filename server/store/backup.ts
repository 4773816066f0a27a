// Online backup and restore of the LevelDB store (docs/store-format.md has the
// file layout). A backup is every LevelDB entry of one snapshot, then any
// files the caller adds (the server adds its PKI), framed and closed by a
// SHA-256 of everything before it; restore checks every byte into a scratch
// folder and moves it into place only when all of it is good, so a truncated
// or damaged file changes nothing.
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Level } from 'level';
import { isMissingOrEmptyDir } from '../../common/fs.js';
import { decodeU64, FORMAT_VERSION, isRevisionKey, META_REVISION, revisionOfKey } from './codec.js';
import { StoreError } from './errors.js';
import { openLevelStore } from './level-store.js';

const MAGIC = Buffer.from('BRAMBLE-BACKUP 1\n');
const RESTORE_BATCH = 1000;
/** Far above any key or value the store holds; a larger length means a damaged file. */
const MAX_FRAME = 64 << 20;

/** Far above any number of files a backup carries; more means a damaged file. */
const MAX_FILES = 1000;

export interface BackupSummary {
  readonly revision: number;
  readonly entries: number;
  /** The files carried beside the store, in the order they were added. */
  readonly files: readonly BackupFile[];
  readonly bytes: number;
}

/** A file carried in a backup beside the store: a relative name the caller gives meaning to. */
export interface BackupFile {
  readonly name: string;
  readonly content: Buffer;
}

/** The store's entries (and `files`) as a backup file, chunk by chunk (pipe it to a file or socket). */
export async function* backupChunks(entries: AsyncIterable<[Buffer, Buffer]>, files: readonly BackupFile[] = []): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  const emit = (b: Buffer) => {
    hash.update(b);
    return b;
  };
  yield emit(MAGIC);
  yield emit(frame(Buffer.from(JSON.stringify({ storeFormat: FORMAT_VERSION, createdAt: new Date().toISOString() }))));
  let count = 0;
  let revision = 0;
  for await (const [key, value] of entries) {
    // As the store opens: the newest record's revision, or `mrev` when compaction dropped that record.
    if (key.equals(META_REVISION)) revision = Math.max(revision, decodeU64(value, 'revision'));
    else if (isRevisionKey(key)) revision = Math.max(revision, revisionOfKey(key));
    count++;
    yield emit(Buffer.concat([frame(key), frame(value)]));
  }
  yield emit(u32(0)); // a zero-length key ends the entries
  for (const file of files) yield emit(Buffer.concat([frame(Buffer.from(file.name)), frame(file.content)]));
  yield emit(u32(0)); // and a zero-length name the files
  yield emit(frame(Buffer.from(JSON.stringify({ entries: count, files: files.length, revision }))));
  yield hash.digest();
}

/**
 * Writes a backup stream (from backupChunks, or from a server's admin socket)
 * to `file`. It goes to FILE.partial first and is checked end to end before
 * it takes the final name, so FILE is always a whole, valid backup.
 */
export async function saveBackup(source: AsyncIterable<Uint8Array>, file: string): Promise<BackupSummary> {
  const partial = `${file}.partial`;
  try {
    await pipeline(source, createWriteStream(partial, { mode: 0o600 }));
    const summary = await verifyBackup(partial);
    await rename(partial, file);
    return summary;
  } finally {
    await rm(partial, { force: true });
  }
}

/** Checks a backup file end to end without restoring it. */
export async function verifyBackup(file: string): Promise<BackupSummary> {
  return readBackup(file, () => Promise.resolve());
}

/**
 * Restores a backup's store into `storePath`, which must be missing or empty.
 * The data lands in a scratch folder beside it first and is moved into place
 * only after the checksum and a full open of the restored store pass. The
 * backup's files come back in the summary, checked, for the caller to place.
 */
export async function restoreBackup(file: string, storePath: string): Promise<BackupSummary> {
  if (!(await isMissingOrEmptyDir(storePath))) {
    throw new StoreError('InvalidArgument', `${storePath} is not empty: restore needs an empty data dir (move the old one aside first)`);
  }
  const scratch = join(dirname(storePath), `.restore-${process.pid}-${Date.now()}`);
  await mkdir(dirname(storePath), { recursive: true });
  const db = new Level<Buffer, Buffer>(scratch, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open({ createIfMissing: true, errorIfExists: true });
  try {
    let batch: { type: 'put'; key: Buffer; value: Buffer }[] = [];
    const summary = await readBackup(file, async (key, value) => {
      batch.push({ type: 'put', key, value });
      if (batch.length >= RESTORE_BATCH) {
        await db.batch(batch);
        batch = [];
      }
    });
    await db.batch(batch, { sync: true });
    await db.close();
    // Opening it checks the format version and every record's checksum.
    await (await openLevelStore({ path: scratch })).close();
    await rename(scratch, storePath);
    return summary;
  } catch (err) {
    await db.close().catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
}

async function readBackup(file: string, onEntry: (key: Buffer, value: Buffer) => Promise<void>): Promise<BackupSummary> {
  const reader = new HashingReader(await open(file, 'r'), file);
  try {
    if (!(await reader.take(MAGIC.length)).equals(MAGIC)) throw bad(file, 'it does not start with a Bramble backup header');
    const header = parseJson(await reader.frame(), file) as { storeFormat?: unknown };
    if (header.storeFormat !== FORMAT_VERSION) {
      throw new StoreError('UnsupportedFormat', `backup ${file} holds store format ${String(header.storeFormat)}; this bramble reads ${FORMAT_VERSION}`);
    }
    let entries = 0;
    for (;;) {
      const key = await reader.frame();
      if (key.length === 0) break;
      await onEntry(key, await reader.frame());
      entries++;
    }
    const files: BackupFile[] = [];
    for (;;) {
      const name = await reader.frame();
      if (name.length === 0) break;
      if (files.length >= MAX_FILES) throw bad(file, 'it carries too many files (damaged)');
      files.push({ name: name.toString('utf8'), content: await reader.frame() });
    }
    const trailer = parseJson(await reader.frame(), file) as { entries?: unknown; files?: unknown; revision?: unknown };
    const expected = reader.digest();
    const stored = await reader.take(32, false);
    if (!stored.equals(expected)) throw bad(file, 'its checksum does not match (damaged or truncated)');
    if (!(await reader.atEnd())) throw bad(file, 'it has data after its checksum');
    if (trailer.entries !== entries || trailer.files !== files.length || typeof trailer.revision !== 'number') {
      throw bad(file, 'its entry count does not match');
    }
    return { revision: trailer.revision, entries, files, bytes: reader.position };
  } finally {
    await reader.close();
  }
}

/** Reads a file in large chunks and hands out exact byte counts, hashing what it hands out. */
class HashingReader {
  position = 0;
  private buffer = Buffer.alloc(0);
  private offset = 0;
  private readonly hash: Hash = createHash('sha256');

  constructor(
    private readonly fh: FileHandle,
    private readonly file: string,
  ) {}

  async take(n: number, hashed = true): Promise<Buffer> {
    while (this.buffer.length - this.offset < n) {
      const chunk = Buffer.allocUnsafe(Math.max(1 << 20, n));
      const { bytesRead } = await this.fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) throw bad(this.file, 'it ends early (truncated)');
      this.buffer = Buffer.concat([this.buffer.subarray(this.offset), chunk.subarray(0, bytesRead)]);
      this.offset = 0;
    }
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    this.position += n;
    if (hashed) this.hash.update(out);
    return out;
  }

  async frame(): Promise<Buffer> {
    const length = (await this.take(4)).readUInt32BE(0);
    if (length > MAX_FRAME) throw bad(this.file, `it declares a ${length}-byte entry (damaged)`);
    return Buffer.from(await this.take(length));
  }

  digest(): Buffer {
    return this.hash.digest();
  }

  async atEnd(): Promise<boolean> {
    if (this.offset < this.buffer.length) return false;
    const { bytesRead } = await this.fh.read(Buffer.alloc(1), 0, 1, null);
    return bytesRead === 0;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

function frame(b: Buffer): Buffer {
  return Buffer.concat([u32(b.length), b]);
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

function parseJson(b: Buffer, file: string): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    throw bad(file, 'a header is not valid JSON');
  }
}

function bad(file: string, why: string): StoreError {
  return new StoreError('Corrupt', `${file} is not a usable Bramble backup: ${why}`);
}

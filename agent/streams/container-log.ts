// Reading a container's log file as kubelet serves it (`kubectl logs`): the
// CRI format (`2026-11-22T01:52:58.742064313Z stdout F text`, P = partial
// line continued by the next entry), stdout and stderr together, with
// tailLines, since, timestamps, limitBytes, and follow until the container
// exits. Reads 32 KiB at a time, when the reader wants more; following costs
// an inotify watch and, while nothing is written, one runtime call a second.
import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { TUNNEL_FRAME_BYTES } from '../../common/agent-protocol.js';

export interface ContainerLogOptions {
  readonly follow: boolean;
  readonly timestamps: boolean;
  /** Only entries at or after this time (ms since the epoch). */
  readonly sinceMs?: number;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  /** With follow: whether the container still runs (the log ends once it does not). */
  readonly running: () => Promise<boolean>;
  readonly signal: AbortSignal;
  /** How often, while nothing is written, follow asks whether the container still runs; default 1 s. */
  readonly checkIntervalMs?: number;
}

export interface CriLogEntry {
  /** As written (RFC 3339 with nanoseconds). */
  readonly timestamp: string;
  readonly timeMs: number;
  readonly stream: 'stdout' | 'stderr';
  readonly partial: boolean;
  readonly content: Buffer;
}

/** A malformed entry is longer than this without a newline: it is dropped. */
const MAX_LINE_BYTES = 1 << 20;

/** One line of a CRI log file (without its newline), or undefined if it is not one. */
export function parseCriLogLine(line: Buffer): CriLogEntry | undefined {
  const first = line.indexOf(0x20);
  const second = first < 0 ? -1 : line.indexOf(0x20, first + 1);
  if (second < 0) return undefined;
  const timestamp = line.subarray(0, first).toString('latin1');
  const stream = line.subarray(first + 1, second).toString('latin1');
  const timeMs = Date.parse(timestamp);
  if ((stream !== 'stdout' && stream !== 'stderr') || Number.isNaN(timeMs)) return undefined;
  // The tags (P or F, maybe more after ':') end at the next space; an empty line has none after them.
  const third = line.indexOf(0x20, second + 1);
  const tags = line.subarray(second + 1, third < 0 ? line.length : third).toString('latin1');
  const content = third < 0 ? Buffer.alloc(0) : line.subarray(third + 1);
  return { timestamp, timeMs, stream, partial: tags.split(':')[0] === 'P', content };
}

/** The log's bytes as they are to be sent, in pieces of at most 32 KiB. */
export async function* readContainerLog(path: string, options: ContainerLogOptions): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  let watcher: FSWatcher | undefined;
  try {
    let position = options.tailLines === undefined ? 0 : await tailStart(file, options.tailLines);
    let rest = Buffer.alloc(0);
    let left = options.limitBytes ?? Infinity;
    // A timestamp goes only before the start of a line, not before the rest of a partial one.
    let lineStart = true;
    const chunk = Buffer.alloc(TUNNEL_FRAME_BYTES);
    let changed: (() => void) | undefined;
    for (let finishing = false; ; ) {
      if (options.signal.aborted) return;
      const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        const lines = Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
        let start = 0;
        const out: Buffer[] = [];
        for (let nl = lines.indexOf(0x0a); nl >= 0; nl = lines.indexOf(0x0a, start)) {
          const entry = parseCriLogLine(lines.subarray(start, nl));
          start = nl + 1;
          if (entry === undefined || (options.sinceMs !== undefined && entry.timeMs < options.sinceMs)) continue;
          if (options.timestamps && lineStart) out.push(Buffer.from(`${entry.timestamp} `));
          out.push(entry.content);
          if (!entry.partial) out.push(Buffer.from('\n'));
          lineStart = !entry.partial;
        }
        rest = Buffer.from(lines.subarray(start));
        if (rest.length > MAX_LINE_BYTES) rest = Buffer.alloc(0);
        let text = Buffer.concat(out);
        if (text.length > left) text = text.subarray(0, left);
        left -= text.length;
        if (text.length > 0) yield text;
        if (left <= 0) return;
        continue;
      }
      if (!options.follow || finishing) return;
      // At the end of what is written: wait for more, or for the container to stop (then read what is left once more).
      watcher ??= watch(path, { persistent: false }, () => changed?.()).on('error', () => undefined);
      const wrote = await new Promise<boolean>((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer);
          options.signal.removeEventListener('abort', abort);
          changed = undefined;
          resolve(value);
        };
        const timer = setTimeout(() => done(false), options.checkIntervalMs ?? 1_000);
        const abort = () => done(true);
        options.signal.addEventListener('abort', abort, { once: true });
        changed = () => done(true);
      });
      if (!wrote && !(await options.running())) finishing = true;
    }
  } finally {
    watcher?.close();
    await file.close();
  }
}

/** The offset of the last `lines` lines of the file (kubelet counts the file's lines, partial entries included). */
async function tailStart(file: FileHandle, lines: number): Promise<number> {
  const { size } = await file.stat();
  if (lines === 0) return size;
  const block = Buffer.alloc(64 * 1024);
  let end = size;
  let found = 0;
  // A newline as the file's last byte ends the last line; it does not start one.
  let skipLast = true;
  while (end > 0) {
    const start = Math.max(0, end - block.length);
    const { bytesRead } = await file.read(block, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (block[i] !== 0x0a) {
        skipLast = false;
        continue;
      }
      if (skipLast && start + i === size - 1) {
        skipLast = false;
        continue;
      }
      if (++found === lines) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

// The server processes a bench starts (etcd, `bramble server`): watched from
// spawn on, so an early exit is never missed and its last words are kept for
// the error message, and stopped SIGTERM first.
import type { ChildProcess } from 'node:child_process';
import { sleep } from './proc.js';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WatchedChild {
  /** Resolves once the process has exited. */
  readonly exited: Promise<Exit>;
  /** How it ended, or undefined while it runs. */
  exit(): Exit | undefined;
  /** The end of what it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves to how it ended. Safe to call more than once. */
  stop(): Promise<Exit>;
}

const STDERR_TAIL = 4096;

/** Call right after `spawn`, with the child's stderr piped. */
export function watchChild(child: ChildProcess, graceMs: number): WatchedChild {
  let stderr = '';
  // Read to the end, not only until ready: a full pipe would block the child's next log line.
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL)));
  let exit: Exit | undefined;
  // 'close', not 'exit': by then stderr is read to its end, for the error message.
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve((exit = { code, signal }))));
  const stop = async (): Promise<Exit> => {
    if (exit === undefined) {
      child.kill('SIGTERM');
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([exited, grace])) === 'timeout') child.kill('SIGKILL');
    }
    return exited;
  };
  return { exited, exit: () => exit, stderr: () => stderr, stop };
}

/** Resolves once the child runs; rejects when it could not be started. */
export function spawned(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
}

/** "code 1" or "signal SIGKILL". */
export function describeExit(exit: Exit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** The first match of `ready` in what the child wrote to stderr; fails if it exits first or is not ready within `timeoutMs`. */
export async function readyMatch(child: WatchedChild, ready: RegExp, what: string, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = ready.exec(child.stderr());
    if (match !== null) return match;
    const exit = child.exit();
    if (exit !== undefined) throw new Error(`${what} exited while starting (${describeExit(exit)}):\n${child.stderr()}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs / 1000} s:\n${child.stderr()}`);
    await sleep(100);
  }
}

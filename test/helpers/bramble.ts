// Runs the real `bramble` command (the package.json bin, as `npx bramble`
// would) and cleans up every process it starts, also when a test fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unmountAll } from '../../agent/volumes/tmpfs.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
/** The bin of the same build as this test (dist/cmd/bramble in every normal run: package.json's bin, which runs node with each role's settings). */
export const brambleBin = fileURLToPath(new URL('../../cmd/bramble', import.meta.url));
export const packageVersion = pkg.version;

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runBramble(args: string[], timeoutMs = 30_000): Promise<Result> {
  return collect(spawn(brambleBin, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs }));
}

export function collect(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Flags for a test server: its own data dir, loopback only, a free port, its
 * kubeconfig inside the data dir, and no embedded agent (tests of agents add their own).
 */
export function serverArgs(dataDir: string): string[] {
  return ['--data-dir', dataDir, '--bind-address', '127.0.0.1', '--https-listen-port', '0', '--write-kubeconfig', join(dataDir, 'kubeconfig.yaml'), '--disable-agent'];
}

export interface BrambleProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  log(): string;
  /** Resolves when the log (from now on, or already) has a line matching `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
}

/** Starts `bramble server` and waits until it says it is ready. */
export function startServer(t: TestContext, args: string[]): Promise<BrambleProcess> {
  return startBramble(t, ['server', ...args], /msg="bramble server ready"/);
}

/** Starts `bramble agent` and waits until it is connected to its server; when the test ends, its volume mounts go after it. */
export async function startAgent(t: TestContext, args: string[]): Promise<BrambleProcess> {
  const agent = await startBramble(t, ['agent', ...args], /msg="connected to the server"/);
  const dataDir = args[args.indexOf('--data-dir') + 1];
  if (args.includes('--data-dir') && dataDir !== undefined) {
    t.after(async () => {
      await agent.kill();
      await unmountAll(dataDir);
    });
  }
  return agent;
}

/** Starts a bramble command, killed when the test ends, and waits for `ready` in its log. */
export async function startBramble(t: TestContext, args: string[], ready: RegExp, timeoutMs = 15_000): Promise<BrambleProcess> {
  const child = spawn(brambleBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let log = '';
  const waiters = new Set<() => void>();
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    log += d;
    for (const wake of waiters) wake();
  });
  const waitForLog = (pattern: RegExp, ms = timeoutMs) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(log)) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`bramble ${args[0]}: no ${pattern} after ${ms / 1000} s:\n${log}`));
      }, ms);
      void exited.then((code) => {
        if (!waiters.has(check)) return;
        waiters.delete(check);
        clearTimeout(timer);
        reject(new Error(`bramble ${args[0]} exited with ${code} before ${pattern}:\n${log}`));
      });
      if (!check()) waiters.add(check);
    });
  await waitForLog(ready);
  return {
    child,
    log: () => log,
    waitForLog,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A TCP port free on 127.0.0.1 right now (for a server that must keep its port across a restart). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

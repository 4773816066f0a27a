// Runs the real `bramble` command (the package.json bin, as `npx bramble`
// would) and cleans up every process it starts, also when a test fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string; bin: { bramble: string } };
export const brambleBin = join(repoRoot, pkg.bin.bramble);
export const packageVersion = pkg.version;

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runBramble(args: string[], timeoutMs = 30_000): Promise<Result> {
  return collect(spawn(process.execPath, [brambleBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs }));
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

/** Flags for a test server: its own data dir, loopback only, a free port, its kubeconfig inside the data dir. */
export function serverArgs(dataDir: string): string[] {
  return ['--data-dir', dataDir, '--bind-address', '127.0.0.1', '--https-listen-port', '0', '--write-kubeconfig', join(dataDir, 'kubeconfig.yaml')];
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  log(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `bramble server` and waits until it says it is ready. */
export async function startServer(t: TestContext, args: string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, [brambleBin, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let log = '';
  child.stderr.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready after 15 s:\n${log}`)), 15_000);
    child.stderr.on('data', (d: string) => {
      log += d;
      if (log.includes('msg="bramble server ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${log}`));
    });
  });
  return {
    child,
    log: () => log,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

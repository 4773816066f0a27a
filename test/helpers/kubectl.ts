// Runs the real kubectl binaries on this machine (1.27 … 1.33) against a
// kubeconfig, each with its own HOME so no discovery cache leaks between runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { collect, type Result } from './bramble.js';
import { tempDir } from './temp.js';

export const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';

export interface Kubectl {
  readonly version: string;
  run(args: string[], opts?: { stdin?: string; env?: Record<string, string> }): Promise<Result>;
  /** Runs kubectl, failing the test unless it exits 0 (with its stderr); its stdout. */
  ok(args: string[], stdin?: string): Promise<string>;
  /** A long-running kubectl (get -w): lines as they come; killed when the test ends. */
  stream(args: string[]): { lines: string[]; waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>; stop(): void };
}

export async function kubectl(t: TestContext, version: string, kubeconfig: string): Promise<Kubectl> {
  const home = await mkdtemp(join(await tempDir(t, 'bramble-kubectl-'), 'home-'));
  const start = (args: string[], env: Record<string, string> = {}) =>
    spawn(join(KUBECTL_DIR, `kubectl.${version}`), ['--kubeconfig', kubeconfig, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, ...env },
      timeout: 60_000,
    });
  const run = (args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) => {
    const child = start(args, opts.env);
    child.stdin.end(opts.stdin ?? '');
    return collect(child);
  };
  return {
    version,
    run,
    ok: async (args, stdin) => {
      const r = await run(args, stdin === undefined ? {} : { stdin });
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stderr}`);
      return r.stdout;
    },
    stream: (args) => {
      const child = start(args);
      child.stdin.end();
      t.after(() => child.kill('SIGKILL'));
      const lines: string[] = [];
      let partial = '';
      let stderr = '';
      const waiters = new Set<() => void>();
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        const parts = (partial + d).split('\n');
        partial = parts.pop()!;
        lines.push(...parts);
        for (const wake of waiters) wake();
      });
      return {
        lines,
        stop: () => child.kill('SIGTERM'),
        waitFor: (pattern, timeoutMs = 15_000) =>
          new Promise<string>((resolve, reject) => {
            const check = () => {
              const hit = lines.find((l) => pattern.test(l));
              if (hit === undefined) return false;
              waiters.delete(check);
              clearTimeout(timer);
              resolve(hit);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              reject(new Error(`no line matching ${pattern} in:\n${lines.join('\n')}\nstderr:\n${stderr}`));
            }, timeoutMs);
            if (!check()) waiters.add(check);
          }),
      };
    },
  };
}

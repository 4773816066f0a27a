// Runs the real kubectl binaries on this machine (1.27 … 1.33) against a
// kubeconfig, each with its own HOME so no discovery cache leaks between runs.
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
}

export async function kubectl(t: TestContext, version: string, kubeconfig: string): Promise<Kubectl> {
  const home = await mkdtemp(join(await tempDir(t, 'bramble-kubectl-'), 'home-'));
  return {
    version,
    run: (args, opts = {}) => {
      const child = spawn(join(KUBECTL_DIR, `kubectl.${version}`), ['--kubeconfig', kubeconfig, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, ...opts.env },
        timeout: 60_000,
      });
      child.stdin.end(opts.stdin ?? '');
      return collect(child);
    },
  };
}

// A real `bramble server` on a fixed free port (agents keep the URL across
// its restarts) and the arguments of `bramble agent`s that join it, for
// end-to-end tests with real processes.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import { type BrambleProcess, freePort, serverArgs, startServer } from './bramble.js';
import { kubectl, type Kubectl } from './kubectl.js';
import { until } from './store.js';
import { tempDir } from './temp.js';

export interface Cluster {
  readonly dir: string;
  readonly serverDir: string;
  readonly url: string;
  readonly token: string;
  readonly kubeconfig: string;
  readonly k: Kubectl;
  server: BrambleProcess;
}

/** A server on a fixed free port (agents keep the URL across restarts), with `serverFlags`; without its own agent unless `embeddedAgent` gives that agent's flags. */
export async function cluster(t: TestContext, embeddedAgent?: string[], serverFlags: readonly string[] = []): Promise<Cluster & { args: string[] }> {
  const dir = await tempDir(t);
  const serverDir = join(dir, 'server');
  const port = await freePort();
  const args = [...serverArgs(serverDir), ...serverFlags];
  args[args.indexOf('--https-listen-port') + 1] = String(port);
  if (embeddedAgent !== undefined) args.splice(args.indexOf('--disable-agent'), 1, ...embeddedAgent);
  const server = await startServer(t, args);
  const kubeconfig = join(serverDir, 'kubeconfig.yaml');
  return {
    dir,
    serverDir,
    url: `https://127.0.0.1:${port}`,
    token: (await readFile(join(serverDir, 'server', 'token'), 'utf8')).trim(),
    kubeconfig,
    k: await kubectl(t, '1.33', kubeconfig),
    server,
    args,
  };
}

export function agentArgs(c: Cluster, name: string, runtime: string, token: string | undefined = c.token): string[] {
  return [
    '--server', c.url,
    ...(token !== undefined ? ['--token', token] : []),
    '--data-dir', join(c.dir, name),
    '--node-name', name,
    '--container-runtime-endpoint', runtime,
    '--node-status-update-frequency', '1s',
  ];
}

export async function nodeJson(k: Kubectl, name: string): Promise<Node> {
  const r = await k.run(['get', 'node', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Node;
}

export const readyOf = (node: Node) => node.status?.conditions?.find((c) => c.type === 'Ready')?.status;

export async function waitReady(k: Kubectl, name: string, status: string, timeoutMs = 20_000): Promise<Node> {
  let last: Node | undefined;
  await until(
    async () => {
      const r = await k.run(['get', 'node', name, '-o', 'json']);
      if (r.code !== 0) return false;
      last = JSON.parse(r.stdout) as Node;
      return readyOf(last) === status;
    },
    `node ${name} Ready=${status}`,
    timeoutMs,
  );
  return last!;
}

// A real `bramble server` started as a user starts it (package.json's bin,
// `bramble server`, from the built dist/), kept to the bench's own folder and to
// loopback: its data dir, a free port, its kubeconfig in the data dir; and
// without its embedded agent, so a bench measures the server alone (bench
// agents brings simulated agents; bench pods a real `bramble agent`).
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describeExit, readyMatch, spawned, watchChild, type Exit } from './child.js';
import type { Cleanup } from './cleanup.js';

export interface BrambleChild {
  readonly pid: number;
  /** Resolves once the process has exited, for whatever reason. */
  readonly exited: Promise<Exit>;
  /** SIGTERM (then SIGKILL); rejects if that made it exit other than with code 0. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface BrambleProcess extends BrambleChild {
  /** The kubeconfig it wrote (server URL and credentials), inside its data folder; complete once it is ready. */
  readonly kubeconfigPath: string;
}

const SERVER_READY = /msg="bramble server ready"/;
const AGENT_READY = /msg="connected to the server"/;
const START_TIMEOUT_MS = 30_000;
/** Generous: with a thousand agents connected, closing takes a moment. */
const STOP_GRACE_MS = 20_000;
/** This file runs as dist/bench/bramble-process.js. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Starts the server and waits for its ready line; `cleanup` stops it whatever happens next.
 * `nodeArgs` go to node (e.g. --cpu-prof, through the bin's BRAMBLE_NODE_ARGS), `serverArgs` after `bramble server`'s own; none by default.
 */
export async function startBrambleServer(dataDir: string, cleanup: Cleanup, nodeArgs: readonly string[] = [], serverArgs: readonly string[] = []): Promise<BrambleProcess> {
  // Loopback only, a free port, and the kubeconfig inside the bench's own folder: a bench touches nothing else.
  const kubeconfigPath = join(dataDir, 'kubeconfig.yaml');
  const args = ['server', '--data-dir', dataDir, '--bind-address', '127.0.0.1', '--https-listen-port', '0', '--write-kubeconfig', kubeconfigPath, '--disable-agent', ...serverArgs];
  const pid = await startBramble(args, nodeArgs, SERVER_READY, cleanup);
  return { ...pid, kubeconfigPath };
}

/** `bramble agent` joining the server behind `kubeconfigPath` with its token, on `runtimeEndpoint`; ready once connected. */
export async function startBrambleAgent(server: { readonly kubeconfigPath: string; readonly dataDir: string }, dataDir: string, nodeName: string, runtimeEndpoint: string, cleanup: Cleanup): Promise<BrambleChild> {
  const config = parse(await readFile(server.kubeconfigPath, 'utf8')) as { clusters?: { cluster?: { server?: string } }[] } | null;
  const url = config?.clusters?.[0]?.cluster?.server;
  if (url === undefined) throw new Error(`${server.kubeconfigPath} names no server`);
  const token = (await readFile(join(server.dataDir, 'server', 'token'), 'utf8')).trim();
  const args = ['agent', '--server', url, '--token', token, '--data-dir', dataDir, '--node-name', nodeName, '--container-runtime-endpoint', runtimeEndpoint];
  return startBramble(args, [], AGENT_READY, cleanup);
}

async function startBramble(args: readonly string[], nodeArgs: readonly string[], ready: RegExp, cleanup: Cleanup): Promise<BrambleChild> {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: { bramble: string } };
  const child = spawn(join(REPO_ROOT, pkg.bin.bramble), args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: nodeArgs.length === 0 ? process.env : { ...process.env, BRAMBLE_NODE_ARGS: nodeArgs.join(' ') },
  });
  const watched = watchChild(child, STOP_GRACE_MS);
  const proc: BrambleChild = {
    pid: child.pid!,
    exited: watched.exited,
    stop: async () => {
      // An exit before stop() was asked for is reported where it was noticed, not again here.
      const running = watched.exit() === undefined;
      const exit = await watched.stop();
      if (running && exit.code !== 0) throw new Error(`bramble ${args[0]} did not stop cleanly (${describeExit(exit)}):\n${watched.stderr()}`);
    },
  };
  // Before any await, so a Ctrl-C from here on finds it registered.
  cleanup.add(proc.stop);
  await spawned(child);

  await readyMatch(watched, ready, `bramble ${args[0]}`, START_TIMEOUT_MS);
  return proc;
}

/** The profile `node --cpu-prof` wrote for process `pid` into `dir` (named CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile). */
export async function cpuProfileOf(dir: string, pid: number): Promise<string | undefined> {
  const name = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile') && f.split('.')[3] === String(pid)).sort().at(-1);
  return name === undefined ? undefined : join(dir, name);
}

// A throwaway single-member etcd for the benchmark: found on PATH (or
// installed from Debian's etcd-server package), listening on loopback only,
// on free ports, with its data in a folder the caller owns.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { EtcdClient } from '../server/store/etcd/client.js';
import { describeExit, spawned, watchChild, type Exit, type WatchedChild } from './child.js';
import type { Cleanup } from './cleanup.js';
import { sleep } from './proc.js';

export interface EtcdProcess {
  /** host:port of its client URL. */
  readonly endpoint: string;
  readonly pid: number;
  /** Resolves once the process has exited, for whatever reason. */
  readonly exited: Promise<Exit>;
  /** Ends the process (SIGTERM, then SIGKILL); safe to call more than once. */
  stop(): Promise<void>;
}

const INSTALL_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5000;

/** The etcd binary, installing Debian's etcd-server package first when there is none. */
export async function findOrInstallEtcd(log: (line: string) => void): Promise<string> {
  const found = await findOnPath('etcd');
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('etcd is not installed, and installing it needs root: run `apt-get install -y etcd-server` as root, then run the bench again');
  }
  log("etcd not found; installing Debian's etcd-server package (apt-get update && apt-get install -y etcd-server)");
  // The package's postinst may try to start a service; without an init system that is harmless.
  await runToStderr('apt-get', ['update']);
  await runToStderr('apt-get', ['install', '-y', 'etcd-server']);
  const installed = (await findOnPath('etcd')) ?? ((await isExecutable('/usr/bin/etcd')) ? '/usr/bin/etcd' : undefined);
  if (installed === undefined) throw new Error('apt-get installed etcd-server, but there is still no etcd binary on PATH or at /usr/bin/etcd');
  return installed;
}

/** "3.4.23" from `etcd --version`. */
export async function etcdVersion(bin: string): Promise<string> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'], env: etcdEnv() });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(text));
  });
  const m = /etcd Version:\s*(\S+)/.exec(out);
  if (m === null) throw new Error(`cannot read the version from \`${bin} --version\`: ${JSON.stringify(out.slice(0, 200))}`);
  return m[1]!;
}

/** Starts etcd and waits until it answers; `cleanup` stops it whatever happens next. */
export async function startEtcd(bin: string, dataDir: string, cleanup: Cleanup): Promise<EtcdProcess> {
  const [clientPort, peerPort] = await freePorts(2);
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    bin,
    [
      '--name', 'bench',
      '--data-dir', dataDir,
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `bench=${peer}`,
      '--logger', 'zap',
      '--log-level', 'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: etcdEnv() },
  );
  const watched = watchChild(child, STOP_GRACE_MS);
  const proc: EtcdProcess = {
    endpoint: `127.0.0.1:${clientPort}`,
    pid: child.pid!,
    exited: watched.exited,
    stop: async () => void (await watched.stop()),
  };
  // Before any await, so a Ctrl-C from here on finds it registered.
  cleanup.add(proc.stop);
  await spawned(child);
  await waitUntilAnswering(proc.endpoint, watched);
  return proc;
}

async function waitUntilAnswering(endpoint: string, etcd: WatchedChild): Promise<void> {
  const probe = new EtcdClient({ endpoint, requestTimeoutMs: 1000 });
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const exit = etcd.exit();
      if (exit !== undefined) throw new Error(`etcd exited while starting (${describeExit(exit)}):\n${etcd.stderr()}`);
      try {
        await probe.range('/bench-probe');
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`etcd did not answer within ${START_TIMEOUT_MS / 1000} s: ${(err as Error).message}\n${etcd.stderr()}`);
      }
      await sleep(100);
    }
  } finally {
    probe.close();
  }
}

/** Ports free on 127.0.0.1 right now: the kernel picks them for listeners on port 0, held together so they differ. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** This environment without ETCD_* variables, which etcd would read as flags. */
function etcdEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ETCD_')));
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && (await isExecutable(join(dir, name)))) return join(dir, name);
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with its output on our stderr (stdout stays clean for --json). */
function runToStderr(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', process.stderr, process.stderr],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: INSTALL_TIMEOUT_MS,
    });
    child.on('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`\`${cmd} ${args.join(' ')}\` failed (${code ?? signal}); cannot install etcd`));
    });
  });
}

// Starts a real containerd (Debian's package) for one test, everything under a
// temporary folder: root, state, sockets, CNI config. Killed and removed when
// the test ends, pass or fail. Never skips: a machine without containerd fails
// the test with how to install it (test/run.sh does, as root).
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tempDir } from './temp.js';

export interface Containerd {
  /** The folder that holds everything. */
  readonly dir: string;
  /** The CRI endpoint: unix:///…/containerd.sock */
  readonly endpoint: string;
  readonly pid: number;
  /** Everything containerd logged so far. */
  log(): string;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Shims outlive containerd: a test that runs pods removes them through CRI
 * before it ends.
 */
export async function startContainerd(t: TestContext): Promise<Containerd> {
  let child: ChildProcess | undefined;
  // Registered before tempDir's removal: after-hooks run in registration order.
  t.after(() => stop(child));
  const dir = await tempDir(t, 'bramble-containerd-');
  const socket = join(dir, 'containerd.sock');
  const configFile = join(dir, 'config.toml');
  await writeFile(configFile, config(dir, socket));

  child = spawn('containerd', ['--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`${why}\n${log}`));
    };
    const timer = setTimeout(() => fail(`containerd did not boot within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child!.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new Error("containerd is not installed: this test runs a real one; run 'apt-get install containerd runc' (test/run.sh does so as root)")
          : err,
      );
    });
    child!.on('exit', (code, signal) => fail(`containerd exited (${signal ?? `code ${code}`}) before it booted`));
    // Logged once every plugin is loaded and the socket is served.
    child!.stderr!.on('data', () => {
      if (log.includes('containerd successfully booted')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const pid = child.pid!;
  return { dir, endpoint: `unix://${socket}`, pid, log: () => log };
}

function config(dir: string, socket: string): string {
  const q = (path: string) => JSON.stringify(path);
  return `version = 2
root = ${q(join(dir, 'root'))}
state = ${q(join(dir, 'state'))}

[grpc]
  address = ${q(socket)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(join(dir, 'opt'))}

[plugins."io.containerd.grpc.v1.cri"]
  # The test sandbox lacks CAP_SYS_RESOURCE: without this every RunPodSandbox
  # fails when runc writes oom_score_adj.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

  [plugins."io.containerd.grpc.v1.cri".cni]
    # Empty: no pod network unless a test writes one.
    conf_dir = ${q(join(dir, 'cni', 'net.d'))}
    bin_dir = "/usr/lib/cni"
`;
}

/** SIGTERM by PID, SIGKILL if it is still there after a while. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

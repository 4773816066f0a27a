// Starts a real containerd (Debian's package) for one test, everything under a
// temporary folder: root, state, sockets, CNI config. Killed and removed when
// the test ends, pass or fail. Never skips: a machine without containerd fails
// the test with how to install it (test/run.sh does, as root).
//
// For real pods (test/e2e/pod-runtime-setup.test.ts shows it all):
//   const registry = await startRegistry(t);          // test/helpers/registry.ts
//   await pushTestImages(registry);                    // test/helpers/test-images.ts
//   const containerd = await startContainerd(t, { registry, podNetwork: true });
// Then `docker.io/library/busybox:1.36` and `registry.k8s.io/pause:3.9` pull
// through the local registry over plain http, the sandbox image is the
// registry's pause:3.9, and pods get an address on a bridge and a /24 of the
// test's own.
//
// Tests that run pods must stop and remove them through CRI before the test
// ends: shims and containers outlive containerd. When a test fails before it
// does, the teardown kills what this containerd's shims still run, unmounts
// what is left under the folder (network namespaces, rootfs) and removes the
// pod network (bridge, iptables rules and chains, CNI results), so the next
// test and the next run start clean; but that skips CNI DEL and leaves the pod
// cgroups (containerd never removes cgroup_parent folders): it is a safety
// net, not the way to end a pod.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { RuntimeClient } from '../../agent/cri/runtime-client.js';
import { tempDir } from './temp.js';
import type { Teardown } from './teardown.js';
import { stopChild } from './stop-child.js';

export interface ContainerdOptions {
  /**
   * `127.0.0.1:PORT` of a registry (startRegistry): reached over plain http,
   * and the mirror of docker.io and registry.k8s.io.
   */
  registry?: string;
  /**
   * The CRI sandbox (pause) image. Default: the registry's `pause:3.9` when a
   * registry is given, containerd's own default (not pullable here) otherwise.
   */
  sandboxImage?: string;
  /** A pod network of the test's own: bridge + host-local + portmap + loopback. */
  podNetwork?: boolean;
}

export interface PodNetwork {
  /** The CNI network's name, also the bridge's: `brmbl` + 6 hex digits. */
  readonly name: string;
  /** `10.99.X.0/24` */
  readonly subnet: string;
  /** The bridge's address, `10.99.X.1`. */
  readonly gateway: string;
  /** The conflist containerd reads. */
  readonly conflistFile: string;
}

export interface Containerd {
  /** The folder that holds everything. */
  readonly dir: string;
  /** The CRI endpoint: unix:///…/containerd.sock */
  readonly endpoint: string;
  /** The socket's path, for `ctr --address`. */
  readonly socket: string;
  readonly pid: number;
  /** The registry hosts folder (`config_path`), for `ctr … pull --hosts-dir`; with a registry only. */
  readonly hostsDir?: string;
  /** With `podNetwork` only. */
  readonly network?: PodNetwork;
  /** Everything containerd logged so far. */
  log(): string;
  /** The teardown the test's end runs anyway; earlier, to look at what it leaves. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const exec = promisify(execFile);

export async function startContainerd(t: Teardown, options: ContainerdOptions = {}): Promise<Containerd> {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  let network: PodNetwork | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= teardown(child, dir, network));
  // Registered before tempDir's removal: after-hooks run in registration order.
  t.after(stop);
  dir = await tempDir(t, 'bramble-containerd-');
  const socket = join(dir, 'containerd.sock');
  const configFile = join(dir, 'config.toml');
  const cniDir = join(dir, 'cni', 'net.d');
  await mkdir(cniDir, { recursive: true });
  const hostsDir = options.registry === undefined ? undefined : await writeHostsDir(dir, options.registry);
  if (options.podNetwork) network = await createPodNetwork(dir, cniDir);
  const sandboxImage = options.sandboxImage ?? (options.registry === undefined ? undefined : `${options.registry}/pause:3.9`);
  await writeFile(configFile, config(dir, socket, cniDir, hostsDir, sandboxImage));

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
  await criInitialized(`unix://${socket}`, () => log);
  return { dir, endpoint: `unix://${socket}`, socket, pid, hostsDir, network, log: () => log, stop };
}

/**
 * containerd's CRI plugin starts after containerd says it booted, and
 * answers "server is not initialized yet" until then: tests that call CRI
 * right away wait for it (an agent retries on its own).
 */
async function criInitialized(endpoint: string, log: () => string): Promise<void> {
  const runtime = RuntimeClient.connect(endpoint);
  try {
    for (const deadline = Date.now() + READY_TIMEOUT_MS; ; await sleep(50)) {
      try {
        await runtime.version();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`containerd's CRI did not come up within ${READY_TIMEOUT_MS} ms: ${(err as Error).message}\n${log()}`);
      }
    }
  } finally {
    runtime.close();
  }
}

function config(dir: string, socket: string, cniDir: string, hostsDir: string | undefined, sandboxImage: string | undefined): string {
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
${sandboxImage === undefined ? '' : `  sandbox_image = ${q(sandboxImage)}\n`}
  [plugins."io.containerd.grpc.v1.cri".cni]
    # Empty unless the test asks for a pod network.
    conf_dir = ${q(cniDir)}
    bin_dir = "/usr/lib/cni"

  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      # runc's state in the folder (not /run/containerd/runc): the teardown
      # finds there the cgroups of containers a test left behind.
      Root = ${q(join(dir, 'runc'))}
${
  hostsDir === undefined
    ? ''
    : `
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ${q(hostsDir)}
`
}`;
}

/**
 * certs.d-style hosts: the registry itself over plain http, and the mirrors
 * (docker.io, registry.k8s.io) with no upstream to fall back to, so a missing
 * image fails at once with "not found" instead of waiting on the internet.
 */
async function writeHostsDir(dir: string, registry: string): Promise<string> {
  const hostsDir = join(dir, 'certs.d');
  await writeHosts(hostsDir, registry, registry, '"pull", "resolve", "push"');
  await writeHosts(hostsDir, 'docker.io', registry, '"pull", "resolve"');
  await writeHosts(hostsDir, 'registry.k8s.io', registry, '"pull", "resolve"');
  return hostsDir;
}

/** One more registry (`127.0.0.1:PORT`) this containerd reaches over plain http; containerd reads it at its next pull. */
export async function addRegistry(containerd: Containerd, registry: string): Promise<void> {
  if (containerd.hostsDir === undefined) throw new Error('this containerd was started without a registry: it has no hosts folder');
  await writeHosts(containerd.hostsDir, registry, registry, '"pull", "resolve"');
}

async function writeHosts(hostsDir: string, host: string, registry: string, capabilities: string): Promise<void> {
  const url = `http://${registry}`;
  await mkdir(join(hostsDir, host), { recursive: true });
  await writeFile(join(hostsDir, host, 'hosts.toml'), `server = "${url}"\n\n[host."${url}"]\n  capabilities = [${capabilities}]\n`);
}

// Pod networks: each test's has its own bridge and 10.99.X.0/24, claimed by a
// file in CLAIMS (created exclusively) that names the claiming process. A
// claim whose process is gone (a run killed before its teardown) is swept by
// the next test that makes a network: nothing from an earlier run stays.
const CLAIMS = '/run/bramble-test-cni';
const CNI_RESULTS = '/var/lib/cni/results';

interface Claim {
  pid: number;
  name: string;
  subnet: string;
}

async function createPodNetwork(dir: string, cniDir: string): Promise<PodNetwork> {
  await mkdir(CLAIMS, { recursive: true });
  await sweepStaleNetworks();
  const name = `brmbl${randomBytes(3).toString('hex')}`;
  const inUse = (await exec('ip', ['-4', '-o', 'route', 'show'])).stdout;
  for (let tries = 0; tries < 64; tries++) {
    const x = randomInt(256);
    const prefix = `10.99.${x}.`;
    if (inUse.includes(prefix)) continue;
    const claim: Claim = { pid: process.pid, name, subnet: `${prefix}0/24` };
    try {
      await (await open(join(CLAIMS, `10.99.${x}`), 'wx')).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    await writeFile(join(CLAIMS, `10.99.${x}`), JSON.stringify(claim));
    const conflistFile = join(cniDir, '10-bramble.conflist');
    await writeFile(
      conflistFile,
      JSON.stringify(
        {
          cniVersion: '1.0.0',
          name,
          plugins: [
            {
              type: 'bridge',
              bridge: name,
              isGateway: true,
              ipMasq: true,
              hairpinMode: true,
              // In the test's folder rather than /var/lib/cni/networks: gone with it.
              ipam: { type: 'host-local', ranges: [[{ subnet: claim.subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'cni', 'ipam') },
            },
            { type: 'portmap', capabilities: { portMappings: true } },
            { type: 'loopback' },
          ],
        },
        null,
        2,
      ),
    );
    return { name, subnet: claim.subnet, gateway: `${prefix}1`, conflistFile };
  }
  throw new Error(`no free 10.99.X.0/24 for a pod network (claims in ${CLAIMS})`);
}

async function sweepStaleNetworks(): Promise<void> {
  for (const file of await readdir(CLAIMS)) {
    if (!/^10\.99\.\d+$/.test(file)) continue;
    const path = join(CLAIMS, file);
    let claim: Claim;
    try {
      claim = JSON.parse(await readFile(path, 'utf8')) as Claim;
    } catch {
      continue; // Being written, or swept by another test just now.
    }
    if (alive(claim.pid)) continue;
    // Renamed first: of two tests sweeping at once, one does it.
    const sweeping = `${path}.sweep-${process.pid}`;
    try {
      await rename(path, sweeping);
    } catch {
      continue;
    }
    await removePodNetwork(claim);
    await rm(sweeping, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The bridge, every iptables rule and chain for the subnet or the network's name, CNI's cached results. */
async function removePodNetwork(network: { name: string; subnet: string }): Promise<void> {
  await exec('ip', ['link', 'delete', network.name]).catch((err: { stderr?: string }) => {
    if (!/Cannot find device/.test(err.stderr ?? '')) throw err;
  });
  // 10.99.5.x, not 10.99.55.x nor 110.99.5.x.
  const address = new RegExp(`(^|[^\\d.])${network.subnet.replace(/0\/24$/, '').replaceAll('.', '\\.')}\\d`);
  for (const table of ['nat', 'filter']) await removeIptables(table, (rule) => address.test(rule) || rule.includes(network.name));
  const results = await readdir(CNI_RESULTS).catch(() => [] as string[]);
  await Promise.all(results.filter((f) => f.startsWith(`${network.name}-`)).map((f) => rm(join(CNI_RESULTS, f), { force: true })));
}

/**
 * Deletes the rules `ours` matches and the CNI chains they jump to or live
 * in: bridge's per-pod masquerade chain CNI-<hash>, portmap's CNI-DN-<hash>.
 * The CNI-HOSTPORT-* chains are shared by every network and stay.
 */
async function removeIptables(table: string, ours: (rule: string) => boolean): Promise<void> {
  const rules = (await exec('iptables-save', ['-t', table])).stdout.split('\n').filter((l) => l.startsWith('-A '));
  const chainOf = (rule: string) => rule.split(' ')[1]!;
  const targetOf = (rule: string) => / -j (\S+)/.exec(rule)?.[1];
  const perPod = (chain: string | undefined): chain is string => chain !== undefined && chain.startsWith('CNI-') && !chain.startsWith('CNI-HOSTPORT-');
  const chains = new Set<string>();
  for (const rule of rules.filter(ours)) {
    if (perPod(chainOf(rule))) chains.add(chainOf(rule));
    if (perPod(targetOf(rule))) chains.add(targetOf(rule)!);
  }
  const deletes = rules.filter((r) => !chains.has(chainOf(r)) && (ours(r) || chains.has(targetOf(r) ?? ''))).map((r) => `-D${r.slice(2)}`);
  if (deletes.length === 0 && chains.size === 0) return;
  const script = [`*${table}`, ...deletes, ...[...chains].map((c) => `-F ${c}`), ...[...chains].map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
  await new Promise<void>((resolve, reject) => {
    // One transaction, in iptables-save's own syntax (the comments' quoting).
    const restore = execFile('iptables-restore', ['-w', '5', '--noflush'], (err, _stdout, stderr) =>
      err ? reject(new Error(`iptables-restore failed: ${stderr}\n${script}`)) : resolve(),
    );
    restore.stdin!.end(script);
  });
}

async function teardown(child: ChildProcess | undefined, dir: string | undefined, network: PodNetwork | undefined): Promise<void> {
  await stopChild(child);
  if (dir !== undefined) {
    await killLeftoverShims(join(dir, 'containerd.sock'));
    await removeLeftoverCgroups(join(dir, 'runc'));
    await unmountUnder(dir);
  }
  if (network !== undefined) {
    await removePodNetwork(network);
    await rm(join(CLAIMS, network.subnet.replace(/\.0\/24$/, '')), { force: true });
  }
}

/**
 * Pods the test did not remove: SIGKILL each shim of this containerd (its
 * command line names our socket) and its children, the containers' first
 * processes (their pid namespaces die with them).
 */
async function killLeftoverShims(socket: string): Promise<void> {
  const processes: { pid: number; ppid: number; cmdline: string[] }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      processes.push({ pid: Number(entry), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  const shims = processes.filter((p) => p.cmdline[0]?.includes('containerd-shim') && p.cmdline[p.cmdline.indexOf('-address') + 1] === socket);
  const victims = [...processes.filter((p) => shims.some((s) => s.pid === p.ppid)), ...shims].map((p) => p.pid);
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  for (const deadline = Date.now() + STOP_TIMEOUT_MS; victims.some(running) && Date.now() < deadline; ) await sleep(20);
}

/** Neither gone nor a zombie (whose cgroup is already left). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * The cgroups of containers never deleted (runc deletes them on `runc delete`),
 * from runc's state: empty once their processes are killed.
 */
async function removeLeftoverCgroups(runcRoot: string): Promise<void> {
  for (const namespace of await readdir(runcRoot).catch(() => [] as string[])) {
    for (const container of await readdir(join(runcRoot, namespace)).catch(() => [] as string[])) {
      let state: { cgroup_paths?: Record<string, string> };
      try {
        state = JSON.parse(await readFile(join(runcRoot, namespace, container, 'state.json'), 'utf8')) as typeof state;
      } catch {
        continue;
      }
      // Already gone, or shared by two controllers (cpu,cpuacct).
      for (const path of new Set(Object.values(state.cgroup_paths ?? {}))) await rmdir(path).catch(() => undefined);
    }
  }
}

/** Network namespaces (nsfs bind mounts), rootfs and shm mounts left under the folder, deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const unescape = (path: string) => path.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map(unescape)
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  // Lazy: a mount still busy is detached now and freed when it is not.
  for (const point of mounts) await exec('umount', ['--lazy', point]).catch(() => undefined);
}

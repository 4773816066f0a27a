// `bench agents`: a real `bramble server` (no embedded agent) with N
// simulated agents in a process of their own, each one the agent's own code
// (ensureJoined, ServerLink) with its own data dir, key, certificate and gRPC
// connection over mutual TLS, reporting a fixed status every 10 s. It times
// the joins until every Node is Ready (seen through the API), then reads what
// the connected fleet costs the server over a steady window: CPU, memory,
// status reports received, disk writes. Last, it binds pods to the agents
// and times until each agent holds its own (the pods stream).
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { storeDir, serverTokenPath } from '../common/paths.js';
import { NodeWatch } from './agents-nodes.js';
import { type DeliveryFigures, deliverPods, PODS } from './agents-pods.js';
import { cpuProfileOf, startBrambleServer } from './bramble-process.js';
import { SimulatorProcess } from './agents-simulator.js';
import type { BrambleProcess } from './bramble-process.js';
import { describeExit, type Exit } from './child.js';
import type { Cleanup } from './cleanup.js';
import { clockTicksPerSecond, cpuTicks, machineBusyTicks, memory, openFilesLimit, waitForDiskQuiet, writeBytes } from './proc.js';
import { machineInfo, type MachineInfo } from './report.js';
import { percentile } from './stats.js';

export const AGENTS = {
  defaultSizes: [100, 1000],
  maxAgents: 5000,
  defaultSeconds: 60,
  /** Joins at once. */
  joinConcurrency: 20,
  /** Every agent's status interval (the agent's default). */
  statusIntervalMs: 10_000,
  /** After the last Node is Ready: every link's first reports are in, the joins' writes are done. */
  settleMs: 15_000,
  /** Per agent, on top of a minute: a join on this machine takes well under a second of the server's time. */
  readyTimeoutMs: (agents: number) => 60_000 + agents * 500,
  /** kubelet's nodeStatusReportFrequency, which the server's Node keeper follows: a window this long sees each Node's refresh write. */
  refreshSeconds: 300,
  /** Open files a process needs per agent: its connection, and for a moment its /cacerts and Join connections. */
  filesPerAgent: 2,
  filesSpare: 256,
  targets: { agents: 1000, serverCpuPercent: 25, rssBytes: 300_000_000 },
} as const;

export interface JoinFigures {
  /** Nearest-rank percentiles of each agent's ensureJoined, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** From telling the simulator to start until the last agent had joined, s. */
  readonly allJoinedSeconds: number;
  /** From the same start until the API showed every Node Ready, s. */
  readonly allReadySeconds: number;
  /** The server's CPU over that time (start to all Ready), % of one core. */
  readonly serverCpuPercent: number;
}

export interface AgentsRun {
  readonly agents: number;
  readonly join: JoinFigures;
  /** The steady window, s. */
  readonly windowSeconds: number;
  /** CPU over the window, % of one core: the server, the simulator, this process (the Node watch), everything else. */
  readonly serverCpuPercent: number;
  readonly simulatorCpuPercent: number;
  readonly benchCpuPercent: number;
  readonly otherCpuPercent: number;
  /** Status reports the agents sent per second over the window (counted in the simulator). */
  readonly reportsPerS: number;
  /** Node events (= Node writes) the watch saw in the window, and Ready conditions lost. */
  readonly nodeWrites: number;
  readonly lostReady: number;
  /** Streams that broke over the whole run (the simulator's count). */
  readonly lostStreams: number;
  /** VmRSS / VmHWM of the server at the end of the window, MiB. */
  readonly rssMb: number;
  readonly rssPeakMb: number;
  /** write_bytes of the server over the window, and scaled to an hour. */
  readonly diskBytes: number;
  readonly diskBytesPerHour: number;
  /** Growth of the store folder (sum of its files' sizes) over the window, and its size at the end. */
  readonly storeGrowthBytes: number;
  readonly storeBytes: number;
  /** Soft limits on open files ("Max open files") of the server and the simulator. */
  readonly serverOpenFilesLimit: number;
  readonly simulatorOpenFilesLimit: number;
  /** Pods bound to the agents after the window, until each agent held its own. */
  readonly delivery: DeliveryFigures;
  readonly cpuProfile?: string;
}

export interface AgentsBenchReport extends MachineInfo {
  /** The window asked for (--seconds). */
  readonly seconds: number;
  readonly runs: readonly AgentsRun[];
}

export interface AgentsBenchOptions {
  readonly sizes: readonly number[];
  readonly seconds: number;
  readonly cpuProfDir?: string;
}

export async function runAgentsBench(opts: AgentsBenchOptions, cleanup: Cleanup, log: (line: string) => void): Promise<AgentsBenchReport> {
  const runs: AgentsRun[] = [];
  for (const agents of opts.sizes) runs.push(await runOne(agents, opts, cleanup, log));
  return { ...machineInfo(), seconds: opts.seconds, runs };
}

async function runOne(agents: number, opts: AgentsBenchOptions, cleanup: Cleanup, log: (line: string) => void): Promise<AgentsRun> {
  const root = await mkdtemp(join(tmpdir(), 'bramble-bench-'));
  cleanup.add(() => rm(root, { recursive: true, force: true }));
  const dataDir = join(root, 'bramble');
  const profDir = opts.cpuProfDir === undefined ? undefined : resolve(opts.cpuProfDir);
  if (profDir !== undefined) await mkdir(profDir, { recursive: true });
  const nodeArgs = profDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`];
  log(`${agents} agents: starting bramble server --disable-agent on 127.0.0.1${profDir === undefined ? '' : ' under node --cpu-prof'} (data in ${root})`);
  const server = await startBrambleServer(dataDir, cleanup, nodeArgs);
  const sim = await SimulatorProcess.start(cleanup);
  const [serverFiles, simFiles] = await Promise.all([openFilesLimit(server.pid), openFilesLimit(sim.pid)]);
  const needed = agents * AGENTS.filesPerAgent + AGENTS.filesSpare;
  if (Math.min(serverFiles, simFiles) < needed) {
    throw new Error(
      `${agents} agents need at least ${needed} open files in both the server and the simulator, but their limit is ${Math.min(serverFiles, simFiles)}: ` +
        `raise the hard limit of the shell that runs the bench (\`ulimit -Hn\`; e.g. \`ulimit -n 65536\` as root, or in /etc/security/limits.conf). ` +
        'Node raises its soft limit to the hard limit by itself.',
    );
  }
  const watch = await NodeWatch.start(server.kubeconfigPath);
  cleanup.add(() => watch.close());
  const alive = <T>(work: Promise<T>) => whileBothRun(work, server, sim);
  // A failed or interrupted run does not wait out the window's timer before it exits.
  const aborted = new AbortController();
  cleanup.add(() => aborted.abort());
  const sleep = (ms: number) => pause(ms, undefined, { signal: aborted.signal });

  const kubeconfig = await readFile(server.kubeconfigPath, 'utf8');
  const serverUrl = /^\s*server:\s*(\S+)\s*$/m.exec(kubeconfig)?.[1];
  if (serverUrl === undefined) throw new Error(`${server.kubeconfigPath} names no server`);
  const token = (await readFile(serverTokenPath(dataDir), 'utf8')).trim();
  log(`${agents} agents: joining them ${AGENTS.joinConcurrency} at a time, each with its own key, certificate and TLS connection`);
  const hz = await clockTicksPerSecond();
  const joinTicks = await cpuTicks(server.pid);
  const started = performance.now();
  const joinMs = await alive(
    sim.joinAll({ serverUrl, token, dir: join(root, 'agents'), agents, concurrency: AGENTS.joinConcurrency, statusIntervalMs: AGENTS.statusIntervalMs }),
  );
  const allJoinedSeconds = (performance.now() - started) / 1000;
  log(`${agents} agents: all joined in ${allJoinedSeconds.toFixed(1)} s; waiting for every Node to be Ready`);
  const allReadyAt = await alive(watch.untilReady(agents, AGENTS.readyTimeoutMs(agents)));
  const allReadySeconds = (allReadyAt - started) / 1000;
  const joinCpuPercent = (((await cpuTicks(server.pid)) - joinTicks) / hz / ((performance.now() - started) / 1000)) * 100;
  log(`${agents} agents: all Ready ${allReadySeconds.toFixed(1)} s after the start; settling for ${AGENTS.settleMs / 1000} s`);
  await alive(sleep(AGENTS.settleMs));
  await alive(waitForDiskQuiet(server.pid));

  log(`${agents} agents: measuring for ${opts.seconds} s`);
  const store = storeDir(dataDir);
  const before = await reading(server.pid, sim, store);
  const benchBefore = process.cpuUsage();
  watch.takeEvents();
  const windowStart = performance.now();
  await alive(sleep(opts.seconds * 1000));
  const windowSeconds = (performance.now() - windowStart) / 1000;
  const { events, lostReady } = watch.takeEvents();
  const benchCpu = process.cpuUsage(benchBefore);
  const after = await reading(server.pid, sim, store);
  const mem = await memory(server.pid);
  log(`${agents} agents: binding ${agents * PODS.perAgent} pods to them through the API (${PODS.perAgent} each, all using one Secret and one ConfigMap)`);
  const delivery = await alive(deliverPods(server.kubeconfigPath, agents, sim, server.pid, hz));
  log(`${agents} agents: every agent held its pods ${delivery.allHeldSeconds.toFixed(1)} s after the first create`);

  const percent = (ticks: number) => (ticks / hz / windowSeconds) * 100;
  const serverCpuPercent = percent(after.serverTicks - before.serverTicks);
  const simulatorCpuPercent = percent(after.simTicks - before.simTicks);
  const benchCpuPercent = percent(((benchCpu.user + benchCpu.system) / 1e6) * hz);
  const diskBytes = after.writeBytes - before.writeBytes;
  watch.close();
  await sim.stop();
  await server.stop();
  const cpuProfile = profDir === undefined ? undefined : await cpuProfileOf(profDir, server.pid);
  if (cpuProfile !== undefined) log(`${agents} agents: server CPU profile: ${cpuProfile}`);
  await rm(root, { recursive: true, force: true });
  return {
    agents,
    join: { p50Ms: percentile(joinMs, 50), p99Ms: percentile(joinMs, 99), allJoinedSeconds, allReadySeconds, serverCpuPercent: joinCpuPercent },
    windowSeconds,
    serverCpuPercent,
    simulatorCpuPercent,
    benchCpuPercent,
    // Never below 0: the readings are not taken at exactly the same instant.
    otherCpuPercent: Math.max(0, percent(after.machineTicks - before.machineTicks) - serverCpuPercent - simulatorCpuPercent - benchCpuPercent),
    reportsPerS: (after.sim.sent - before.sim.sent) / windowSeconds,
    nodeWrites: events,
    lostReady,
    lostStreams: after.sim.lost,
    rssMb: mem.rssMb,
    rssPeakMb: mem.peakMb,
    diskBytes,
    diskBytesPerHour: (diskBytes * 3600) / windowSeconds,
    storeGrowthBytes: after.storeBytes - before.storeBytes,
    storeBytes: after.storeBytes,
    serverOpenFilesLimit: serverFiles,
    simulatorOpenFilesLimit: simFiles,
    delivery,
    ...(cpuProfile === undefined ? {} : { cpuProfile }),
  };
}

export function targetsApply(r: AgentsRun): boolean {
  return r.agents === AGENTS.targets.agents;
}

export function cpuTargetMet(r: AgentsRun): boolean {
  return r.serverCpuPercent < AGENTS.targets.serverCpuPercent;
}

export function rssTargetMet(r: AgentsRun): boolean {
  return r.rssMb * 1024 * 1024 < AGENTS.targets.rssBytes;
}

async function reading(serverPid: number, sim: SimulatorProcess, store: string) {
  const [serverTicks, simTicks, machineTicks, written, storeBytes, simStats] = await Promise.all([
    cpuTicks(serverPid),
    cpuTicks(sim.pid),
    machineBusyTicks(),
    writeBytes(serverPid),
    folderBytes(store),
    sim.stats(),
  ]);
  return { serverTicks, simTicks, machineTicks, writeBytes: written, storeBytes, sim: simStats };
}

/** The sizes of every file under `dir`, summed (files that vanish meanwhile, as LevelDB compacts, count as 0). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path);
    else if (entry.isFile()) total += await stat(path).then((s) => s.size, () => 0);
  }
  return total;
}


/** `work`, failing as soon as the server or the simulator exits: figures of a dead process would mean nothing. */
async function whileBothRun<T>(work: Promise<T>, server: BrambleProcess, sim: SimulatorProcess): Promise<T> {
  const death = (name: string, exited: Promise<Exit>) =>
    exited.then((exit) => {
      throw new Error(`${name} exited during the run (${describeExit(exit)})${name === 'the simulator' ? `:\n${sim.stderr()}` : ''}`);
    });
  return Promise.race([work, death('bramble server', server.exited), death('the simulator', sim.exited)]);
}

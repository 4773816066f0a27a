// How `bench agents` shows its figures: a table for people (one column per
// fleet size), or one JSON object for scripts (field names fixed: CI and docs
// compare against them).
import { PODS } from './agents-pods.js';
import { AGENTS, type AgentsBenchReport, type AgentsRun, cpuTargetMet, rssTargetMet, targetsApply } from './agents.js';
import { alignColumns, count, machineInfoJson, mib, milliseconds, round, runInfoLine } from './report.js';

interface Line {
  readonly label: string;
  readonly value: (r: AgentsRun) => string;
}

function lines(seconds: number): readonly Line[] {
  return [
    { label: 'join p50', value: (r) => milliseconds(r.join.p50Ms) },
    { label: 'join p99', value: (r) => milliseconds(r.join.p99Ms) },
    { label: 'all joined', value: (r) => `${r.join.allJoinedSeconds.toFixed(1)} s` },
    { label: 'all Nodes Ready (API)', value: (r) => `${r.join.allReadySeconds.toFixed(1)} s` },
    { label: 'server CPU until all Ready', value: (r) => percent(r.join.serverCpuPercent) },
    { label: `steady window`, value: (r) => `${r.windowSeconds.toFixed(1)} s` },
    { label: 'status reports sent/s', value: (r) => r.reportsPerS.toFixed(1) },
    { label: 'server CPU, % of one core', value: (r) => percent(r.serverCpuPercent) },
    { label: 'simulator CPU, % of one core', value: (r) => percent(r.simulatorCpuPercent) },
    { label: 'bench + other processes CPU', value: (r) => `${percent(r.benchCpuPercent)} + ${percent(r.otherCpuPercent)}` },
    { label: 'server RSS at the end', value: (r) => mib(r.rssMb) },
    { label: 'server peak RSS', value: (r) => mib(r.rssPeakMb) },
    { label: `server disk writes in the ${seconds.toFixed(0)} s`, value: (r) => bytes(r.diskBytes) },
    { label: 'server disk writes per hour (extrapolated)', value: (r) => bytes(r.diskBytesPerHour) },
    { label: 'store folder growth in the window', value: (r) => bytes(r.storeGrowthBytes) },
    { label: 'store folder at the end', value: (r) => bytes(r.storeBytes) },
    { label: 'Node writes seen in the window', value: (r) => count(r.nodeWrites) },
    { label: 'Ready lost / streams lost', value: (r) => `${count(r.lostReady)} / ${count(r.lostStreams)}` },
    { label: 'pods bound to the agents (after the window)', value: (r) => count(r.delivery.pods) },
    { label: 'pod create → agent holds it, p50', value: (r) => milliseconds(r.delivery.p50Ms) },
    { label: 'pod create → agent holds it, p99', value: (r) => milliseconds(r.delivery.p99Ms) },
    { label: 'all pods held', value: (r) => `${r.delivery.allHeldSeconds.toFixed(1)} s` },
    { label: 'server CPU until all held', value: (r) => percent(r.delivery.serverCpuPercent) },
    { label: 'open files limit, server / simulator', value: (r) => `${limit(r.serverOpenFilesLimit)} / ${limit(r.simulatorOpenFilesLimit)}` },
  ];
}

export function agentsTable(r: AgentsBenchReport): string {
  const window = Math.min(...r.runs.map((run) => run.windowSeconds));
  const header = ['', ...r.runs.map((run) => `${count(run.agents)} agents`)];
  const body = lines(r.seconds).map((line) => [line.label, ...r.runs.map(line.value)]);
  const targeted = r.runs.filter(targetsApply);
  return [
    `bramble server (--disable-agent) with simulated agents: real joins, one gRPC stream with mutual TLS each, a status every ${AGENTS.statusIntervalMs / 1000} s`,
    runInfoLine(r),
    '',
    ...alignColumns([header, ...body]),
    '',
    ...targeted.flatMap((run) => [
      `server CPU target: under ${AGENTS.targets.serverCpuPercent} % of one core at ${count(run.agents)} agents: ${cpuTargetMet(run) ? 'met' : 'MISSED'} (${percent(run.serverCpuPercent)})`,
      `server RSS target: under ${AGENTS.targets.rssBytes / 1e6} MB (${mib(AGENTS.targets.rssBytes / 1024 / 1024)}) at ${count(run.agents)} agents: ${rssTargetMet(run) ? 'met' : 'MISSED'} (${mib(run.rssMb)})`,
    ]),
    ...(targeted.length === 0 ? [`(the targets are for ${count(AGENTS.targets.agents)} agents; none ran)`] : []),
    '',
    `Agents: the agent's own ensureJoined and ServerLink in one simulator process, joined ${AGENTS.joinConcurrency} at a time, each with its own data dir,`,
    `key, certificate and connection, reporting a fixed status; reports are spread evenly over the ${AGENTS.statusIntervalMs / 1000} s interval, so agents`,
    `that join faster than that wait for their slot (up to ${AGENTS.statusIntervalMs / 1000} s) before they connect. Join: each agent's ensureJoined (CA fetch,`,
    `key and CSR, Join RPC, credentials written). Ready: from the start until the Node watch (admin kubeconfig) saw the last Node Ready.`,
    `The window starts ${AGENTS.settleMs / 1000} s after that. CPU: utime + stime of /proc/PID/stat; RSS: VmRSS/VmHWM; disk: write_bytes of /proc/PID/io.`,
    `Pods: after the window, ${PODS.perAgent} pods per agent created through the API (${PODS.concurrency} at a time) with spec.nodeName set, each using one shared`,
    `Secret and ConfigMap; from each create (stamped in the pod) until its agent's desired state held it, via the server's pods stream.`,
    window >= AGENTS.refreshSeconds
      ? `The window is ${AGENTS.refreshSeconds / 60} minutes or more, so it includes each Node's refresh write (every ${AGENTS.refreshSeconds / 60} minutes even when unchanged).`
      : `NOTE: the window is under ${AGENTS.refreshSeconds / 60} minutes, so the per-hour disk figure leaves out each Node's ${AGENTS.refreshSeconds / 60}-minute refresh write; use --seconds ${AGENTS.refreshSeconds * 2}.`,
    ...r.runs.flatMap((run) =>
      run.cpuProfile === undefined ? [] : [`NOTE: the server ran under node --cpu-prof (profile: ${run.cpuProfile}); profiling slows it, so compare these figures with none.`],
    ),
  ].join('\n');
}

export function agentsJson(r: AgentsBenchReport): Record<string, unknown> {
  return {
    benchmark: 'agents',
    ...machineInfoJson(r),
    seconds: r.seconds,
    status_interval_s: AGENTS.statusIntervalMs / 1000,
    join_concurrency: AGENTS.joinConcurrency,
    runs: r.runs.map((run) => ({
      agents: run.agents,
      join_p50_ms: round(run.join.p50Ms, 1),
      join_p99_ms: round(run.join.p99Ms, 1),
      all_joined_s: round(run.join.allJoinedSeconds, 2),
      all_ready_s: round(run.join.allReadySeconds, 2),
      join_server_cpu_percent: round(run.join.serverCpuPercent, 1),
      window_s: round(run.windowSeconds, 2),
      reports_per_s: round(run.reportsPerS, 2),
      server_cpu_percent: round(run.serverCpuPercent, 2),
      simulator_cpu_percent: round(run.simulatorCpuPercent, 2),
      bench_cpu_percent: round(run.benchCpuPercent, 2),
      other_cpu_percent: round(run.otherCpuPercent, 2),
      rss_mb: round(run.rssMb, 1),
      rss_peak_mb: round(run.rssPeakMb, 1),
      disk_bytes: run.diskBytes,
      disk_bytes_per_hour: round(run.diskBytesPerHour, 0),
      store_growth_bytes: run.storeGrowthBytes,
      store_bytes: run.storeBytes,
      node_writes: run.nodeWrites,
      lost_ready: run.lostReady,
      lost_streams: run.lostStreams,
      server_open_files_limit: jsonLimit(run.serverOpenFilesLimit),
      simulator_open_files_limit: jsonLimit(run.simulatorOpenFilesLimit),
      pods_bound: run.delivery.pods,
      pod_delivery_p50_ms: round(run.delivery.p50Ms, 1),
      pod_delivery_p99_ms: round(run.delivery.p99Ms, 1),
      all_pods_held_s: round(run.delivery.allHeldSeconds, 2),
      pod_delivery_server_cpu_percent: round(run.delivery.serverCpuPercent, 1),
      ...(targetsApply(run)
        ? {
            server_cpu_target_percent: AGENTS.targets.serverCpuPercent,
            server_cpu_target_met: cpuTargetMet(run),
            rss_target_bytes: AGENTS.targets.rssBytes,
            rss_target_met: rssTargetMet(run),
          }
        : {}),
      ...(run.cpuProfile === undefined ? {} : { cpu_profile: run.cpuProfile }),
    })),
  };
}

function percent(n: number): string {
  return `${n.toFixed(n < 10 ? 2 : 1)} %`;
}

function limit(n: number): string {
  return Number.isFinite(n) ? count(n) : 'unlimited';
}

function jsonLimit(n: number): number | string {
  return Number.isFinite(n) ? n : 'unlimited';
}

/** Bytes in the largest binary unit that keeps the number at 1 or more (as bench idle prints them); negative for a folder that shrank. */
function bytes(n: number): string {
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return i === 0 ? `${sign}${Math.round(v)} B` : `${sign}${v.toFixed(1)} ${units[i]}`;
}

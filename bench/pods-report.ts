// How `bench pods` shows its figures: a table for people, or one JSON object
// for scripts (field names fixed: docs compare against them).
import { PODS, type PodsBenchReport } from './pods.js';
import { alignColumns, machineInfoJson, mib, milliseconds, round, runInfoLine } from './report.js';

export function podsTable(r: PodsBenchReport): string {
  const startupMet = r.startupP99Ms < PODS.targetP99Ms;
  const rssMet = r.agentRssMb < PODS.targetAgentRssMb;
  return [
    `Pods on a real node: bramble agent on containerd, ${r.pods} pods created at ${r.createPerS}/s with the image present, then ${r.runningPods} kept running`,
    runInfoLine(r),
    '',
    ...alignColumns([
      ['create → bound (watch), p50', milliseconds(r.boundP50Ms)],
      ['create → Running (watch), p50', milliseconds(r.startupP50Ms)],
      ['create → Running (watch), p99', milliseconds(r.startupP99Ms)],
      ['create → Running (watch), slowest', milliseconds(r.startupMaxMs)],
      [`agent CPU with ${r.runningPods} pods, % of one core (${r.seconds} s)`, `${r.agentCpuPercent.toFixed(2)} %`],
      [`agent RSS with ${r.runningPods} pods`, mib(r.agentRssMb)],
      ['  of which its own (RssAnon; the rest is the shared node binary)', mib(r.agentAnonMb)],
      [`containerd CPU meanwhile, % of one core`, `${r.containerdCpuPercent.toFixed(2)} %`],
      ['containerd RSS (without its shims)', mib(r.containerdRssMb)],
    ]),
    '',
    `target: pod startup p99 under ${PODS.targetP99Ms} ms: ${startupMet ? 'met' : 'MISSED'} (${milliseconds(r.startupP99Ms)}); the Kubernetes SLO is 5 s`,
    `target: agent RSS under ${PODS.targetAgentRssMb} MB with ${r.runningPods} pods: ${rssMet ? 'met' : 'MISSED'} (${mib(r.agentRssMb)}); k3s's agent is about 270 MB on a Pi 4`,
    '',
    'A real registry, containerd (its own CNI bridge), `bramble server` and `bramble agent` run as users start them; one pod is run',
    'first so the image is on the node. Creations are spread evenly; a watch from before the first one timestamps each pod when it',
    'is first seen bound and first seen Running (the API shows Running once the agent has reported it). CPU is utime + stime of',
    '/proc/PID/stat over the window; RSS is VmRSS at its end, RssAnon its private part.',
  ].join('\n');
}

export function podsJson(r: PodsBenchReport): Record<string, number | string> {
  return {
    benchmark: 'pods',
    ...machineInfoJson(r),
    pods: r.pods,
    create_per_s: r.createPerS,
    bound_p50_ms: round(r.boundP50Ms, 1),
    startup_p50_ms: round(r.startupP50Ms, 1),
    startup_p99_ms: round(r.startupP99Ms, 1),
    startup_max_ms: round(r.startupMaxMs, 1),
    running_pods: r.runningPods,
    window_seconds: r.seconds,
    agent_cpu_percent: round(r.agentCpuPercent, 3),
    agent_rss_mb: round(r.agentRssMb, 1),
    agent_anon_mb: round(r.agentAnonMb, 1),
    containerd_cpu_percent: round(r.containerdCpuPercent, 3),
    containerd_rss_mb: round(r.containerdRssMb, 1),
  };
}

// How `bench scheduler` shows its figures: a table for people, or one JSON
// object for scripts (field names fixed: docs compare against them).
import { SCHEDULER, type SchedulerBenchReport } from './scheduler.js';
import { alignColumns, count, machineInfoJson, mib, round, runInfoLine } from './report.js';

export function schedulerTable(r: SchedulerBenchReport): string {
  const met = r.podsPerS >= SCHEDULER.targetPodsPerS;
  return [
    `bramble server scheduling a backlog: ${count(r.nodes)} simulated Nodes, ${count(r.pods)} pending pods (100m CPU, 64 MiB; ${SCHEDULER.podsPerOwner} per ReplicaSet)`,
    runInfoLine(r),
    '',
    ...alignColumns([
      ['Nodes and ReplicaSets created, their pods made (scheduler off)', `${r.createSeconds.toFixed(1)} s`],
      ['ready line → last pod bound (watch)', `${r.bindSeconds.toFixed(1)} s`],
      ['pods bound per second', r.podsPerS.toFixed(0)],
      ['server CPU meanwhile, % of one core', `${r.serverCpuPercent.toFixed(1)} %`],
      ['server RSS at the end', mib(r.rssMb)],
      ['pods per node, fewest / most', `${r.minPodsPerNode} / ${r.maxPodsPerNode}`],
    ]),
    '',
    `target: at least ${SCHEDULER.targetPodsPerS} pods bound per second: ${met ? 'met' : 'MISSED'} (${r.podsPerS.toFixed(0)})`,
    '',
    'The server restarts with its scheduler after the backlog is stored; its scheduler starts once the API is up, so the span runs from the',
    'ready line the bench reads (polled every 100 ms) to the last binding a watch from the revision before the restart delivers. Each binding',
    'is a write through the binding subresource (spec.nodeName, PodScheduled=True) plus a Scheduled event, as upstream writes them.',
    ...(r.cpuProfile === undefined ? [] : [`NOTE: the server ran under node --cpu-prof (profile: ${r.cpuProfile}); profiling slows it, so compare these figures with none.`]),
  ].join('\n');
}

export function schedulerJson(r: SchedulerBenchReport): Record<string, unknown> {
  return {
    benchmark: 'scheduler',
    ...machineInfoJson(r),
    nodes: r.nodes,
    pods: r.pods,
    create_s: round(r.createSeconds, 2),
    bind_s: round(r.bindSeconds, 2),
    pods_per_s: round(r.podsPerS, 1),
    server_cpu_percent: round(r.serverCpuPercent, 1),
    rss_mb: round(r.rssMb, 1),
    min_pods_per_node: r.minPodsPerNode,
    max_pods_per_node: r.maxPodsPerNode,
    target_pods_per_s: SCHEDULER.targetPodsPerS,
    target_met: r.podsPerS >= SCHEDULER.targetPodsPerS,
    ...(r.cpuProfile === undefined ? {} : { cpu_profile: r.cpuProfile }),
  };
}

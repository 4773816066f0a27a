// How `bench api` shows its figures: a table for people, or one flat JSON
// object for scripts (field names fixed: CI and docs compare against them).
import { API, VERBS, type ApiBenchReport, type Verb } from './api.js';
import { CONFIGMAP_DATA_BYTES } from './api-objects.js';
import { alignColumns, count, machineInfoJson, mib, milliseconds, round, runInfoLine } from './report.js';

const VERB_LABELS: Readonly<Record<Verb, string>> = {
  create: 'create',
  get: 'get',
  update: 'update',
  list: `list (limit=${API.listLimit})`,
};

export function apiTable(r: ApiBenchReport): string {
  const mixRows = VERBS.map((v) => [VERB_LABELS[v], milliseconds(r.verbs[v].p50Ms), milliseconds(r.verbs[v].p99Ms), count(r.verbs[v].requests)]);
  const total = VERBS.reduce((n, v) => n + r.verbs[v].requests, 0);
  const pods = count(API.pods);
  return [
    `Kubernetes API of bramble server: HTTPS with client certificates on 127.0.0.1, kept-alive connections`,
    runInfoLine(r),
    '',
    `${r.clients} clients for ${r.measuredSeconds.toFixed(1)} s, each looping create, get, update, list on its own ConfigMaps in "${API.mixNamespace}"`,
    ...alignColumns([
      ['', 'p50', 'p99', 'requests'],
      ...mixRows,
      [`all, ${count(r.requestsPerS)} requests/s`, '', '', count(total)],
    ]),
    `"${API.mixNamespace}" held ${count(r.configMaps)} ConfigMaps at the end (the ${API.warmupMs / 1000} s of warm-up's included)`,
    `CPU over the window, % of one core: server ${percent(r.serverCpuPercent)}, clients (this process) ${percent(r.clientCpuPercent)}, other processes ${percent(r.otherCpuPercent)}`,
    `create p99 target: under ${API.createP99TargetMs} ms at ${r.clients} clients: ${targetMet(r) ? 'met' : 'MISSED'} (${milliseconds(r.verbs.create.p99Ms)})`,
    '',
    `The window in ${API.sliceSeconds} s slices (same build, same mix: the server's CPU per request follows the machine's speed)`,
    ...alignColumns([
      ['from', 'requests/s', 'create p99', 'server CPU per request'],
      ...r.slices.map((sl) => [`${sl.fromS.toFixed(0)} s`, count(sl.requestsPerS), milliseconds(sl.createP99Ms), `${sl.serverCpuUsPerRequest.toFixed(0)} µs`]),
    ]),
    '',
    `The same mix right after, ${r.reference.seconds.toFixed(1)} s against Node alone: TLS and HTTP as bramble's, each body parsed, bramble's answers sent back`,
    ...alignColumns([
      ['', 'requests/s', 'create p99', 'server CPU per request'],
      ['bramble server (the window)', count(r.requestsPerS), milliseconds(r.verbs.create.p99Ms), `${r.serverCpuUsPerRequest.toFixed(0)} µs`],
      ['Node alone (the reference)', count(r.reference.requestsPerS), milliseconds(r.reference.createP99Ms), `${r.reference.serverCpuUsPerRequest.toFixed(0)} µs`],
    ]),
    `bramble's CPU per request: ${(r.serverCpuUsPerRequest / r.reference.serverCpuUsPerRequest).toFixed(1)}× the reference's, whose own figure follows the machine's speed`,
    '',
    ...alignColumns([
      [`list of ${pods} pods, no limit (median of ${API.listRepeats})`, 'time', 'response'],
      ['as JSON (PodList)', milliseconds(r.podsJson.ms), mib(r.podsJson.bytes / 1024 / 1024)],
      ['as Table (kubectl get)', milliseconds(r.podsTable.ms), mib(r.podsTable.bytes / 1024 / 1024)],
    ]),
    '',
    ...alignColumns([
      ['server RSS at the end', mib(r.rssMb)],
      ['server peak RSS', mib(r.rssPeakMb)],
    ]),
    '',
    `Latency: from just before a request is sent until the last byte of its response has arrived, in this process;`,
    `p50/p99 are nearest-rank over every request of the window, after ${API.warmupMs / 1000} s of the same mix not counted.`,
    `ConfigMaps hold ${count(CONFIGMAP_DATA_BYTES)} characters of data, new on every create and update. The ${pods} pods are nginx pods as`,
    `\`kubectl run\` makes them, each with a running status written through pods/status, loaded untimed by ${API.podLoaders} clients.`,
    `RSS: VmRSS/VmHWM of the server's /proc/PID/status after the lists.`,
    'No peer: there is no kube-apiserver on this machine; the reference is Node alone, not an API server.',
    ...(r.cpuProfile === undefined
      ? []
      : [`NOTE: the server ran under node --cpu-prof (profile: ${r.cpuProfile}); profiling slows it, so compare these figures with none.`]),
  ].join('\n');
}

export function apiJson(r: ApiBenchReport): Record<string, number | string | boolean> {
  const verbs = Object.fromEntries(
    VERBS.flatMap((v) => [
      [`${v}_p50_ms`, round(r.verbs[v].p50Ms, 3)],
      [`${v}_p99_ms`, round(r.verbs[v].p99Ms, 3)],
      [`${v}_requests`, r.verbs[v].requests],
    ]),
  );
  return {
    benchmark: 'api',
    ...machineInfoJson(r),
    clients: r.clients,
    seconds: r.seconds,
    measured_seconds: round(r.measuredSeconds, 2),
    ...verbs,
    requests_per_s: round(r.requestsPerS, 0),
    configmaps_at_end: r.configMaps,
    server_cpu_percent: round(r.serverCpuPercent, 1),
    client_cpu_percent: round(r.clientCpuPercent, 1),
    other_cpu_percent: round(r.otherCpuPercent, 1),
    create_p99_target_ms: API.createP99TargetMs,
    create_p99_target_met: targetMet(r),
    slices: r.slices.length,
    ...sliceRange('slice_requests_per_s', r.slices.map((sl) => sl.requestsPerS), 0),
    ...sliceRange('slice_create_p99_ms', r.slices.map((sl) => sl.createP99Ms), 3),
    ...sliceRange('slice_server_cpu_us_per_request', r.slices.map((sl) => sl.serverCpuUsPerRequest), 1),
    server_cpu_us_per_request: round(r.serverCpuUsPerRequest, 1),
    reference_seconds: round(r.reference.seconds, 2),
    reference_requests_per_s: round(r.reference.requestsPerS, 0),
    reference_create_p99_ms: round(r.reference.createP99Ms, 3),
    reference_cpu_us_per_request: round(r.reference.serverCpuUsPerRequest, 1),
    pods: API.pods,
    list_5000_pods_json_ms: round(r.podsJson.ms, 3),
    list_5000_pods_table_ms: round(r.podsTable.ms, 3),
    list_5000_pods_json_bytes: r.podsJson.bytes,
    list_5000_pods_table_bytes: r.podsTable.bytes,
    rss_mb: round(r.rssMb, 1),
    rss_peak_mb: round(r.rssPeakMb, 1),
    ...(r.cpuProfile === undefined ? {} : { cpu_profile: r.cpuProfile }),
  };
}

/** `<name>_min` and `<name>_max` over the slices (none when there are no slices). */
function sliceRange(name: string, values: readonly number[], digits: number): Record<string, number> {
  if (values.length === 0) return {};
  return { [`${name}_min`]: round(Math.min(...values), digits), [`${name}_max`]: round(Math.max(...values), digits) };
}

function percent(n: number): string {
  return `${n.toFixed(0)} %`;
}

function targetMet(r: ApiBenchReport): boolean {
  return r.verbs.create.p99Ms < API.createP99TargetMs;
}

// NodeMetrics and PodMetrics (metrics.k8s.io/v1beta1) exactly as
// metrics-server writes them: metadata from the node or pod (name,
// namespace, labels) with a creationTimestamp of now, the sample's
// timestamp, its window as a Go duration ("15.004s"), CPU in nanocores and
// memory in bytes, each in Quantity's canonical form ("1234567n", "12345Ki").
import { add, formatQuantity, parseQuantity, type Quantity } from '../../common/quantity.js';
import type { KubeObject } from '../api/objects.js';
import type { TableColumn, TableRow } from '../api/table/table.js';
import type { ResourceUsage, SampleTime } from '../../common/agent-protocol.js';
import type { NodeSample, PodSample } from './metrics-store.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

export interface UsageList {
  cpu: string;
  memory: string;
}

export interface PodMetrics {
  kind: 'PodMetrics';
  apiVersion: typeof API_VERSION;
  metadata: MetricsMeta;
  timestamp: string;
  window: string;
  containers: { name: string; usage: UsageList }[];
}

export interface NodeMetrics {
  kind: 'NodeMetrics';
  apiVersion: typeof API_VERSION;
  metadata: MetricsMeta;
  timestamp: string;
  window: string;
  usage: UsageList;
}

interface MetricsMeta {
  name: string;
  namespace?: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
}

export function podMetrics(pod: KubeObject, sample: PodSample, now: Date): PodMetrics {
  return {
    kind: 'PodMetrics',
    apiVersion: API_VERSION,
    metadata: metadataOf(pod, now),
    ...times(sample),
    containers: sample.containers.map((c) => ({ name: c.name, usage: usageList(c.usage) })),
  };
}

export function nodeMetrics(node: KubeObject, sample: NodeSample, now: Date): NodeMetrics {
  return { kind: 'NodeMetrics', apiVersion: API_VERSION, metadata: metadataOf(node, now), ...times(sample), usage: usageList(sample.usage) };
}

export function listOf(kind: 'PodMetricsList' | 'NodeMetricsList', items: readonly (PodMetrics | NodeMetrics)[]): Record<string, unknown> {
  return { kind, apiVersion: API_VERSION, metadata: {}, items };
}

/** metrics-server's table: Name, then cpu and memory summed over containers, then Window. */
export function metricsTable(items: readonly (PodMetrics | NodeMetrics)[]): { columnDefinitions: TableColumn[]; rows: TableRow[] } {
  const column = (name: string, format: string, description = ''): TableColumn => ({ name, type: 'string', format, description, priority: 0 });
  return {
    columnDefinitions: items.length === 0 ? [] : [column('Name', 'name', 'Name of the resource'), column('cpu', 'quantity'), column('memory', 'quantity'), column('Window', 'duration')],
    rows: items.map((item) => {
      const usages = item.kind === 'NodeMetrics' ? [item.usage] : item.containers.map((c) => c.usage);
      // Our own canonical strings: they parse.
      const sum = (resource: keyof UsageList) => formatQuantity(usages.map((u) => parseQuantity(u[resource]) as Quantity).reduce(add));
      return { cells: [item.metadata.name, sum('cpu'), sum('memory'), item.window], object: item };
    }),
  };
}

/** CPU as metrics-server scales it: nanocores, DecimalSI. */
export function cpuQuantity(nanoCores: number): string {
  return formatQuantity(cpu(nanoCores));
}

/** Memory in bytes, BinarySI. */
export function memoryQuantity(bytes: number): string {
  return formatQuantity(memory(bytes));
}

/** Go's time.Duration.String(): "0s", "850ms", "15s", "15.004312s", "1m0.5s", "2h0m0s". */
export function goDuration(ns: number | bigint): string {
  let u = BigInt(ns);
  if (u === 0n) return '0s';
  const sign = u < 0n ? '-' : '';
  if (u < 0n) u = -u;
  if (u < 1_000_000_000n) {
    const [unit, per] = u < 1_000n ? (['ns', 1n] as const) : u < 1_000_000n ? (['µs', 1_000n] as const) : (['ms', 1_000_000n] as const);
    return `${sign}${decimal(u, per)}${unit}`;
  }
  const hours = u / 3_600_000_000_000n;
  const minutes = (u / 60_000_000_000n) % 60n;
  const seconds = `${decimal(u % 60_000_000_000n, 1_000_000_000n)}s`;
  return sign + (hours > 0n ? `${hours}h${minutes}m${seconds}` : minutes > 0n ? `${minutes}m${seconds}` : seconds);
}

/** metav1.Time: RFC 3339 in whole seconds, UTC. */
export function metaSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function decimal(value: bigint, per: bigint): string {
  const whole = value / per;
  const fraction = value % per;
  if (fraction === 0n) return `${whole}`;
  const digits = String(per).length - 1;
  return `${whole}.${fraction.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

function metadataOf(obj: KubeObject, now: Date): MetricsMeta {
  const { name, namespace, labels } = obj.metadata;
  return {
    name: name!,
    ...(namespace ? { namespace } : {}),
    creationTimestamp: metaSeconds(now.getTime()),
    ...(labels !== undefined && Object.keys(labels).length > 0 ? { labels } : {}),
  };
}

function times(t: SampleTime): { timestamp: string; window: string } {
  return { timestamp: metaSeconds(t.timestampMs), window: goDuration(t.windowNs) };
}

function usageList(u: ResourceUsage): UsageList {
  return { cpu: cpuQuantity(u.cpuNanoCores), memory: memoryQuantity(u.memoryWorkingSetBytes) };
}

const cpu = (nanoCores: number): Quantity => ({ value: BigInt(nanoCores), scale: -9, format: 'DecimalSI' });
const memory = (bytes: number): Quantity => ({ value: BigInt(bytes), scale: 0, format: 'BinarySI' });

// How many replicas a Resource metric asks for, as upstream's replica
// calculator (pkg/controller/podautoscaler/replica_calculator.go) works it
// out from the pods' metrics: utilization against the pods' requests
// (Utilization) or the average per pod (AverageValue); a change within the
// tolerance is no change; pods not yet ready (for CPU), pending pods and pods
// without metrics count in the direction that makes a scale less likely.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity, type Quantity, roundUp } from '../../common/quantity.js';

export const DEFAULT_TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period */
export const CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** --horizontal-pod-autoscaler-initial-readiness-delay */
export const INITIAL_READINESS_DELAY_MS = 30_000;

/** One pod's usage of one resource, in milli-units (millicores, millibytes), with its sample's time. */
export interface PodMetric {
  readonly value: number;
  readonly timestampMs: number;
  readonly windowMs: number;
}

export interface CalculatorInput {
  readonly currentReplicas: number;
  readonly resource: string;
  /** Pod name → metric, for the pods the metrics API returned. */
  readonly metrics: ReadonlyMap<string, PodMetric>;
  /** The pods the target's selector selects. */
  readonly pods: readonly Pod[];
  readonly now: number;
  readonly tolerance?: number;
}

export interface Proposal {
  readonly replicas: number;
  /** Percent of requests (Utilization targets only). */
  readonly utilization?: number;
  /** Average per pod, in milli-units. */
  readonly rawAverage: number;
}

/** Utilization target: percent of the pods' requests. Throws with upstream's message when it cannot decide. */
export function resourceReplicas(input: CalculatorInput, targetUtilization: number): Proposal {
  const { metrics, ready, unready, missing } = prepare(input);
  const requests = podRequests(input.pods, input.resource);
  const first = utilizationRatio(metrics, requests, targetUtilization);
  const proposal = (replicas: number): Proposal => ({ replicas, utilization: first.utilization, rawAverage: first.rawAverage });
  return proposal(
    settle(input, first.ratio, ready, unready, missing, metrics, (podName) => (requests.get(podName) ?? 0) * Math.max(100, targetUtilization) / 100, (m) => utilizationRatio(m, requests, targetUtilization).ratio),
  );
}

/** AverageValue target, in milli-units per pod. */
export function rawResourceReplicas(input: CalculatorInput, targetAverage: number): Proposal {
  const { metrics, ready, unready, missing } = prepare(input);
  const first = usageRatio(metrics, targetAverage);
  return { replicas: settle(input, first.ratio, ready, unready, missing, metrics, () => targetAverage, (m) => usageRatio(m, targetAverage).ratio), rawAverage: first.average };
}

/** Quantity.MilliValue(): rounded up. */
export function milliValue(q: Quantity): number {
  const rounded = roundUp(q, -3);
  return Number(rounded.value * 10n ** BigInt(rounded.scale + 3));
}

interface Prepared {
  metrics: Map<string, number>;
  ready: number;
  unready: Set<string>;
  missing: Set<string>;
}

function prepare(input: CalculatorInput): Prepared {
  if (input.pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const { ready, unready, missing, ignored } = groupPods(input);
  const metrics = new Map<string, number>();
  for (const [name, m] of input.metrics) if (!ignored.has(name) && !unready.has(name)) metrics.set(name, m.value);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  return { metrics, ready, unready, missing };
}

/** The second pass of upstream's calculation, when pods were unready or missing metrics. */
function settle(
  input: CalculatorInput,
  ratio: number,
  ready: number,
  unready: ReadonlySet<string>,
  missing: ReadonlySet<string>,
  metrics: Map<string, number>,
  fallback: (podName: string) => number,
  recompute: (metrics: ReadonlyMap<string, number>) => number,
): number {
  const tolerance = input.tolerance ?? DEFAULT_TOLERANCE;
  const within = (r: number) => Math.abs(1 - r) <= tolerance;
  const scaleUpWithUnready = unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && missing.size === 0) return within(ratio) ? input.currentReplicas : Math.ceil(ratio * ready);
  // Missing pods use their whole request on a scale-down, nothing on a scale-up.
  if (ratio < 1) for (const name of missing) metrics.set(name, fallback(name));
  else if (ratio > 1) for (const name of missing) metrics.set(name, 0);
  if (scaleUpWithUnready) for (const name of unready) metrics.set(name, 0);
  const next = recompute(metrics);
  if (within(next) || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return input.currentReplicas;
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > input.currentReplicas) || (next > 1 && replicas < input.currentReplicas)) return input.currentReplicas;
  return replicas;
}

function groupPods(input: CalculatorInput): { ready: number; unready: Set<string>; missing: Set<string>; ignored: Set<string> } {
  const unready = new Set<string>();
  const missing = new Set<string>();
  const ignored = new Set<string>();
  let ready = 0;
  for (const pod of input.pods) {
    const name = pod.metadata!.name!;
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
      ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      unready.add(name);
      continue;
    }
    const metric = input.metrics.get(name);
    if (metric === undefined) {
      missing.add(name);
      continue;
    }
    if (input.resource === 'cpu' && cpuUnready(pod, metric, input.now)) {
      unready.add(name);
      continue;
    }
    ready++;
  }
  return { ready, unready, missing, ignored };
}

/** A CPU sample is not trusted while a pod starts: unready, or taken before a window had passed since it became ready. */
function cpuUnready(pod: Pod, metric: PodMetric, now: number): boolean {
  const condition = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const started = Date.parse(pod.status?.startTime ?? '');
  if (condition === undefined || Number.isNaN(started)) return true;
  const transition = Date.parse(condition.lastTransitionTime ?? '') || 0;
  if (started + CPU_INITIALIZATION_PERIOD_MS > now) return condition.status === 'False' || metric.timestampMs < transition + metric.windowMs;
  return condition.status === 'False' && started + INITIAL_READINESS_DELAY_MS > transition;
}

/** Each pod's request for `resource` in milli-units: its containers' (and sidecars'), all of which must have one. */
function podRequests(pods: readonly Pod[], resource: string): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
    let sum = 0;
    for (const c of containers) {
      const request = c.resources?.requests?.[resource];
      const parsed = request === undefined ? undefined : parseQuantity(request);
      if (parsed === undefined || typeof parsed === 'string') throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata!.name!}`);
      sum += milliValue(parsed);
    }
    requests.set(pod.metadata!.name!, sum);
  }
  return requests;
}

function utilizationRatio(metrics: ReadonlyMap<string, number>, requests: ReadonlyMap<string, number>, target: number): { ratio: number; utilization: number; rawAverage: number } {
  let used = 0;
  let requested = 0;
  let entries = 0;
  for (const [name, value] of metrics) {
    const request = requests.get(name);
    if (request === undefined) continue;
    used += value;
    requested += request;
    entries++;
  }
  if (requested === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((used * 100) / requested);
  return { ratio: utilization / target, utilization, rawAverage: Math.trunc(used / entries) };
}

function usageRatio(metrics: ReadonlyMap<string, number>, target: number): { ratio: number; average: number } {
  let total = 0;
  for (const value of metrics.values()) total += value;
  const average = Math.trunc(total / metrics.size);
  return { ratio: average / target, average };
}

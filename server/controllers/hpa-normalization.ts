// What the autoscaler makes of a recommended replica count before it scales
// (upstream's horizontal.go): without spec.behavior, the highest
// recommendation of the downscale stabilization window (5 min) wins, and a
// scale-up is at most twice the current count (at least 4); with it, both
// stabilization windows and the scaling policies (so many pods or percent per
// period) apply. The recommendations and scale events it remembers per HPA
// live in memory, as upstream's do, and go with the HPA. A behavior arrives
// with the API's defaults filled in (server/api/kinds/autoscaling.ts) but for
// scale-down's window, which is this controller's to choose.
import type { HorizontalPodAutoscalerBehavior, HPAScalingRules } from 'kubernetes-types/autoscaling/v2.js';

/** --horizontal-pod-autoscaler-downscale-stabilization */
export const DOWNSCALE_STABILIZATION_MS = 5 * 60_000;

export interface Normalized {
  readonly replicas: number;
  /** The AbleToScale condition's reason and message. */
  readonly able: { reason: string; message: string };
  /** ScalingLimited: True when the count was held back. */
  readonly limited: { status: 'True' | 'False'; reason: string; message: string };
}

export interface NormalizeArgs {
  readonly behavior: HorizontalPodAutoscalerBehavior | undefined;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly current: number;
  readonly desired: number;
}

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
}

interface History {
  recommendations: Recommendation[];
  ups: ScaleEvent[];
  downs: ScaleEvent[];
}

const WITHIN = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const READY = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };

export class ScalingHistory {
  readonly #byKey = new Map<string, History>();

  constructor(private readonly downscaleStabilizationMs = DOWNSCALE_STABILIZATION_MS) {}

  /** The first time an HPA is seen, the current count is its first recommendation. */
  recordInitial(key: string, current: number, now: number): void {
    if (!this.#byKey.has(key)) this.#byKey.set(key, { recommendations: [{ replicas: current, at: now }], ups: [], downs: [] });
  }

  forget(key: string): void {
    this.#byKey.delete(key);
  }

  normalize(key: string, args: NormalizeArgs, now: number): Normalized {
    const history = this.#history(key, args.current, now);
    if (args.behavior === undefined) {
      const stabilized = this.#stabilize(history, args.desired, now);
      const able = stabilized !== args.desired ? { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' } : READY;
      const [replicas, limit] = withinRules(args.current, stabilized, args.minReplicas, args.maxReplicas);
      return { replicas, able, limited: { status: replicas === stabilized ? 'False' : 'True', ...limit } };
    }
    const behavior = args.behavior;
    const downWindowMs = seconds(behavior.scaleDown?.stabilizationWindowSeconds) ?? this.downscaleStabilizationMs;
    const { replicas: stabilized, reason, message } = stabilizeWithBehavior(history, args, behavior, downWindowMs, now);
    const able = stabilized !== args.desired ? { reason, message } : READY;
    const [replicas, limit] = withinPolicies(history, { ...args, desired: stabilized }, behavior, now);
    return { replicas, able, limited: { status: replicas === stabilized ? 'False' : 'True', ...limit } };
  }

  /** After a rescale with a behavior: the change counts against its policies' periods. */
  recordScale(key: string, behavior: HorizontalPodAutoscalerBehavior | undefined, previous: number, next: number, now: number): void {
    if (behavior === undefined) return;
    const history = this.#history(key, previous, now);
    const up = next > previous;
    const events = up ? history.ups : history.downs;
    const longest = Math.max(0, ...((up ? behavior.scaleUp : behavior.scaleDown)?.policies ?? []).map((p) => p.periodSeconds));
    // Events older than every period are of no use: replaced, so the list stays short.
    const stale = events.findIndex((e) => e.at < now - longest * 1000);
    const event = { change: Math.abs(next - previous), at: now };
    if (stale >= 0) events[stale] = event;
    else events.push(event);
  }

  #history(key: string, current: number, now: number): History {
    this.recordInitial(key, current, now);
    return this.#byKey.get(key)!;
  }

  /** The highest recommendation within the window, this one included; an old one is replaced by this one. */
  #stabilize(history: History, desired: number, now: number): number {
    const cutoff = now - this.downscaleStabilizationMs;
    let highest = desired;
    let old = -1;
    history.recommendations.forEach((r, i) => {
      if (r.at < cutoff) old = i;
      else if (r.replicas > highest) highest = r.replicas;
    });
    record(history, old, desired, now);
    return highest;
  }
}

function record(history: History, oldIndex: number, replicas: number, now: number): void {
  if (oldIndex >= 0) history.recommendations[oldIndex] = { replicas, at: now };
  else history.recommendations.push({ replicas, at: now });
}

function seconds(value: number | undefined | null): number | undefined {
  return value == null ? undefined : value * 1000;
}

function stabilizeWithBehavior(
  history: History,
  args: NormalizeArgs,
  behavior: HorizontalPodAutoscalerBehavior,
  downWindowMs: number,
  now: number,
): { replicas: number; reason: string; message: string } {
  const upCutoff = now - (seconds(behavior.scaleUp?.stabilizationWindowSeconds) ?? 0);
  const downCutoff = now - downWindowMs;
  let up = args.desired;
  let down = args.desired;
  let old = -1;
  history.recommendations.forEach((r, i) => {
    if (r.at > upCutoff) up = Math.min(r.replicas, up);
    if (r.at > downCutoff) down = Math.max(r.replicas, down);
    if (r.at < upCutoff && r.at < downCutoff) old = i;
  });
  const replicas = Math.min(Math.max(args.current, up), down);
  record(history, old, args.desired, now);
  return args.desired >= args.current
    ? { replicas, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
    : { replicas, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
}

/** convertDesiredReplicasWithRules: min, max and the scale-up limit of 2× (at least 4). */
function withinRules(current: number, desired: number, min: number, max: number): [number, { reason: string; message: string }] {
  const scaleUpLimit = Math.max(2 * current, 4);
  const [maxAllowed, limit] =
    max > scaleUpLimit
      ? [scaleUpLimit, { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }]
      : [max, { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' }];
  if (desired < min) return [min, { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' }];
  if (desired > maxAllowed) return [maxAllowed, limit];
  return [desired, WITHIN];
}

/** convertDesiredReplicasWithBehaviorRate: min, max and the policies' rates. */
function withinPolicies(history: History, args: NormalizeArgs, behavior: HorizontalPodAutoscalerBehavior, now: number): [number, { reason: string; message: string }] {
  if (args.desired > args.current) {
    const limit = Math.max(scaleLimit(args.current, history, behavior.scaleUp ?? {}, 'up', now), args.current);
    const [maxAllowed, why] =
      args.maxReplicas > limit
        ? [limit, { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' }]
        : [args.maxReplicas, { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' }];
    if (args.desired > maxAllowed) return [maxAllowed, why];
  } else if (args.desired < args.current) {
    const limit = Math.min(scaleLimit(args.current, history, behavior.scaleDown ?? {}, 'down', now), args.current);
    const [minAllowed, why] =
      args.minReplicas < limit
        ? [limit, { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' }]
        : [args.minReplicas, { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' }];
    if (args.desired < minAllowed) return [minAllowed, why];
  }
  return [args.desired, WITHIN];
}

/** The most (up) or fewest (down) replicas the policies allow now, from the count at the start of each period. */
function scaleLimit(current: number, history: History, rules: HPAScalingRules, direction: 'up' | 'down', now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  // Max picks the policy allowing the biggest change, Min the smallest.
  const biggest = rules.selectPolicy !== 'Min';
  const pick = direction === 'up' ? (biggest ? Math.max : Math.min) : biggest ? Math.min : Math.max;
  let result = direction === 'up' ? (biggest ? -Infinity : Infinity) : biggest ? Infinity : -Infinity;
  for (const policy of rules.policies ?? []) {
    const since = now - policy.periodSeconds * 1000;
    const changed = (events: ScaleEvent[]) => events.filter((e) => e.at > since).reduce((sum, e) => sum + e.change, 0);
    const periodStart = current - changed(history.ups) + changed(history.downs);
    const proposed =
      direction === 'up'
        ? policy.type === 'Pods'
          ? periodStart + policy.value
          : Math.ceil(periodStart * (1 + policy.value / 100))
        : policy.type === 'Pods'
          ? periodStart - policy.value
          : Math.trunc(periodStart * (1 - policy.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

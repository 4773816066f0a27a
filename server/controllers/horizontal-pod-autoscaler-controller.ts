// The HorizontalPodAutoscaler controller (upstream's podautoscaler): every
// sync period (15 s, --horizontal-pod-autoscaler-sync-period) each HPA reads
// its target's scale, works out the replicas its Resource metrics ask for from
// the usage the nodes report (read from memory, not over HTTP), tempers them
// (./hpa-normalization.ts), scales the target through its scale subresource
// and writes the status: current and desired replicas, current metrics and
// the AbleToScale, ScalingActive and ScalingLimited conditions, with
// upstream's reasons, messages and events. Idle, it costs one timer per HPA.
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import type { Catalogue } from '../api/catalogue.js';
import { toScale, writeScale } from '../api/http/scale.js';
import { parseQuantity, type Quantity, formatQuantity } from '../../common/quantity.js';
import { groupVersionOf, type KubeObject, metaTime } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { parseLabelSelector, SelectorError } from '../api/selectors.js';
import { ApiError } from '../api/status.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import { EventRecorder } from './event-recorder.js';
import { DOWNSCALE_STABILIZATION_MS, ScalingHistory } from './hpa-normalization.js';
import { type CalculatorInput, milliValue, type PodMetric, type Proposal, rawResourceReplicas, resourceReplicas } from './replica-calculator.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { writeStatus } from './status-writes.js';

export const DEFAULT_SYNC_PERIOD_MS = 15_000;

export interface HorizontalPodAutoscalerControllerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly metrics: MetricsStore;
  readonly log: Logger;
  readonly syncPeriodMs?: number;
  readonly downscaleStabilizationMs?: number;
  readonly now?: () => number;
}

type HpaObject = KubeObject & HorizontalPodAutoscaler & { spec: NonNullable<HorizontalPodAutoscaler['spec']> };
type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

/** One metric's outcome: a proposal, or why there is none (the ScalingActive condition to set). */
type MetricOutcome = { replicas: number; name: string; status: MetricStatus } | { error: string; condition: { reason: string; message: string } };

export class HorizontalPodAutoscalerController {
  readonly #hpas: SharedInformer;
  readonly #pods: SharedInformer;
  readonly #type: ResourceType;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;
  readonly #history: ScalingHistory;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** The generation each HPA was last queued for: status writes alone do not queue it again. */
  readonly #generations = new Map<string, number | undefined>();

  private constructor(private readonly opts: HorizontalPodAutoscalerControllerOptions) {
    this.#type = opts.catalogue.get('autoscaling', 'v2', 'horizontalpodautoscalers')!;
    this.#hpas = opts.informers.of('autoscaling', 'v2', 'horizontalpodautoscalers');
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'horizontal-pod-autoscaler', opts.log);
    this.#history = new ScalingHistory(opts.downscaleStabilizationMs ?? DOWNSCALE_STABILIZATION_MS);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('could not autoscale', { hpa: key, error: err, retryInMs }),
    );
    this.#hpas.subscribe((key) => this.#changed(key));
  }

  static async start(opts: HorizontalPodAutoscalerControllerOptions): Promise<HorizontalPodAutoscalerController> {
    const controller = new HorizontalPodAutoscalerController(opts);
    await Promise.all([controller.#hpas.start(), controller.#pods.start()]);
    return controller;
  }

  async close(): Promise<void> {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await this.#queue.close();
  }

  async reconcile(key: string): Promise<void> {
    const hpa = this.#hpas.get(key) as HpaObject | undefined;
    if (hpa === undefined) {
      this.#history.forget(key);
      clearTimeout(this.#timers.get(key));
      this.#timers.delete(key);
      return;
    }
    this.#scheduleNext(key);
    // Nothing to scale: an HPA stored before the API validated them.
    if (hpa.spec?.scaleTargetRef?.name === undefined || typeof hpa.spec.maxReplicas !== 'number') return;
    const now = this.#now();
    const status: HorizontalPodAutoscalerStatus = structuredClone(hpa.status ?? { desiredReplicas: 0 });
    const setCondition = (type: ConditionType, value: 'True' | 'False', reason: string, message: string) => {
      status.conditions = withCondition(status.conditions ?? [], type, value, reason, message, now);
    };
    const ref = hpa.spec.scaleTargetRef;
    const namespace = hpa.metadata.namespace!;

    // ---- The target's scale ----
    const target = await this.#target(ref, namespace);
    if ('error' in target) {
      this.#events.record(hpa, 'Warning', 'FailedGetScale', target.error);
      setCondition('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${target.error}`);
      return this.#writeStatus(hpa, status);
    }
    const scale = toScale(target.object) as ReturnType<typeof toScale> & { status: { replicas: number; selector: string } };
    setCondition('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const current = scale.spec!.replicas!;
    this.#history.recordInitial(key, current, now);
    const minReplicas = hpa.spec.minReplicas ?? 1;
    const maxReplicas = hpa.spec.maxReplicas;

    let desired = 0;
    let reason = '';
    let rescale = true;
    let metricStatuses: MetricStatus[] | undefined;
    if (current === 0 && minReplicas !== 0) {
      // Scaled to zero by hand: autoscaling is off.
      rescale = false;
      setCondition('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (current > maxReplicas) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (current < minReplicas) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const computed = this.#computeReplicas(hpa, scale.status.selector, current, now, setCondition);
      metricStatuses = computed.statuses;
      if (computed.replicas === -1) {
        status.currentReplicas = current;
        if (metricStatuses !== undefined) status.currentMetrics = metricStatuses;
        await this.#writeStatus(hpa, status);
        this.#events.record(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error!);
        return;
      }
      desired = computed.replicas;
      if (desired > current) reason = `${computed.metric} above target`;
      if (desired < current) reason = 'All metrics below target';
      const normalized = this.#history.normalize(key, { behavior: hpa.spec.behavior, minReplicas, maxReplicas, current, desired }, now);
      setCondition('AbleToScale', 'True', normalized.able.reason, normalized.able.message);
      setCondition('ScalingLimited', normalized.limited.status, normalized.limited.reason, normalized.limited.message);
      desired = normalized.replicas;
      rescale = desired !== current;
    }

    if (rescale) {
      try {
        await writeScale(this.opts.registry, target.type, namespace, ref.name, { kind: 'replace', scale: { ...scale, spec: { replicas: desired } } }, { manager: { name: 'kube-controller-manager', subresource: 'scale' } });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.#events.record(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${message}`);
        setCondition('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${message}`);
        status.currentReplicas = current;
        if (metricStatuses !== undefined) status.currentMetrics = metricStatuses;
        return this.#writeStatus(hpa, status);
      }
      setCondition('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      this.#events.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.#history.recordScale(key, hpa.spec.behavior, current, desired, now);
      this.opts.log.info('rescaled', { hpa: key, from: current, to: desired, reason });
    } else {
      desired = current;
    }
    const next: HorizontalPodAutoscalerStatus = {
      ...(current !== 0 ? { currentReplicas: current } : {}),
      desiredReplicas: desired,
      ...(rescale ? { lastScaleTime: metaTime(new Date(now)) } : status.lastScaleTime !== undefined ? { lastScaleTime: status.lastScaleTime } : {}),
      ...(metricStatuses !== undefined && metricStatuses.length > 0 ? { currentMetrics: metricStatuses } : {}),
      ...(status.conditions !== undefined ? { conditions: status.conditions } : {}),
    };
    await this.#writeStatus(hpa, next);
  }

  /** The largest proposal of the HPA's metrics, or -1 with the first error when none (or a scale-down with some failing) can be trusted. */
  #computeReplicas(
    hpa: HpaObject,
    selectorText: string,
    current: number,
    now: number,
    setCondition: (type: ConditionType, value: 'True' | 'False', reason: string, message: string) => void,
  ): { replicas: number; metric?: string; statuses?: MetricStatus[]; error?: string } {
    if (selectorText === '') {
      this.#events.record(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      setCondition('ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      return { replicas: -1, error: 'selector is required' };
    }
    let pods: Pod[];
    try {
      const selector = parseLabelSelector(selectorText);
      const namespace = hpa.metadata.namespace;
      pods = [...this.#pods.values()].filter((p) => p.metadata.namespace === namespace && selector.matches(p.metadata.labels)) as unknown as Pod[];
    } catch (err) {
      if (!(err instanceof SelectorError)) throw err;
      const message = `couldn't convert selector into a corresponding internal selector object: ${err.message}`;
      this.#events.record(hpa, 'Warning', 'InvalidSelector', message);
      setCondition('ScalingActive', 'False', 'InvalidSelector', message);
      return { replicas: -1, error: message };
    }
    // The API fills in the default metric (cpu at 80%) when an HPA names none.
    const specs = hpa.spec.metrics ?? [];
    const statuses: MetricStatus[] = [];
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let first: Extract<MetricOutcome, { error: string }> | undefined;
    for (const spec of specs) {
      const outcome = this.#computeMetric(hpa, spec, pods, current, now);
      if ('error' in outcome) {
        // Upstream keeps an empty status in its place, so statuses line up with the specs.
        statuses.push({ type: '' } as MetricStatus);
        invalid++;
        first ??= outcome;
        continue;
      }
      statuses.push(outcome.status);
      if (replicas === 0 || outcome.replicas > replicas) {
        replicas = outcome.replicas;
        metric = outcome.name;
      }
    }
    const error = first === undefined ? undefined : `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.error}`;
    if (first !== undefined && (invalid >= specs.length || replicas < current)) {
      setCondition('ScalingActive', 'False', first.condition.reason, first.condition.message);
      return { replicas: -1, statuses, error: error! };
    }
    setCondition('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`);
    return { replicas, metric, statuses };
  }

  #computeMetric(hpa: HpaObject, spec: MetricSpec, pods: readonly Pod[], current: number, now: number): MetricOutcome {
    const unable = (reason: string, err: string, wrapped: string): MetricOutcome => {
      this.#events.record(hpa, 'Warning', reason, err);
      return { error: wrapped, condition: { reason, message: `the HPA was unable to compute the replica count: ${err}` } };
    };
    if (spec.type !== 'Resource' || spec.resource === undefined) {
      // Only the resource metrics API is served here: custom and external metrics are not.
      const reason = { Pods: 'FailedGetPodsMetric', Object: 'FailedGetObjectMetric', External: 'FailedGetExternalMetric', ContainerResource: 'FailedGetContainerResourceMetric' }[spec.type] ?? 'InvalidMetricSourceType';
      const err = reason === 'InvalidMetricSourceType' ? `unknown metric source type "${spec.type}"` : `unable to fetch ${spec.type} metrics: the server could not find the requested resource`;
      return unable(reason, err, err);
    }
    const resource = spec.resource.name;
    const target = spec.resource.target;
    const wrap = (err: string) => `failed to get ${resource} resource metric value: ${err}`;
    try {
      const input = (): CalculatorInput => ({ currentReplicas: current, resource, metrics: this.#podMetrics(hpa.metadata.namespace!, pods, resource), pods, now });
      let proposal: Proposal;
      let name: string;
      if (target.averageValue !== undefined) {
        try {
          proposal = rawResourceReplicas(input(), milliValue(quantityOf(target.averageValue)));
        } catch (err) {
          throw new Error(`failed to get ${resource} usage: ${(err as Error).message}`);
        }
        name = `${resource} resource`;
      } else if (target.averageUtilization !== undefined) {
        try {
          proposal = resourceReplicas(input(), target.averageUtilization);
        } catch (err) {
          throw new Error(`failed to get ${resource} utilization: ${(err as Error).message}`);
        }
        name = `${resource} resource utilization (percentage of request)`;
      } else {
        throw new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
      }
      const averageValue = formatQuantity({ value: BigInt(proposal.rawAverage), scale: -3, format: 'DecimalSI' });
      const value = proposal.utilization === undefined ? { averageValue } : { averageUtilization: proposal.utilization, averageValue };
      return { replicas: proposal.replicas, name, status: { type: 'Resource', resource: { name: resource, current: value } } };
    } catch (err) {
      const message = (err as Error).message;
      return unable('FailedGetResourceMetric', message, wrap(message));
    }
  }

  /** The pods' usage of `resource` (milli-units), as the metrics API lists it: Running pods with a sample of every container. */
  #podMetrics(namespace: string, pods: readonly Pod[], resource: string): Map<string, PodMetric> {
    const metrics = new Map<string, PodMetric>();
    let listed = 0;
    for (const pod of pods) {
      if (pod.status?.phase !== 'Running') continue;
      const sample = this.opts.metrics.pod(namespace, pod.metadata!.name!);
      if (sample === undefined || sample.uid !== pod.metadata!.uid) continue;
      listed++;
      if (resource !== 'cpu' && resource !== 'memory') continue;
      const value = sample.containers.reduce(
        (sum, c) => sum + (resource === 'cpu' ? Math.ceil(c.usage.cpuNanoCores / 1_000_000) : c.usage.memoryWorkingSetBytes * 1000),
        0,
      );
      metrics.set(pod.metadata!.name!, { value, timestampMs: sample.timestampMs, windowMs: sample.windowNs / 1_000_000 });
    }
    if (listed === 0) throw new Error(`unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`);
    return metrics;
  }

  /** The scale target's type (any version of its group and kind with a scale subresource) and object. */
  async #target(ref: HpaObject['spec']['scaleTargetRef'], namespace: string): Promise<{ type: ResourceType; object: KubeObject } | { error: string }> {
    const { group } = groupVersionOf(ref.apiVersion ?? '');
    const type = this.opts.catalogue.all().find((t) => t.group === group && t.kind === ref.kind && t.subresources.some((s) => s.name === 'scale'));
    if (type === undefined) return { error: `no matches for kind "${ref.kind}" in group "${group}"` };
    try {
      return { type, object: await this.opts.registry.get(type, namespace, ref.name) };
    } catch (err) {
      if (err instanceof ApiError) return { error: err.message };
      throw err;
    }
  }

  async #writeStatus(hpa: HpaObject, status: HorizontalPodAutoscalerStatus): Promise<void> {
    await writeStatus({ registry: this.opts.registry, type: this.#type, informer: this.#hpas }, hpa, status);
  }

  #changed(key: string): void {
    const hpa = this.#hpas.get(key);
    const generation = hpa?.metadata.generation;
    // New, changed in its spec, or gone; its own status writes wait for the next sync.
    if (hpa !== undefined && this.#generations.has(key) && this.#generations.get(key) === generation) return;
    if (hpa === undefined) this.#generations.delete(key);
    else this.#generations.set(key, generation);
    this.#queue.add(key);
  }

  #scheduleNext(key: string): void {
    if (this.#timers.has(key)) return;
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.#queue.add(key);
    }, this.opts.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS);
    timer.unref();
    this.#timers.set(key, timer);
  }

  #now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

/** setCondition: the transition time changes only with the status. */
function withCondition(
  conditions: readonly HorizontalPodAutoscalerCondition[],
  type: ConditionType,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: number,
): HorizontalPodAutoscalerCondition[] {
  const existing = conditions.find((c) => c.type === type);
  const next: HorizontalPodAutoscalerCondition = {
    type,
    status,
    lastTransitionTime: existing !== undefined && existing.status === status && existing.lastTransitionTime !== undefined ? existing.lastTransitionTime : metaTime(new Date(now)),
    reason,
    message,
  };
  return existing === undefined ? [...conditions, next] : conditions.map((c) => (c === existing ? next : c));
}

function quantityOf(value: string | number): Quantity {
  const parsed = parseQuantity(value);
  if (typeof parsed === 'string') throw new Error(`invalid quantity ${JSON.stringify(value)}: ${parsed}`);
  return parsed;
}

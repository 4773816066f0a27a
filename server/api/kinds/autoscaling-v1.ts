// autoscaling/v1 HorizontalPodAutoscalers, served from the stored
// autoscaling/v2 ones with upstream's conversion (pkg/apis/autoscaling/v1/
// conversion.go): targetCPUUtilizationPercentage is the first cpu
// Utilization metric, and what v1 cannot say (the other metrics, the current
// metrics, the conditions, the behavior) travels in annotations, so that a v1
// read-modify-write keeps it. The annotations hold v1's own metric types
// (targetAverageValue, metricName, …) and the behavior as upstream's internal
// type marshals it (Go field names).
import type { HorizontalPodAutoscalerStatus as V1Status } from 'kubernetes-types/autoscaling/v1.js';
import type {
  CrossVersionObjectReference,
  HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerSpec,
  HorizontalPodAutoscalerStatus,
  HPAScalingRules,
  MetricSpec,
  MetricStatus,
} from 'kubernetes-types/autoscaling/v2.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { KubeObject, ObjectMeta } from '../objects.js';
import type { VersionConversion } from '../registry/registry.js';
import { cpuUtilization, DEFAULT_CPU_UTILIZATION, type HpaObject } from './autoscaling.js';
import { decodeError } from './field-errors.js';

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP_ANNOTATIONS = [METRIC_SPECS_ANNOTATION, BEHAVIOR_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION];

type Quantity = string;

/** v1's MetricSpec, as the metrics annotation holds it (fields in Go's order). */
export interface V1MetricSpec {
  type: string;
  object?: { target: CrossVersionObjectReference; metricName: string; targetValue: Quantity; selector?: LabelSelector; averageValue?: Quantity };
  pods?: { metricName: string; targetAverageValue: Quantity; selector?: LabelSelector };
  resource?: { name: string; targetAverageUtilization?: number; targetAverageValue?: Quantity };
  containerResource?: { name: string; targetAverageUtilization?: number; targetAverageValue?: Quantity; container: string };
  external?: { metricName: string; metricSelector?: LabelSelector; targetValue?: Quantity; targetAverageValue?: Quantity };
}

/** v1's MetricStatus, as the current-metrics annotation holds it. */
export interface V1MetricStatus {
  type: string;
  object?: { target: CrossVersionObjectReference; metricName: string; currentValue: Quantity; selector?: LabelSelector; averageValue?: Quantity };
  pods?: { metricName: string; currentAverageValue: Quantity; selector?: LabelSelector };
  resource?: { name: string; currentAverageUtilization?: number; currentAverageValue: Quantity };
  containerResource?: { name: string; currentAverageUtilization?: number; currentAverageValue: Quantity; container: string };
  external?: { metricName: string; metricSelector?: LabelSelector; currentValue: Quantity; currentAverageValue?: Quantity };
}

interface V1Spec {
  scaleTargetRef: CrossVersionObjectReference;
  minReplicas?: number;
  maxReplicas: number;
  targetCPUUtilizationPercentage?: number;
}

type V1Hpa = KubeObject & { spec?: V1Spec; status?: V1Status };

export const autoscalingV1: VersionConversion = { toStored: v1ToV2, fromStored: v2ToV1 };

/** Convert_v1_HorizontalPodAutoscaler_To_autoscaling_HorizontalPodAutoscaler. */
export function v1ToV2(obj: KubeObject): KubeObject {
  const hpa = obj as V1Hpa;
  const annotations = hpa.metadata.annotations ?? {};
  const spec = hpa.spec;
  const metrics: MetricSpec[] = (annotationList<V1MetricSpec>(obj, METRIC_SPECS_ANNOTATION, 'v1.MetricSpec') ?? []).map(metricSpecToV2);
  // The other metrics first, then the cpu target: upstream's order.
  if (spec?.targetCPUUtilizationPercentage != null) metrics.push(cpuUtilization(spec.targetCPUUtilizationPercentage));
  // autoscaling/v1's implicit default, made explicit here where the annotation's metrics are known.
  if (metrics.length === 0) metrics.push(cpuUtilization(DEFAULT_CPU_UTILIZATION));
  const v2Spec: HorizontalPodAutoscalerSpec = {
    scaleTargetRef: { ...(spec?.scaleTargetRef ?? { kind: '', name: '' }) },
    ...(spec?.minReplicas != null ? { minReplicas: spec.minReplicas } : {}),
    maxReplicas: spec?.maxReplicas ?? 0,
    metrics,
  };
  const behavior = behaviorOf(annotations[BEHAVIOR_ANNOTATION]);
  if (behavior !== undefined) v2Spec.behavior = behavior;

  const status = hpa.status;
  const v2Status: HorizontalPodAutoscalerStatus = {
    ...(status?.observedGeneration != null ? { observedGeneration: status.observedGeneration } : {}),
    ...(status?.lastScaleTime != null ? { lastScaleTime: status.lastScaleTime } : {}),
    ...(status?.currentReplicas ? { currentReplicas: status.currentReplicas } : {}),
    desiredReplicas: status?.desiredReplicas ?? 0,
  };
  const current = annotationList<V1MetricStatus>(obj, METRIC_STATUSES_ANNOTATION, 'v1.MetricStatus');
  if (current !== undefined) v2Status.currentMetrics = current.map(metricStatusToV2);
  else if (status?.currentCPUUtilizationPercentage != null) {
    v2Status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
  }
  const conditions = annotationList<HorizontalPodAutoscalerCondition>(obj, CONDITIONS_ANNOTATION, 'v1.HorizontalPodAutoscalerCondition');
  if (conditions !== undefined) v2Status.conditions = conditions.map((c) => ({ ...c }));

  return { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: withoutRoundTrip(hpa.metadata), spec: v2Spec, status: v2Status };
}

/** Convert_autoscaling_HorizontalPodAutoscaler_To_v1_HorizontalPodAutoscaler. */
export function v2ToV1(obj: KubeObject): KubeObject {
  const hpa = obj as HpaObject;
  const metadata = withoutRoundTrip(hpa.metadata);
  const added: Record<string, string> = {};
  const spec = hpa.spec ?? ({} as HorizontalPodAutoscalerSpec);
  const metrics = spec.metrics ?? [];
  const cpu = metrics.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const others = metrics.filter((m) => !(m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target?.averageUtilization != null));
  if (others.length > 0) added[METRIC_SPECS_ANNOTATION] = JSON.stringify(others.map(metricSpecToV1));
  const status = hpa.status ?? { desiredReplicas: 0 };
  const current = status.currentMetrics ?? [];
  if (current.length > 0) added[METRIC_STATUSES_ANNOTATION] = JSON.stringify(current.map(metricStatusToV1));
  if ((status.conditions ?? []).length > 0) added[CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions!.map(conditionToV1));
  if (spec.behavior != null) added[BEHAVIOR_ANNOTATION] = JSON.stringify(internalBehavior(spec.behavior));
  if (Object.keys(added).length > 0) metadata.annotations = { ...metadata.annotations, ...added };

  const target = cpu?.resource?.target?.averageUtilization;
  const v1Spec: V1Spec = {
    scaleTargetRef: { ...spec.scaleTargetRef },
    ...(spec.minReplicas != null ? { minReplicas: spec.minReplicas } : {}),
    maxReplicas: spec.maxReplicas,
    ...(target != null ? { targetCPUUtilizationPercentage: target } : {}),
  };
  // The last cpu utilization among the current metrics, as upstream's loop leaves it.
  const utilization = current.filter((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.current?.averageUtilization != null).at(-1);
  const v1Status: V1Status = {
    ...(status.observedGeneration != null ? { observedGeneration: status.observedGeneration } : {}),
    ...(status.lastScaleTime != null ? { lastScaleTime: status.lastScaleTime } : {}),
    currentReplicas: status.currentReplicas ?? 0,
    desiredReplicas: status.desiredReplicas ?? 0,
    ...(utilization !== undefined ? { currentCPUUtilizationPercentage: utilization.resource!.current.averageUtilization! } : {}),
  };
  return { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata, spec: v1Spec, status: v1Status };
}

/** DropRoundTripHorizontalPodAutoscalerAnnotations, on a copy. */
function withoutRoundTrip(meta: ObjectMeta): ObjectMeta {
  const copy = structuredClone(meta);
  if (copy.annotations === undefined) return copy;
  for (const key of ROUND_TRIP_ANNOTATIONS) delete copy.annotations[key];
  if (Object.keys(copy.annotations).length === 0) delete copy.annotations;
  return copy;
}

/** The list an annotation holds, or undefined without it; JSON that is not a list of objects fails the request, as upstream's decoding does. */
function annotationList<T>(owner: KubeObject, key: string, goType: string): T[] | undefined {
  const text = owner.metadata.annotations?.[key];
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw decodeError(owner, `annotation ${key}: ${(err as Error).message}`);
  }
  if (value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw decodeError(owner, `annotation ${key}: json: cannot unmarshal ${JSON.stringify(value)} into Go value of type []${goType}`);
  }
  return value as T[];
}

// --- metric specs -----------------------------------------------------------

function metricSpecToV2(m: V1MetricSpec): MetricSpec {
  const out: MetricSpec = { type: m.type };
  if (m.object != null) {
    const o = m.object;
    out.object = {
      describedObject: { ...o.target },
      target: { type: o.averageValue == null ? 'Value' : 'AverageValue', value: o.targetValue ?? '0', ...opt('averageValue', o.averageValue) },
      metric: { name: o.metricName ?? '', ...opt('selector', o.selector) },
    };
  }
  if (m.pods != null) {
    out.pods = { metric: { name: m.pods.metricName ?? '', ...opt('selector', m.pods.selector) }, target: { type: 'AverageValue', averageValue: m.pods.targetAverageValue ?? '0' } };
  }
  if (m.resource != null) out.resource = { name: m.resource.name ?? '', target: resourceTarget(m.resource) };
  if (m.containerResource != null) {
    const c = m.containerResource;
    out.containerResource = { name: c.name ?? '', target: resourceTarget(c), container: c.container ?? '' };
  }
  if (m.external != null) {
    const e = m.external;
    out.external = {
      metric: { name: e.metricName ?? '', ...opt('selector', e.metricSelector) },
      target: { type: e.targetValue == null ? 'AverageValue' : 'Value', ...opt('value', e.targetValue), ...opt('averageValue', e.targetAverageValue) },
    };
  }
  return out;
}

function resourceTarget(r: { targetAverageUtilization?: number; targetAverageValue?: Quantity }): NonNullable<MetricSpec['resource']>['target'] {
  return {
    type: r.targetAverageUtilization == null ? 'AverageValue' : 'Utilization',
    ...opt('averageValue', r.targetAverageValue),
    ...opt('averageUtilization', r.targetAverageUtilization),
  };
}

function metricSpecToV1(m: MetricSpec): V1MetricSpec {
  const out: V1MetricSpec = { type: m.type };
  if (m.object != null) {
    const o = m.object;
    out.object = {
      target: { ...o.describedObject },
      metricName: o.metric?.name ?? '',
      targetValue: String(o.target?.value ?? '0'),
      ...opt('selector', o.metric?.selector),
      ...opt('averageValue', str(o.target?.averageValue)),
    };
  }
  if (m.pods != null) {
    out.pods = { metricName: m.pods.metric?.name ?? '', targetAverageValue: String(m.pods.target?.averageValue ?? '0'), ...opt('selector', m.pods.metric?.selector) };
  }
  if (m.resource != null) {
    const t = m.resource.target;
    out.resource = { name: m.resource.name, ...opt('targetAverageUtilization', t?.averageUtilization), ...opt('targetAverageValue', str(t?.averageValue)) };
  }
  if (m.containerResource != null) {
    const c = m.containerResource;
    out.containerResource = {
      name: c.name,
      ...opt('targetAverageUtilization', c.target?.averageUtilization),
      ...opt('targetAverageValue', str(c.target?.averageValue)),
      container: c.container,
    };
  }
  if (m.external != null) {
    const e = m.external;
    out.external = {
      metricName: e.metric?.name ?? '',
      ...opt('metricSelector', e.metric?.selector),
      ...opt('targetValue', str(e.target?.value)),
      ...opt('targetAverageValue', str(e.target?.averageValue)),
    };
  }
  return out;
}

// --- metric statuses --------------------------------------------------------

function metricStatusToV2(m: V1MetricStatus): MetricStatus {
  const out: MetricStatus = { type: m.type };
  if (m.object != null) {
    const o = m.object;
    out.object = {
      metric: { name: o.metricName ?? '', ...opt('selector', o.selector) },
      current: { value: o.currentValue ?? '0', ...opt('averageValue', o.averageValue) },
      describedObject: { ...o.target },
    };
  }
  if (m.pods != null) out.pods = { metric: { name: m.pods.metricName ?? '', ...opt('selector', m.pods.selector) }, current: { averageValue: m.pods.currentAverageValue ?? '0' } };
  if (m.resource != null) {
    const r = m.resource;
    out.resource = { name: r.name ?? '', current: { averageValue: r.currentAverageValue ?? '0', ...opt('averageUtilization', r.currentAverageUtilization) } };
  }
  if (m.containerResource != null) {
    const c = m.containerResource;
    out.containerResource = {
      name: c.name ?? '',
      current: { averageValue: c.currentAverageValue ?? '0', ...opt('averageUtilization', c.currentAverageUtilization) },
      container: c.container ?? '',
    };
  }
  if (m.external != null) {
    const e = m.external;
    out.external = { metric: { name: e.metricName ?? '', ...opt('selector', e.metricSelector) }, current: { value: e.currentValue ?? '0', ...opt('averageValue', e.currentAverageValue) } };
  }
  return out;
}

function metricStatusToV1(m: MetricStatus): V1MetricStatus {
  const out: V1MetricStatus = { type: m.type };
  if (m.object != null) {
    const o = m.object;
    out.object = {
      target: { ...o.describedObject },
      metricName: o.metric?.name ?? '',
      currentValue: String(o.current?.value ?? '0'),
      ...opt('selector', o.metric?.selector),
      ...opt('averageValue', str(o.current?.averageValue)),
    };
  }
  if (m.pods != null) out.pods = { metricName: m.pods.metric?.name ?? '', currentAverageValue: String(m.pods.current?.averageValue ?? '0'), ...opt('selector', m.pods.metric?.selector) };
  if (m.resource != null) {
    const c = m.resource.current;
    out.resource = { name: m.resource.name, ...opt('currentAverageUtilization', c?.averageUtilization), currentAverageValue: String(c?.averageValue ?? '0') };
  }
  if (m.containerResource != null) {
    const c = m.containerResource;
    out.containerResource = {
      name: c.name,
      ...opt('currentAverageUtilization', c.current?.averageUtilization),
      currentAverageValue: String(c.current?.averageValue ?? '0'),
      container: c.container,
    };
  }
  if (m.external != null) {
    const e = m.external;
    out.external = {
      metricName: e.metric?.name ?? '',
      ...opt('metricSelector', e.metric?.selector),
      currentValue: String(e.current?.value ?? '0'),
      ...opt('currentAverageValue', str(e.current?.averageValue)),
    };
  }
  return out;
}

function conditionToV1(c: HorizontalPodAutoscalerCondition): HorizontalPodAutoscalerCondition {
  return {
    type: c.type,
    status: c.status,
    ...opt('lastTransitionTime', c.lastTransitionTime),
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
  };
}

// --- behavior ----------------------------------------------------------------

interface InternalRules {
  StabilizationWindowSeconds: number | null;
  SelectPolicy: string | null;
  Policies: { Type: string; Value: number; PeriodSeconds: number }[] | null;
}

/** The internal type's JSON (it has no json tags): Go field names, nil pointers as null. */
function internalBehavior(b: HorizontalPodAutoscalerBehavior): { ScaleUp: InternalRules | null; ScaleDown: InternalRules | null } {
  const rules = (r: HPAScalingRules | undefined | null): InternalRules | null =>
    r == null
      ? null
      : {
          StabilizationWindowSeconds: r.stabilizationWindowSeconds ?? null,
          SelectPolicy: r.selectPolicy ?? null,
          Policies: r.policies?.map((p) => ({ Type: p.type, Value: p.value, PeriodSeconds: p.periodSeconds })) ?? null,
        };
  return { ScaleUp: rules(b.scaleUp), ScaleDown: rules(b.scaleDown) };
}

/** The behavior annotation, read as Go's json.Unmarshal reads it (field names in any case); an empty or malformed one is ignored, as upstream does. */
function behaviorOf(text: string | undefined): HorizontalPodAutoscalerBehavior | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const up = rulesOf(field(value, 'scaleUp'));
  const down = rulesOf(field(value, 'scaleDown'));
  if (up === undefined && down === undefined) return undefined;
  return { ...(up !== undefined ? { scaleUp: up } : {}), ...(down !== undefined ? { scaleDown: down } : {}) };
}

function rulesOf(value: unknown): HPAScalingRules | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const out: HPAScalingRules = {};
  const window = field(value, 'stabilizationWindowSeconds');
  const select = field(value, 'selectPolicy');
  const policies = field(value, 'policies');
  if (typeof window === 'number') out.stabilizationWindowSeconds = window;
  if (typeof select === 'string') out.selectPolicy = select;
  if (Array.isArray(policies)) {
    out.policies = policies.map((p) => ({ type: String(field(p, 'type') ?? ''), value: Number(field(p, 'value') ?? 0), periodSeconds: Number(field(p, 'periodSeconds') ?? 0) }));
  }
  return out;
}

/** A JSON object's field, its name matched without regard to case (Go's decoder). */
function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const key = Object.keys(value).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (value as Record<string, unknown>)[key];
}

function opt<K extends string, V>(key: K, value: V | undefined | null): { [P in K]?: V } {
  return (value == null ? {} : { [key]: value }) as { [P in K]?: V };
}

function str(value: string | number | undefined | null): string | undefined {
  return value == null ? undefined : String(value);
}

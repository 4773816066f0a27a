// HorizontalPodAutoscalers in their stored version, autoscaling/v2: the
// defaults (pkg/apis/autoscaling/v2/defaults.go) and the validation
// (pkg/apis/autoscaling/validation) of Kubernetes 1.31, with the
// HPAScaleToZero feature gate off. Create cannot set the status.
import type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerSpec,
  HPAScalingPolicy,
  HPAScalingRules,
  MetricIdentifier,
  MetricSpec,
  MetricTarget,
} from 'kubernetes-types/autoscaling/v2.js';
import type { KubeObject } from '../objects.js';
import { checkName, pathSegmentErrors } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { decodeError, forbidden, invalid, notSupported, pointerValue, quote, required } from './field-errors.js';
import { validateQualifiedName } from './labels.js';
import { formatQuantity, parseQuantity } from '../../../common/quantity.js';

export type HpaObject = KubeObject & HorizontalPodAutoscaler & { spec: HorizontalPodAutoscalerSpec };

/** autoscaling.DefaultCPUUtilization: the target when an HPA names no metric. */
export const DEFAULT_CPU_UTILIZATION = 80;

/** MaxPeriodSeconds and MaxStabilizationWindowSeconds. */
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

// The behavior filled in when an HPA gives one: "these repeat the previous HPA behavior".
// Scale-down's window stays unset: the controller's --horizontal-pod-autoscaler-downscale-stabilization decides it.
const SCALE_UP: HPAScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const SCALE_DOWN: HPAScalingRules = { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SELECT_POLICIES = ['Disabled', 'Max', 'Min'];
const POLICY_TYPES = ['Percent', 'Pods'];

/** A Resource metric on average cpu utilization. */
export function cpuUtilization(percent: number): MetricSpec {
  return { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: percent } } };
}

export const horizontalPodAutoscalerRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const hpa = obj as HpaObject;
    const spec = (hpa.spec ??= {} as HorizontalPodAutoscalerSpec);
    spec.minReplicas ??= 1;
    if (!spec.metrics?.length) spec.metrics = [cpuUtilization(DEFAULT_CPU_UTILIZATION)];
    for (const metric of spec.metrics) canonicalQuantities(obj, metric);
    if (spec.behavior != null) {
      spec.behavior.scaleUp = withDefaults(spec.behavior.scaleUp, SCALE_UP);
      spec.behavior.scaleDown = withDefaults(spec.behavior.scaleDown, SCALE_DOWN);
    } else delete spec.behavior;
    if (old === undefined) hpa.status = { desiredReplicas: 0 };
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const spec = (obj as HpaObject).spec;
    // An HPA already at 0 (made while the gate was on) may stay there.
    const lowest = old !== undefined && (old as HpaObject).spec?.minReplicas === 0 ? 0 : 1;
    return validateSpec(spec, lowest);
  },
};

/** The behavior's defaults in every field the HPA leaves unset (copyHPAScalingRules). */
function withDefaults(rules: HPAScalingRules | undefined | null, defaults: HPAScalingRules): HPAScalingRules {
  const out = structuredClone(defaults);
  if (rules == null) return out;
  if (rules.selectPolicy != null) out.selectPolicy = rules.selectPolicy;
  if (rules.stabilizationWindowSeconds != null) out.stabilizationWindowSeconds = rules.stabilizationWindowSeconds;
  if (rules.policies != null) out.policies = rules.policies;
  return out;
}

/** Quantities as upstream writes them back (canonical form); one that does not parse is a decode error. */
function canonicalQuantities(owner: KubeObject, metric: MetricSpec): void {
  for (const target of [metric.object?.target, metric.pods?.target, metric.resource?.target, metric.containerResource?.target, metric.external?.target]) {
    if (target == null) continue;
    for (const field of ['value', 'averageValue'] as const) {
      const value = target[field];
      if (value == null) continue;
      const q = parseQuantity(value);
      if (typeof q === 'string') throw decodeError(owner, q);
      target[field] = formatQuantity(q);
    }
  }
}

function validateSpec(spec: HorizontalPodAutoscalerSpec, lowest: number): StatusCause[] {
  const causes: StatusCause[] = [];
  const min = spec.minReplicas;
  const max = spec.maxReplicas ?? 0;
  if (min != null && min < lowest) causes.push(invalid('spec.minReplicas', String(min), `must be greater than or equal to ${lowest}`));
  if (max < 1) causes.push(invalid('spec.maxReplicas', String(max), 'must be greater than 0'));
  if (min != null && max < min) causes.push(invalid('spec.maxReplicas', String(max), 'must be greater than or equal to `minReplicas`'));
  causes.push(...validateReference(spec.scaleTargetRef ?? { kind: '', name: '' }, 'spec.scaleTargetRef'));
  causes.push(...validateMetrics(spec.metrics ?? [], 'spec.metrics', min));
  causes.push(...validateBehavior(spec.behavior, 'spec.behavior'));
  return causes;
}

/** ValidateCrossVersionObjectReference. */
function validateReference(ref: { kind?: string; name?: string }, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['kind', 'name'] as const) {
    const value = ref[field] ?? '';
    if (value === '') causes.push(required(`${path}.${field}`));
    else for (const msg of pathSegmentErrors(value)) causes.push(invalid(`${path}.${field}`, quote(value), msg));
  }
  return causes;
}

function validateMetrics(metrics: readonly MetricSpec[], path: string, minReplicas: number | undefined | null): StatusCause[] {
  const causes = metrics.flatMap((m, i) => validateMetricSpec(m, `${path}[${i}]`));
  if (minReplicas === 0 && !metrics.some((m) => m.type === 'Object' || m.type === 'External')) {
    causes.push(forbidden(path, 'must specify at least one Object or External metric to support scaling to zero replicas'));
  }
  return causes;
}

function validateMetricSpec(spec: MetricSpec, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const type = spec.type ?? '';
  if (type === '') causes.push(required(`${path}.type`, 'must specify a metric source type'));
  if (!METRIC_SOURCE_TYPES.includes(type)) causes.push(notSupported(`${path}.type`, quote(type), METRIC_SOURCE_TYPES));
  // Only the first source present is checked; the others are forbidden below.
  const present: string[] = [];
  const check = (field: string, source: unknown, validate: () => StatusCause[]) => {
    if (source == null) return;
    present.push(field);
    if (present.length === 1) causes.push(...validate());
  };
  check('object', spec.object, () => validateObjectSource(spec.object!, `${path}.object`));
  check('external', spec.external, () => validateExternalSource(spec.external!, `${path}.external`));
  check('pods', spec.pods, () => validatePodsSource(spec.pods!, `${path}.pods`));
  check('resource', spec.resource, () => validateResourceSource(spec.resource!, `${path}.resource`));
  check('containerResource', spec.containerResource, () => validateContainerResourceSource(spec.containerResource!, `${path}.containerResource`));
  const expected = { Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' }[type];
  if (expected === undefined) causes.push(notSupported(`${path}.type`, quote(type), METRIC_SOURCE_TYPES));
  else if (!present.includes(expected)) causes.push(required(`${path}.${expected}`, 'must populate information for the given metric source'));
  if (present.length !== 1) {
    // Go ranges over a set here: sorted, so messages are stable.
    for (const field of present.filter((f) => f !== expected).sort()) causes.push(forbidden(`${path}.${field}`, 'must populate the given metric source only'));
  }
  return causes;
}

function validateObjectSource(src: NonNullable<MetricSpec['object']>, path: string): StatusCause[] {
  const causes = [
    ...validateReference(src.describedObject ?? {}, `${path}.describedObject`),
    ...validateMetricIdentifier(src.metric, `${path}.metric`),
    ...validateMetricTarget(src.target, `${path}.target`),
  ];
  if (src.target?.value == null && src.target?.averageValue == null) causes.push(required(`${path}.target.averageValue`, 'must set either a target value or averageValue'));
  return causes;
}

function validateExternalSource(src: NonNullable<MetricSpec['external']>, path: string): StatusCause[] {
  const causes = [...validateMetricIdentifier(src.metric, `${path}.metric`), ...validateMetricTarget(src.target, `${path}.target`)];
  const { value, averageValue } = src.target ?? {};
  if (value == null && averageValue == null) causes.push(required(`${path}.target.averageValue`, 'must set either a target value for metric or a per-pod target'));
  if (value != null && averageValue != null) causes.push(forbidden(`${path}.target.value`, 'may not set both a target value for metric and a per-pod target'));
  return causes;
}

function validatePodsSource(src: NonNullable<MetricSpec['pods']>, path: string): StatusCause[] {
  const causes = [...validateMetricIdentifier(src.metric, `${path}.metric`), ...validateMetricTarget(src.target, `${path}.target`)];
  if (src.target?.averageValue == null) causes.push(required(`${path}.target.averageValue`, 'must specify a positive target averageValue'));
  return causes;
}

function validateResourceSource(src: NonNullable<MetricSpec['resource']>, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!src.name) causes.push(required(`${path}.name`, 'must specify a resource name'));
  return [...causes, ...validateMetricTarget(src.target, `${path}.target`), ...utilizationOrValue(src.target, `${path}.target`)];
}

function validateContainerResourceSource(src: NonNullable<MetricSpec['containerResource']>, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!src.name) causes.push(required(`${path}.name`, 'must specify a resource name'));
  else causes.push(...validateQualifiedName(src.name, `${path}.name`));
  if (!src.container) causes.push(required(`${path}.container`, 'must specify a container'));
  else causes.push(...checkName(src.container, 'label', `${path}.container`));
  return [...causes, ...validateMetricTarget(src.target, `${path}.target`), ...utilizationOrValue(src.target, `${path}.target`)];
}

/** A resource target is a utilization or a raw value, not both. */
function utilizationOrValue(target: MetricTarget | undefined, path: string): StatusCause[] {
  const utilization = target?.averageUtilization != null;
  const value = target?.averageValue != null;
  if (!utilization && !value) return [required(`${path}.averageUtilization`, 'must set either a target raw value or a target utilization')];
  if (utilization && value) return [forbidden(`${path}.averageValue`, 'may not set both a target raw value and a target utilization')];
  return [];
}

function validateMetricTarget(target: MetricTarget | undefined, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const type = target?.type ?? '';
  if (type === '') causes.push(required(`${path}.type`, 'must specify a metric target type'));
  if (type !== 'Utilization' && type !== 'Value' && type !== 'AverageValue') causes.push(invalid(`${path}.type`, quote(type), 'must be either Utilization, Value, or AverageValue'));
  for (const field of ['value', 'averageValue'] as const) {
    const value = target?.[field];
    if (value == null) continue;
    const q = parseQuantity(value);
    if (typeof q !== 'string' && q.value <= 0n) causes.push(invalid(`${path}.${field}`, quote(String(value)), 'must be positive'));
  }
  const utilization = target?.averageUtilization;
  if (utilization != null && utilization < 1) causes.push(invalid(`${path}.averageUtilization`, String(utilization), 'must be greater than 0'));
  return causes;
}

function validateMetricIdentifier(id: MetricIdentifier | undefined, path: string): StatusCause[] {
  const name = id?.name ?? '';
  if (name === '') return [required(`${path}.name`, 'must specify a metric name')];
  return pathSegmentErrors(name).map((msg) => invalid(`${path}.name`, quote(name), msg));
}

function validateBehavior(behavior: HorizontalPodAutoscalerBehavior | undefined, path: string): StatusCause[] {
  if (behavior == null) return [];
  return [...validateScalingRules(behavior.scaleUp, `${path}.scaleUp`), ...validateScalingRules(behavior.scaleDown, `${path}.scaleDown`)];
}

function validateScalingRules(rules: HPAScalingRules | undefined | null, path: string): StatusCause[] {
  if (rules == null) return [];
  const causes: StatusCause[] = [];
  const window = rules.stabilizationWindowSeconds;
  if (window != null && window < 0) causes.push(invalid(`${path}.stabilizationWindowSeconds`, String(window), 'must be greater than or equal to zero'));
  if (window != null && window > MAX_STABILIZATION_WINDOW_SECONDS) {
    causes.push(invalid(`${path}.stabilizationWindowSeconds`, String(window), `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
  }
  if (rules.selectPolicy != null && !SELECT_POLICIES.includes(rules.selectPolicy)) {
    causes.push(notSupported(`${path}.selectPolicy`, pointerValue(rules.selectPolicy), SELECT_POLICIES));
  }
  if (!rules.policies?.length) causes.push(required(`${path}.policies`, 'must specify at least one Policy'));
  (rules.policies ?? []).forEach((policy, i) => causes.push(...validateScalingPolicy(policy, `${path}.policies[${i}]`)));
  return causes;
}

function validateScalingPolicy(policy: HPAScalingPolicy, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!POLICY_TYPES.includes(policy.type)) causes.push(notSupported(`${path}.type`, quote(policy.type ?? ''), POLICY_TYPES));
  const value = policy.value ?? 0;
  const period = policy.periodSeconds ?? 0;
  if (value <= 0) causes.push(invalid(`${path}.value`, String(value), 'must be greater than zero'));
  if (period <= 0) causes.push(invalid(`${path}.periodSeconds`, String(period), 'must be greater than zero'));
  if (period > MAX_PERIOD_SECONDS) causes.push(invalid(`${path}.periodSeconds`, String(period), `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  return causes;
}

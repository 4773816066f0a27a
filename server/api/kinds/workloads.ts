// apps/v1 workloads: Deployments, ReplicaSets, StatefulSets and DaemonSets,
// defaulted as pkg/apis/apps/v1/defaults.go and the strategies' PrepareFor*
// do, and validated as pkg/apis/apps/validation does.
import type {
  DaemonSetSpec,
  DaemonSetUpdateStrategy,
  DeploymentSpec,
  DeploymentStrategy,
  ReplicaSetSpec,
  StatefulSetSpec,
  StatefulSetUpdateStrategy,
} from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { semanticEqual } from './equality.js';
import { forbidden, goPointer, goStringMap, IMMUTABLE, invalid, nonNegative, notSupported, quote, required } from './field-errors.js';
import { asSelector, goLabelSelector, isEmptySelector, type Selector, validateAnnotationKeys, validateLabels, validateLabelSelector } from './labels.js';
import { goIntOrString, intOrPercentValue, notMoreThan100Percent, positiveIntOrPercent } from './int-or-percent.js';
import { podTemplateDefaults, templateMetadataDefaults, validatePodTemplate } from './pod-spec.js';

type Workload<Spec> = KubeObject & { spec?: Spec; status?: object };

/** The annotation apps/v1 keeps a DaemonSet's template generation in. */
const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

export const deploymentRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const d = obj as Workload<DeploymentSpec>;
    const spec = (d.spec ??= {} as DeploymentSpec);
    spec.replicas ??= 1;
    const strategy = (spec.strategy ??= {});
    strategy.type ||= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const rolling = (strategy.rollingUpdate ??= {});
      rolling.maxUnavailable ??= '25%';
      rolling.maxSurge ??= '25%';
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    podTemplateDefaults((spec.template ??= {}), obj);
    if (old === undefined) d.status = {};
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const spec = (obj as Workload<DeploymentSpec>).spec!;
    const causes = [...nonNegative('spec.replicas', spec.replicas), ...requiredSelector(spec.selector, 'deployment')];
    causes.push(...replicaSetTemplate(spec.selector, spec.template, 'ReplicaSet', (old as Workload<DeploymentSpec> | undefined)?.spec?.template));
    causes.push(...validateDeploymentStrategy(spec.strategy ?? {}, 'spec.strategy'));
    causes.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
    causes.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
    const deadline = spec.progressDeadlineSeconds;
    if (deadline !== undefined) {
      causes.push(...nonNegative('spec.progressDeadlineSeconds', deadline));
      if (deadline <= (spec.minReadySeconds ?? 0)) causes.push(invalid('spec.progressDeadlineSeconds', String(deadline), 'must be greater than minReadySeconds'));
    }
    return [...causes, ...immutableSelector(spec, old)];
  },
};

export const replicaSetRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const rs = obj as Workload<ReplicaSetSpec>;
    const spec = (rs.spec ??= {} as ReplicaSetSpec);
    spec.replicas ??= 1;
    podTemplateDefaults((spec.template ??= {}), obj);
    if (old === undefined) rs.status = { replicas: 0 };
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const spec = (obj as Workload<ReplicaSetSpec>).spec!;
    const causes = [...nonNegative('spec.replicas', spec.replicas), ...nonNegative('spec.minReadySeconds', spec.minReadySeconds)];
    // Upstream words a ReplicaSet's empty selector as a Deployment's.
    causes.push(...requiredSelector(spec.selector, 'deployment'));
    causes.push(...replicaSetTemplate(spec.selector, spec.template ?? {}, 'ReplicaSet', (old as Workload<ReplicaSetSpec> | undefined)?.spec?.template));
    return [...causes, ...immutableSelector(spec, old)];
  },
};

export const statefulSetRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const sts = obj as Workload<StatefulSetSpec>;
    const spec = (sts.spec ??= {} as StatefulSetSpec);
    spec.podManagementPolicy ||= 'OrderedReady';
    const strategy = (spec.updateStrategy ??= {});
    if (!strategy.type) {
      strategy.type = 'RollingUpdate';
      strategy.rollingUpdate ??= {};
    }
    if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate) strategy.rollingUpdate.partition ??= 0;
    const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
    retention.whenDeleted ||= 'Retain';
    retention.whenScaled ||= 'Retain';
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    podTemplateDefaults((spec.template ??= {}), obj);
    for (const claim of spec.volumeClaimTemplates ?? []) claimTemplateDefaults(claim);
    if (old === undefined) sts.status = { availableReplicas: 0, replicas: 0 };
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const spec = (obj as Workload<StatefulSetSpec>).spec!;
    const causes = validateStatefulSetSpec(spec);
    if (old === undefined) return causes;
    const oldSpec = (old as Workload<StatefulSetSpec>).spec!;
    const { replicas, template, updateStrategy, minReadySeconds, ordinals, persistentVolumeClaimRetentionPolicy } = oldSpec;
    const rest = { ...spec, replicas, template, updateStrategy, minReadySeconds, ordinals, persistentVolumeClaimRetentionPolicy };
    if (!semanticEqual(rest, oldSpec)) {
      causes.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
    return causes;
  },
};

export const daemonSetRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const ds = obj as Workload<DaemonSetSpec>;
    const spec = (ds.spec ??= {} as DaemonSetSpec);
    const strategy = (spec.updateStrategy ??= {});
    strategy.type ||= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const rolling = (strategy.rollingUpdate ??= {});
      rolling.maxUnavailable ??= 1;
      rolling.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
    podTemplateDefaults((spec.template ??= {}), obj);
    // Each template change is a new template generation, recorded in an annotation.
    let generation = Number.parseInt(obj.metadata.annotations?.[TEMPLATE_GENERATION] ?? '', 10) || 0;
    if (old === undefined) {
      generation = Math.max(generation, 1);
      ds.status = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
    } else {
      const oldGeneration = Number.parseInt(old.metadata.annotations?.[TEMPLATE_GENERATION] ?? '', 10) || 0;
      generation = semanticEqual(spec.template, (old as Workload<DaemonSetSpec>).spec?.template) ? oldGeneration : oldGeneration + 1;
    }
    obj.metadata.annotations = { ...obj.metadata.annotations, [TEMPLATE_GENERATION]: String(generation) };
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const spec = (obj as Workload<DaemonSetSpec>).spec!;
    const causes = validateLabelSelector(spec.selector, 'spec.selector');
    const selector = asSelector(spec.selector);
    if (selector !== undefined && !selector(spec.template.metadata?.labels)) causes.push(selectorMismatch(spec.template, 'spec.template'));
    if (spec.selector !== undefined && isEmptySelector(spec.selector)) {
      causes.push(invalid('spec.selector', goLabelSelector(spec.selector), 'empty selector is invalid for daemonset'));
    }
    causes.push(...validatePodTemplate(spec.template, 'spec.template', (old as Workload<DaemonSetSpec> | undefined)?.spec?.template));
    causes.push(...alwaysRestart(spec.template, 'spec.template', 'DaemonSet'));
    causes.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
    causes.push(...validateDaemonSetStrategy(spec.updateStrategy ?? {}, 'spec.updateStrategy'));
    causes.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
    return [...causes, ...immutableSelector(spec, old)];
  },
};

/** The selector a Deployment, ReplicaSet or StatefulSet must have. */
function requiredSelector(selector: LabelSelector | undefined, kind: string): StatusCause[] {
  if (selector === undefined) return [required('spec.selector')];
  const causes = validateLabelSelector(selector, 'spec.selector');
  if (isEmptySelector(selector)) causes.push(invalid('spec.selector', goLabelSelector(selector), `empty selector is invalid for ${kind}`));
  return causes;
}

/** ValidatePodTemplateSpecForReplicaSet, behind the selector it must match; `old` is the template being updated. */
function replicaSetTemplate(selector: LabelSelector | undefined, template: PodTemplateSpec, owner: string, old: PodTemplateSpec | undefined): StatusCause[] {
  const select = asSelector(selector);
  if (select === undefined) return [invalid('spec.selector', goLabelSelector(selector), 'invalid label selector')];
  return [
    ...templateMatches(selector, select, template),
    ...validatePodTemplate(template, 'spec.template', old),
    ...alwaysRestart(template, 'spec.template', owner),
  ];
}

function templateMatches(selector: LabelSelector | undefined, select: Selector, template: PodTemplateSpec): StatusCause[] {
  // An empty selector selects everything; only a real one can miss the template.
  if (selector !== undefined && isEmptySelector(selector)) return [];
  return select(template.metadata?.labels) ? [] : [selectorMismatch(template, 'spec.template')];
}

function selectorMismatch(template: PodTemplateSpec, path: string): StatusCause {
  return invalid(`${path}.metadata.labels`, goStringMap(template.metadata?.labels), '`selector` does not match template `labels`');
}

/** Controllers keep their pods running: restartPolicy Always, no deadline. */
function alwaysRestart(template: PodTemplateSpec, path: string, owner: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const restartPolicy = template.spec?.restartPolicy ?? '';
  if (restartPolicy !== 'Always') causes.push(notSupported(`${path}.spec.restartPolicy`, quote(restartPolicy), ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    causes.push(forbidden(`${path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${owner} is not Supported`));
  }
  return causes;
}

/** apps/v1 refuses selector changes (extensions/v1beta1 allowed them). */
function immutableSelector(spec: { selector?: LabelSelector }, old: KubeObject | undefined): StatusCause[] {
  if (old === undefined) return [];
  const oldSelector = (old as Workload<{ selector?: LabelSelector }>).spec?.selector;
  return semanticEqual(spec.selector, oldSelector) ? [] : [invalid('spec.selector', goLabelSelector(spec.selector), IMMUTABLE)];
}

function validateDeploymentStrategy(strategy: DeploymentStrategy, path: string): StatusCause[] {
  const rolling = strategy.rollingUpdate;
  switch (strategy.type) {
    case 'Recreate':
      return rolling === undefined ? [] : [forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")];
    case 'RollingUpdate': {
      const p = `${path}.rollingUpdate`;
      const maxUnavailable = rolling?.maxUnavailable ?? 0;
      const maxSurge = rolling?.maxSurge ?? 0;
      const causes = [...positiveIntOrPercent(maxUnavailable, `${p}.maxUnavailable`), ...positiveIntOrPercent(maxSurge, `${p}.maxSurge`)];
      if (intOrPercentValue(maxUnavailable) === 0 && intOrPercentValue(maxSurge) === 0) {
        causes.push(invalid(`${p}.maxUnavailable`, goIntOrString(maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      return [...causes, ...notMoreThan100Percent(maxUnavailable, `${p}.maxUnavailable`)];
    }
    default:
      return [notSupported(path, goStrategy('DeploymentStrategy', strategy.type, 'RollingUpdateDeployment', rolling), ['Recreate', 'RollingUpdate'])];
  }
}

function validateDaemonSetStrategy(strategy: DaemonSetUpdateStrategy, path: string): StatusCause[] {
  const rolling = strategy.rollingUpdate;
  switch (strategy.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      const p = `${path}.rollingUpdate`;
      const maxUnavailable = rolling?.maxUnavailable ?? 0;
      const maxSurge = rolling?.maxSurge ?? 0;
      const causes = [
        ...positiveIntOrPercent(maxUnavailable, `${p}.maxUnavailable`),
        ...positiveIntOrPercent(maxSurge, `${p}.maxSurge`),
        ...notMoreThan100Percent(maxUnavailable, `${p}.maxUnavailable`),
        ...notMoreThan100Percent(maxSurge, `${p}.maxSurge`),
      ];
      const unavailable = intOrPercentValue(maxUnavailable) !== 0;
      const surge = intOrPercentValue(maxSurge) !== 0;
      if (unavailable && surge) causes.push(invalid(`${p}.maxSurge`, goIntOrString(maxSurge), 'may not be set when maxUnavailable is non-zero'));
      if (!unavailable && !surge) causes.push(required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      return causes;
    }
    default:
      return [notSupported(path, goStrategy('DaemonSetUpdateStrategy', strategy.type, 'RollingUpdateDaemonSet', rolling), ['RollingUpdate', 'OnDelete'])];
  }
}

function validateStatefulSetSpec(spec: StatefulSetSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  const policy = spec.podManagementPolicy ?? '';
  if (policy !== 'OrderedReady' && policy !== 'Parallel') causes.push(invalid('spec.podManagementPolicy', quote(policy), "must be 'OrderedReady' or 'Parallel'"));
  causes.push(...validateStatefulSetStrategy(spec.updateStrategy ?? {}));
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  for (const f of ['whenDeleted', 'whenScaled'] as const) {
    const value = retention?.[f];
    if (retention !== undefined && value !== 'Retain' && value !== 'Delete') {
      causes.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, quote(value ?? ''), ['Retain', 'Delete']));
    }
  }
  causes.push(...nonNegative('spec.replicas', spec.replicas), ...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  causes.push(...nonNegative('spec.ordinals.start', spec.ordinals?.start));
  causes.push(...requiredSelector(spec.selector, 'statefulset'));
  const select = asSelector(spec.selector);
  if (select === undefined) causes.push(invalid('spec.selector', goLabelSelector(spec.selector), ''));
  else {
    // Upstream leaves a StatefulSet's pod spec to the pods it creates: only the template's metadata is checked.
    causes.push(...templateMatches(spec.selector, select, spec.template));
    causes.push(...validateLabels(spec.template.metadata?.labels, 'spec.template.labels'));
    causes.push(...validateAnnotationKeys(spec.template.metadata?.annotations, 'spec.template.annotations'));
  }
  return [...causes, ...alwaysRestart(spec.template, 'spec.template', 'StatefulSet')];
}

function validateStatefulSetStrategy(strategy: StatefulSetUpdateStrategy): StatusCause[] {
  const rolling = strategy.rollingUpdate;
  switch (strategy.type) {
    case 'OnDelete':
      if (rolling === undefined) return [];
      return [
        invalid(
          'spec.updateStrategy.rollingUpdate',
          `apps.RollingUpdateStatefulSetStrategy{Partition:${rolling.partition ?? 0}, MaxUnavailable:(*intstr.IntOrString)(nil)}`,
          "only allowed for updateStrategy 'RollingUpdate'",
        ),
      ];
    case 'RollingUpdate':
      return nonNegative('spec.updateStrategy.rollingUpdate.partition', rolling?.partition);
    default:
      return [
        invalid('spec.updateStrategy', goStrategy('StatefulSetUpdateStrategy', strategy.type, 'RollingUpdateStatefulSetStrategy', rolling), "must be 'RollingUpdate' or 'OnDelete'"),
      ];
  }
}

function claimTemplateDefaults(claim: PersistentVolumeClaim): void {
  // apps/v1 writes the claim templates out as full PersistentVolumeClaims.
  claim.apiVersion ||= 'v1';
  claim.kind ||= 'PersistentVolumeClaim';
  templateMetadataDefaults(claim);
  const spec = (claim.spec ??= {});
  spec.volumeMode ||= 'Filesystem';
  // status is read-only to clients, but the claim template's zero status still serializes.
  const template = claim as { status?: { phase?: string } };
  (template.status ??= {}).phase ||= 'Pending';
}

/** %#v of an update strategy. */
function goStrategy(kind: string, type: string | undefined, rollingKind: string, rolling: object | undefined): string {
  return `apps.${kind}{Type:${quote(type ?? '')}, RollingUpdate:${goPointer(`apps.${rollingKind}`, rolling !== undefined)}}`;
}

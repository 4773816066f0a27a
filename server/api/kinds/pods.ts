// Pods: the shared pod-spec defaults plus what only pods get upstream
// (SetDefaults_Pod, the ServiceAccount and DefaultTolerationSeconds
// admission plugins, the Pending status with its QoS class, pod affinity's
// matchLabelKeys merged into its selectors, the strategy's AppArmor copy
// between annotations and fields), and pod validation: the pod-specific
// annotations (pod-annotations.ts), no projected token without a service
// account, and the update rule that a pod's spec is nearly immutable (a
// gated pod may still narrow the nodes it may go to).
import type { PodSpec, PodStatus, Toleration } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { semanticEqual } from './equality.js';
import { forbidden, inclusiveRange, invalid, MAX_INT32, quote } from './field-errors.js';
import { narrowSchedulingDirectives } from './gated-pod-updates.js';
import { mergeMatchLabelKeys } from './match-label-keys.js';
import { qosClass } from '../../../common/pod-qos.js';
import { holdsInvalidDeletionCost, validatePodSpecificAnnotations, validatePodSpecificAnnotationUpdates } from './pod-annotations.js';
import { podSpecDefaults, validatePodSpec } from './pod-spec.js';
import { applyAppArmorVersionSkew, validateAppArmorAnnotationsMatchFields } from './apparmor.js';
import { validateSeccompAnnotationsMatchFields } from './seccomp.js';

type Pod = KubeObject & { spec?: PodSpec; status?: PodStatus };

/** Taints every pod tolerates for five minutes unless it says otherwise (DefaultTolerationSeconds). */
const NODE_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export const podRules: KindRules = {
  defaults(obj: KubeObject, old: KubeObject | undefined): void {
    const pod = obj as Pod;
    const spec = (pod.spec ??= {} as PodSpec);
    podOnlyDefaults(spec);
    podSpecDefaults(spec, obj);
    tolerateNodeTaints(spec);
    if (old === undefined) {
      applyAppArmorVersionSkew(pod);
      spec.serviceAccountName ||= 'default';
      spec.serviceAccount = spec.serviceAccountName;
      pod.status = { phase: 'Pending', qosClass: qosClass(spec) };
      mergeMatchLabelKeys(spec, obj.metadata.labels);
    }
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const spec = (obj as Pod).spec ?? ({} as PodSpec);
    const annotations = obj.metadata.annotations;
    const causes = [
      ...validatePodSpecificAnnotations(annotations, spec, 'metadata.annotations', old !== undefined && holdsInvalidDeletionCost(old.metadata.annotations)),
      ...validatePodSpec(spec, 'spec', obj.metadata, (old as Pod | undefined)?.spec),
    ];
    if (!spec.serviceAccountName) causes.push(...tokensWithoutAccount(spec));
    for (const field of ['containers', 'initContainers'] as const) {
      (spec[field] ?? []).forEach((c, i) => {
        if (c.image !== undefined && c.image.trim() !== c.image) causes.push(invalid(`spec.${field}[${i}].image`, quote(c.image), 'must not have leading or trailing whitespace'));
      });
    }
    if (old !== undefined) {
      // Upstream checks the pod's annotations a second time on update, and so reports their errors twice.
      causes.push(...validatePodSpecificAnnotationUpdates(annotations, old.metadata.annotations, spec, 'metadata.annotations'));
      return [...causes, ...validatePodUpdate(spec, (old as Pod).spec ?? ({} as PodSpec))];
    }
    // Ephemeral containers arrive through their own subresource, never with the pod.
    if ((spec.ephemeralContainers ?? []).length > 0) causes.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
    if (spec.nodeName && (spec.schedulingGates ?? []).length > 0) causes.push(forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
    causes.push(...validateSeccompAnnotationsMatchFields(annotations, spec, 'spec'));
    causes.push(...validateAppArmorAnnotationsMatchFields(annotations, spec, 'spec'));
    return causes;
  },

  /** Upstream's CheckGracefulDelete: the request's grace, else the spec's; at once for a pod no node runs or that has finished. */
  gracePeriod(obj: KubeObject, requested: number | undefined): number {
    const pod = obj as Pod;
    if (!pod.spec?.nodeName) return 0;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
    const period = requested ?? pod.spec.terminationGracePeriodSeconds ?? 0;
    return period < 0 ? 1 : period;
  },
};

/** A projected token is the pod's account's: a pod without one may not ask for it. */
function tokensWithoutAccount(spec: PodSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  (spec.volumes ?? []).forEach((v, i) =>
    (v.projected?.sources ?? []).forEach((source, j) => {
      if (source.serviceAccountToken != null) {
        causes.push(forbidden(`spec.volumes[${i}].projected.sources[${j}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
      }
    }),
  );
  return causes;
}

/** SetDefaults_Pod: what a pod gets that a pod template does not. */
function podOnlyDefaults(spec: PodSpec): void {
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const limits = c.resources?.limits ?? {};
    const missing = Object.keys(limits).filter((name) => !(name in (c.resources!.requests ?? {})));
    if (missing.length > 0) {
      const requests = (c.resources!.requests ??= {});
      for (const name of missing) requests[name] = limits[name]!;
    }
    // With host networking a container port is a host port.
    if (spec.hostNetwork) for (const port of c.ports ?? []) port.hostPort ||= port.containerPort;
  }
  spec.enableServiceLinks ??= true;
}

function tolerateNodeTaints(spec: PodSpec): void {
  const tolerations: Toleration[] = spec.tolerations ?? [];
  const missing = NODE_TAINTS.filter(
    (key) => !tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect)),
  );
  for (const key of missing) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  spec.tolerations = tolerations;
}

const UPDATABLE_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** ValidatePodUpdate's own rules, after the new pod passed as a pod. */
function validatePodUpdate(spec: PodSpec, oldSpec: PodSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const field of ['containers', 'initContainers'] as const) {
    if ((spec[field] ?? []).length !== (oldSpec[field] ?? []).length) {
      return [forbidden(`spec.${field}`, 'pod updates may not add or remove containers')];
    }
  }
  const deadline = spec.activeDeadlineSeconds;
  const oldDeadline = oldSpec.activeDeadlineSeconds;
  if (deadline !== undefined) {
    if (deadline < 0 || deadline > MAX_INT32) return [invalid('spec.activeDeadlineSeconds', String(deadline), inclusiveRange(0, MAX_INT32))];
    if (oldDeadline !== undefined && oldDeadline < deadline) {
      return [invalid('spec.activeDeadlineSeconds', String(deadline), 'must be less than or equal to previous value')];
    }
  } else if (oldDeadline !== undefined) {
    causes.push(invalid('spec.activeDeadlineSeconds', 'null', 'must not update from a positive integer to nil value'));
  }
  const tolerations = spec.tolerations ?? [];
  const kept = (oldSpec.tolerations ?? []).every((o) => tolerations.some((t) => semanticEqual({ ...o, tolerationSeconds: t.tolerationSeconds }, t)));
  if (!kept) causes.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  const oldGates = new Set((oldSpec.schedulingGates ?? []).map((g) => g.name));
  (spec.schedulingGates ?? []).forEach((gate, i) => {
    if (!oldGates.has(gate.name)) causes.push(forbidden(`spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${gate.name}'`));
  });
  const munged = mutableFieldsFrom(spec, oldSpec);
  if ((oldSpec.schedulingGates ?? []).length > 0) causes.push(...narrowSchedulingDirectives(munged, oldSpec));
  if (!semanticEqual(munged, oldSpec)) {
    causes.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_FIELDS.join(',')}`));
  }
  return causes;
}

/** The new spec with the fields a pod update may change taken from the old one. */
function mutableFieldsFrom(spec: PodSpec, oldSpec: PodSpec): PodSpec {
  const munged = structuredClone(spec);
  for (const field of ['containers', 'initContainers'] as const) {
    (munged[field] ?? []).forEach((c, i) => {
      c.image = oldSpec[field]![i]!.image;
    });
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (oldGrace !== undefined && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  return munged;
}

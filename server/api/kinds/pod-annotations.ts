// The annotations that mean something for a pod or a pod template, checked
// as upstream 1.31's ValidatePodSpecificAnnotations and
// ValidatePodSpecificAnnotationUpdates check them: the mirror-pod marker
// (a static pod's copy, which is bound to its node from the start), the old
// alpha tolerations annotation (JSON of core.Toleration, then held to the
// field's rules), the deletion cost a ReplicaSet scales down by, and the
// seccomp and AppArmor profiles (seccomp.ts, apparmor.ts). A pod never
// gains, changes or loses its mirror or AppArmor annotations.
import type { PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { POD_DELETION_COST, podDeletionCost } from '../../../common/pod-deletion-cost.js';
import type { StatusCause } from '../status.js';
import { ANNOTATION_PREFIX as APPARMOR_PREFIX, validateAppArmorAnnotations } from './apparmor.js';
import { forbidden, invalid, quote, sortedKeys } from './field-errors.js';
import { type GoType, goUnmarshal } from './go-json.js';
import { validateTolerations } from './pod-tolerations.js';
import { validateSeccompAnnotations } from './seccomp.js';

type Annotations = Readonly<Record<string, string>> | undefined;

const MIRROR_POD = 'kubernetes.io/config.mirror';
const TOLERATIONS = 'scheduler.alpha.kubernetes.io/tolerations';

/** []core.Toleration: the internal type has no JSON tags, so fields match their Go names in any case. */
const CORE_TOLERATIONS: GoType = {
  kind: 'slice',
  name: '[]core.Toleration',
  elem: {
    kind: 'struct',
    name: 'core.Toleration',
    fields: {
      Key: { kind: 'string', name: 'string' },
      Operator: { kind: 'string', name: 'core.TolerationOperator' },
      Value: { kind: 'string', name: 'string' },
      Effect: { kind: 'string', name: 'core.TaintEffect' },
      TolerationSeconds: { kind: 'pointer', elem: { kind: 'int64' } },
    },
  },
};

interface CoreToleration {
  Key: string;
  Operator: string;
  Value: string;
  Effect: string;
  TolerationSeconds?: number;
}

/**
 * ValidatePodSpecificAnnotations. `allowInvalidDeletionCost` when the object
 * being updated already held a cost upstream cannot read, which it may keep.
 */
export function validatePodSpecificAnnotations(annotations: Annotations, spec: PodSpec, path: string, allowInvalidDeletionCost: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const mirror = annotations?.[MIRROR_POD];
  if (mirror !== undefined && !spec.nodeName) causes.push(invalid(`${path}[${MIRROR_POD}]`, quote(mirror), 'must set spec.nodeName if mirror pod annotation is set'));
  const tolerations = annotations?.[TOLERATIONS] ?? '';
  if (tolerations !== '') causes.push(...validateTolerationsAnnotation(tolerations, path));
  if (!allowInvalidDeletionCost && podDeletionCost(annotations) === undefined) {
    causes.push(invalid(`${path}[${POD_DELETION_COST}]`, quote(annotations![POD_DELETION_COST]!), 'must be a 32bit integer'));
  }
  causes.push(...validateSeccompAnnotations(annotations, path), ...validateAppArmorAnnotations(annotations, spec, path));
  return causes;
}

/** Whether an update may keep the deletion cost the stored object has (upstream's AllowInvalidPodDeletionCost). */
export function holdsInvalidDeletionCost(oldAnnotations: Annotations): boolean {
  return podDeletionCost(oldAnnotations) === undefined;
}

/** ValidatePodSpecificAnnotationUpdates: what may not change, then the new annotations checked as on create. */
export function validatePodSpecificAnnotationUpdates(annotations: Annotations, oldAnnotations: Annotations, spec: PodSpec, path: string): StatusCause[] {
  const has = (m: Annotations, key: string): boolean => m !== undefined && Object.hasOwn(m, key);
  const causes: StatusCause[] = [];
  for (const key of sortedKeys(oldAnnotations)) {
    if (has(annotations, key) && annotations![key] === oldAnnotations![key]) continue;
    if (key.startsWith(APPARMOR_PREFIX)) causes.push(forbidden(`${path}[${key}]`, 'may not remove or update AppArmor annotations'));
    if (key === MIRROR_POD) causes.push(forbidden(`${path}[${key}]`, 'may not remove or update mirror pod annotation'));
  }
  for (const key of sortedKeys(annotations)) {
    if (has(oldAnnotations, key)) continue;
    if (key.startsWith(APPARMOR_PREFIX)) causes.push(forbidden(`${path}[${key}]`, 'may not add AppArmor annotations'));
    if (key === MIRROR_POD) causes.push(forbidden(`${path}[${key}]`, 'may not add mirror pod annotation'));
  }
  causes.push(...validatePodSpecificAnnotations(annotations, spec, path, holdsInvalidDeletionCost(oldAnnotations)));
  return causes;
}

/** ValidateTolerationsInPodAnnotations: JSON that decodes, then each toleration as the field's. */
function validateTolerationsAnnotation(text: string, path: string): StatusCause[] {
  const { value, error } = goUnmarshal(text, CORE_TOLERATIONS);
  if (error !== undefined) return [invalid(path, quote(TOLERATIONS), error)];
  const tolerations = (value as CoreToleration[]).map(
    (t): Toleration =>
      t.TolerationSeconds === undefined
        ? { key: t.Key, operator: t.Operator, value: t.Value, effect: t.Effect }
        : { key: t.Key, operator: t.Operator, value: t.Value, effect: t.Effect, tolerationSeconds: t.TolerationSeconds },
  );
  return validateTolerations(tolerations, `${path}.${TOLERATIONS}`);
}

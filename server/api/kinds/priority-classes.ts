// scheduling.k8s.io/v1 PriorityClasses, as upstream's strategy, defaults,
// ValidatePriorityClass/ValidatePriorityClassUpdate and REST storage treat
// them (Kubernetes 1.31): preemptionPolicy defaults to PreemptLowerPriority;
// the "system-" prefix is kept for the built-in classes with their exact
// values; other classes go up to 1000000000; value and preemptionPolicy
// never change; generation is 1 from creation on; the built-ins cannot be
// deleted one by one (upstream's deletecollection does not ask, nor here).
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { SYSTEM_PRIORITY_CLASS_PREFIX, SYSTEM_PRIORITY_CLASSES } from '../../../common/system-priority-classes.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { decodeError, forbidden, IMMUTABLE, invalid, MAX_INT32, quote } from './field-errors.js';
import { validatePreemptionPolicy } from './pod-spec.js';

export type PriorityClassObject = KubeObject & PriorityClass;

/** HighestUserDefinablePriority. */
const HIGHEST_USER_PRIORITY = 1_000_000_000;

export const priorityClassRules: KindRules = {
  decodeInput(obj) {
    // value is an int32 upstream: anything else fails the decoding, as Go's JSON decoder words it (null is 0).
    const pc = obj as PriorityClassObject;
    const value = pc.value as unknown;
    if (value == null) pc.value = 0;
    else if (typeof value !== 'number' || !Number.isInteger(value) || value > MAX_INT32 || value < -MAX_INT32 - 1) {
      const json = typeof value === 'number' ? `number ${value}` : typeof value === 'boolean' ? 'bool' : Array.isArray(value) ? 'array' : typeof value;
      throw decodeError(obj, `json: cannot unmarshal ${json} into Go struct field PriorityClass.value of type int32`);
    }
  },
  defaults(obj, old) {
    const pc = obj as PriorityClassObject;
    pc.preemptionPolicy ??= 'PreemptLowerPriority';
    // omitempty upstream: a false globalDefault and an empty description are not kept.
    if (pc.globalDefault !== true) delete pc.globalDefault;
    if (!pc.description) delete pc.description;
    // PrepareForCreate sets 1 and no update moves it; a graceful deletion's bump (a new deletionTimestamp) stays.
    if (old === undefined) pc.metadata.generation = 1;
    else if (old.metadata.generation !== undefined && pc.metadata.deletionTimestamp === old.metadata.deletionTimestamp) pc.metadata.generation = old.metadata.generation;
  },
  validate(obj, old) {
    const pc = obj as PriorityClassObject;
    if (old !== undefined) return validateUpdate(pc, old as PriorityClassObject);
    const causes: StatusCause[] = [];
    const name = pc.metadata.name ?? '';
    if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
      const reserved = systemClassError(name, pc.value, pc.globalDefault === true);
      if (reserved !== undefined) {
        causes.push(forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${reserved}`));
      }
    } else if (pc.value > HIGHEST_USER_PRIORITY) {
      causes.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
    }
    if (pc.preemptionPolicy != null) causes.push(...validatePreemptionPolicy(pc.preemptionPolicy, 'preemptionPolicy'));
    return causes;
  },
  deleteRefusal: (name) => (SYSTEM_PRIORITY_CLASSES.some((c) => c.name === name) ? 'this is a system priority class and cannot be deleted' : undefined),
};

/** IsKnownSystemPriorityClass's error, if the class is not exactly a built-in one. */
function systemClassError(name: string, value: number, globalDefault: boolean): string | undefined {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (known === undefined) return `${name} is not a known system priority class`;
  if (known.value !== value) return `value of ${name} PriorityClass must be ${known.value}`;
  // The built-ins are never the global default.
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

/** ValidatePriorityClassUpdate: only what may not change (a class's other rules are checked on create alone). */
function validateUpdate(pc: PriorityClassObject, old: PriorityClassObject): StatusCause[] {
  const causes: StatusCause[] = [];
  if (pc.value !== old.value) causes.push(forbidden('value', 'may not be changed in an update.'));
  // Both defaulted: never absent.
  if (pc.preemptionPolicy !== old.preemptionPolicy) causes.push(invalid('preemptionPolicy', quote(pc.preemptionPolicy ?? ''), IMMUTABLE));
  return causes;
}

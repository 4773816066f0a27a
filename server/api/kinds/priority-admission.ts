// Upstream's Priority admission plugin (plugin/pkg/admission/priority, 1.31),
// which kube-apiserver and k3s run by default. A new pod's priority and
// preemptionPolicy come from the PriorityClass it names (a missing one
// refuses it); a pod naming none gets the global default class's (and its
// name), else priority 0 and PreemptLowerPriority. A priority or policy the
// pod set itself must be the computed one. On update, what the pod left out
// is kept from before (validation refuses a change). A PriorityClass may be
// globalDefault only while no other is. Classes are read from the store
// (upstream reads an informer's cache): one read for a pod naming a class;
// for one naming none, a list of the classes (a handful) where only those
// whose bytes say globalDefault are decoded.
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { Store } from '../../store/types.js';
import type { KubeObject } from '../objects.js';
import { type KindRules, keyOf, prefixOf } from '../registry/registry.js';
import { decodeObject, storedBytes } from '../registry/stored-object.js';
import type { ResourceType } from '../resources.js';
import { errors } from '../status.js';
import type { PriorityClassObject } from './priority-classes.js';

type Pod = KubeObject & { spec?: PodSpec };

/** How the registry stores a default class (JSON.stringify's output): other classes lack these bytes. */
const GLOBAL_DEFAULT = Buffer.from('"globalDefault":true');
const NO_CLASS = { value: 0, preemptionPolicy: 'PreemptLowerPriority' } as const;

/** Adds Priority admission to pods and PriorityClasses, reading the classes (of type `priorityClasses`) from `store`. */
export function withPriorityAdmission(rules: (type: ResourceType) => KindRules, store: Store, priorityClasses: ResourceType): (type: ResourceType) => KindRules {
  /** The global default class; should a race have made two, the lower one, as upstream. */
  const defaultClass = async (): Promise<PriorityClassObject | undefined> => {
    let found: PriorityClassObject | undefined;
    for (const kv of (await store.list(prefixOf(priorityClasses))).items) {
      if (!storedBytes(kv).includes(GLOBAL_DEFAULT)) continue;
      const pc = decodeObject(priorityClasses, kv) as PriorityClassObject;
      if (pc.globalDefault === true && (found === undefined || pc.value < found.value)) found = pc;
    }
    return found;
  };
  return (type) => {
    const base = rules(type);
    if (type.group === 'scheduling.k8s.io' && type.plural === 'priorityclasses') {
      return {
        ...base,
        validateAdmission: async (obj, old, request) => {
          await base.validateAdmission?.(obj, old, request);
          if ((obj as PriorityClassObject).globalDefault !== true) return;
          const current = await defaultClass();
          const name = obj.metadata.name!;
          // On update, only the default itself may stay one.
          if (current !== undefined && (old === undefined || current.metadata.name !== name)) {
            throw errors.forbidden(type, name, `PriorityClass ${current.metadata.name} is already marked as default. Only one default can exist`);
          }
        },
      };
    }
    if (type.group !== '' || type.plural !== 'pods') return base;
    const refuse = (pod: Pod, why: string) => errors.forbidden(type, pod.metadata.name!, why);
    return {
      ...base,
      defaults: (obj, old) => {
        base.defaults?.(obj, old);
        if (old !== undefined) keepPriority((obj as Pod).spec, (old as Pod).spec);
      },
      // After LimitRanger and ServiceAccount, as in upstream's plugin order.
      admit: async (obj) => {
        await base.admit?.(obj);
        const spec = ((obj as Pod).spec ??= {} as PodSpec);
        let pc: Pick<PriorityClassObject, 'value' | 'preemptionPolicy'> = NO_CLASS;
        if (spec.priorityClassName) {
          const kv = await store.get(keyOf(priorityClasses, undefined, spec.priorityClassName));
          if (kv === undefined) throw refuse(obj, `no PriorityClass with name ${spec.priorityClassName} was found`);
          pc = decodeObject(priorityClasses, kv) as PriorityClassObject;
        } else {
          const found = await defaultClass();
          if (found !== undefined) {
            spec.priorityClassName = found.metadata.name!;
            pc = found;
          }
        }
        if (spec.priority != null && spec.priority !== pc.value) {
          throw refuse(obj, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${pc.value} from the given PriorityClass name`);
        }
        spec.priority = pc.value;
        const policy = pc.preemptionPolicy;
        if (policy == null) return;
        if (spec.preemptionPolicy != null && spec.preemptionPolicy !== policy) {
          throw refuse(
            obj,
            `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
          );
        }
        spec.preemptionPolicy = policy;
      },
    };
  };
}

/** The plugin on update: the priority and policy set at creation stay when the new pod leaves them out. */
function keepPriority(spec: PodSpec | undefined, oldSpec: PodSpec | undefined): void {
  if (spec === undefined || oldSpec === undefined) return;
  if (spec.priority == null && oldSpec.priority != null) spec.priority = oldSpec.priority;
  if (spec.preemptionPolicy == null && oldSpec.preemptionPolicy != null) spec.preemptionPolicy = oldSpec.preemptionPolicy;
}

// Upstream's RuntimeClass admission plugin (plugin/pkg/admission/runtimeclass,
// 1.31), which kube-apiserver and k3s run by default, for new pods: a pod
// naming a RuntimeClass that does not exist is refused; the class's overhead
// becomes the pod's spec.overhead (a pod that sets another is refused), its
// nodeSelector is merged into the pod's (a clash is refused) and its
// tolerations into the pod's. Once the pod passed validation, its overhead
// must be its class's, and a pod without a class (or whose class has none)
// may set none. The class is read from the store only for pods that name
// one (upstream reads an informer's cache).
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { Store } from '../../store/types.js';
import type { KubeObject } from '../objects.js';
import { type KindRules, keyOf } from '../registry/registry.js';
import { decodeObject } from '../registry/stored-object.js';
import type { ResourceType } from '../resources.js';
import { errors } from '../status.js';
import { sameResourceList } from './resource-lists.js';
import type { RuntimeClassObject } from './runtime-classes.js';
import { mergeTolerations } from './toleration-merge.js';

type Pod = KubeObject & { spec?: PodSpec };

const OVERHEAD_MISMATCH = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";
const OVERHEAD_WITHOUT_CLASS = 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead';

/** Adds RuntimeClass admission to pods, reading the RuntimeClasses (of type `runtimeClasses`) from `store`. */
export function withRuntimeClassAdmission(rules: (type: ResourceType) => KindRules, store: Store, runtimeClasses: ResourceType): (type: ResourceType) => KindRules {
  return (type) => {
    const base = rules(type);
    if (type.group !== '' || type.plural !== 'pods') return base;
    const refuse = (pod: Pod, why: string) => errors.forbidden(type, pod.metadata.name!, why);
    /** The RuntimeClass `name` the pod names; a missing one refuses the pod. */
    const classOf = async (pod: Pod, name: string): Promise<RuntimeClassObject> => {
      const kv = await store.get(keyOf(runtimeClasses, undefined, name));
      if (kv === undefined) throw refuse(pod, `pod rejected: RuntimeClass "${name}" not found`);
      return decodeObject(runtimeClasses, kv) as RuntimeClassObject;
    };
    return {
      ...base,
      // After the other plugins, as in upstream's plugin order (…, DefaultStorageClass, …, RuntimeClass).
      admit: async (obj) => {
        await base.admit?.(obj);
        const spec = (obj as Pod).spec;
        // "" names no class either: validation refuses it.
        if (spec === undefined || !spec.runtimeClassName) return;
        const rc = await classOf(obj, spec.runtimeClassName);
        setOverhead(obj, spec, rc, refuse);
        setScheduling(obj, spec, rc, refuse);
      },
      validateAdmission: async (obj, old, request) => {
        await base.validateAdmission?.(obj, old, request);
        const spec = (obj as Pod).spec;
        if (old !== undefined || spec === undefined || (!spec.runtimeClassName && spec.overhead == null)) return;
        const rc = spec.runtimeClassName ? await classOf(obj, spec.runtimeClassName) : undefined;
        if (rc?.overhead != null) {
          if (!sameResourceList(rc.overhead.podFixed, spec.overhead)) throw refuse(obj, OVERHEAD_MISMATCH);
        } else if (spec.overhead != null) {
          throw refuse(obj, OVERHEAD_WITHOUT_CLASS);
        }
      },
    };
  };
}

type Refuse = (pod: Pod, why: string) => Error;

/** The class's overhead becomes the pod's; one the pod set already must be the same. */
function setOverhead(pod: Pod, spec: PodSpec, rc: RuntimeClassObject, refuse: Refuse): void {
  if (rc.overhead == null) return;
  const podFixed = rc.overhead.podFixed;
  if (spec.overhead != null && !sameResourceList(podFixed, spec.overhead)) throw refuse(pod, OVERHEAD_MISMATCH);
  if (podFixed == null) delete spec.overhead;
  else spec.overhead = { ...podFixed };
}

/** The class's nodeSelector merged into the pod's (a key both set differently refuses the pod), its tolerations into the pod's. */
function setScheduling(pod: Pod, spec: PodSpec, rc: RuntimeClassObject, refuse: Refuse): void {
  const scheduling = rc.scheduling;
  if (scheduling == null) return;
  const classSelector = scheduling.nodeSelector;
  if (spec.nodeSelector == null) {
    if (classSelector != null) spec.nodeSelector = { ...classSelector };
  } else {
    for (const [key, value] of Object.entries(classSelector ?? {})) {
      const podValue = spec.nodeSelector[key];
      if (podValue !== undefined && podValue !== value) {
        throw refuse(pod, `conflict: runtimeClass.scheduling.nodeSelector[${key}] = ${value}; pod.spec.nodeSelector[${key}] = ${podValue}`);
      }
      spec.nodeSelector[key] = value;
    }
  }
  const tolerations = mergeTolerations(spec.tolerations ?? [], scheduling.tolerations ?? []);
  if (tolerations.length > 0) spec.tolerations = tolerations;
  else delete spec.tolerations;
}

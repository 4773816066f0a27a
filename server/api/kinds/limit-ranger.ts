// Upstream's LimitRanger admission plugin (plugin/pkg/admission/limitranger,
// 1.31), which kube-apiserver and k3s run by default. A new pod gets, from
// the Container item of each LimitRange in its namespace, the default
// limits and requests its containers and init containers lack, noted in
// the kubernetes.io/limit-ranger annotation; once it passed validation, the
// first LimitRange it breaks refuses it with a 403 listing every breach
// (limit-constraints.ts). Claims are checked on create and update alike.
// Pod updates are not: upstream skips them, since containers' resources
// cannot change. LimitRanges are read from the store on each write (upstream
// keeps them in a cache), in name order (upstream's cache has none).
import type { Container, LimitRange, PersistentVolumeClaim, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import { qosClass } from '../../../common/pod-qos.js';
import type { Store } from '../../store/types.js';
import type { KubeObject } from '../objects.js';
import { type KindRules, prefixOf } from '../registry/registry.js';
import { decodeObject } from '../registry/stored-object.js';
import type { ResourceType } from '../resources.js';
import { aggregate, errors } from '../status.js';
import { claimLimitErrors, podLimitErrors } from './limit-constraints.js';
import { copyQuantity, type ResourceList } from './resource-lists.js';

const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

type Pod = KubeObject & { spec?: PodSpec; status?: PodStatus };

/** Adds LimitRanger admission to pods and claims, reading the LimitRanges (of type `limitRanges`) from `store`. */
export function withLimitRanger(rules: (type: ResourceType) => KindRules, store: Store, limitRanges: ResourceType): (type: ResourceType) => KindRules {
  return (type) => {
    const base = rules(type);
    if (type.group !== '' || (type.plural !== 'pods' && type.plural !== 'persistentvolumeclaims')) return base;
    // The namespace's LimitRanges only: a prefix list, most often empty.
    const rangesOf = async (obj: KubeObject): Promise<LimitRange[]> =>
      (await store.list(prefixOf(limitRanges, obj.metadata.namespace))).items.map((kv) => decodeObject(limitRanges, kv) as KubeObject & LimitRange);
    const refuse = (obj: KubeObject, messages: string[]) => {
      if (messages.length > 0) throw errors.forbidden(type, obj.metadata.name!, aggregate(messages));
    };
    if (type.plural === 'persistentvolumeclaims') {
      return {
        ...base,
        validateAdmission: async (obj, old, request) => {
          // An update of a claim being deleted (its finalizers going) is let through.
          if (old?.metadata.deletionTimestamp === undefined) {
            for (const range of await rangesOf(obj)) refuse(obj, claimLimitErrors(range, obj as PersistentVolumeClaim));
          }
          await base.validateAdmission?.(obj, old, request);
        },
      };
    }
    return {
      ...base,
      // Before the other plugins, as in upstream's plugin order (LimitRanger, then ServiceAccount).
      admit: async (obj) => {
        defaultPod(obj as Pod, await rangesOf(obj));
        await base.admit?.(obj);
      },
      validateAdmission: async (obj, old, request) => {
        if (old === undefined) for (const range of await rangesOf(obj)) refuse(obj, podLimitErrors(range, (obj as Pod).spec ?? ({} as PodSpec)));
        await base.validateAdmission?.(obj, old, request);
      },
    };
  };
}

/** PodMutateLimitFunc of every LimitRange: what the first fills in, later ones find set. */
function defaultPod(pod: Pod, ranges: readonly LimitRange[]): void {
  const spec = pod.spec;
  if (spec === undefined) return;
  let changed = false;
  for (const range of ranges) {
    // Validation allows one Container item per LimitRange.
    const item = range.spec?.limits?.find((i) => i.type === 'Container');
    if (item === undefined) continue;
    const notes = [
      ...(spec.containers ?? []).flatMap((c) => defaultContainer(c, item.default, item.defaultRequest, 'container')),
      ...(spec.initContainers ?? []).flatMap((c) => defaultContainer(c, item.default, item.defaultRequest, 'init container')),
    ];
    // Each LimitRange that set something writes the annotation anew: it tells of the last one.
    if (notes.length > 0) (pod.metadata.annotations ??= {})[LIMIT_RANGER_ANNOTATION] = `LimitRanger plugin set: ${notes.join('; ')}`;
    changed ||= notes.length > 0;
  }
  // Upstream works the QoS class out after admission (PrepareForCreate); here the pod's defaults did, before.
  if (changed && pod.status !== undefined) pod.status.qosClass = qosClass(spec);
}

/** mergeContainerResources: the container's missing limits and requests set; what was set, as the annotation tells it. */
function defaultContainer(c: Container, limits: ResourceList | undefined, requests: ResourceList | undefined, what: string): string[] {
  const fill = (field: 'limits' | 'requests', from: ResourceList | undefined): string[] => {
    const missing = Object.keys(from ?? {}).filter((name) => !Object.hasOwn(c.resources?.[field] ?? {}, name));
    if (missing.length === 0) return [];
    const to = ((c.resources ??= {})[field] ??= {}) as ResourceList;
    for (const name of missing) copyQuantity(from!, to, name);
    return missing.sort();
  };
  const setLimits = fill('limits', limits);
  const setRequests = fill('requests', requests);
  return [
    ...(setRequests.length > 0 ? [`${setRequests.join(', ')} request for ${what} ${c.name}`] : []),
    ...(setLimits.length > 0 ? [`${setLimits.join(', ')} limit for ${what} ${c.name}`] : []),
  ];
}

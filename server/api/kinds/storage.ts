// Storage kinds: what PersistentVolumeClaims, PersistentVolumes and
// StorageClasses get on create as upstream's strategies and defaults give
// it (phase Pending, volumeMode Filesystem, reclaim policy Retain for
// volumes and Delete for classes, binding mode Immediate), and upstream's
// DefaultStorageClass admission: a claim that names no class gets the
// default one (the newest, when several say they are).
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { KubeObject, ObjectMeta } from '../objects.js';
import type { Store } from '../../store/types.js';
import { type KindRules, prefixOf } from '../registry/registry.js';
import { decodeObject } from '../registry/stored-object.js';
import type { ResourceType } from '../resources.js';

/** Set by the scheduler on a claim whose class binds on first consumer: the node of its first pod. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** storageutil.IsDefaultAnnotation: exactly "true", in the GA or the beta annotation. */
export function isDefaultClass(metadata: ObjectMeta): boolean {
  return metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' || metadata.annotations?.[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

type Claim = KubeObject & PersistentVolumeClaim;
type Volume = KubeObject & PersistentVolume;

export const persistentVolumeClaimRules: KindRules = {
  defaults(obj, old) {
    const claim = obj as Claim;
    const spec = (claim.spec ??= {});
    spec.volumeMode ??= 'Filesystem';
    if (old === undefined) (claim as { status?: unknown }).status = { phase: 'Pending' };
  },
};

export const persistentVolumeRules: KindRules = {
  defaults(obj, old) {
    const volume = obj as Volume;
    const spec = (volume.spec ??= {});
    spec.persistentVolumeReclaimPolicy ??= 'Retain';
    spec.volumeMode ??= 'Filesystem';
    if (old === undefined) (volume as { status?: unknown }).status = { phase: 'Pending' };
  },
};

export const storageClassRules: KindRules = {
  defaults(obj) {
    const sc = obj as KubeObject & StorageClass;
    sc.reclaimPolicy ??= 'Delete';
    sc.volumeBindingMode ??= 'Immediate';
  },
};

/** Adds DefaultStorageClass admission to claims: on create, a claim with no class (not even "") gets the default one, read from `store`. */
export function withDefaultStorageClass(rules: (type: ResourceType) => KindRules, store: Store, classes: ResourceType): (type: ResourceType) => KindRules {
  return (type) => {
    const base = rules(type);
    if (type.group !== '' || type.plural !== 'persistentvolumeclaims') return base;
    return {
      ...base,
      admit: async (obj) => {
        await base.admit?.(obj);
        const claim = obj as Claim;
        if (claim.spec?.storageClassName != null || claim.metadata.annotations?.[BETA_CLASS_ANNOTATION] !== undefined) return;
        const stored = (await store.list(prefixOf(classes))).items.map((kv) => decodeObject(classes, kv));
        const defaults = stored.filter((sc) => isDefaultClass(sc.metadata));
        // Upstream's GetDefaultClass: the newest (then by name) of those marked default.
        defaults.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
        const chosen = defaults[0]?.metadata.name;
        if (chosen !== undefined) (claim.spec ??= {}).storageClassName = chosen;
      },
    };
  };
}

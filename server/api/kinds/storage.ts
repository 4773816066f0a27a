// Storage kinds: what PersistentVolumeClaims, PersistentVolumes and
// StorageClasses get on create as upstream's strategies and defaults give
// it (phase Pending, volumeMode Filesystem, reclaim policy Retain for
// volumes and Delete for classes, binding mode Immediate), and upstream's
// DefaultStorageClass admission: a claim that names no class gets the
// default one (the newest, when several say they are). Claims and classes
// are validated as upstream's core and storage validation do (1.31); a
// claim's spec is not yet held immutable after creation.
import type { PersistentVolume, PersistentVolumeClaim, ResourceRequirements } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { formatQuantity, parseQuantity, type Quantity } from '../../../common/quantity.js';
import type { KubeObject, ObjectMeta } from '../objects.js';
import type { Store } from '../../store/types.js';
import { checkName } from '../registry/names.js';
import { type KindRules, prefixOf } from '../registry/registry.js';
import { decodeObject } from '../registry/stored-object.js';
import type { ResourceType } from '../resources.js';
import type { StatusCause } from '../status.js';
import { semanticEqual } from './equality.js';
import { decodeError, forbidden, IMMUTABLE, invalid, notSupported, quote, required, tooLong } from './field-errors.js';
import { qualifiedNameErrors, validateLabelSelector } from './labels.js';

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

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];

export const persistentVolumeClaimRules: KindRules = {
  // Quantities are decoded as upstream's resource.Quantity: a bad one is a 400, a good one kept in canonical form ("1.5Gi" → "1536Mi").
  decodeInput(obj) {
    const resources = (obj as Claim).spec?.resources;
    for (const list of [resources?.limits, resources?.requests]) {
      for (const name of Object.keys(list ?? {})) {
        const q = parseQuantity(list![name]!);
        if (typeof q === 'string') throw decodeError(obj, q);
        list![name] = formatQuantity(q);
      }
    }
  },
  defaults(obj, old) {
    const claim = obj as Claim;
    const spec = (claim.spec ??= {});
    spec.volumeMode ??= 'Filesystem';
    if (old === undefined) (claim as { status?: unknown }).status = { phase: 'Pending' };
  },
  validate(obj): StatusCause[] {
    const spec = (obj as Claim).spec ?? {};
    const modes = spec.accessModes ?? [];
    const causes = modes.length === 0 ? [required('spec.accessModes', 'at least 1 access mode is required')] : [];
    causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    for (const mode of modes) if (!ACCESS_MODES.includes(mode)) causes.push(notSupported('spec.accessModes', quote(mode), ACCESS_MODES));
    if (modes.includes('ReadWriteOncePod') && modes.length > 1) causes.push(forbidden('spec.accessModes', 'may not use ReadWriteOncePod with other access modes'));
    const storage = quantityOf(spec.resources, 'storage');
    if (storage === undefined) causes.push(required('spec.resources[storage]'));
    else {
      // ValidateResourceQuantityValue, then ValidatePositiveQuantityValue: a negative size fails both.
      const at = (detail: string) => invalid('spec.resources[storage]', quote(formatQuantity(storage)), detail);
      if (storage.value < 0n) causes.push(at('must be greater than or equal to 0'));
      if (storage.value <= 0n) causes.push(at('must be greater than zero'));
    }
    if (spec.storageClassName) causes.push(...checkName(spec.storageClassName, 'subdomain', 'spec.storageClassName'));
    if (spec.volumeMode != null && !VOLUME_MODES.includes(spec.volumeMode)) causes.push(notSupported('spec.volumeMode', quote(spec.volumeMode), VOLUME_MODES));
    return causes;
  },
};

/** A request decodeInput left canonical. */
function quantityOf(resources: ResourceRequirements | undefined, name: string): Quantity | undefined {
  const text = resources?.requests?.[name];
  return text === undefined ? undefined : (parseQuantity(text) as Quantity);
}

export const persistentVolumeRules: KindRules = {
  defaults(obj, old) {
    const volume = obj as Volume;
    const spec = (volume.spec ??= {});
    spec.persistentVolumeReclaimPolicy ??= 'Retain';
    spec.volumeMode ??= 'Filesystem';
    if (old === undefined) (volume as { status?: unknown }).status = { phase: 'Pending' };
  },
};

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const MAX_PARAMETERS = 512;
const MAX_PARAMETERS_BYTES = 256 * 1024;

type Class = KubeObject & StorageClass;

export const storageClassRules: KindRules = {
  defaults(obj) {
    const sc = obj as Class;
    sc.reclaimPolicy ??= 'Delete';
    sc.volumeBindingMode ??= 'Immediate';
  },
  validate(obj, old): StatusCause[] {
    const sc = obj as Class;
    const causes: StatusCause[] = [];
    if (!sc.provisioner) causes.push(required('provisioner'));
    else causes.push(...qualifiedNameErrors(sc.provisioner.toLowerCase()).map((m) => invalid('provisioner', quote(sc.provisioner), m)));
    const parameters = Object.entries(sc.parameters ?? {});
    if (parameters.length > MAX_PARAMETERS) causes.push(tooLong('parameters', MAX_PARAMETERS));
    else {
      if (parameters.some(([key]) => key === '')) causes.push(invalid('parameters', '""', 'field can not be empty.'));
      if (parameters.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0) > MAX_PARAMETERS_BYTES) causes.push(tooLong('parameters', MAX_PARAMETERS_BYTES));
    }
    if (sc.reclaimPolicy != null && !RECLAIM_POLICIES.includes(sc.reclaimPolicy)) causes.push(notSupported('reclaimPolicy', quote(sc.reclaimPolicy), RECLAIM_POLICIES));
    if (sc.volumeBindingMode != null && !BINDING_MODES.includes(sc.volumeBindingMode)) causes.push(notSupported('volumeBindingMode', quote(sc.volumeBindingMode), BINDING_MODES));
    const was = old as Class | undefined;
    if (was !== undefined) {
      if (!semanticEqual(sc.parameters ?? {}, was.parameters ?? {})) causes.push(forbidden('parameters', 'updates to parameters are forbidden.'));
      if (sc.provisioner !== was.provisioner) causes.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
      if (sc.reclaimPolicy !== was.reclaimPolicy) causes.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
      if (sc.volumeBindingMode !== was.volumeBindingMode) causes.push(invalid('volumeBindingMode', quote(sc.volumeBindingMode ?? ''), IMMUTABLE));
    }
    return causes;
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

// Storage kinds: what PersistentVolumeClaims and StorageClasses get on
// create as upstream's strategies and defaults give it (phase Pending,
// volumeMode Filesystem, reclaim policy Delete and binding mode Immediate
// for classes), and upstream's DefaultStorageClass admission: a claim that
// names no class gets the default one (the newest, when several say they
// are). Claims and classes are validated as upstream's core and storage
// validation do (1.31), a claim's updates as ValidatePersistentVolumeClaimUpdate
// holds them: its spec is fixed once created but for a bound claim's storage
// request (which may grow, never shrink), a volumeName set once and a class
// set where there was none. The claim spec's check also serves the claim
// templates of pods' ephemeral volumes. PersistentVolumes are in
// persistent-volumes.ts.
import type { PersistentVolumeClaim, PersistentVolumeClaimSpec } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { compare } from '../../../common/quantity.js';
import type { KubeObject, ObjectMeta } from '../objects.js';
import type { Store } from '../../store/types.js';
import { checkName } from '../registry/names.js';
import { type KindRules, prefixOf } from '../registry/registry.js';
import { decodeObject } from '../registry/stored-object.js';
import type { ResourceType } from '../resources.js';
import type { StatusCause } from '../status.js';
import { semanticEqual, zerolessEqual } from './equality.js';
import { forbidden, IMMUTABLE, invalid, notSupported, quote, required, sortedKeys, tooLong } from './field-errors.js';
import { qualifiedNameErrors, validateLabelSelector, validateQualifiedName } from './labels.js';
import { comparableResourceList, decodeResourceList, integerValue, isNative, quantityIn, type ResourceList } from './resource-lists.js';

/** Set by the scheduler on a claim whose class binds on first consumer: the node of its first pod. */
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** GetPersistentVolumeClaimClass: the claim's class, from the beta annotation first; "" for none. */
export function claimClassOf(claim: { metadata?: ObjectMeta; spec?: { storageClassName?: string | null } }): string {
  return claim.metadata?.annotations?.[BETA_CLASS_ANNOTATION] ?? claim.spec?.storageClassName ?? '';
}

/** storageutil.IsDefaultAnnotation: exactly "true", in the GA or the beta annotation. */
export function isDefaultClass(metadata: ObjectMeta): boolean {
  return metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' || metadata.annotations?.[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

type Claim = KubeObject & PersistentVolumeClaim;
type ClaimStatus = NonNullable<PersistentVolumeClaim['status']>;

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const VOLUME_MODES = ['Block', 'Filesystem'];

/** Each mode supported, and ReadWriteOncePod alone (claims' and volumes' access modes alike). */
export function validateAccessModeValues(modes: readonly string[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  let once = false;
  let other = false;
  for (const mode of modes) {
    if (!ACCESS_MODES.includes(mode)) causes.push(notSupported(path, quote(mode), ACCESS_MODES));
    if (mode === 'ReadWriteOncePod') once = true;
    else if (ACCESS_MODES.includes(mode)) other = true;
  }
  if (once && other) causes.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return causes;
}

/**
 * ValidationOptionsForPersistentVolumeClaim: with VolumeAttributesClass and
 * RecoverVolumeExpansionFailure off in 1.31, what an update may still do
 * because the claim already had what they bring.
 */
export interface ClaimOptions {
  /** The old claim has a volumeAttributesClassName: it is checked. */
  readonly withClass: boolean;
  /** The old claim's status has allocated resources: it may shrink back to its status.capacity. */
  readonly recovering: boolean;
}

/** A new claim's (and a claim template's) options. */
export const NEW_CLAIM: ClaimOptions = { withClass: false, recovering: false };

function claimOptions(old: Claim | undefined): ClaimOptions {
  return {
    withClass: old?.spec?.volumeAttributesClassName != null,
    recovering: old?.status?.allocatedResources != null || old?.status?.allocatedResourceStatuses != null,
  };
}

export const persistentVolumeClaimRules: KindRules = {
  // Quantities are decoded as upstream's resource.Quantity and SetDefaults_ResourceList: a bad one is a 400, a good one kept in canonical form ("1.5Gi" → "1536Mi").
  decodeInput(obj) {
    const claim = obj as Claim;
    for (const list of [claim.spec?.resources?.limits, claim.spec?.resources?.requests, claim.status?.capacity, claim.status?.allocatedResources]) decodeResourceList(list, obj);
  },
  defaults(obj, old) {
    const claim = obj as Claim;
    const spec = (claim.spec ??= {});
    spec.volumeMode ??= 'Filesystem';
    // DropDisabledFields: VolumeAttributesClass is off by default in 1.31.
    if ((old as Claim | undefined)?.spec?.volumeAttributesClassName == null) delete spec.volumeAttributesClassName;
    if (old === undefined) (claim as { status?: unknown }).status = { phase: 'Pending' };
  },
  validate(obj, old): StatusCause[] {
    const claim = obj as Claim;
    const was = old as Claim | undefined;
    const opts = claimOptions(was);
    const causes = validateClaimSpec(claim.spec ?? {}, 'spec', opts);
    if (was === undefined) return causes;
    // The strategy's ValidateUpdate runs ValidatePersistentVolumeClaim, then ValidatePersistentVolumeClaimUpdate, which runs it again.
    return [...causes, ...causes, ...claimUpdateCauses(claim, was, opts)];
  },
  prepareStatus(obj, old) {
    // DropDisabledFieldsFromStatus: what the gates that are off in 1.31 bring, unless the claim had it.
    const status = (obj as Claim).status;
    const before = (old as Claim).status;
    if (status == null) return;
    if (before?.currentVolumeAttributesClassName == null) delete status.currentVolumeAttributesClassName;
    if (before?.modifyVolumeStatus == null) delete status.modifyVolumeStatus;
    if (before?.allocatedResources == null) delete status.allocatedResources;
    if (before?.allocatedResourceStatuses == null) delete status.allocatedResourceStatuses;
  },
  validateStatus(obj, old): StatusCause[] {
    return validateClaimStatus(obj as Claim, claimOptions(old as Claim));
  },
};

/** ValidatePersistentVolumeClaimSpec, of a claim (at "spec") or of a claim template. */
export function validateClaimSpec(spec: PersistentVolumeClaimSpec, path: string, opts: ClaimOptions): StatusCause[] {
  const modes = spec.accessModes ?? [];
  const causes = modes.length === 0 ? [required(`${path}.accessModes`, 'at least 1 access mode is required')] : [];
  causes.push(...validateLabelSelector(spec.selector, `${path}.selector`));
  causes.push(...validateAccessModeValues(modes, `${path}.accessModes`));
  const requests = spec.resources?.requests;
  const storagePath = `${path}.resources[storage]`;
  if (requests?.['storage'] === undefined) causes.push(required(storagePath));
  else {
    const storage = quantityIn(requests, 'storage');
    // ValidateResourceQuantityValue, then ValidatePositiveQuantityValue: a negative size fails both.
    const at = (detail: string) => invalid(storagePath, quote(requests['storage']!), detail);
    if (storage.value < 0n) causes.push(at('must be greater than or equal to 0'));
    if (storage.value <= 0n) causes.push(at('must be greater than zero'));
  }
  if (spec.storageClassName) causes.push(...checkName(spec.storageClassName, 'subdomain', `${path}.storageClassName`));
  if (spec.volumeMode != null && !VOLUME_MODES.includes(spec.volumeMode)) causes.push(notSupported(`${path}.volumeMode`, quote(spec.volumeMode), VOLUME_MODES));
  if (spec.volumeAttributesClassName && opts.withClass) causes.push(...checkName(spec.volumeAttributesClassName, 'subdomain', `${path}.volumeAttributesClassName`));
  return causes;
}

const IMMUTABLE_SPEC = 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

/** ValidatePersistentVolumeClaimUpdate, but for its run of ValidatePersistentVolumeClaim. */
function claimUpdateCauses(claim: Claim, was: Claim, opts: ClaimOptions): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = claim.spec ?? {};
  const old = was.spec ?? {};
  // What may change is set alike on both sides, then the rest compared.
  const next: PersistentVolumeClaimSpec = structuredClone(spec);
  const before: PersistentVolumeClaimSpec = structuredClone(old);
  // The binder sets volumeName, once.
  if (!old.volumeName) before.volumeName = next.volumeName!;
  const oldAnnotations = was.metadata.annotations ?? {};
  const newAnnotations = claim.metadata.annotations ?? {};
  if (classFromAnnotation(oldAnnotations, newAnnotations, old.storageClassName, spec.storageClassName)) {
    delete next.storageClassName;
  } else {
    const value = newAnnotations[BETA_CLASS_ANNOTATION] ?? '';
    if (value !== (oldAnnotations[BETA_CLASS_ANNOTATION] ?? '')) causes.push(invalid(`metadata.annotations.${BETA_CLASS_ANNOTATION}`, quote(value), IMMUTABLE));
    if (classFromNil(oldAnnotations, old.storageClassName, spec.storageClassName)) delete next.storageClassName;
  }
  const bound = claim.status?.phase === 'Bound';
  if (bound && next.resources?.requests != null) {
    if (old.resources?.requests?.['storage'] === undefined) delete next.resources.requests['storage'];
    else next.resources.requests['storage'] = old.resources.requests['storage'];
  }
  if (bound && next.volumeAttributesClassName != null) next.volumeAttributesClassName = before.volumeAttributesClassName!;
  // Upstream adds a go-cmp diff of the two specs on lines of its own: it is left out here.
  if (!sameClaimSpec(next, before)) causes.push(forbidden('spec', IMMUTABLE_SPEC));
  const newSize = quantityIn(spec.resources?.requests, 'storage');
  if (compare(newSize, quantityIn(old.resources?.requests, 'storage')) < 0) {
    // RecoverVolumeExpansionFailure (alpha in 1.31) lets a claim that has allocated resources go back down to its capacity.
    if (!opts.recovering) causes.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
    else if (compare(newSize, quantityIn(was.status?.capacity, 'storage')) <= 0) causes.push(forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
  }
  // Upstream's path lacks the "spec." prefix.
  if ((spec.volumeMode ?? null) !== (old.volumeMode ?? null)) causes.push(invalid('volumeMode', quote(spec.volumeMode ?? 'null'), IMMUTABLE));
  const className = spec.volumeAttributesClassName ?? null;
  const oldClassName = old.volumeAttributesClassName ?? null;
  if (className !== oldClassName) {
    causes.push(forbidden('spec.volumeAttributesClassName', 'update is forbidden when the VolumeAttributesClass feature gate is disabled'));
    if (oldClassName !== null && className === null) causes.push(forbidden('spec.volumeAttributesClassName', 'update from non-nil value to nil is forbidden'));
    else if (oldClassName !== null && className === '') causes.push(forbidden('spec.volumeAttributesClassName', 'update from non-nil value to an empty string is forbidden'));
  }
  return causes;
}

/**
 * validateStorageClassUpgradeFromAnnotation: a class named by the beta
 * annotation alone may move to storageClassName, with the same name.
 */
function classFromAnnotation(oldAnnotations: Record<string, string>, newAnnotations: Record<string, string>, oldClass: string | undefined, newClass: string | undefined): boolean {
  const oldValue = oldAnnotations[BETA_CLASS_ANNOTATION];
  return (
    oldValue !== undefined &&
    oldClass == null &&
    newClass != null &&
    newClass === oldValue &&
    (newAnnotations[BETA_CLASS_ANNOTATION] === undefined || newAnnotations[BETA_CLASS_ANNOTATION] === oldValue)
  );
}

/** validateStorageClassUpgradeFromNil: a claim with no class may get one (the one its beta annotation names, if it has one). */
function classFromNil(oldAnnotations: Record<string, string>, oldClass: string | undefined, newClass: string | undefined): boolean {
  const annotation = oldAnnotations[BETA_CLASS_ANNOTATION];
  return newClass != null && oldClass == null && (annotation === undefined || newClass === annotation);
}

/**
 * apiequality.Semantic.DeepEqual of two claim specs: quantities by value,
 * absent and zero-valued fields alike but for the pointer fields (a class
 * of "" is not no class).
 */
function sameClaimSpec(a: PersistentVolumeClaimSpec, b: PersistentVolumeClaimSpec): boolean {
  const pointers = (s: PersistentVolumeClaimSpec) => [s.storageClassName ?? null, s.volumeMode ?? null, s.volumeAttributesClassName ?? null];
  const rest = (s: PersistentVolumeClaimSpec) => {
    const { storageClassName: _c, volumeMode: _m, volumeAttributesClassName: _v, resources, ...others } = s;
    const lists = { limits: nonEmpty(comparableResourceList(resources?.limits)), requests: nonEmpty(comparableResourceList(resources?.requests)) };
    return { ...others, resources: lists, selector: s.selector == null ? s.selector : { ...s.selector, matchLabels: nonEmpty(s.selector.matchLabels) } };
  };
  return semanticEqual(pointers(a), pointers(b)) && zerolessEqual(rest(a), rest(b));
}

/** Go's nil and empty maps are semantically equal. */
function nonEmpty<T extends object>(map: T | undefined | null): T | undefined {
  return map == null || Object.keys(map).length === 0 ? undefined : map;
}

const RESIZE_STATUSES = ['ControllerResizeInProgress', 'ControllerResizeInfeasible', 'NodeResizeInProgress', 'NodeResizeInfeasible', 'NodeResizePending'];

/** ValidatePersistentVolumeClaimStatusUpdate (metadata and resourceVersion are the registry's). */
function validateClaimStatus(claim: Claim, opts: ClaimOptions): StatusCause[] {
  const causes: StatusCause[] = [];
  const status: ClaimStatus = claim.status ?? {};
  // Upstream's path is capitalized so.
  if ((claim.spec?.accessModes ?? []).length === 0) causes.push(required('Spec.accessModes'));
  for (const name of sortedKeys(status.capacity)) causes.push(...basicResource(status.capacity!, name, `status.capacity[${name}]`));
  if (opts.recovering) {
    const statusPath = 'status.allocatedResourceStatus';
    for (const name of sortedKeys(status.allocatedResourceStatuses)) {
      causes.push(...resourceKeyErrors(name, statusPath));
      // Upstream names the resource, not its status, as the unsupported value.
      if (!RESIZE_STATUSES.includes(status.allocatedResourceStatuses![name]!)) causes.push(notSupported(statusPath, quote(name), RESIZE_STATUSES));
    }
    for (const name of sortedKeys(status.allocatedResources)) {
      const keyErrors = resourceKeyErrors(name, 'status.allocatedResources');
      causes.push(...(keyErrors.length > 0 ? keyErrors : basicResource(status.allocatedResources!, name, `status.allocatedResources[${name}]`)));
    }
  }
  return causes;
}

/** validateBasicResource: Quantity.Value() not negative. */
function basicResource(list: ResourceList, name: string, path: string): StatusCause[] {
  const value = integerValue(quantityIn(list, name));
  return value < 0n ? [invalid(path, String(value), 'must be a valid resource quantity')] : [];
}

/** validatePersistentVolumeClaimResourceKey: a qualified name, and of the native resources storage only. */
function resourceKeyErrors(name: string, path: string): StatusCause[] {
  const causes = validateQualifiedName(name, path);
  if (causes.length > 0) return causes;
  return isNative(name) && name !== 'storage' ? [notSupported(path, quote(name), ['storage'])] : [];
}

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

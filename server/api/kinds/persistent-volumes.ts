// PersistentVolumes as upstream 1.31 defaults, prepares and validates them
// (SetDefaults_PersistentVolume and the volume sources' defaults, the PV
// strategy, ValidatePersistentVolume[Spec|Update] and the mount-options
// check of pkg/volume/validation): access modes, a capacity of exactly
// storage, reclaim policy, node affinity (required for local volumes),
// exactly one volume source and each source's own checks, storage class
// and volume mode; after creation the source and volume mode are fixed and
// node affinity may only move from beta to GA labels. The status keeps
// lastPhaseTransitionTime (GA in 1.31) as the status strategy does.
// VolumeAttributesClass is beta and off in 1.31: its field is dropped
// unless the volume already had it. Upstream's warnings (the deprecated
// Recycle policy and volume plugins) have no place here: bramble sends no
// warning headers.
import type { NodeSelectorRequirement, PersistentVolume, PersistentVolumeSpec, SecretReference, VolumeNodeAffinity } from 'kubernetes-types/core/v1.js';
import { type KubeObject, metaTime } from '../objects.js';
import { checkName, nameErrors } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { semanticEqual, zerolessEqual } from './equality.js';
import { forbidden, goPointer, IMMUTABLE, invalid, notSupported, quote, required, sortedKeys, tooLong } from './field-errors.js';
import { validatePathNoBacksteps } from './local-paths.js';
import { validateNodeSelector } from './node-selectors.js';
import { decodeResourceList, goResourceList, integerValue, quantityIn } from './resource-lists.js';
import { validateAccessModeValues, VOLUME_MODES } from './storage.js';
import {
  requiredFields,
  type Source,
  sourceDefaults,
  text,
  validateAWSElasticBlockStore,
  validateAzureDisk,
  validateAzureFile,
  validateCephFS,
  validateCinder,
  validateFC,
  validateFlex,
  validateFlocker,
  validateGCEPersistentDisk,
  validateGlusterfs,
  validateHostPath,
  validateISCSIInitiator,
  validateISCSITarget,
  validateNFS,
  validatePhotonPersistentDisk,
  validatePortworxVolume,
  validateQuobyte,
  validateRBD,
  validateScaleIO,
  validateStorageOS,
  validateVsphereVolume,
} from './volume-sources.js';

type Volume = KubeObject & PersistentVolume;
type Spec = PersistentVolumeSpec & Record<string, unknown>;

const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const MOUNT_OPTIONS_ANNOTATION = 'volume.beta.kubernetes.io/mount-options';

export const persistentVolumeRules: KindRules = {
  decodeInput(obj) {
    decodeResourceList((obj as Volume).spec?.capacity, obj);
  },
  defaults(obj, old) {
    const volume = obj as Volume;
    const spec = (volume.spec ??= {}) as Spec;
    spec.persistentVolumeReclaimPolicy ||= 'Retain';
    spec.volumeMode ??= 'Filesystem';
    sourceDefaults(spec);
    // DropDisabledSpecFields: VolumeAttributesClass is off by default in 1.31.
    if ((old as Volume | undefined)?.spec?.volumeAttributesClassName == null) delete spec.volumeAttributesClassName;
    // PrepareForCreate: the status is the server's, Pending since now.
    if (old === undefined) (volume as { status?: unknown }).status = { phase: 'Pending', lastPhaseTransitionTime: metaTime() };
  },
  validate(obj, old): StatusCause[] {
    const volume = obj as Volume;
    const was = old as Volume | undefined;
    // ValidationOptionsForPersistentVolume: the class is checked once a volume has one.
    const withClass = was?.spec?.volumeAttributesClassName != null;
    const spec = validateSpec(volume, withClass);
    const causes = [...spec, ...mountOptionCauses(volume)];
    if (was === undefined) return causes;
    // The strategy's ValidateUpdate runs ValidatePersistentVolume, then ValidatePersistentVolumeUpdate, which runs it again.
    return [...causes, ...spec, ...updateCauses(volume, was)];
  },
  prepareStatus(obj, old) {
    const status = ((obj as Volume).status ?? {}) as NonNullable<PersistentVolume['status']>;
    const before = (old as Volume).status ?? {};
    const changed = (status.phase ?? '') !== (before.phase ?? '');
    if (!changed && status.lastPhaseTransitionTime == null) {
      if (before.lastPhaseTransitionTime != null) status.lastPhaseTransitionTime = before.lastPhaseTransitionTime;
    } else if (changed && (status.lastPhaseTransitionTime == null || sameTime(status.lastPhaseTransitionTime, before.lastPhaseTransitionTime))) {
      status.lastPhaseTransitionTime = metaTime();
    }
    if (Object.keys(status).length > 0) (obj as { status?: unknown }).status = status;
  },
};

function sameTime(a: string, b: string | undefined): boolean {
  return b !== undefined && Date.parse(a) === Date.parse(b);
}

// --- ValidatePersistentVolumeSpec ---------------------------------------------

function validateSpec(volume: Volume, withClass: boolean): StatusCause[] {
  const spec = (volume.spec ?? {}) as Spec;
  const causes: StatusCause[] = [];
  const modes = spec.accessModes ?? [];
  if (modes.length === 0) causes.push(required('spec.accessModes'));
  causes.push(...validateAccessModeValues(modes, 'spec.accessModes'));
  causes.push(...validateCapacity(spec.capacity));
  const policy = spec.persistentVolumeReclaimPolicy ?? '';
  if (policy !== '' && !RECLAIM_POLICIES.includes(policy)) causes.push(notSupported('spec.persistentVolumeReclaimPolicy', quote(policy), RECLAIM_POLICIES));
  // validateVolumeNodeAffinity.
  const affinity = spec.nodeAffinity;
  if (affinity != null) {
    if (affinity.required != null) causes.push(...validateNodeSelector(affinity.required, 'spec.nodeAffinity.required'));
    else causes.push(required('spec.nodeAffinity.required', 'must specify required node constraints'));
  }
  causes.push(...validateSources(spec, volume.metadata.name ?? '', affinity != null));
  const hostPath = spec.hostPath?.path;
  if (hostPath != null && cleanPath(hostPath) === '/' && policy === 'Recycle') {
    causes.push(forbidden('spec.persistentVolumeReclaimPolicy', "may not be 'recycle' for a hostPath mount of '/'"));
  }
  if (spec.storageClassName) causes.push(...checkName(spec.storageClassName, 'subdomain', 'spec.storageClassName'));
  if (spec.volumeMode != null && !VOLUME_MODES.includes(spec.volumeMode)) causes.push(notSupported('spec.volumeMode', quote(spec.volumeMode), VOLUME_MODES));
  const className = spec.volumeAttributesClassName;
  if (className != null && withClass) {
    if (className === '') causes.push(required('spec.volumeAttributesClassName', 'an empty string is disallowed'));
    else causes.push(...checkName(className, 'subdomain', 'spec.volumeAttributesClassName'));
    if (spec.csi == null) causes.push(required('spec.csi', 'has to be specified when using volumeAttributesClassName'));
  }
  return causes;
}

/** A capacity of storage alone, a valid positive quantity (Go iterates the map at random: sorted here). */
function validateCapacity(capacity: Record<string, string> | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = Object.keys(capacity ?? {});
  if (names.length === 0) causes.push(required('spec.capacity'));
  if (!names.includes('storage') || names.length > 1) {
    causes.push(notSupported('spec.capacity', goResourceList(capacity), ['storage']));
  }
  for (const name of sortedKeys(capacity)) {
    const path = `spec.capacity[${name}]`;
    const q = quantityIn(capacity, name);
    // validateBasicResource prints Quantity.Value(), ValidatePositiveQuantityValue its String().
    const integer = integerValue(q);
    if (integer < 0n) causes.push(invalid(path, String(integer), 'must be a valid resource quantity'));
    if (q.value <= 0n) causes.push(invalid(path, quote(capacity![name]!), 'must be greater than zero'));
  }
  return causes;
}

/** path.Clean, for the one comparison with "/". */
function cleanPath(p: string): string {
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts.at(-1) !== '..') parts.pop();
      else if (!rooted) parts.push('..');
    } else parts.push(part);
  }
  const joined = parts.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

/**
 * The sources in the order upstream looks at them; `at` is where a second
 * source is reported and `path` where its own fields are (they differ for
 * two, as upstream's do). FlexVolume is counted but never reported as a
 * second source, as upstream.
 */
const SOURCES: readonly { key: string; at?: string; path?: string; check: (s: Source, path: string, pvName: string) => StatusCause[]; alwaysCounted?: true }[] = [
  { key: 'hostPath', check: validateHostPath },
  { key: 'gcePersistentDisk', path: 'persistentDisk', check: validateGCEPersistentDisk },
  { key: 'awsElasticBlockStore', check: validateAWSElasticBlockStore },
  { key: 'glusterfs', check: validateGlusterfsPV },
  { key: 'flocker', check: validateFlocker },
  { key: 'nfs', check: validateNFS },
  { key: 'rbd', check: validateRBD },
  { key: 'quobyte', check: validateQuobyte },
  { key: 'cephfs', at: 'cephFS', check: validateCephFS },
  { key: 'iscsi', check: validateISCSI },
  { key: 'cinder', check: (s, p) => validateCinder(s, p, SECRET_NAME_AND_NAMESPACE) },
  { key: 'fc', check: validateFC },
  { key: 'flexVolume', check: validateFlex, alwaysCounted: true },
  { key: 'azureFile', check: validateAzureFilePV },
  { key: 'vsphereVolume', check: validateVsphereVolume },
  { key: 'photonPersistentDisk', check: validatePhotonPersistentDisk },
  { key: 'portworxVolume', check: validatePortworxVolume },
  { key: 'azureDisk', check: validateAzureDisk },
  { key: 'scaleIO', check: validateScaleIO },
  { key: 'local', check: validateLocal },
  { key: 'storageos', check: (s, p) => validateStorageOS(s, p, SECRET_NAME_AND_NAMESPACE) },
  { key: 'csi', check: validateCSI },
];

/** A PV's secret references (cinder, storageos) name their namespace too. */
const SECRET_NAME_AND_NAMESPACE = ['name', 'namespace'];

/** The fields of PersistentVolumeSource, which may not change after creation. */
const SOURCE_KEYS = SOURCES.map((s) => s.key);

function validateSources(spec: Spec, pvName: string, hasNodeAffinity: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  let count = 0;
  for (const { key, at, path, check, alwaysCounted } of SOURCES) {
    const source = spec[key] as Source | null | undefined;
    if (source == null) continue;
    if (count > 0 && !alwaysCounted) {
      causes.push(forbidden(`spec.${at ?? key}`, 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    causes.push(...check(source, `spec.${path ?? key}`, pvName));
    if (key === 'local' && !hasNodeAffinity) causes.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (count === 0) causes.push(required('spec', 'must specify a volume type'));
  return causes;
}

function validateLocal(s: Source, path: string): StatusCause[] {
  if (text(s, 'path') === '') return [required(`${path}.path`)];
  return validatePathNoBacksteps(text(s, 'path'), `${path}.path`);
}

function validateGlusterfsPV(s: Source, path: string): StatusCause[] {
  const causes = validateGlusterfs(s, path);
  const ns = s['endpointsNamespace'] as string | null | undefined;
  if (ns === '') causes.push(invalid(`${path}.endpointsNamespace`, '""', 'if the endpointnamespace is set, it must be a valid namespace name'));
  else if (ns != null) causes.push(...checkName(ns, 'label', `${path}.endpointsNamespace`));
  return causes;
}

/** A PV's iSCSI names its bad iqn or initiator "must be valid format" whatever its prefix. */
const ISCSI_NAME_FORMAT = 'must be valid format';

function validateISCSI(s: Source, path: string, pvName: string): StatusCause[] {
  const causes = requiredFields(s, path, ['targetPortal']);
  const portal = text(s, 'targetPortal');
  if (s['initiatorName'] != null && `${pvName}:${portal}`.length > 64) {
    causes.push(invalid(`${path}.targetportal`, quote(portal), 'Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.'));
  }
  causes.push(...validateISCSITarget(s, path, ISCSI_NAME_FORMAT));
  if (s['secretRef'] != null) causes.push(...requiredFields(s['secretRef'] as Source, `${path}.secretRef`, ['name']));
  causes.push(...validateISCSIInitiator(s, path, ISCSI_NAME_FORMAT));
  return causes;
}

function validateAzureFilePV(s: Source, path: string): StatusCause[] {
  const causes = validateAzureFile(s, path);
  if (s['secretNamespace'] === '') causes.push(required(`${path}.secretNamespace`));
  return causes;
}

/** ValidateCSIDriverName. */
export function validateCSIDriverName(driver: string, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (driver === '') causes.push(required(path));
  if (driver.length > 63) causes.push(tooLong(path, 63));
  causes.push(...nameErrors(driver.toLowerCase(), 'subdomain').map((m) => invalid(path, quote(driver), m)));
  return causes;
}

function validateCSI(s: Source, path: string): StatusCause[] {
  const causes = validateCSIDriverName(text(s, 'driver'), `${path}.driver`);
  causes.push(...requiredFields(s, path, ['volumeHandle']));
  for (const ref of ['controllerPublishSecretRef', 'controllerExpandSecretRef', 'nodePublishSecretRef', 'nodeExpandSecretRef']) {
    if (s[ref] != null) causes.push(...validateSecretReference(s[ref] as SecretReference, `${path}.${ref}`));
  }
  return causes;
}

/** validatePVSecretReference: a name (subdomain) and a namespace (label). */
function validateSecretReference(ref: SecretReference, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!ref.name) causes.push(required(`${path}.name`));
  else causes.push(...checkName(ref.name, 'subdomain', `${path}.name`));
  if (!ref.namespace) causes.push(required(`${path}.namespace`));
  else causes.push(...checkName(ref.namespace, 'label', `${path}.namespace`));
  return causes;
}

/** Types that take mount options; others may not have the beta annotation (spec.mountOptions is not checked). */
const MOUNT_OPTION_SOURCES = [
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'glusterfs',
  'nfs',
  'rbd',
  'quobyte',
  'iscsi',
  'cinder',
  'cephfs',
  'azureFile',
  'vsphereVolume',
  'azureDisk',
  'photonPersistentDisk',
  'flocker',
  'scaleIO',
  'fc',
  'portworxVolume',
];

/** pkg/volume/validation's checkMountOption. */
function mountOptionCauses(volume: Volume): StatusCause[] {
  const spec = (volume.spec ?? {}) as Spec;
  if (MOUNT_OPTION_SOURCES.some((key) => spec[key] != null)) return [];
  if (volume.metadata.annotations?.[MOUNT_OPTIONS_ANNOTATION] === undefined) return [];
  return [forbidden(`metadata.annotations.${MOUNT_OPTIONS_ANNOTATION}`, 'may not specify mount options for this volume type')];
}

// --- ValidatePersistentVolumeUpdate -------------------------------------------

function updateCauses(volume: Volume, was: Volume): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = (volume.spec ?? {}) as Spec;
  const old = (was.spec ?? {}) as Spec;
  const source = sourceOf(spec);
  // A CSI volume may gain a controllerExpandSecretRef.
  if (old.csi != null && old.csi.controllerExpandSecretRef == null && spec.csi?.controllerExpandSecretRef != null) {
    const { controllerExpandSecretRef: _, ...csi } = spec.csi;
    source['csi'] = csi;
  }
  // Upstream adds a go-cmp diff of the two sources on lines of its own: it is left out here.
  if (!zerolessEqual(source, sourceOf(old))) causes.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  // Upstream's paths for these two lack the "spec." prefix.
  if ((spec.volumeMode ?? null) !== (old.volumeMode ?? null)) causes.push(invalid('volumeMode', quote(spec.volumeMode ?? 'null'), IMMUTABLE));
  if (old.nodeAffinity != null && !sameNodeAffinity(spec.nodeAffinity, old.nodeAffinity)) {
    causes.push(invalid('nodeAffinity', goVolumeNodeAffinity(spec.nodeAffinity), `${IMMUTABLE}, except for updating from beta label to GA`));
  }
  const className = spec.volumeAttributesClassName ?? null;
  const oldClassName = old.volumeAttributesClassName ?? null;
  if (className !== oldClassName) {
    causes.push(forbidden('spec.volumeAttributesClassName', 'update is forbidden when the VolumeAttributesClass feature gate is disabled'));
    if (oldClassName !== null && className === null) causes.push(forbidden('spec.volumeAttributesClassName', 'update from non-nil value to nil is forbidden'));
  }
  return causes;
}

function sourceOf(spec: Spec): Source {
  const source: Source = {};
  for (const key of SOURCE_KEYS) if (spec[key] != null) source[key] = spec[key];
  return source;
}

/** Labels a volume's node affinity may move from, to their GA names. */
const BETA_TO_GA: Readonly<Record<string, string>> = {
  'failure-domain.beta.kubernetes.io/zone': 'topology.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region': 'topology.kubernetes.io/region',
  'beta.kubernetes.io/os': 'kubernetes.io/os',
  'beta.kubernetes.io/arch': 'kubernetes.io/arch',
  'beta.kubernetes.io/instance-type': 'node.kubernetes.io/instance-type',
};

/** Equal but for requirements whose key went from a beta label to its GA one (getMaskNodeSelectorLabelChangeEqualities). */
function sameNodeAffinity(next: VolumeNodeAffinity | undefined, old: VolumeNodeAffinity): boolean {
  const masked = structuredClone(old);
  const newTerms = next?.required?.nodeSelectorTerms ?? [];
  (masked.required?.nodeSelectorTerms ?? []).forEach((term, i) => {
    for (const list of ['matchExpressions', 'matchFields'] as const) {
      (term[list] ?? []).forEach((req: NodeSelectorRequirement, j) => {
        const newKey = newTerms[i]?.[list]?.[j]?.key;
        if (newKey !== undefined && req.key !== newKey && BETA_TO_GA[req.key] === newKey) req.key = newKey;
      });
    }
  });
  return semanticEqual(next, masked);
}

/** %#v of the *VolumeNodeAffinity field errors print; Go shows the address of its NodeSelector, which has no meaning here. */
function goVolumeNodeAffinity(affinity: VolumeNodeAffinity | undefined): string {
  if (affinity == null) return '"null"';
  return `core.VolumeNodeAffinity{Required:${goPointer('core.NodeSelector', affinity.required != null)}}`;
}

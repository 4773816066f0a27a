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
import { forbidden, goPointer, goStrings, IMMUTABLE, inclusiveRange, invalid, notSupported, quote, required, sortedKeys, tooLong } from './field-errors.js';
import { validatePathNoBacksteps } from './local-paths.js';
import { validateNodeSelector } from './node-selectors.js';
import { decodeResourceList, goResourceList, integerValue, quantityIn } from './resource-lists.js';
import { validateAccessModeValues, VOLUME_MODES } from './storage.js';

type Volume = KubeObject & PersistentVolume;
type Spec = PersistentVolumeSpec & Record<string, unknown>;
type Source = Record<string, unknown>;

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

/** The volume sources' SetDefaults functions (SetObjectDefaults_PersistentVolume). */
function sourceDefaults(spec: Spec): void {
  if (spec.hostPath) spec.hostPath.type ??= '';
  if (spec.rbd) {
    spec.rbd.pool ||= 'rbd';
    spec.rbd.user ||= 'admin';
    spec.rbd.keyring ||= '/etc/ceph/keyring';
  }
  if (spec.iscsi) spec.iscsi.iscsiInterface ||= 'default';
  if (spec.azureDisk) {
    spec.azureDisk.cachingMode ??= 'ReadWrite';
    spec.azureDisk.kind ??= 'Shared';
    spec.azureDisk.fsType ??= 'ext4';
    spec.azureDisk.readOnly ??= false;
  }
  if (spec.scaleIO) {
    spec.scaleIO.storageMode ||= 'ThinProvisioned';
    spec.scaleIO.fsType ||= 'xfs';
  }
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
  { key: 'gcePersistentDisk', path: 'persistentDisk', check: (s, p) => [...requiredFields(s, p, ['pdName']), ...partition(s, p)] },
  { key: 'awsElasticBlockStore', check: (s, p) => [...requiredFields(s, p, ['volumeID']), ...partition(s, p)] },
  { key: 'glusterfs', check: validateGlusterfs },
  { key: 'flocker', check: validateFlocker },
  { key: 'nfs', check: validateNFS },
  { key: 'rbd', check: (s, p) => requiredFields(s, p, ['monitors', 'image']) },
  { key: 'quobyte', check: validateQuobyte },
  { key: 'cephfs', at: 'cephFS', check: (s, p) => requiredFields(s, p, ['monitors']) },
  { key: 'iscsi', check: validateISCSI },
  { key: 'cinder', check: (s, p) => [...requiredFields(s, p, ['volumeID']), ...(s['secretRef'] != null ? requiredFields(s['secretRef'] as Source, `${p}.secretRef`, ['name', 'namespace']) : [])] },
  { key: 'fc', check: validateFC },
  { key: 'flexVolume', check: validateFlex, alwaysCounted: true },
  { key: 'azureFile', check: validateAzureFile },
  { key: 'vsphereVolume', check: (s, p) => requiredFields(s, p, ['volumePath']) },
  { key: 'photonPersistentDisk', check: (s, p) => requiredFields(s, p, ['pdID']) },
  { key: 'portworxVolume', check: (s, p) => requiredFields(s, p, ['volumeID']) },
  { key: 'azureDisk', check: validateAzureDisk },
  { key: 'scaleIO', check: (s, p) => requiredFields(s, p, ['gateway', 'system', 'volumeName']) },
  { key: 'local', check: validateLocal },
  { key: 'storageos', check: validateStorageOS },
  { key: 'csi', check: validateCSI },
];

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

/** Required values: empty strings and lists are missing ones. */
function requiredFields(source: Source, path: string, fields: readonly string[]): StatusCause[] {
  return fields.filter((f) => isEmpty(source[f])).map((f) => required(`${path}.${f}`));
}

/** A string field; absent is "", as Go decodes it. */
function text(source: Source, field: string): string {
  return (source[field] as string | undefined) ?? '';
}

function isEmpty(v: unknown): boolean {
  return v == null || v === '' || (Array.isArray(v) && v.length === 0);
}

function partition(source: Source, path: string): StatusCause[] {
  const p = (source['partition'] as number | undefined) ?? 0;
  return p < 0 || p > 255 ? [invalid(`${path}.partition`, String(p), inclusiveRange(1, 255))] : [];
}

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

function validateHostPath(s: Source, path: string): StatusCause[] {
  if (isEmpty(s['path'])) return [required(`${path}.path`)];
  const causes = validatePathNoBacksteps(text(s, 'path'), `${path}.path`);
  const type = s['type'] as string | null | undefined;
  if (type != null && !HOST_PATH_TYPES.includes(type)) causes.push(notSupported(`${path}.type`, quote(type), HOST_PATH_TYPES));
  return causes;
}

function validateLocal(s: Source, path: string): StatusCause[] {
  if (isEmpty(s['path'])) return [required(`${path}.path`)];
  return validatePathNoBacksteps(text(s, 'path'), `${path}.path`);
}

function validateNFS(s: Source, path: string): StatusCause[] {
  const causes = requiredFields(s, path, ['server', 'path']);
  const p = text(s, 'path');
  if (!p.startsWith('/')) causes.push(invalid(`${path}.path`, quote(p), 'must be an absolute path'));
  return causes;
}

function validateGlusterfs(s: Source, path: string): StatusCause[] {
  const causes = requiredFields(s, path, ['endpoints', 'path']);
  const ns = s['endpointsNamespace'] as string | null | undefined;
  if (ns === '') causes.push(invalid(`${path}.endpointsNamespace`, '""', 'if the endpointnamespace is set, it must be a valid namespace name'));
  else if (ns != null) causes.push(...checkName(ns, 'label', `${path}.endpointsNamespace`));
  return causes;
}

function validateFlocker(s: Source, path: string): StatusCause[] {
  const name = text(s, 'datasetName');
  const uuid = text(s, 'datasetUUID');
  const causes: StatusCause[] = [];
  if (name === '' && uuid === '') causes.push(required(path, 'one of datasetName and datasetUUID is required'));
  if (name !== '' && uuid !== '') causes.push(invalid(path, '"resource"', 'datasetName and datasetUUID can not be specified simultaneously'));
  if (name.includes('/')) causes.push(invalid(`${path}.datasetName`, quote(name), "must not contain '/'"));
  return causes;
}

const QUOBYTE_REGISTRY = 'must be a host:port pair or multiple pairs separated by commas';

function validateQuobyte(s: Source, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const registry = text(s, 'registry');
  if (registry === '') causes.push(required(`${path}.registry`, QUOBYTE_REGISTRY));
  else if ((text(s, 'tenant')).length >= 65) causes.push(required(`${path}.tenant`, 'must be a UUID and may not exceed a length of 64 characters'));
  else for (const pair of registry.split(',')) if (!isHostPort(pair)) causes.push(invalid(`${path}.registry`, quote(registry), QUOBYTE_REGISTRY));
  return [...causes, ...requiredFields(s, path, ['volume'])];
}

/** Whether Go's net.SplitHostPort accepts it. */
function isHostPort(s: string): boolean {
  const colon = s.lastIndexOf(':');
  if (colon < 0) return false;
  let from = 0;
  let to = 0;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || end + 1 !== colon) return false;
    from = 1;
    to = end + 1;
  } else if (s.slice(0, colon).includes(':')) return false;
  return !s.slice(from).includes('[') && !s.slice(to).includes(']');
}

const ISCSI_IQN = /iqn\.\d{4}-\d{2}\.([A-Za-z0-9.-]+)(:[^,;*&$|\t\n\f\r ]+)$/;
const ISCSI_EUI = /^eui.[A-Za-z0-9]{16}$/;
const ISCSI_NAA = /^naa.[A-Za-z0-9]{32}$/;

/** An iqn, eui or naa name of the right form (a name of none of the three is as wrong as a malformed one). */
function isISCSIName(name: string): boolean {
  for (const [prefix, re] of [['iqn', ISCSI_IQN], ['eui', ISCSI_EUI], ['naa', ISCSI_NAA]] as const) if (name.startsWith(prefix)) return re.test(name);
  return false;
}

function validateISCSI(s: Source, path: string, pvName: string): StatusCause[] {
  const causes = requiredFields(s, path, ['targetPortal']);
  const portal = text(s, 'targetPortal');
  const initiator = s['initiatorName'] as string | null | undefined;
  if (initiator != null && `${pvName}:${portal}`.length > 64) {
    causes.push(invalid(`${path}.targetportal`, quote(portal), 'Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.'));
  }
  const iqn = text(s, 'iqn');
  if (iqn === '') causes.push(required(`${path}.iqn`));
  else if (!isISCSIName(iqn)) causes.push(invalid(`${path}.iqn`, quote(iqn), 'must be valid format'));
  const lun = (s['lun'] as number | undefined) ?? 0;
  if (lun < 0 || lun > 255) causes.push(invalid(`${path}.lun`, String(lun), inclusiveRange(0, 255)));
  if ((s['chapAuthDiscovery'] || s['chapAuthSession']) && s['secretRef'] == null) causes.push(required(`${path}.secretRef`));
  if (s['secretRef'] != null) causes.push(...requiredFields(s['secretRef'] as Source, `${path}.secretRef`, ['name']));
  if (initiator != null && !isISCSIName(initiator)) causes.push(invalid(`${path}.initiatorname`, quote(initiator), 'must be valid format'));
  return causes;
}

function validateFC(s: Source, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const wwns = (s['targetWWNs'] as string[] | undefined) ?? [];
  const wwids = (s['wwids'] as string[] | undefined) ?? [];
  if (wwns.length === 0 && wwids.length === 0) causes.push(required(`${path}.targetWWNs`, 'must specify either targetWWNs or wwids, but not both'));
  if (wwns.length > 0 && wwids.length > 0) causes.push(invalid(`${path}.targetWWNs`, goStrings(wwns), 'targetWWNs and wwids can not be specified simultaneously'));
  if (wwns.length > 0) {
    const lun = s['lun'] as number | null | undefined;
    if (lun == null) causes.push(required(`${path}.lun`, 'lun is required if targetWWNs is specified'));
    else if (lun < 0 || lun > 255) causes.push(invalid(`${path}.lun`, String(lun), inclusiveRange(0, 255)));
  }
  return causes;
}

function validateFlex(s: Source, path: string): StatusCause[] {
  const causes = requiredFields(s, path, ['driver']);
  for (const key of sortedKeys(s['options'] as object | undefined)) {
    const slash = key.indexOf('/');
    const normalized = `.${(slash < 0 ? key : key.slice(0, slash)).toLowerCase()}`;
    if (normalized.endsWith('.kubernetes.io') || normalized.endsWith('.k8s.io')) causes.push(invalid(`${path}.options[${key}]`, quote(key), 'kubernetes.io and k8s.io namespaces are reserved'));
  }
  return causes;
}

function validateAzureFile(s: Source, path: string): StatusCause[] {
  const causes = requiredFields(s, path, ['secretName', 'shareName']);
  if (s['secretNamespace'] === '') causes.push(required(`${path}.secretNamespace`));
  return causes;
}

const AZURE_CACHING_MODES = ['None', 'ReadOnly', 'ReadWrite'];
const AZURE_DISK_KINDS = ['Dedicated', 'Managed', 'Shared'];

function validateAzureDisk(s: Source, path: string): StatusCause[] {
  const causes = requiredFields(s, path, ['diskName', 'diskURI']);
  const caching = s['cachingMode'] as string | null | undefined;
  const kind = s['kind'] as string | null | undefined;
  const uri = text(s, 'diskURI');
  if (caching != null && !AZURE_CACHING_MODES.includes(caching)) causes.push(notSupported(`${path}.cachingMode`, quote(caching), AZURE_CACHING_MODES));
  if (kind != null && !AZURE_DISK_KINDS.includes(kind)) causes.push(notSupported(`${path}.kind`, quote(kind), AZURE_DISK_KINDS));
  if (kind === 'Managed' && !uri.startsWith('/subscriptions/')) {
    causes.push(notSupported(`${path}.diskURI`, quote(uri), ['/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}']));
  }
  if (kind != null && kind !== 'Managed' && !uri.startsWith('https://')) {
    causes.push(notSupported(`${path}.diskURI`, quote(uri), ['https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd']));
  }
  return causes;
}

function validateStorageOS(s: Source, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = text(s, 'volumeName');
  if (name === '') causes.push(required(`${path}.volumeName`));
  else causes.push(...checkName(name, 'label', `${path}.volumeName`));
  const ns = text(s, 'volumeNamespace');
  if (ns !== '') causes.push(...checkName(ns, 'label', `${path}.volumeNamespace`));
  if (s['secretRef'] != null) causes.push(...requiredFields(s['secretRef'] as Source, `${path}.secretRef`, ['name', 'namespace']));
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

// Volume sources as upstream 1.31 checks them in both PersistentVolumes
// and pod volumes: the validators the two share (upstream calls the same
// function, or a PV twin with the same body), the parts of the iSCSI ones
// that agree, and the sources' defaults. What differs between the two
// (glusterfs' endpointsNamespace, secret references with a namespace, CSI)
// stays with each: persistent-volumes.ts, pod-volumes.ts.
import type { StatusCause } from '../status.js';
import { checkName } from '../registry/names.js';
import { goStrings, inclusiveRange, invalid, notSupported, quote, required, sortedKeys } from './field-errors.js';
import { validatePathNoBacksteps } from './local-paths.js';

/** A volume source as decoded JSON: absent fields are Go's zero values. */
export type Source = Record<string, unknown>;
export type SourceCheck = (source: Source, path: string) => StatusCause[];

/** Required values: empty strings and lists are missing ones. */
export function requiredFields(source: Source, path: string, fields: readonly string[]): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const f of fields) if (isEmpty(source[f])) causes.push(required(`${path}.${f}`));
  return causes;
}

/** A string field; absent is "", as Go decodes it. */
export function text(source: Source, field: string): string {
  return (source[field] as string | undefined) ?? '';
}

function isEmpty(v: unknown): boolean {
  return v == null || v === '' || (Array.isArray(v) && v.length === 0);
}

/** The sources' SetDefaults (SetObjectDefaults_PersistentVolume and _Pod alike). */
export function sourceDefaults(holder: Source): void {
  const hostPath = holder['hostPath'] as Source | null | undefined;
  if (hostPath) hostPath['type'] ??= '';
  const rbd = holder['rbd'] as Source | null | undefined;
  if (rbd) {
    rbd['pool'] ||= 'rbd';
    rbd['user'] ||= 'admin';
    rbd['keyring'] ||= '/etc/ceph/keyring';
  }
  const iscsi = holder['iscsi'] as Source | null | undefined;
  if (iscsi) iscsi['iscsiInterface'] ||= 'default';
  const azureDisk = holder['azureDisk'] as Source | null | undefined;
  if (azureDisk) {
    azureDisk['cachingMode'] ??= 'ReadWrite';
    azureDisk['kind'] ??= 'Shared';
    azureDisk['fsType'] ??= 'ext4';
    azureDisk['readOnly'] ??= false;
  }
  const scaleIO = holder['scaleIO'] as Source | null | undefined;
  if (scaleIO) {
    scaleIO['storageMode'] ||= 'ThinProvisioned';
    scaleIO['fsType'] ||= 'xfs';
  }
}

function partition(source: Source, path: string): StatusCause[] {
  const p = (source['partition'] as number | undefined) ?? 0;
  return p < 0 || p > 255 ? [invalid(`${path}.partition`, String(p), inclusiveRange(1, 255))] : [];
}

export const validateGCEPersistentDisk: SourceCheck = (s, p) => [...requiredFields(s, p, ['pdName']), ...partition(s, p)];
export const validateAWSElasticBlockStore: SourceCheck = (s, p) => [...requiredFields(s, p, ['volumeID']), ...partition(s, p)];
export const validateRBD: SourceCheck = (s, p) => requiredFields(s, p, ['monitors', 'image']);
export const validateCephFS: SourceCheck = (s, p) => requiredFields(s, p, ['monitors']);
export const validateVsphereVolume: SourceCheck = (s, p) => requiredFields(s, p, ['volumePath']);
export const validatePhotonPersistentDisk: SourceCheck = (s, p) => requiredFields(s, p, ['pdID']);
export const validatePortworxVolume: SourceCheck = (s, p) => requiredFields(s, p, ['volumeID']);
export const validateScaleIO: SourceCheck = (s, p) => requiredFields(s, p, ['gateway', 'system', 'volumeName']);
/** The pod's glusterfs; a PV's also checks its endpointsNamespace. */
export const validateGlusterfs: SourceCheck = (s, p) => requiredFields(s, p, ['endpoints', 'path']);
/** The pod's azureFile; a PV's also checks its secretNamespace. */
export const validateAzureFile: SourceCheck = (s, p) => requiredFields(s, p, ['secretName', 'shareName']);

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

export function validateHostPath(s: Source, path: string): StatusCause[] {
  if (isEmpty(s['path'])) return [required(`${path}.path`)];
  const causes = validatePathNoBacksteps(text(s, 'path'), `${path}.path`);
  const type = s['type'] as string | null | undefined;
  if (type != null && !HOST_PATH_TYPES.includes(type)) causes.push(notSupported(`${path}.type`, quote(type), HOST_PATH_TYPES));
  return causes;
}

export function validateNFS(s: Source, path: string): StatusCause[] {
  const causes = requiredFields(s, path, ['server', 'path']);
  const p = text(s, 'path');
  if (!p.startsWith('/')) causes.push(invalid(`${path}.path`, quote(p), 'must be an absolute path'));
  return causes;
}

export function validateFlocker(s: Source, path: string): StatusCause[] {
  const name = text(s, 'datasetName');
  const uuid = text(s, 'datasetUUID');
  const causes: StatusCause[] = [];
  if (name === '' && uuid === '') causes.push(required(path, 'one of datasetName and datasetUUID is required'));
  if (name !== '' && uuid !== '') causes.push(invalid(path, '"resource"', 'datasetName and datasetUUID can not be specified simultaneously'));
  if (name.includes('/')) causes.push(invalid(`${path}.datasetName`, quote(name), "must not contain '/'"));
  return causes;
}

const QUOBYTE_REGISTRY = 'must be a host:port pair or multiple pairs separated by commas';

export function validateQuobyte(s: Source, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const registry = text(s, 'registry');
  if (registry === '') causes.push(required(`${path}.registry`, QUOBYTE_REGISTRY));
  else if (text(s, 'tenant').length >= 65) causes.push(required(`${path}.tenant`, 'must be a UUID and may not exceed a length of 64 characters'));
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

export function validateFC(s: Source, path: string): StatusCause[] {
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

export function validateFlex(s: Source, path: string): StatusCause[] {
  const causes = requiredFields(s, path, ['driver']);
  for (const key of sortedKeys(s['options'] as object | undefined)) {
    const slash = key.indexOf('/');
    const normalized = `.${(slash < 0 ? key : key.slice(0, slash)).toLowerCase()}`;
    if (normalized.endsWith('.kubernetes.io') || normalized.endsWith('.k8s.io')) causes.push(invalid(`${path}.options[${key}]`, quote(key), 'kubernetes.io and k8s.io namespaces are reserved'));
  }
  return causes;
}

const AZURE_CACHING_MODES = ['None', 'ReadOnly', 'ReadWrite'];
const AZURE_DISK_KINDS = ['Dedicated', 'Managed', 'Shared'];

export function validateAzureDisk(s: Source, path: string): StatusCause[] {
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

/** StorageOS; `secretFields` the secretRef fields required (a PV's reference names its namespace too). */
export function validateStorageOS(s: Source, path: string, secretFields: readonly string[]): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = text(s, 'volumeName');
  if (name === '') causes.push(required(`${path}.volumeName`));
  else causes.push(...checkName(name, 'label', `${path}.volumeName`));
  const ns = text(s, 'volumeNamespace');
  if (ns !== '') causes.push(...checkName(ns, 'label', `${path}.volumeNamespace`));
  if (s['secretRef'] != null) causes.push(...requiredFields(s['secretRef'] as Source, `${path}.secretRef`, secretFields));
  return causes;
}

/** Cinder; `secretFields` as for StorageOS. */
export function validateCinder(s: Source, path: string, secretFields: readonly string[]): StatusCause[] {
  const causes = requiredFields(s, path, ['volumeID']);
  if (s['secretRef'] != null) causes.push(...requiredFields(s['secretRef'] as Source, `${path}.secretRef`, secretFields));
  return causes;
}

// --- iSCSI: the pod's and the PV's checks differ in wording and in a few fields; these parts agree.

const ISCSI_IQN = /iqn\.\d{4}-\d{2}\.([A-Za-z0-9.-]+)(:[^,;*&$|\t\n\f\r ]+)$/;
const ISCSI_EUI = /^eui.[A-Za-z0-9]{16}$/;
const ISCSI_NAA = /^naa.[A-Za-z0-9]{32}$/;
const ISCSI_FORMATS = [
  ['iqn', ISCSI_IQN],
  ['eui', ISCSI_EUI],
  ['naa', ISCSI_NAA],
] as const;

/** An iqn, eui or naa name of its form; `noPrefix` the detail for a name of none of the three. */
function validateISCSIName(name: string, path: string, noPrefix: string): StatusCause[] {
  for (const [prefix, re] of ISCSI_FORMATS) if (name.startsWith(prefix)) return re.test(name) ? [] : [invalid(path, quote(name), 'must be valid format')];
  return [invalid(path, quote(name), noPrefix)];
}

/** The iqn (required), the lun, and CHAP's need of a secret. */
export function validateISCSITarget(s: Source, path: string, noPrefix: string): StatusCause[] {
  const iqn = text(s, 'iqn');
  const causes = iqn === '' ? [required(`${path}.iqn`)] : validateISCSIName(iqn, `${path}.iqn`, noPrefix);
  const lun = (s['lun'] as number | undefined) ?? 0;
  if (lun < 0 || lun > 255) causes.push(invalid(`${path}.lun`, String(lun), inclusiveRange(0, 255)));
  if ((s['chapAuthDiscovery'] || s['chapAuthSession']) && s['secretRef'] == null) causes.push(required(`${path}.secretRef`));
  return causes;
}

/** The initiator name, when given. */
export function validateISCSIInitiator(s: Source, path: string, noPrefix: string): StatusCause[] {
  const initiator = s['initiatorName'] as string | null | undefined;
  return initiator == null ? [] : validateISCSIName(initiator, `${path}.initiatorname`, noPrefix);
}

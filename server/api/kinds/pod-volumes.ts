// A pod spec's volumes as upstream 1.31 checks them (ValidateVolumes,
// validateVolumeSource): a unique DNS-label name and exactly one source,
// each source with its own checks, in upstream's order (the ones PVs share
// are in volume-sources.ts, the file-writing ones in volume-files.ts). A
// volume that fails any of them is not one mounts may name. A pod's own
// spec (not a template's) also knows the claims its ephemeral volumes will
// create, "<pod>-<volume>": their names must be valid, and no
// persistentVolumeClaim volume may name one. Upstream reports a second
// cephfs at "cephFS", a second downwardAPI at "downwarAPI", and a
// gcePersistentDisk's own fields under "persistentDisk": so does this.
import type {
  CSIVolumeSource,
  EmptyDirVolumeSource,
  EphemeralVolumeSource,
  GitRepoVolumeSource,
  PersistentVolumeClaimTemplate,
  PersistentVolumeClaimVolumeSource,
  Volume,
} from 'kubernetes-types/core/v1.js';
import { parseQuantity, type Quantity } from '../../../common/quantity.js';
import type { ObjectMeta } from '../objects.js';
import { validateAnnotations } from '../registry/object-meta.js';
import { checkName, nameErrors } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { duplicate, forbidden, invalid, quote, required } from './field-errors.js';
import { validateLabels } from './labels.js';
import { validateLocalDescendingPath } from './local-paths.js';
import { validateCSIDriverName } from './persistent-volumes.js';
import { NEW_CLAIM, validateClaimSpec } from './storage.js';
import { validateConfigMapVolume, validateDownwardAPIVolume, validateProjectedVolume, validateSecretVolume } from './volume-files.js';
import {
  requiredFields,
  type Source,
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

/** What a source's check may need beyond the source: the volume's name, and the pod's when it is a pod's own spec. */
interface VolumeContext {
  readonly name: string;
  /** The volume's path, "spec.volumes[0]". */
  readonly path: string;
  readonly podName: string | undefined;
}

type VolumeSourceCheck = (source: Source, path: string, volume: VolumeContext) => StatusCause[];

/** A pod's secret references (cinder, storageos, iscsi) are local: a name alone. */
const SECRET_NAME = ['name'];
/** A pod's iSCSI names the prefixes it wants. */
const ISCSI_PREFIXES = 'must be valid format starting with iqn, eui, or naa';

/**
 * The sources in the order upstream looks at them; `at` is where a second
 * source is reported and `path` where its own fields are, when either is
 * not its key. emptyDir comes first, so it is never a second one. The image
 * source (ImageVolume, off in 1.31) is dropped before validation.
 */
const SOURCES: readonly { key: string; at?: string; path?: string; check: VolumeSourceCheck }[] = [
  { key: 'emptyDir', check: (s, p) => validateEmptyDir(s as EmptyDirVolumeSource, p) },
  { key: 'hostPath', check: validateHostPath },
  { key: 'gitRepo', check: (s, p) => validateGitRepo(s as unknown as GitRepoVolumeSource, p) },
  { key: 'gcePersistentDisk', path: 'persistentDisk', check: validateGCEPersistentDisk },
  { key: 'awsElasticBlockStore', check: validateAWSElasticBlockStore },
  { key: 'secret', check: (s, p) => validateSecretVolume(s, p) },
  { key: 'nfs', check: validateNFS },
  { key: 'iscsi', check: (s, p) => [...requiredFields(s, p, ['targetPortal']), ...validateISCSITarget(s, p, ISCSI_PREFIXES), ...validateISCSIInitiator(s, p, ISCSI_PREFIXES)] },
  { key: 'glusterfs', check: validateGlusterfs },
  { key: 'flocker', check: validateFlocker },
  { key: 'persistentVolumeClaim', check: (s, p) => ((s as unknown as PersistentVolumeClaimVolumeSource).claimName ? [] : [required(`${p}.claimName`)]) },
  { key: 'rbd', check: validateRBD },
  { key: 'cinder', check: (s, p) => validateCinder(s, p, SECRET_NAME) },
  { key: 'cephfs', at: 'cephFS', check: validateCephFS },
  { key: 'quobyte', check: validateQuobyte },
  { key: 'downwardAPI', at: 'downwarAPI', check: (s, p) => validateDownwardAPIVolume(s, p) },
  { key: 'fc', check: validateFC },
  { key: 'flexVolume', check: validateFlex },
  { key: 'configMap', check: (s, p) => validateConfigMapVolume(s, p) },
  { key: 'azureFile', check: validateAzureFile },
  { key: 'vsphereVolume', check: validateVsphereVolume },
  { key: 'photonPersistentDisk', check: validatePhotonPersistentDisk },
  { key: 'portworxVolume', check: validatePortworxVolume },
  { key: 'azureDisk', check: validateAzureDisk },
  { key: 'storageos', check: (s, p) => validateStorageOS(s, p, SECRET_NAME) },
  { key: 'projected', check: (s, p) => validateProjectedVolume(s, p) },
  { key: 'scaleIO', check: validateScaleIO },
  { key: 'csi', check: (s, p) => validateCSI(s as unknown as CSIVolumeSource, p) },
  { key: 'ephemeral', check: (s, p, volume) => validateEphemeral(s as EphemeralVolumeSource, p, volume) },
];

/** Whether a volume names any source, the gated image one too (SetDefaults_Volume gives one that does not an emptyDir). */
export function hasVolumeSource(volume: Volume): boolean {
  const fields = volume as unknown as Source;
  for (const { key } of SOURCES) if (fields[key] != null) return true;
  return fields['image'] != null;
}

/**
 * ValidateVolumes: the causes go to `causes`; the volumes that passed come
 * back by name, for mounts and devices. `pod` is the pod's metadata, for a
 * pod's own spec only.
 */
export function validateVolumes(volumes: readonly Volume[], path: string, pod: ObjectMeta | undefined, causes: StatusCause[]): Map<string, Volume> {
  const valid = new Map<string, Volume>();
  if (volumes.length === 0) return valid;
  const podName = pod?.name || undefined;
  const created = podName === undefined ? undefined : createdClaims(volumes, podName);
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const p = `${path}[${i}]`;
    const name = v.name ?? '';
    const errs = validateVolumeSource(v, p, { name, path: p, podName });
    if (name === '') errs.push(required(`${p}.name`));
    else errs.push(...checkName(name, 'label', `${p}.name`));
    if (names.has(name)) errs.push(duplicate(`${p}.name`, quote(name)));
    if (errs.length === 0) {
      names.add(name);
      valid.set(name, v);
    } else causes.push(...errs);
    const claimName = v.persistentVolumeClaim?.claimName;
    if (claimName !== undefined && created?.has(claimName) === true) {
      causes.push(invalid(`${p}.persistentVolumeClaim.claimName`, quote(claimName), 'must not reference a PVC that gets created for an ephemeral volume'));
    }
  });
  return valid;
}

/** The claims a pod's ephemeral volumes make; undefined when it has none. */
function createdClaims(volumes: readonly Volume[], podName: string): Set<string> | undefined {
  let claims: Set<string> | undefined;
  for (const v of volumes) if (v.ephemeral != null) (claims ??= new Set()).add(`${podName}-${v.name ?? ''}`);
  return claims;
}

function validateVolumeSource(v: Volume, path: string, volume: VolumeContext): StatusCause[] {
  const fields = v as unknown as Source;
  const causes: StatusCause[] = [];
  let count = 0;
  for (const { key, at, path: sourcePath, check } of SOURCES) {
    const source = fields[key] as Source | null | undefined;
    if (source == null) continue;
    if (count > 0) causes.push(forbidden(`${path}.${at ?? key}`, 'may not specify more than 1 volume type'));
    else {
      count++;
      causes.push(...check(source, `${path}.${sourcePath ?? key}`, volume));
    }
    // Checked whether or not iscsi was the volume's first source.
    if (key === 'iscsi' && source['initiatorName'] != null && Buffer.byteLength(`${volume.name}:${text(source, 'targetPortal')}`) > 64) {
      causes.push(invalid(`${path}.name`, quote(volume.name), 'Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.'));
    }
  }
  if (count === 0) causes.push(required(path, 'must specify a volume type'));
  return causes;
}

function validateEmptyDir(emptyDir: EmptyDirVolumeSource, path: string): StatusCause[] {
  const limit = emptyDir.sizeLimit;
  // Decoding left a valid quantity.
  if (limit == null || (parseQuantity(limit) as Quantity).value >= 0n) return [];
  return [forbidden(`${path}.sizeLimit`, 'SizeLimit field must be a valid resource quantity')];
}

function validateGitRepo(gitRepo: GitRepoVolumeSource, path: string): StatusCause[] {
  const causes = gitRepo.repository ? [] : [required(`${path}.repository`)];
  causes.push(...validateLocalDescendingPath(gitRepo.directory ?? '', `${path}.directory`));
  return causes;
}

function validateCSI(csi: CSIVolumeSource, path: string): StatusCause[] {
  const causes = validateCSIDriverName(csi.driver ?? '', `${path}.driver`);
  const ref = csi.nodePublishSecretRef;
  if (ref != null) {
    if (!ref.name) causes.push(required(`${path}.nodePublishSecretRef.name`));
    // Upstream reports a bad secret name at the source's "name".
    else causes.push(...checkName(ref.name, 'subdomain', `${path}.name`));
  }
  return causes;
}

/** validateEphemeralVolumeSource, and the name of the claim a pod's volume makes. */
function validateEphemeral(ephemeral: EphemeralVolumeSource, path: string, volume: VolumeContext): StatusCause[] {
  const template = ephemeral.volumeClaimTemplate;
  if (template == null) return [required(`${path}.volumeClaimTemplate`)];
  const at = `${path}.volumeClaimTemplate`;
  const causes = validateTemplateObjectMeta(template, `${at}.metadata`);
  causes.push(...validateClaimSpec(template.spec ?? {}, `${at}.spec`, NEW_CLAIM));
  if (volume.podName !== undefined && volume.name !== '') {
    const claim = `${volume.podName}-${volume.name}`;
    for (const m of nameErrors(claim, 'subdomain')) causes.push(invalid(`${volume.path}.name`, quote(volume.name), `PVC name ${quote(claim)}: ${m}`));
  }
  return causes;
}

/** ObjectMeta's fields in Go's order, with the names validateFieldAllowList gives them (the Go name, its first letter lowered). */
const TEMPLATE_META_FORBIDDEN: readonly (readonly [keyof ObjectMeta | 'selfLink', string])[] = [
  ['name', 'name'],
  ['generateName', 'generateName'],
  ['namespace', 'namespace'],
  ['selfLink', 'selfLink'],
  ['uid', 'uID'],
  ['resourceVersion', 'resourceVersion'],
  ['generation', 'generation'],
  ['creationTimestamp', 'creationTimestamp'],
  ['deletionTimestamp', 'deletionTimestamp'],
  ['deletionGracePeriodSeconds', 'deletionGracePeriodSeconds'],
  ['ownerReferences', 'ownerReferences'],
  ['finalizers', 'finalizers'],
  ['managedFields', 'managedFields'],
];

/** ValidateTemplateObjectMeta: annotations and labels, and nothing else of the metadata set (Go's zero values are unset; an empty list is not, nor a pointer to 0). */
function validateTemplateObjectMeta(template: PersistentVolumeClaimTemplate, path: string): StatusCause[] {
  const meta = (template.metadata ?? {}) as Record<string, unknown>;
  const causes = validateAnnotations(meta['annotations'] as Record<string, string> | undefined, `${path}.annotations`);
  causes.push(...validateLabels(meta['labels'] as Record<string, string> | undefined, `${path}.labels`));
  for (const [field, goName] of TEMPLATE_META_FORBIDDEN) {
    const value = meta[field];
    // Of the numbers only generation is no pointer, so 0 is unset.
    const unset = value == null || value === '' || (value === 0 && field === 'generation');
    if (!unset) causes.push(forbidden(`${path}.${goName}`, 'cannot be set'));
  }
  return causes;
}

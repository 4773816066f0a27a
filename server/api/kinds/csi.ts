// storage.k8s.io/v1 CSIDrivers, CSINodes, VolumeAttachments and
// CSIStorageCapacities, as upstream 1.31's defaults (SetDefaults_CSIDriver),
// strategies and storage validation treat them. CSI driver charts create
// these; nothing in bramble acts on them (its agent runs no CSI node
// plugins), so they are stored, checked and served only. A VolumeAttachment's
// inlineVolumeSpec is not checked as the PersistentVolumeSpec it is.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { CSIDriver, CSINode, CSINodeDriver, CSIStorageCapacity, VolumeAttachment, VolumeAttachmentSpec, VolumeAttachmentStatus, VolumeError } from 'kubernetes-types/storage/v1.js';
import { parseQuantity, type Quantity } from '../../../common/quantity.js';
import type { KubeObject } from '../objects.js';
import { nameErrors } from '../registry/names.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { deprecatedNodeLabel } from './deprecated-node-labels.js';
import { semanticEqual } from './equality.js';
import { decodeError, duplicate, forbidden, goPointer, goStrings, IMMUTABLE, invalid, NON_NEGATIVE, nonNegative, notSupported, quote, required, sortedKeys, tooLong } from './field-errors.js';
import { goUnroundedString } from './go-quantity.js';
import { goLabelSelector, validateLabelSelector, validateQualifiedName } from './labels.js';
import { validateCSIDriverName } from './persistent-volumes.js';

type Driver = KubeObject & CSIDriver;
type Node = KubeObject & CSINode;
type Attachment = KubeObject & VolumeAttachment;
type Capacity = KubeObject & CSIStorageCapacity;

const FS_GROUP_POLICIES = ['File', 'None', 'ReadWriteOnceWithFSType'];
const LIFECYCLE_MODES = ['Persistent', 'Ephemeral'];
const MIN_TOKEN_SECONDS = 600;
const MAX_TOKEN_SECONDS = 2 ** 32;
const MAX_NODE_ID_LENGTH = 256;
const MAX_ATTACHMENT_METADATA_BYTES = 256 * 1024;
const MAX_VOLUME_ERROR_MESSAGE_BYTES = 1024;

/** Name checks whose messages carry the path and the value (ValidateNodeName, ValidateClassName, ValidatePersistentVolumeName). */
function subdomainCauses(name: string, path: string): StatusCause[] {
  return nameErrors(name, 'subdomain').map((m) => invalid(path, quote(name), m));
}

// --- CSIDriver ------------------------------------------------------------------

export const csiDriverRules: KindRules = {
  defaults(obj, old) {
    const driver = obj as Driver;
    const spec = (driver.spec ??= {});
    spec.attachRequired ??= true;
    spec.podInfoOnMount ??= false;
    spec.storageCapacity ??= false;
    spec.fsGroupPolicy ??= 'ReadWriteOnceWithFSType';
    if ((spec.volumeLifecycleModes ?? []).length === 0) spec.volumeLifecycleModes = ['Persistent'];
    spec.requiresRepublish ??= false;
    // SELinuxMountReadWriteOncePod is on (beta) in 1.31.
    spec.seLinuxMount ??= false;
    if (old === undefined) return;
    // PrepareForUpdate: the generation counts spec changes, from none at creation.
    const generation = (old.metadata.generation ?? 0) + (semanticEqual(spec, (old as Driver).spec) ? 0 : 1);
    if (generation > 0) driver.metadata.generation = generation;
    else delete driver.metadata.generation;
  },
  validate(obj, old) {
    const spec = (obj as Driver).spec ?? {};
    // attachRequired, podInfoOnMount, storageCapacity and seLinuxMount are required, and defaulting always sets them.
    const causes: StatusCause[] = [];
    if (spec.fsGroupPolicy != null && !FS_GROUP_POLICIES.includes(spec.fsGroupPolicy)) causes.push(notSupported('spec.fsGroupPolicy', quote(spec.fsGroupPolicy), FS_GROUP_POLICIES));
    causes.push(...tokenRequestCauses(spec.tokenRequests ?? []));
    for (const mode of spec.volumeLifecycleModes ?? []) if (!LIFECYCLE_MODES.includes(mode)) causes.push(notSupported('spec.volumeLifecycleModes', quote(mode), LIFECYCLE_MODES));
    if (old === undefined) return causes;
    const was = (old as Driver).spec ?? {};
    // Upstream's path says "attachedRequired".
    if (spec.attachRequired !== was.attachRequired) causes.push(invalid('spec.attachedRequired', String(spec.attachRequired), IMMUTABLE));
    if (!semanticEqual(spec.volumeLifecycleModes, was.volumeLifecycleModes)) {
      causes.push(invalid('spec.volumeLifecycleModes', goTyped('storage.VolumeLifecycleMode', spec.volumeLifecycleModes), IMMUTABLE));
    }
    return causes;
  },
};

function tokenRequestCauses(requests: NonNullable<CSIDriver['spec']['tokenRequests']>): StatusCause[] {
  const causes: StatusCause[] = [];
  const audiences = new Set<string>();
  requests.forEach((request, i) => {
    const path = `spec.tokenRequests[${i}]`;
    const audience = request.audience ?? '';
    if (audiences.has(audience)) {
      causes.push(duplicate(`${path}.audience`, quote(audience)));
      return;
    }
    audiences.add(audience);
    const seconds = request.expirationSeconds;
    if (seconds == null) return;
    if (seconds < MIN_TOKEN_SECONDS) causes.push(invalid(`${path}.expirationSeconds`, String(seconds), 'may not specify a duration less than 10 minutes'));
    if (seconds > MAX_TOKEN_SECONDS) causes.push(invalid(`${path}.expirationSeconds`, String(seconds), 'may not specify a duration larger than 2^32 seconds'));
  });
  return causes;
}

/** %#v of a slice of a string type. */
function goTyped(type: string, list: readonly string[] | undefined): string {
  return goStrings(list).replace(/^\[\]string/, `[]${type}`);
}

// --- CSINode --------------------------------------------------------------------

export const csiNodeRules: KindRules = {
  validate(obj, old) {
    const drivers = (obj as Node).spec?.drivers ?? [];
    const causes = driverCauses(drivers);
    if (old === undefined) return causes;
    // The strategy's ValidateUpdate runs ValidateCSINode, then ValidateCSINodeUpdate, which runs it again.
    causes.push(...causes);
    for (const before of (old as Node).spec?.drivers ?? []) {
      for (const driver of drivers) {
        if (driver.name === before.name && !semanticEqual(driver, before)) causes.push(invalid('spec.drivers', goNodeDriver(driver), IMMUTABLE));
      }
    }
    return causes;
  },
};

/** validateCSINodeDrivers, long node IDs allowed as upstream allows them since 1.22. */
function driverCauses(drivers: readonly CSINodeDriver[]): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  drivers.forEach((driver, i) => {
    const path = `spec.drivers[${i}]`;
    const name = driver.name ?? '';
    causes.push(...validateCSIDriverName(name, `${path}.name`));
    const nodeID = driver.nodeID ?? '';
    if (nodeID === '') causes.push(required(`${path}.nodeID`));
    if (Buffer.byteLength(nodeID) > MAX_NODE_ID_LENGTH) causes.push(invalid(`${path}.nodeID`, quote(nodeID), `must be ${MAX_NODE_ID_LENGTH} characters or less`));
    causes.push(...nonNegative(`${path}.allocatable.count`, driver.allocatable?.count ?? undefined));
    if (names.has(name)) causes.push(duplicate(`${path}.name`, quote(name)));
    names.add(name);
    // The topology keys' causes carry the driver's path.
    const keys = new Set<string>();
    for (const key of driver.topologyKeys ?? []) {
      if (key === '') causes.push(required(path));
      if (keys.has(key)) causes.push(duplicate(path, quote(key)));
      keys.add(key);
      causes.push(...validateQualifiedName(key, path));
    }
  });
  return causes;
}

/** %#v of a storage.CSINodeDriver. */
function goNodeDriver(d: CSINodeDriver): string {
  const allocatable = goPointer('storage.VolumeNodeResources', d.allocatable != null);
  return `storage.CSINodeDriver{Name:${quote(d.name ?? '')}, NodeID:${quote(d.nodeID ?? '')}, TopologyKeys:${goStrings(d.topologyKeys)}, Allocatable:${allocatable}}`;
}

// --- VolumeAttachment -----------------------------------------------------------

export const volumeAttachmentRules: KindRules = {
  defaults(obj, old) {
    // PrepareForCreate: the status is the attacher's; Go writes its attached flag always.
    if (old === undefined) (obj as Attachment).status = { attached: false };
  },
  validate(obj, old) {
    const attachment = obj as Attachment;
    const causes = attachmentCauses(attachment);
    if (old === undefined) return [...causes, ...v1Causes(attachment.spec ?? ({} as VolumeAttachmentSpec))];
    // ValidateUpdate runs ValidateVolumeAttachment, then ValidateVolumeAttachmentUpdate, which runs it again.
    causes.push(...causes);
    const spec = attachment.spec ?? ({} as VolumeAttachmentSpec);
    if (!semanticEqual(spec, (old as Attachment).spec)) causes.push(invalid('spec', goAttachmentSpec(spec), IMMUTABLE));
    return causes;
  },
  prepareStatus(obj) {
    ((obj as Attachment).status ??= { attached: false }).attached ??= false;
  },
  // The status strategy validates as the main one, with the old spec kept.
  validateStatus: (obj) => {
    const causes = attachmentCauses(obj as Attachment);
    return [...causes, ...causes];
  },
};

/** ValidateVolumeAttachment (the name is the registry's). */
function attachmentCauses(attachment: Attachment): StatusCause[] {
  const spec = attachment.spec ?? ({} as VolumeAttachmentSpec);
  const causes: StatusCause[] = [];
  if (!spec.attacher) causes.push(required('spec.attacher'));
  const source = spec.source ?? {};
  const exactlyOne = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';
  if (source.inlineVolumeSpec == null && source.persistentVolumeName == null) causes.push(required('spec.source', exactlyOne));
  else if (source.inlineVolumeSpec != null && source.persistentVolumeName != null) causes.push(forbidden('spec.source', exactlyOne));
  else if (source.persistentVolumeName === '') causes.push(required('spec.source.persistentVolumeName', 'must specify non empty persistentVolumeName'));
  causes.push(...subdomainCauses(spec.nodeName ?? '', 'spec.nodeName'));
  const status: Partial<VolumeAttachmentStatus> = attachment.status ?? {};
  const metadata = Object.entries(status.attachmentMetadata ?? {});
  if (metadata.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0) > MAX_ATTACHMENT_METADATA_BYTES) {
    causes.push(tooLong('status.attachmentMetadata', MAX_ATTACHMENT_METADATA_BYTES));
  }
  causes.push(...volumeErrorCauses(status.attachError, 'status.attachError'), ...volumeErrorCauses(status.detachError, 'status.detachError'));
  return causes;
}

function volumeErrorCauses(error: VolumeError | undefined | null, path: string): StatusCause[] {
  // Upstream reports the metadata's limit, not the message's.
  return error != null && Buffer.byteLength(error.message ?? '') > MAX_VOLUME_ERROR_MESSAGE_BYTES ? [tooLong(`${path}.message`, MAX_ATTACHMENT_METADATA_BYTES)] : [];
}

/** ValidateVolumeAttachmentV1: what v1 checks on create beyond ValidateVolumeAttachment. */
function v1Causes(spec: VolumeAttachmentSpec): StatusCause[] {
  const causes = validateCSIDriverName(spec.attacher ?? '', 'spec.attacher');
  const volume = spec.source?.persistentVolumeName;
  if (volume != null) causes.push(...subdomainCauses(volume, 'spec.source.persistentVolumeName'));
  return causes;
}

/** %#v of a storage.VolumeAttachmentSpec. */
function goAttachmentSpec(spec: VolumeAttachmentSpec): string {
  const volume = goPointer('string', spec.source?.persistentVolumeName != null);
  const inline = goPointer('core.PersistentVolumeSpec', spec.source?.inlineVolumeSpec != null);
  return `storage.VolumeAttachmentSpec{Attacher:${quote(spec.attacher ?? '')}, Source:storage.VolumeAttachmentSource{PersistentVolumeName:${volume}, InlineVolumeSpec:${inline}}, NodeName:${quote(spec.nodeName ?? '')}}`;
}

// --- CSIStorageCapacity ---------------------------------------------------------

export const csiStorageCapacityRules: KindRules = {
  // Both sizes are resource.Quantity pointers: a bad one is a 400, a null one absent, a good one kept as its String().
  decodeInput(obj) {
    const capacity = obj as Capacity & Record<'capacity' | 'maximumVolumeSize', string | number | null | undefined>;
    for (const field of ['capacity', 'maximumVolumeSize'] as const) {
      const text = capacity[field];
      if (text === null) delete capacity[field];
      if (text == null) continue;
      const q = parseQuantity(text);
      if (typeof q === 'string') throw decodeError(obj, q);
      capacity[field] = goUnroundedString(text);
    }
  },
  validate(obj, old) {
    const capacity = obj as Capacity;
    const was = old as Capacity | undefined;
    // On update, selectors already holding bad label values keep them (AllowInvalidLabelValueInSelector).
    const lenient = was !== undefined && validateLabelSelector(was.nodeTopology, 'nodeTopology').length > 0;
    const causes = validateLabelSelector(capacity.nodeTopology, 'nodeTopology', lenient);
    causes.push(...subdomainCauses(capacity.storageClassName ?? '', 'storageClassName'));
    if (capacity.capacity != null && (parseQuantity(capacity.capacity) as Quantity).value < 0n) causes.push(invalid('capacity', quote(capacity.capacity), NON_NEGATIVE));
    if (was === undefined) return causes;
    if (!semanticEqual(capacity.nodeTopology, was.nodeTopology)) causes.push(invalid('nodeTopology', goSelectorPointer(capacity.nodeTopology), IMMUTABLE));
    if ((capacity.storageClassName ?? '') !== (was.storageClassName ?? '')) causes.push(invalid('storageClassName', quote(capacity.storageClassName ?? ''), IMMUTABLE));
    return causes;
  },
  // GetWarningsForCSIStorageCapacity: deprecated node labels in the topology (matchLabels by key, as Go's map order cannot promise one).
  warnings(obj) {
    const topology = (obj as Capacity).nodeTopology;
    if (topology == null) return [];
    const warnings = (topology.matchExpressions ?? []).flatMap((expression, i) => {
      const message = deprecatedNodeLabel(expression.key);
      return message === undefined ? [] : [`nodeTopology.matchExpressions[${i}].key: ${expression.key} is ${message}`];
    });
    for (const key of sortedKeys(topology.matchLabels)) {
      const message = deprecatedNodeLabel(key);
      if (message !== undefined) warnings.push(`nodeTopology.matchLabels.${key}: ${message}`);
    }
    return warnings;
  },
};

/** A *metav1.LabelSelector as field errors print it: nil as the quoted "null". */
function goSelectorPointer(selector: LabelSelector | undefined | null): string {
  return selector == null ? quote('null') : goLabelSelector(selector);
}

// Upstream's warnings for storage objects (Kubernetes 1.31): a persistent
// volume claim's spec (pkg/api/persistentvolumeclaim/util.go, also for
// StatefulSets' claim templates and pods' ephemeral volumes), claims and
// volumes with the beta storage-class annotation, volumes with the Recycle
// policy, deprecated node labels or removed volume plugins
// (pkg/api/persistentvolume/util.go), and storage classes' topologies
// (pkg/api/storage/util.go). Byte quantities with a fraction are warned about
// here for pods' resources too.
import type { PersistentVolumeClaimSpec, PersistentVolumeSpec } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { isInteger, parseQuantity, roundUp } from '../../../common/quantity.js';
import type { KubeObject } from '../objects.js';
import { deprecatedNodeLabel, nodeSelectorTermWarnings } from './deprecated-node-labels.js';
import { quote } from './field-errors.js';
import { goString } from './go-quantity.js';

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** MilliValue() % 1000 != 0: `list[name]` is a byte count with a fraction; %q of its String(). */
export function fractionalBytes(list: Readonly<Record<string, string | number>> | undefined | null, name: string, path: string): string[] {
  const text = list?.[name];
  if (text === undefined || text === null) return [];
  const q = parseQuantity(text);
  if (typeof q === 'string' || isInteger(roundUp(q, -3))) return [];
  return [`${path}: fractional byte value ${quote(goString(text))} is invalid, must be an integer`];
}

/** GetWarningsForPersistentVolumeClaimSpec. */
export function claimSpecWarnings(path: string, spec: PersistentVolumeClaimSpec | undefined): string[] {
  return [
    ...fractionalBytes(spec?.resources?.requests, 'storage', `${path}.resources.requests[storage]`),
    ...fractionalBytes(spec?.resources?.limits, 'storage', `${path}.resources.limits[storage]`),
  ];
}

/** GetWarningsForPersistentVolumeClaim, on create and on every update. */
export function claimWarnings(obj: KubeObject): string[] {
  return [...betaStorageClass(obj), ...claimSpecWarnings('spec', obj['spec'] as PersistentVolumeClaimSpec | undefined)];
}

/** Volume plugins upstream no longer runs, in the order it checks them. */
const REMOVED_PLUGINS: readonly (readonly [field: string, message: string])[] = [
  ['cephfs', 'deprecated in v1.28, non-functional in v1.31+'],
  ['photonPersistentDisk', 'deprecated in v1.11, non-functional in v1.16+'],
  ['scaleIO', 'deprecated in v1.16, non-functional in v1.22+'],
  ['storageOS', 'deprecated in v1.22, non-functional in v1.25+'],
  ['glusterfs', 'deprecated in v1.25, non-functional in v1.26+'],
  ['rbd', 'deprecated in v1.28, non-functional in v1.31+'],
];

/** GetWarningsForPersistentVolume, on create and on every update. */
export function volumeWarnings(obj: KubeObject): string[] {
  const spec = (obj['spec'] ?? {}) as PersistentVolumeSpec & Record<string, unknown>;
  const warnings = betaStorageClass(obj);
  if (spec.persistentVolumeReclaimPolicy === 'Recycle') {
    warnings.push('spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is deprecated. Instead, the recommended approach is to use dynamic provisioning.');
  }
  (spec.nodeAffinity?.required?.nodeSelectorTerms ?? []).forEach((term, i) => {
    warnings.push(...nodeSelectorTermWarnings(term, `spec.nodeAffinity.required.nodeSelectorTerms[${i}]`));
  });
  for (const [field, message] of REMOVED_PLUGINS) if (isSet(spec[field])) warnings.push(`spec.${field}: ${message}`);
  return warnings;
}

/** GetWarningsForStorageClass, on create and on every update. */
export function storageClassWarnings(obj: KubeObject): string[] {
  return ((obj['allowedTopologies'] as StorageClass['allowedTopologies']) ?? []).flatMap((topology, i) =>
    (topology.matchLabelExpressions ?? []).flatMap((expression, j) => {
      const message = deprecatedNodeLabel(expression.key);
      return message === undefined ? [] : [`allowedTopologies[${i}].matchLabelExpressions[${j}].key: ${message}`];
    }),
  );
}

function betaStorageClass(obj: KubeObject): string[] {
  if (obj.metadata.annotations?.[BETA_STORAGE_CLASS] === undefined) return [];
  return [`metadata.annotations[${BETA_STORAGE_CLASS}]: deprecated since v1.8; use "storageClassName" attribute instead`];
}

/** A Go pointer field that is not nil. */
export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

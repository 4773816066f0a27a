// PersistentVolume, PersistentVolumeClaim and StorageClass printers. Absent fields show
// what defaulting stores: phase Pending, volume mode Filesystem, reclaim
// policy Retain.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { ObjectMeta } from '../objects.js';
import { isDefaultClass } from '../kinds/storage.js';
import { ageColumn, column, docs, nameColumn } from './columns.js';
import { age } from './duration.js';
import type { Printer } from './table.js';

/** The class annotation still wins over spec.storageClassName, as upstream's helpers read it. */
const betaStorageClass = 'volume.beta.kubernetes.io/storage-class';

/** "RWO,ROX,RWX,RWOP": always in this order, whatever the spec's. */
function accessModes(modes: readonly string[] | undefined): string {
  const present = new Set(modes ?? []);
  return (
    [
      ['ReadWriteOnce', 'RWO'],
      ['ReadOnlyMany', 'ROX'],
      ['ReadWriteMany', 'RWX'],
      ['ReadWriteOncePod', 'RWOP'],
    ] as const
  )
    .filter(([mode]) => present.has(mode))
    .map(([, short]) => short)
    .join(',');
}

/** A storage quantity as stored; a missing one is Go's zero Quantity, "0". */
function storage(resources: Readonly<Record<string, string>> | undefined): string {
  return resources?.['storage'] ?? '0';
}

function phase(metadata: ObjectMeta, stored: string | undefined): string {
  return metadata.deletionTimestamp ? 'Terminating' : stored || 'Pending';
}

export const persistentVolumePrinter: Printer = {
  columns: [
    nameColumn,
    column('Capacity', 'string', docs.pvCapacity),
    column('Access Modes', 'string', docs.pvModes),
    column('Reclaim Policy', 'string', docs.pvReclaim),
    column('Status', 'string', docs.pvPhase),
    column('Claim', 'string', docs.pvClaim),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', docs.pvReason),
    ageColumn,
    column('VolumeMode', 'string', docs.pvVolumeMode, 1),
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as PersistentVolume;
    const claim = spec?.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
    return [
      object.metadata.name ?? '',
      storage(spec?.capacity),
      accessModes(spec?.accessModes),
      spec?.persistentVolumeReclaimPolicy || 'Retain',
      phase(object.metadata, status?.phase),
      claim,
      object.metadata.annotations?.[betaStorageClass] ?? spec?.storageClassName ?? '',
      spec?.volumeAttributesClassName ?? '<unset>',
      status?.reason ?? '',
      age(object, now),
      spec?.volumeMode ?? 'Filesystem',
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameColumn,
    column('Status', 'string', docs.pvcPhase),
    column('Volume', 'string', docs.pvcVolume),
    column('Capacity', 'string', docs.pvcCapacity),
    column('Access Modes', 'string', docs.pvcModes),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn,
    column('VolumeMode', 'string', docs.pvcVolumeMode, 1),
  ],
  cells(object, now) {
    const { spec, status } = object as unknown as PersistentVolumeClaim;
    // Capacity and access modes are the bound volume's, so blank until bound.
    const bound = Boolean(spec?.volumeName);
    return [
      object.metadata.name ?? '',
      phase(object.metadata, status?.phase),
      spec?.volumeName ?? '',
      bound ? storage(status?.capacity) : '',
      bound ? accessModes(status?.accessModes) : '',
      object.metadata.annotations?.[betaStorageClass] ?? spec?.storageClassName ?? '',
      spec?.volumeAttributesClassName ?? '<unset>',
      age(object, now),
      spec?.volumeMode ?? 'Filesystem',
    ];
  },
};

export const storageClassPrinter: Printer = {
  columns: [
    nameColumn,
    column('Provisioner', 'string', 'Indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'Indicates the type of the reclaim policy.'),
    column('VolumeBindingMode', 'string', 'Indicates the binding mode of the storage class.'),
    column('AllowVolumeExpansion', 'string', 'Indicates whether the storage class allow volume expand.'),
    ageColumn,
  ],
  cells(object, now) {
    const sc = object as unknown as StorageClass;
    const isDefault = isDefaultClass(object.metadata);
    return [
      `${object.metadata.name ?? ''}${isDefault ? ' (default)' : ''}`,
      sc.provisioner ?? '',
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      String(sc.allowVolumeExpansion ?? false),
      age(object, now),
    ];
  },
};

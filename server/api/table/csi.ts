// The CSI kinds' printers, as upstream's printCSIDriver, printCSINode,
// printVolumeAttachment and printCSIStorageCapacity (the last with no age).
// Columns are described with the API's field docs, read from the OpenAPI
// schemas on first use.
import type { CSIDriver, CSINode, CSIStorageCapacity, VolumeAttachment } from 'kubernetes-types/storage/v1.js';
import { builtinSchemas } from '../openapi/schema.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { age } from './duration.js';
import type { Printer, TableColumn } from './table.js';

function fieldDoc(type: string, field: string): string {
  return builtinSchemas()[`io.k8s.api.storage.v1.${type}`]?.properties?.[field]?.description ?? '';
}

/** Columns built once, when first asked for. */
function lazy(build: () => TableColumn[]): () => readonly TableColumn[] {
  let columns: TableColumn[] | undefined;
  return () => (columns ??= build());
}

const driverColumns = lazy(() => [
  nameColumn,
  column('AttachRequired', 'boolean', fieldDoc('CSIDriverSpec', 'attachRequired')),
  column('PodInfoOnMount', 'boolean', fieldDoc('CSIDriverSpec', 'podInfoOnMount')),
  column('StorageCapacity', 'boolean', fieldDoc('CSIDriverSpec', 'storageCapacity')),
  column('TokenRequests', 'string', fieldDoc('CSIDriverSpec', 'tokenRequests')),
  column('RequiresRepublish', 'boolean', fieldDoc('CSIDriverSpec', 'requiresRepublish')),
  column('Modes', 'string', fieldDoc('CSIDriverSpec', 'volumeLifecycleModes')),
  ageColumn,
]);

export const csiDriverPrinter: Printer = {
  get columns() {
    return driverColumns();
  },
  cells(object, now) {
    const spec = (object as unknown as CSIDriver).spec ?? {};
    const audiences = (spec.tokenRequests ?? []).map((t) => t.audience);
    return [
      object.metadata.name ?? '',
      spec.attachRequired ?? true,
      spec.podInfoOnMount ?? false,
      spec.storageCapacity ?? false,
      audiences.length > 0 ? audiences.join(',') : '<unset>',
      spec.requiresRepublish ?? false,
      (spec.volumeLifecycleModes ?? []).join(',') || '<none>',
      age(object, now),
    ];
  },
};

export const csiNodePrinter: Printer = {
  columns: [nameColumn, column('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'), ageColumn],
  cells: (object, now) => [object.metadata.name ?? '', ((object as unknown as CSINode).spec?.drivers ?? []).length, age(object, now)],
};

const attachmentColumns = lazy(() => [
  nameColumn,
  column('Attacher', 'string', fieldDoc('VolumeAttachmentSpec', 'attacher'), 0, 'name'),
  column('PV', 'string', fieldDoc('VolumeAttachmentSource', 'persistentVolumeName')),
  column('Node', 'string', fieldDoc('VolumeAttachmentSpec', 'nodeName')),
  column('Attached', 'boolean', fieldDoc('VolumeAttachmentStatus', 'attached')),
  ageColumn,
]);

export const volumeAttachmentPrinter: Printer = {
  get columns() {
    return attachmentColumns();
  },
  cells(object, now) {
    const { spec, status } = object as unknown as VolumeAttachment;
    return [object.metadata.name ?? '', spec?.attacher ?? '', spec?.source?.persistentVolumeName ?? '', spec?.nodeName ?? '', status?.attached ?? false, age(object, now)];
  },
};

const capacityColumns = lazy(() => [
  nameColumn,
  column('StorageClassName', 'string', fieldDoc('CSIStorageCapacity', 'storageClassName')),
  column('Capacity', 'string', fieldDoc('CSIStorageCapacity', 'capacity')),
]);

export const csiStorageCapacityPrinter: Printer = {
  get columns() {
    return capacityColumns();
  },
  cells(object) {
    const capacity = object as unknown as CSIStorageCapacity;
    return [object.metadata.name ?? '', capacity.storageClassName ?? '', capacity.capacity ?? '<unset>'];
  },
};

// Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for
// (Accept: application/json;as=Table;v=v1;g=meta.k8s.io) and prints as is.
// Columns and cells follow kube-apiserver's printers
// (kubernetes pkg/printers/internalversion/printers.go, 1.32/1.33).
import { printerOf } from '../crd/printer-columns.js';
import { isCustomResourceType } from '../crd/resource-types.js';
import type { ResourceType } from '../resources.js';
import type { KubeObject } from '../objects.js';
import { validatingAdmissionPolicyBindingPrinter, validatingAdmissionPolicyPrinter, webhookConfigurationPrinter } from './admission.js';
import { horizontalPodAutoscalerPrinter } from './autoscaling.js';
import { certificateSigningRequestPrinter } from './certificates.js';
import { nameColumn } from './columns.js';
import { csiDriverPrinter, csiNodePrinter, csiStorageCapacityPrinter, volumeAttachmentPrinter } from './csi.js';
import { eventPrinter, eventsV1Printer } from './events.js';
import { endpointSlicePrinter, endpointsPrinter, ingressPrinter, servicePrinter } from './network.js';
import { configMapPrinter, leasePrinter, namespacePrinter, nodePrinter, resourceQuotaPrinter, secretPrinter, serviceAccountPrinter } from './core.js';
import { podPrinter } from './pods.js';
import { runtimeClassPrinter } from './node.js';
import { podDisruptionBudgetPrinter } from './policy.js';
import { priorityClassPrinter } from './scheduling.js';
import { clusterRoleBindingPrinter, roleBindingPrinter } from './rbac.js';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter } from './storage.js';
import { cronJobPrinter, daemonSetPrinter, deploymentPrinter, jobPrinter, replicaSetPrinter, statefulSetPrinter } from './workloads.js';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** Pods that have finished carry one, as upstream's rows do. */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  /** Absent for includeObject=None. */
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** One kind's columns and how to fill them for an object. */
export interface Printer {
  readonly columns: readonly TableColumn[];
  /**
   * A cell for every column, priority 1 ones too: the apiserver always prints
   * wide and kubectl hides those columns unless asked for -o wide.
   */
  cells(object: KubeObject, now: Date): unknown[];
  conditions?(object: KubeObject): TableRowCondition[] | undefined;
}

/** Built-in kinds without their own columns print as upstream's default table does: NAME, CREATED AT. */
const defaultPrinter: Printer = {
  columns: [
    nameColumn,
    { name: 'Created At', type: 'date', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
  ],
  cells: (object) => [object.metadata.name ?? '', object.metadata.creationTimestamp ?? ''],
};

const printers: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ['/Pod', podPrinter],
  ['/Service', servicePrinter],
  ['/Endpoints', endpointsPrinter],
  ['/Node', nodePrinter],
  ['/Namespace', namespacePrinter],
  ['/ConfigMap', configMapPrinter],
  ['/Secret', secretPrinter],
  ['/ServiceAccount', serviceAccountPrinter],
  ['/ResourceQuota', resourceQuotaPrinter],
  ['/Event', eventPrinter],
  ['/PersistentVolume', persistentVolumePrinter],
  ['/PersistentVolumeClaim', persistentVolumeClaimPrinter],
  ['storage.k8s.io/StorageClass', storageClassPrinter],
  ['storage.k8s.io/CSIDriver', csiDriverPrinter],
  ['storage.k8s.io/CSINode', csiNodePrinter],
  ['storage.k8s.io/VolumeAttachment', volumeAttachmentPrinter],
  ['storage.k8s.io/CSIStorageCapacity', csiStorageCapacityPrinter],
  ['apps/Deployment', deploymentPrinter],
  ['apps/ReplicaSet', replicaSetPrinter],
  ['apps/StatefulSet', statefulSetPrinter],
  ['apps/DaemonSet', daemonSetPrinter],
  ['batch/Job', jobPrinter],
  ['batch/CronJob', cronJobPrinter],
  ['autoscaling/HorizontalPodAutoscaler', horizontalPodAutoscalerPrinter],
  ['policy/PodDisruptionBudget', podDisruptionBudgetPrinter],
  ['rbac.authorization.k8s.io/RoleBinding', roleBindingPrinter],
  ['rbac.authorization.k8s.io/ClusterRoleBinding', clusterRoleBindingPrinter],
  ['certificates.k8s.io/CertificateSigningRequest', certificateSigningRequestPrinter],
  ['scheduling.k8s.io/PriorityClass', priorityClassPrinter],
  ['coordination.k8s.io/Lease', leasePrinter],
  ['networking.k8s.io/Ingress', ingressPrinter],
  ['node.k8s.io/RuntimeClass', runtimeClassPrinter],
  ['admissionregistration.k8s.io/ValidatingWebhookConfiguration', webhookConfigurationPrinter],
  ['admissionregistration.k8s.io/MutatingWebhookConfiguration', webhookConfigurationPrinter],
  ['admissionregistration.k8s.io/ValidatingAdmissionPolicy', validatingAdmissionPolicyPrinter],
  ['admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding', validatingAdmissionPolicyBindingPrinter],
  ['discovery.k8s.io/EndpointSlice', endpointSlicePrinter],
  ['events.k8s.io/Event', eventsV1Printer],
]);

/** Rows for these objects of one kind (group + kind pick the printer; custom kinds print their CRD's columns). */
export function toTable(
  type: Pick<ResourceType, 'group' | 'kind'> | ResourceType,
  objects: readonly KubeObject[],
  opts: { includeObject: IncludeObject; now: Date; listMeta?: Table['metadata'] },
): Table {
  const custom = 'plural' in type && isCustomResourceType(type) ? printerOf(type.printerColumns) : undefined;
  const printer = printers.get(`${type.group}/${type.kind}`) ?? custom ?? defaultPrinter;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: tableMetadata(opts.listMeta),
    columnDefinitions: printer.columns.map((c) => ({ ...c })),
    rows: objects.map((object) => {
      const row: TableRow = { cells: printer.cells(object, opts.now) };
      const conditions = printer.conditions?.(object);
      if (conditions) row.conditions = conditions;
      if (opts.includeObject === 'Object') row.object = object;
      if (opts.includeObject === 'Metadata') {
        row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
      }
      return row;
    }),
  };
}

function tableMetadata(list: Table['metadata'] | undefined): Table['metadata'] {
  const metadata: Table['metadata'] = {};
  if (list?.resourceVersion !== undefined) metadata.resourceVersion = list.resourceVersion;
  if (list?.continue !== undefined) metadata.continue = list.continue;
  if (list?.remainingItemCount !== undefined) metadata.remainingItemCount = list.remainingItemCount;
  return metadata;
}

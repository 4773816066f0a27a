// Printers for the cluster's plain objects: Node, Namespace, ConfigMap,
// Secret, ServiceAccount, ResourceQuota and Lease.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ConfigMap, Namespace, Node, NodeCondition, ResourceQuota, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { ageColumn, column, docs, nameColumn } from './columns.js';
import { age } from './duration.js';
import type { Printer } from './table.js';

const rolePrefix = 'node-role.kubernetes.io/';
const roleLabel = 'kubernetes.io/role';

export const nodePrinter: Printer = {
  columns: [
    nameColumn,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn,
    column('Version', 'string', docs.kubeletVersion),
    column('Internal-IP', 'string', docs.addresses, 1),
    column('External-IP', 'string', docs.addresses, 1),
    column('OS-Image', 'string', docs.osImage, 1),
    column('Kernel-Version', 'string', docs.kernelVersion, 1),
    column('Container-Runtime', 'string', docs.crv, 1),
  ],
  cells(object, now) {
    const node = object as unknown as Node;
    const info = node.status?.nodeInfo;
    const address = (type: string): string => node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
    return [
      object.metadata.name ?? '',
      nodeStatus(node),
      nodeRoles(object.metadata.labels) || '<none>',
      age(object, now),
      info?.kubeletVersion ?? '',
      address('InternalIP'),
      address('ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

/** "Ready", "NotReady" or "Unknown" from the Ready condition (the last one listed wins), then ",SchedulingDisabled" when cordoned. */
function nodeStatus(node: Node): string {
  let ready: NodeCondition | undefined;
  for (const condition of node.status?.conditions ?? []) if (condition.type === 'Ready') ready = condition;
  const status = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** Roles from node-role.kubernetes.io/<role> labels and the older kubernetes.io/role=<role>, sorted, without repeats. */
function nodeRoles(labels: Readonly<Record<string, string>> | undefined): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (key.startsWith(rolePrefix)) {
      const role = key.slice(rolePrefix.length);
      if (role) roles.add(role);
    } else if (key === roleLabel && value) {
      roles.add(value);
    }
  }
  return [...roles].sort().join(',');
}

export const namespacePrinter: Printer = {
  columns: [nameColumn, column('Status', 'string', 'The status of the namespace'), ageColumn],
  cells(object, now) {
    // Every namespace is stored with a phase: Active until it is being deleted.
    return [object.metadata.name ?? '', (object as unknown as Namespace).status?.phase ?? 'Active', age(object, now)];
  },
};

export const configMapPrinter: Printer = {
  columns: [nameColumn, column('Data', 'string', docs.cmData), ageColumn],
  cells(object, now) {
    const { data, binaryData } = object as unknown as ConfigMap;
    return [object.metadata.name ?? '', Object.keys(data ?? {}).length + Object.keys(binaryData ?? {}).length, age(object, now)];
  },
};

export const secretPrinter: Printer = {
  columns: [nameColumn, column('Type', 'string', docs.secretType), column('Data', 'string', docs.secretData), ageColumn],
  cells(object, now) {
    const { type, data } = object as unknown as Secret;
    // Opaque is what defaulting stores for a secret written without a type.
    return [object.metadata.name ?? '', type || 'Opaque', Object.keys(data ?? {}).length, age(object, now)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [nameColumn, column('Secrets', 'string', docs.saSecrets), ageColumn],
  cells(object, now) {
    return [object.metadata.name ?? '', ((object as unknown as ServiceAccount).secrets ?? []).length, age(object, now)];
  },
};

export const resourceQuotaPrinter: Printer = {
  columns: [
    nameColumn,
    ageColumn,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  cells(object, now) {
    // "name: used/hard" for each resource of status.hard, sorted; limits.* ones go to LIMIT.
    const { hard = {}, used = {} } = (object as unknown as ResourceQuota).status ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const name of Object.keys(hard).sort()) (name.startsWith('limits.') ? limits : requests).push(`${name}: ${used[name] ?? '0'}/${hard[name]}`);
    return [object.metadata.name ?? '', age(object, now), requests.join(', '), limits.join(', ')];
  },
};

export const leasePrinter: Printer = {
  columns: [nameColumn, column('Holder', 'string', docs.holder), ageColumn],
  cells(object, now) {
    return [object.metadata.name ?? '', (object as unknown as Lease).spec?.holderIdentity ?? '', age(object, now)];
  },
};

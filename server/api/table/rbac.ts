// The RoleBinding and ClusterRoleBinding printers, as upstream's
// printRoleBinding / printClusterRoleBinding: the role as KIND/NAME, and with
// -o wide the subjects by kind (ServiceAccounts as NAMESPACE/NAME).
import type { RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { KubeObject } from '../objects.js';
import { ageColumn, column, nameColumn } from './columns.js';
import { age } from './duration.js';
import type { Printer } from './table.js';

function bindingPrinter(kind: 'roleBinding' | 'clusterRoleBinding', roleDoc: string): Printer {
  return {
    columns: [
      nameColumn,
      column('Role', 'string', roleDoc),
      ageColumn,
      column('Users', 'string', `Users in the ${kind}`, 1),
      column('Groups', 'string', `Groups in the ${kind}`, 1),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${kind}`, 1),
    ],
    cells(object: KubeObject, now: Date) {
      const { roleRef, subjects } = object as unknown as RoleBinding;
      const named = (k: string) => (subjects ?? []).filter((s) => s.kind === k);
      return [
        object.metadata.name ?? '',
        `${roleRef?.kind ?? ''}/${roleRef?.name ?? ''}`,
        age(object, now),
        named('User').map((s) => s.name).join(', '),
        named('Group').map((s) => s.name).join(', '),
        named('ServiceAccount').map((s) => `${s.namespace ?? ''}/${s.name}`).join(', '),
      ];
    },
  };
}

export const roleBindingPrinter = bindingPrinter(
  'roleBinding',
  'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.',
);

export const clusterRoleBindingPrinter = bindingPrinter(
  'clusterRoleBinding',
  'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.',
);

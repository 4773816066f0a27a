// What a new cluster has before anyone asks: the system namespaces,
// k3s's default StorageClass "local-path" (on every start, as k3s applies
// its manifests: one a user deleted comes back), the system PriorityClasses
// (created if missing, as kube-apiserver's post-start hook does), and the
// default RBAC policy (reconciled on every start, as kube-apiserver does).
import { LOCAL_PATH_PROVISIONER, LOCAL_PATH_STORAGE_CLASS } from '../../common/local-path.js';
import type { Logger } from '../../common/log.js';
import { SYSTEM_PRIORITY_CLASSES } from '../../common/system-priority-classes.js';
import type { Catalogue } from './catalogue.js';
import { SYSTEM_NAMESPACES } from './kinds/namespaces.js';
import { DEFAULT_CLASS_ANNOTATION } from './kinds/storage.js';
import type { KubeObject } from './objects.js';
import { reconcileDefaultPolicy } from './auth/rbac/default-policy-reconcile.js';
import type { Registry } from './registry/registry.js';
import type { ResourceType } from './resources.js';
import { ApiError } from './status.js';

export async function bootstrapCluster(registry: Registry, catalogue: Catalogue, log: Logger): Promise<void> {
  const namespaces = catalogue.get('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) await createIfMissing(registry, namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await createIfMissing(registry, catalogue.get('storage.k8s.io', 'v1', 'storageclasses')!, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_STORAGE_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  });
  const priorityClasses = catalogue.get('scheduling.k8s.io', 'v1', 'priorityclasses')!;
  for (const { name, value, description } of SYSTEM_PRIORITY_CLASSES) {
    await createIfMissing(registry, priorityClasses, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, description });
  }
  await reconcileDefaultPolicy(registry, catalogue, log);
}

async function createIfMissing(registry: Registry, type: ResourceType, object: KubeObject): Promise<void> {
  try {
    await registry.create(type, undefined, object, {});
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}

// The part of upstream's ServiceAccount admission plugin that reads the
// ServiceAccount: a new pod that names no imagePullSecrets gets those of its
// service account, so its node is sent those Secrets (the node feed follows
// a pod's spec) and pulls with them. (The name defaulting is in pods.ts.)
// Upstream refuses a pod whose service account does not exist yet; here it
// is created without its pull secrets, since the ServiceAccount controller
// creates `default` a moment after its namespace and nothing retries.
import type { LocalObjectReference, PodSpec } from 'kubernetes-types/core/v1.js';
import type { Store } from '../../store/types.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import { keyOf } from '../registry/registry.js';
import { decodeObject } from '../registry/stored-object.js';
import type { ResourceType } from '../resources.js';

/** Adds to the pods' rules the copying of their service account's imagePullSecrets, read from `store`. */
export function withServiceAccountAdmission(rules: (type: ResourceType) => KindRules, store: Store, serviceAccounts: ResourceType): (type: ResourceType) => KindRules {
  return (type) => {
    const base = rules(type);
    if (type.group !== '' || type.plural !== 'pods') return base;
    return {
      ...base,
      admit: async (obj) => {
        await base.admit?.(obj);
        await addPullSecrets(obj, store, serviceAccounts);
      },
    };
  };
}

async function addPullSecrets(pod: KubeObject, store: Store, serviceAccounts: ResourceType): Promise<void> {
  const spec = pod['spec'] as PodSpec | undefined;
  if (spec === undefined || (spec.imagePullSecrets ?? []).length > 0 || !spec.serviceAccountName) return;
  const kv = await store.get(keyOf(serviceAccounts, pod.metadata.namespace, spec.serviceAccountName));
  if (kv === undefined) return;
  const account = decodeObject(serviceAccounts, kv) as KubeObject & { imagePullSecrets?: LocalObjectReference[] };
  const names = (account.imagePullSecrets ?? []).filter((ref) => typeof ref?.name === 'string' && ref.name !== '');
  if (names.length > 0) spec.imagePullSecrets = names.map((ref) => ({ name: ref.name }));
}

// Upstream's ServiceAccount admission, its token part: a new pod whose
// account does not opt out (automountServiceAccountToken: false on the pod
// or the account) gets the projected volume kube-api-access-xxxxx (a bound
// token kubelet refreshes, the cluster CA from the kube-root-ca.crt
// ConfigMap, the namespace) mounted read-only at
// /var/run/secrets/kubernetes.io/serviceaccount in every container that
// has nothing there yet: what in-cluster clients read.
import { randomInt } from 'node:crypto';
import type { Container, PodSpec, ServiceAccount, Volume } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import type { Store } from '../../store/types.js';
import { type KindRules, keyOf } from '../registry/registry.js';
import { decodeObject } from '../registry/stored-object.js';
import type { ResourceType } from '../resources.js';

export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const VOLUME_PREFIX = 'kube-api-access-';
/** Upstream's warnafter: kubelet refreshes at 80 % of this, whatever longer life the server gives. */
const TOKEN_SECONDS = 3607;
/** utilrand.String's alphabet: no vowels, no look-alikes. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** The projected volume upstream adds, under `name`. */
export function apiAccessVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

/** Adds the token volume to pods on create, reading the pod's ServiceAccount from `store`. */
export function withServiceAccountVolume(rules: (type: ResourceType) => KindRules, store: Store, accounts: ResourceType): (type: ResourceType) => KindRules {
  return (type) => {
    const base = rules(type);
    if (type.group !== '' || type.plural !== 'pods') return base;
    return {
      ...base,
      admit: async (obj) => {
        await base.admit?.(obj);
        await mountToken(obj, store, accounts);
      },
    };
  };
}

async function mountToken(pod: KubeObject, store: Store, accounts: ResourceType): Promise<void> {
  const spec = pod['spec'] as PodSpec | undefined;
  if (spec === undefined || spec.automountServiceAccountToken === false) return;
  // Not there yet (a new namespace's default account comes a moment later): the volume is added; kubelet waits for its token.
  const kv = await store.get(keyOf(accounts, pod.metadata.namespace, spec.serviceAccountName || 'default'));
  if (kv !== undefined && (decodeObject(accounts, kv) as KubeObject & ServiceAccount).automountServiceAccountToken === false) return;
  const containers: Container[] = [...(spec.initContainers ?? []), ...spec.containers];
  const needing = containers.filter((c) => !(c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH));
  if (needing.length === 0) return;
  let name = (spec.volumes ?? []).find((v) => v.name.startsWith(VOLUME_PREFIX) && v.projected !== undefined)?.name;
  if (name === undefined) {
    const taken = new Set((spec.volumes ?? []).map((v) => v.name));
    do name = VOLUME_PREFIX + Array.from({ length: 5 }, () => ALPHANUMS[randomInt(ALPHANUMS.length)]).join('');
    while (taken.has(name));
    (spec.volumes ??= []).push(apiAccessVolume(name));
  }
  for (const c of needing) (c.volumeMounts ??= []).push({ name, readOnly: true, mountPath: TOKEN_MOUNT_PATH });
}

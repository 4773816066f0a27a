// The Secrets, ConfigMaps and PersistentVolumeClaims a pod uses: what its
// node must read to run it (volumes, projected sources, env and envFrom,
// image pull secrets), and nothing else.
import type { Container, EphemeralContainer, PodSpec } from 'kubernetes-types/core/v1.js';

/** Names by resource, as the node authorizer looks them up. */
export interface PodReferences {
  readonly secrets: ReadonlySet<string>;
  readonly configmaps: ReadonlySet<string>;
  readonly persistentvolumeclaims: ReadonlySet<string>;
}

export function podReferences(spec: PodSpec | undefined): PodReferences {
  const secrets = new Set<string>();
  const configmaps = new Set<string>();
  const persistentvolumeclaims = new Set<string>();
  const add = (set: Set<string>, name: string | undefined) => {
    if (name) set.add(name);
  };
  for (const volume of spec?.volumes ?? []) {
    add(secrets, volume.secret?.secretName);
    add(configmaps, volume.configMap?.name);
    add(persistentvolumeclaims, volume.persistentVolumeClaim?.claimName);
    for (const source of volume.projected?.sources ?? []) {
      add(secrets, source.secret?.name);
      add(configmaps, source.configMap?.name);
    }
  }
  const containers: (Container | EphemeralContainer)[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])];
  for (const container of containers) {
    for (const env of container.env ?? []) {
      add(secrets, env.valueFrom?.secretKeyRef?.name);
      add(configmaps, env.valueFrom?.configMapKeyRef?.name);
    }
    for (const from of container.envFrom ?? []) {
      add(secrets, from.secretRef?.name);
      add(configmaps, from.configMapRef?.name);
    }
  }
  for (const pullSecret of spec?.imagePullSecrets ?? []) add(secrets, pullSecret.name);
  return { secrets, configmaps, persistentvolumeclaims };
}

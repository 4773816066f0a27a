// Pod fields behind feature gates a 1.31 API server leaves off by default,
// dropped as its pod and workload strategies drop them before validation
// (dropDisabledFields): spec.hostUsers (UserNamespacesSupport), containers'
// resizePolicy (InPlacePodVerticalScaling), spec.resourceClaims and
// containers' resources.claims (DynamicResourceAllocation), a container's
// procMount, which becomes Default rather than going (ProcMountType; 1.12
// wrote the field, so upstream keeps it), image volumes with every mount of
// them (ImageVolume), and projected volumes' clusterTrustBundle sources,
// which leave an empty source behind (ClusterTrustBundleProjection). Their
// validation never runs in 1.31, so bramble has none. Upstream keeps a
// field the stored object already had; bramble drops it on every write.
import type { PodSpec, Volume } from 'kubernetes-types/core/v1.js';
import { containersWithPaths } from './container-paths.js';

export function dropGatedFields(spec: PodSpec): void {
  delete spec.hostUsers;
  delete spec.resourceClaims;
  const images = dropImageVolumes(spec);
  for (const { container } of containersWithPaths(spec, '')) {
    delete container.resizePolicy;
    if (container.resources != null) delete container.resources.claims;
    if (container.securityContext?.procMount != null) container.securityContext.procMount = 'Default';
    if (images !== undefined && container.volumeMounts !== undefined) {
      const mounts = container.volumeMounts.filter((m) => !images.has(m.name));
      if (mounts.length > 0) container.volumeMounts = mounts;
      else delete container.volumeMounts;
    }
  }
  for (const v of spec.volumes ?? []) for (const source of v.projected?.sources ?? []) delete (source as { clusterTrustBundle?: unknown }).clusterTrustBundle;
}

/** The names of the image volumes dropped; undefined when there were none, as nearly always. */
function dropImageVolumes(spec: PodSpec): Set<string> | undefined {
  const volumes = spec.volumes ?? [];
  if (!volumes.some(isImageVolume)) return undefined;
  const kept = volumes.filter((v) => !isImageVolume(v));
  if (kept.length > 0) spec.volumes = kept;
  else delete spec.volumes;
  return new Set(volumes.filter(isImageVolume).map((v) => v.name));
}

/** The 1.31 field kubernetes-types does not know yet. */
function isImageVolume(v: Volume): boolean {
  return (v as { image?: unknown }).image != null;
}

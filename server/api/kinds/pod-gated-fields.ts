// Pod fields behind feature gates a 1.31 API server leaves off by default,
// dropped as its pod and workload strategies drop them before validation
// (dropDisabledFields): spec.hostUsers (UserNamespacesSupport), containers'
// resizePolicy (InPlacePodVerticalScaling), spec.resourceClaims and
// containers' resources.claims (DynamicResourceAllocation), and a container's procMount,
// which becomes Default rather than going (ProcMountType; 1.12 wrote the
// field, so upstream keeps it). Their validation never runs in 1.31, so
// bramble has none. Upstream keeps a field the stored object already had;
// bramble drops it on every write.
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { containersWithPaths } from './container-paths.js';

export function dropGatedFields(spec: PodSpec): void {
  delete spec.hostUsers;
  delete spec.resourceClaims;
  for (const { container } of containersWithPaths(spec, '')) {
    delete container.resizePolicy;
    if (container.resources != null) delete container.resources.claims;
    if (container.securityContext?.procMount != null) container.securityContext.procMount = 'Default';
  }
}

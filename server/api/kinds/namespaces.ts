// Namespace defaults, as upstream sets them: the immutable name label, the
// "kubernetes" finalizer the namespace controller removes, and phase Active.
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';

export const namespaceRules: KindRules = {
  defaults(obj: KubeObject) {
    const name = obj.metadata.name!;
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': name };
    const spec = (obj['spec'] ??= {}) as { finalizers?: string[] };
    spec.finalizers ??= ['kubernetes'];
    const status = (obj['status'] ??= {}) as { phase?: string };
    status.phase = obj.metadata.deletionTimestamp === undefined ? 'Active' : 'Terminating';
  },
  finalizersOf: (obj: KubeObject) => (obj['spec'] as { finalizers?: string[] } | undefined)?.finalizers ?? [],
};

/** Namespaces every cluster has from its first start. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

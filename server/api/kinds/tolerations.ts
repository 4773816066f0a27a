// Which taints a pod's tolerations tolerate (v1.Toleration.ToleratesTaint):
// what the scheduler filters on and what decides when a pod leaves a node
// that went unreachable.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** An empty effect or key matches any; an empty operator means Equal. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function toleratesAny(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

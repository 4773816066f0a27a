// The built-in kinds' warnings (KindRules.warnings) by group/resource, as
// upstream's strategies give them in Kubernetes 1.31 (WarningsOnCreate and
// WarningsOnUpdate), with the few that are one line each. Kinds not here
// warn of nothing (their strategies return none).
import type { KindRules } from '../registry/registry.js';
import { claimWarnings, storageClassWarnings, volumeWarnings } from './storage-warnings.js';
import { serviceWarnings } from './service-warnings.js';
import {
  cronJobWarnings,
  daemonSetWarnings,
  deploymentWarnings,
  jobWarnings,
  podStrategyWarnings,
  replicaSetWarnings,
  statefulSetWarnings,
} from './workload-warnings.js';

type Warnings = NonNullable<KindRules['warnings']>;

const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** FQDN slices have no defined meaning; said on create only (the type cannot change). */
const endpointSliceWarnings: Warnings = (obj, old) =>
  old === undefined && obj['addressType'] === 'FQDN' ? ['spec.addressType: FQDN endpoints are deprecated'] : [];

/** On create only. */
const ingressWarnings: Warnings = (obj, old) => {
  const spec = obj['spec'] as { ingressClassName?: string | null } | undefined;
  if (old !== undefined || obj.metadata.annotations?.[INGRESS_CLASS_ANNOTATION] === undefined || (spec?.ingressClassName ?? null) !== null) return [];
  return [`annotation "${INGRESS_CLASS_ANNOTATION}" is deprecated, please use 'spec.ingressClassName' instead`];
};

/** On create and every update (a create's configSource is dropped before). */
const nodeWarnings: Warnings = (obj) => {
  const spec = obj['spec'] as { configSource?: unknown; externalID?: string } | undefined;
  const warnings: string[] = [];
  if (spec?.configSource !== undefined && spec.configSource !== null) warnings.push('spec.configSource: the feature is removed');
  if (spec?.externalID) warnings.push('spec.externalID: this field is deprecated, and is unused by Kubernetes');
  return warnings;
};

export const KIND_WARNINGS: ReadonlyMap<string, Warnings> = new Map<string, Warnings>([
  ['/pods', podStrategyWarnings],
  ['/services', serviceWarnings],
  ['/nodes', nodeWarnings],
  ['/persistentvolumes', volumeWarnings],
  ['/persistentvolumeclaims', claimWarnings],
  ['storage.k8s.io/storageclasses', storageClassWarnings],
  ['discovery.k8s.io/endpointslices', endpointSliceWarnings],
  ['networking.k8s.io/ingresses', ingressWarnings],
  ['apps/deployments', deploymentWarnings],
  ['apps/replicasets', replicaSetWarnings],
  ['apps/statefulsets', statefulSetWarnings],
  ['apps/daemonsets', daemonSetWarnings],
  ['batch/jobs', jobWarnings],
  ['batch/cronjobs', cronJobWarnings],
]);

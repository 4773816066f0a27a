// Kind-specific rules (defaults, validation, warnings, shared ranges,
// generation) by resource type; types without rules get the registry's generic object
// semantics only.
import type { KindRules } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { validatingAdmissionPolicyBindingRules, validatingAdmissionPolicyRules } from './admission-policies.js';
import { horizontalPodAutoscalerRules } from './autoscaling.js';
import { autoscalingV1 } from './autoscaling-v1.js';
import { certificateSigningRequestRules } from './certificate-signing-requests.js';
import { configMapRules, secretRules } from './config.js';
import { controllerRevisionRules } from './controller-revisions.js';
import { eventRules, newEventRules } from './events.js';
import { endpointSliceRules } from './endpoint-slices.js';
import { endpointsRules } from './endpoints.js';
import { cronJobRules, jobRules } from './jobs.js';
import { leaseRules } from './leases.js';
import { ingressClassRules } from './ingress-classes.js';
import { limitRangeRules } from './limit-ranges.js';
import { ingressRules } from './ingresses.js';
import { KIND_WARNINGS } from './kind-warnings.js';
import { networkPolicyRules } from './network-policies.js';
import { namespaceRules } from './namespaces.js';
import { nodeRules } from './nodes.js';
import { podDisruptionBudgetRules } from './pod-disruption-budgets.js';
import { podRules } from './pods.js';
import { priorityClassRules } from './priority-classes.js';
import { resourceQuotaRules } from './resource-quotas.js';
import { runtimeClassRules } from './runtime-classes.js';
import { clusterRoleBindingRules, clusterRoleRules, roleBindingRules, roleRules } from './rbac.js';
import type { ServiceRanges } from './service-ranges.js';
import { serviceRules } from './services.js';
import { csiDriverRules, csiNodeRules, csiStorageCapacityRules, volumeAttachmentRules } from './csi.js';
import { persistentVolumeRules } from './persistent-volumes.js';
import { persistentVolumeClaimRules, storageClassRules } from './storage.js';
import { mutatingWebhookConfigurationRules, validatingWebhookConfigurationRules } from './webhook-configurations.js';
import { daemonSetRules, deploymentRules, replicaSetRules, statefulSetRules } from './workloads.js';

const RULES = new Map<string, KindRules>([
  ['/namespaces', namespaceRules],
  ['/nodes', nodeRules],
  ['/pods', podRules],
  ['/services', serviceRules],
  ['/endpoints', endpointsRules],
  ['discovery.k8s.io/endpointslices', endpointSliceRules],
  ['/configmaps', configMapRules],
  ['/persistentvolumeclaims', persistentVolumeClaimRules],
  ['/persistentvolumes', persistentVolumeRules],
  ['storage.k8s.io/storageclasses', storageClassRules],
  ['storage.k8s.io/csidrivers', csiDriverRules],
  ['storage.k8s.io/csinodes', csiNodeRules],
  ['storage.k8s.io/volumeattachments', volumeAttachmentRules],
  ['storage.k8s.io/csistoragecapacities', csiStorageCapacityRules],
  ['/secrets', secretRules],
  ['/limitranges', limitRangeRules],
  ['/resourcequotas', resourceQuotaRules],
  ['/events', eventRules],
  ['events.k8s.io/events', newEventRules],
  ['apps/deployments', deploymentRules],
  ['apps/replicasets', replicaSetRules],
  ['apps/statefulsets', statefulSetRules],
  ['apps/daemonsets', daemonSetRules],
  ['apps/controllerrevisions', controllerRevisionRules],
  ['batch/jobs', jobRules],
  ['batch/cronjobs', cronJobRules],
  ['coordination.k8s.io/leases', leaseRules],
  ['certificates.k8s.io/certificatesigningrequests', certificateSigningRequestRules],
  ['networking.k8s.io/ingresses', ingressRules],
  ['networking.k8s.io/ingressclasses', ingressClassRules],
  ['networking.k8s.io/networkpolicies', networkPolicyRules],
  ['node.k8s.io/runtimeclasses', runtimeClassRules],
  ['policy/poddisruptionbudgets', podDisruptionBudgetRules],
  ['scheduling.k8s.io/priorityclasses', priorityClassRules],
  ['rbac.authorization.k8s.io/roles', roleRules],
  ['rbac.authorization.k8s.io/clusterroles', clusterRoleRules],
  ['rbac.authorization.k8s.io/rolebindings', roleBindingRules],
  ['rbac.authorization.k8s.io/clusterrolebindings', clusterRoleBindingRules],
  ['admissionregistration.k8s.io/validatingwebhookconfigurations', validatingWebhookConfigurationRules],
  ['admissionregistration.k8s.io/mutatingwebhookconfigurations', mutatingWebhookConfigurationRules],
  ['admissionregistration.k8s.io/validatingadmissionpolicies', validatingAdmissionPolicyRules],
  ['admissionregistration.k8s.io/validatingadmissionpolicybindings', validatingAdmissionPolicyBindingRules],
  // Stored as autoscaling/v2, also served as autoscaling/v1.
  ['autoscaling/horizontalpodautoscalers', { ...horizontalPodAutoscalerRules, conversions: { v1: autoscalingV1 } }],
]);

/** Kinds whose metadata.generation upstream counts (their strategies set it); the others have none. */
const GENERATION_TRACKED = new Set([
  'apps/deployments',
  'apps/replicasets',
  'apps/statefulsets',
  'apps/daemonsets',
  'batch/jobs',
  'batch/cronjobs',
  'policy/poddisruptionbudgets',
  'networking.k8s.io/ingresses',
  'networking.k8s.io/ingressclasses',
  'networking.k8s.io/networkpolicies',
  'autoscaling/horizontalpodautoscalers',
  'admissionregistration.k8s.io/validatingwebhookconfigurations',
  'admissionregistration.k8s.io/mutatingwebhookconfigurations',
  'admissionregistration.k8s.io/validatingadmissionpolicies',
  'admissionregistration.k8s.io/validatingadmissionpolicybindings',
]);

for (const key of GENERATION_TRACKED) RULES.set(key, { ...RULES.get(key), tracksGeneration: true });
for (const [key, warnings] of KIND_WARNINGS) RULES.set(key, { ...RULES.get(key), warnings });

/** The defaults, validation, warnings and generation tracking of the built-in kinds. */
export function rulesFor(type: ResourceType): KindRules {
  return RULES.get(`${type.group}/${type.plural}`) ?? {};
}

/** Adds to `rules` the claiming of Services' cluster IPs and node ports from `ranges`. */
export function withServiceRanges(rules: (type: ResourceType) => KindRules, ranges: ServiceRanges): (type: ResourceType) => KindRules {
  return (type) => {
    const base = rules(type);
    if (type.group !== '' || type.plural !== 'services') return base;
    return { ...base, claim: (obj, old) => ranges.claim(obj, old), release: (obj, keep) => ranges.release(obj, keep) };
  };
}

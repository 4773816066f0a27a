// Strategic-merge and list metadata of built-in fields, as upstream declares
// it in its Go types (patchStrategy / patchMergeKey tags, +listType and
// +listMapKey markers; k8s.io/api and k8s.io/apimachinery, release-1.30,
// the version of kubernetes-types). kubectl computes strategic merge
// patches from these extensions, so every field upstream marks must be here:
// a list served without its merge key would be replaced instead of merged.
// The generator fails if an entry names a field the types do not have.
// The server's strategic merge patch reads the same extensions back from the
// generated schemas (server/api/patch/merge-keys.ts): this is the one table.
import type { PatchStrategy } from '../../server/api/openapi/schema.js';

export interface PatchMetadata {
  readonly strategy?: PatchStrategy;
  readonly mergeKey?: string;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
}

const byKey = (key: string): PatchMetadata => ({ strategy: 'merge', mergeKey: key, listType: 'map', listMapKeys: [key] });
const conditions: PatchMetadata = byKey('type');
const byName: PatchMetadata = byKey('name');
const retainByName: PatchMetadata = { ...byName, strategy: 'merge,retainKeys' };

const containerLists: Readonly<Record<string, PatchMetadata>> = {
  ports: { strategy: 'merge', mergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] },
  env: byName,
  volumeMounts: byKey('mountPath'),
  volumeDevices: byKey('devicePath'),
};

const webhookConfiguration = { webhooks: byName };
const webhook = { matchConditions: byName };
const admissionPolicySpec = { matchConditions: byName, variables: byName };

/** Schema name → property → metadata. */
export const PATCH_METADATA: Readonly<Record<string, Readonly<Record<string, PatchMetadata>>>> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    ownerReferences: byKey('uid'),
    finalizers: { strategy: 'merge', listType: 'set' },
  },

  'io.k8s.api.core.v1.Container': containerLists,
  'io.k8s.api.core.v1.EphemeralContainer': containerLists,
  'io.k8s.api.core.v1.ContainerStatus': { volumeMounts: byKey('mountPath') },
  'io.k8s.api.core.v1.PodSpec': {
    volumes: retainByName,
    initContainers: byName,
    containers: byName,
    ephemeralContainers: byName,
    imagePullSecrets: byName,
    hostAliases: byKey('ip'),
    topologySpreadConstraints: { strategy: 'merge', mergeKey: 'topologyKey', listType: 'map', listMapKeys: ['topologyKey', 'whenUnsatisfiable'] },
    schedulingGates: byName,
    resourceClaims: retainByName,
  },
  'io.k8s.api.core.v1.PodStatus': {
    conditions,
    hostIPs: { strategy: 'merge', mergeKey: 'ip', listType: 'atomic' },
    podIPs: byKey('ip'),
    resourceClaimStatuses: retainByName,
  },
  'io.k8s.api.core.v1.ServiceSpec': {
    ports: { strategy: 'merge', mergeKey: 'port', listType: 'map', listMapKeys: ['port', 'protocol'] },
  },
  'io.k8s.api.core.v1.ServiceStatus': { conditions },
  'io.k8s.api.core.v1.ServiceAccount': { secrets: byName },
  'io.k8s.api.core.v1.NodeSpec': { podCIDRs: { strategy: 'merge', listType: 'set' } },
  'io.k8s.api.core.v1.NodeStatus': { conditions, addresses: byKey('type') },
  'io.k8s.api.core.v1.NamespaceStatus': { conditions },
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': { conditions },
  'io.k8s.api.core.v1.ReplicationControllerStatus': { conditions },
  'io.k8s.api.core.v1.ComponentStatus': { conditions },

  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: { strategy: 'retainKeys' } },
  'io.k8s.api.apps.v1.DeploymentStatus': { conditions },
  'io.k8s.api.apps.v1.DaemonSetStatus': { conditions },
  'io.k8s.api.apps.v1.ReplicaSetStatus': { conditions },
  'io.k8s.api.apps.v1.StatefulSetStatus': { conditions },

  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { conditions },
  'io.k8s.api.batch.v1.JobStatus': { conditions: { strategy: 'merge', mergeKey: 'type', listType: 'atomic' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { selector: { strategy: 'replace' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': { conditions },
  'io.k8s.api.storage.v1.CSINodeSpec': { drivers: byName },

  'io.k8s.api.flowcontrol.v1.FlowSchemaStatus': { conditions },
  'io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationStatus': { conditions },
  'io.k8s.api.flowcontrol.v1beta3.FlowSchemaStatus': { conditions },
  'io.k8s.api.flowcontrol.v1beta3.PriorityLevelConfigurationStatus': { conditions },

  'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration': webhookConfiguration,
  'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration': webhookConfiguration,
  'io.k8s.api.admissionregistration.v1.ValidatingWebhook': webhook,
  'io.k8s.api.admissionregistration.v1.MutatingWebhook': webhook,
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicySpec': admissionPolicySpec,
  'io.k8s.api.admissionregistration.v1beta1.ValidatingWebhookConfiguration': webhookConfiguration,
  'io.k8s.api.admissionregistration.v1beta1.MutatingWebhookConfiguration': webhookConfiguration,
  'io.k8s.api.admissionregistration.v1beta1.ValidatingWebhook': webhook,
  'io.k8s.api.admissionregistration.v1beta1.MutatingWebhook': webhook,
  'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicySpec': admissionPolicySpec,
  'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicySpec': admissionPolicySpec,

  // apiextensions-apiserver's types_jsonschema.go; every level of a CRD's schema.
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps': { 'x-kubernetes-validations': byKey('rule') },

  'io.k8s.api.networking.v1alpha1.ServiceCIDRStatus': { conditions },
  'io.k8s.api.resource.v1alpha2.ResourceClaimStatus': { reservedFor: byKey('uid') },
  'io.k8s.api.storagemigration.v1alpha1.StorageVersionMigrationStatus': { conditions },
  // Upstream really marks the list's items (a quirk of that alpha type).
  'io.k8s.api.storagemigration.v1alpha1.StorageVersionMigrationList': { items: conditions },
};

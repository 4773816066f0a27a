// How strategic merge patch treats the fields of each built-in kind: the
// patchStrategy / patchMergeKey struct tags of k8s.io/api (the same data
// OpenAPI publishes as x-kubernetes-patch-strategy / -merge-key). Fields not
// listed here use the defaults: maps merge, lists are replaced.
import type { GroupVersionKind } from '../objects.js';

export interface PatchMeta {
  /** "merge" (lists merge by key, or as a set for primitives), "replace" (a map is not merged), "retainKeys" or "merge,retainKeys". */
  readonly strategy: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
  /** For lists of objects: the field that identifies an item. */
  readonly mergeKey?: string;
}

/** A kind's fields as a tree of field names; list items share their list's node. */
export interface SchemaNode {
  readonly meta?: PatchMeta;
  readonly fields: ReadonlyMap<string, SchemaNode>;
}

/** The field tree of a kind that supports strategic merge patch; undefined for other kinds (custom resources). */
export function strategicSchema(kind: GroupVersionKind): SchemaNode | undefined {
  return schemas.get(`${kind.group}/${kind.kind}`);
}

export function supportsStrategicMerge(kind: GroupVersionKind): boolean {
  return strategicSchema(kind) !== undefined;
}

type Table = Readonly<Record<string, PatchMeta>>;

const merge = (mergeKey?: string): PatchMeta => (mergeKey === undefined ? { strategy: 'merge' } : { strategy: 'merge', mergeKey });

function objectMeta(at: string): Table {
  return { [`${at}.ownerReferences`]: merge('uid'), [`${at}.finalizers`]: merge() };
}

function container(at: string): Table {
  return {
    [at]: merge('name'),
    [`${at}.ports`]: merge('containerPort'),
    [`${at}.env`]: merge('name'),
    [`${at}.volumeMounts`]: merge('mountPath'),
    [`${at}.volumeDevices`]: merge('devicePath'),
  };
}

function podSpec(at: string): Table {
  return {
    ...container(`${at}.containers`),
    ...container(`${at}.initContainers`),
    ...container(`${at}.ephemeralContainers`),
    [`${at}.volumes`]: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    [`${at}.imagePullSecrets`]: merge('name'),
    [`${at}.hostAliases`]: merge('ip'),
    [`${at}.topologySpreadConstraints`]: merge('topologyKey'),
    [`${at}.schedulingGates`]: merge('name'),
    [`${at}.resourceClaims`]: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  };
}

function podTemplate(at: string): Table {
  return { ...objectMeta(`${at}.metadata`), ...podSpec(`${at}.spec`) };
}

/** Claims that a StatefulSet stamps out are PersistentVolumeClaims. */
function claimTemplate(at: string): Table {
  return { ...objectMeta(`${at}.metadata`), [`${at}.status.conditions`]: merge('type') };
}

// Every kind: object metadata, and status conditions keyed by type.
const common: Table = { ...objectMeta('metadata'), 'status.conditions': merge('type') };

const byKind: Readonly<Record<string, Table>> = {
  // core
  '/Pod': {
    ...podSpec('spec'),
    'status.podIPs': merge('ip'),
    'status.hostIPs': merge('ip'),
    'status.resourceClaimStatuses': { strategy: 'merge,retainKeys', mergeKey: 'name' },
  },
  '/PodTemplate': podTemplate('template'),
  '/ReplicationController': podTemplate('spec.template'),
  '/Service': { 'spec.ports': merge('port') },
  '/Node': { 'spec.podCIDRs': merge(), 'status.addresses': merge('type') },
  '/ServiceAccount': { secrets: merge('name') },
  '/ComponentStatus': { conditions: merge('type') },
  '/Namespace': {},
  '/ConfigMap': {},
  '/Secret': {},
  '/Endpoints': {},
  '/Event': {},
  '/PersistentVolume': {},
  '/PersistentVolumeClaim': {},
  '/LimitRange': {},
  '/ResourceQuota': {},
  // apps
  'apps/Deployment': { ...podTemplate('spec.template'), 'spec.strategy': { strategy: 'retainKeys' } },
  'apps/ReplicaSet': podTemplate('spec.template'),
  'apps/StatefulSet': { ...podTemplate('spec.template'), ...claimTemplate('spec.volumeClaimTemplates') },
  'apps/DaemonSet': podTemplate('spec.template'),
  'apps/ControllerRevision': {},
  // batch
  'batch/Job': podTemplate('spec.template'),
  'batch/CronJob': { ...objectMeta('spec.jobTemplate.metadata'), ...podTemplate('spec.jobTemplate.spec.template') },
  // others
  'autoscaling/HorizontalPodAutoscaler': {},
  'autoscaling/Scale': {},
  'policy/PodDisruptionBudget': { 'spec.selector': { strategy: 'replace' } },
  'networking.k8s.io/Ingress': {},
  'networking.k8s.io/IngressClass': {},
  'networking.k8s.io/NetworkPolicy': {},
  'rbac.authorization.k8s.io/Role': {},
  'rbac.authorization.k8s.io/ClusterRole': {},
  'rbac.authorization.k8s.io/RoleBinding': {},
  'rbac.authorization.k8s.io/ClusterRoleBinding': {},
  'storage.k8s.io/StorageClass': {},
  'storage.k8s.io/CSIDriver': {},
  'storage.k8s.io/CSINode': { 'spec.drivers': merge('name') },
  'storage.k8s.io/VolumeAttachment': {},
  'coordination.k8s.io/Lease': {},
  'discovery.k8s.io/EndpointSlice': {},
  'events.k8s.io/Event': {},
  'scheduling.k8s.io/PriorityClass': {},
  'node.k8s.io/RuntimeClass': {},
  'certificates.k8s.io/CertificateSigningRequest': {},
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': { webhooks: merge('name'), 'webhooks.matchConditions': merge('name') },
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': { webhooks: merge('name'), 'webhooks.matchConditions': merge('name') },
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': { 'spec.matchConditions': merge('name'), 'spec.variables': merge('name') },
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': {},
  'apiextensions.k8s.io/CustomResourceDefinition': {},
  'apiregistration.k8s.io/APIService': {},
  'flowcontrol.apiserver.k8s.io/FlowSchema': {},
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': {},
};

interface MutableNode {
  meta?: PatchMeta;
  fields: Map<string, MutableNode>;
}

function buildSchema(table: Table): SchemaNode {
  const root: MutableNode = { fields: new Map() };
  for (const [path, meta] of Object.entries(table)) {
    let node = root;
    for (const name of path.split('.')) {
      let next = node.fields.get(name);
      if (next === undefined) {
        next = { fields: new Map() };
        node.fields.set(name, next);
      }
      node = next;
    }
    node.meta = meta;
  }
  return root;
}

const schemas: ReadonlyMap<string, SchemaNode> = new Map(
  Object.entries(byKind).map(([key, table]) => [key, buildSchema({ ...common, ...table })]),
);

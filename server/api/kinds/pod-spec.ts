// The pod spec every workload shares (pods, and the templates of
// Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs):
// SetDefaults_PodSpec with its volumes and containers (and the fields 1.31's
// default gates drop), and upstream's ValidatePodSpec /
// ValidatePodTemplateSpec, each of its checks a line in upstream's order.
import type { Container, PodSpec, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { KubeObject, ObjectMeta } from '../objects.js';
import { parseQuantity } from '../../../common/quantity.js';
import { checkName } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { validateAffinity } from './affinity.js';
import { containerDefaults, INIT_FORBIDDEN, validateContainer, validateProbesAndHooks, validateResources } from './containers.js';
import { decodeError, duplicate, forbidden, inclusiveRange, invalid, MAX_INT32, notSupported, quote, required } from './field-errors.js';
import { validateAnnotationKeys, validateLabels } from './labels.js';
import { validateTopologySpreadConstraints } from './topology-spread.js';
import { validateAppArmorAnnotationsMatchFields } from './apparmor.js';
import { validateEphemeralContainers } from './ephemeral-containers.js';
import { dropGatedFields } from './pod-gated-fields.js';
import { validateHostAliases, validatePodDNSConfig } from './pod-dns.js';
import { validateReadinessGates, validateSchedulingGates } from './pod-gates.js';
import { validatePodOS } from './pod-os.js';
import { holdsInvalidDeletionCost, validatePodSpecificAnnotations } from './pod-annotations.js';
import { validateTolerations } from './pod-tolerations.js';
import { validateSeccompAnnotationsMatchFields } from './seccomp.js';
import { validatePodSecurityContext } from './security-context.js';
import { validateWindowsHostProcess } from './windows-options.js';
import { goUnroundedString } from './go-quantity.js';
import { hasVolumeSource, validateVolumes } from './pod-volumes.js';
import { decodeResourceList } from './resource-lists.js';
import { type Source, sourceDefaults } from './volume-sources.js';

/** Default mode of secret, configMap, downwardAPI and projected volumes: 0644. */
const DEFAULT_MODE = 420;

export function podSpecDefaults(spec: PodSpec, owner: KubeObject): void {
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.restartPolicy ||= 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ||= 'default-scheduler';
  // serviceAccount is the deprecated alias of serviceAccountName: conversion keeps the two equal.
  const account = spec.serviceAccountName || spec.serviceAccount;
  delete spec.serviceAccount;
  delete spec.serviceAccountName;
  if (account) spec.serviceAccount = spec.serviceAccountName = account;
  for (const c of allContainers(spec)) containerDefaults(c, owner);
  decodeResourceList(spec.overhead, owner);
  for (const v of spec.volumes ?? []) volumeDefaults(v, owner);
  dropGatedFields(spec);
}

/** A template's metadata is a struct upstream: its zero creationTimestamp serializes as null. */
export function templateMetadataDefaults(template: { metadata?: object }): void {
  const meta = (template.metadata ??= {}) as { creationTimestamp?: string | null };
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
}

export function podTemplateDefaults(template: PodTemplateSpec, owner: KubeObject): void {
  templateMetadataDefaults(template);
  podSpecDefaults((template.spec ??= {} as PodSpec), owner);
}

function allContainers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}

/** SetObjectDefaults_Pod's part for a volume, with the decoding of its quantities (a bad one is a 400). */
function volumeDefaults(v: Volume, owner: KubeObject): void {
  if (!hasVolumeSource(v)) v.emptyDir = {};
  sourceDefaults(v as unknown as Source);
  if (v.secret) v.secret.defaultMode ??= DEFAULT_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= DEFAULT_MODE;
    for (const item of v.downwardAPI.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_MODE;
    for (const source of v.projected.sources ?? []) {
      if (source.serviceAccountToken) source.serviceAccountToken.expirationSeconds ??= 3600;
      for (const item of source.downwardAPI?.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ||= 'v1';
    }
  }
  const sizeLimit = v.emptyDir?.sizeLimit;
  if (sizeLimit != null) {
    const parsed = parseQuantity(sizeLimit);
    if (typeof parsed === 'string') throw decodeError(owner, parsed);
    v.emptyDir!.sizeLimit = goUnroundedString(sizeLimit);
  }
  const claim = v.ephemeral?.volumeClaimTemplate;
  if (claim) {
    templateMetadataDefaults(claim);
    const spec = (claim.spec ??= {});
    spec.volumeMode ??= 'Filesystem';
    decodeResourceList(spec.resources?.limits, owner);
    decodeResourceList(spec.resources?.requests, owner);
  }
}

// --- validation -----------------------------------------------------------

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

/**
 * ValidatePodSpec; `pod` is the pod's metadata when the spec is a pod's own
 * rather than a template's; `old` is the spec being updated (some checks
 * spare what it already held, as upstream's PodValidationOptions do).
 */
export function validatePodSpec(spec: PodSpec, path: string, pod: ObjectMeta | undefined, old?: PodSpec): StatusCause[] {
  const causes: StatusCause[] = [];
  const gracePeriod = spec.terminationGracePeriodSeconds!;
  const volumes = validateVolumes(spec.volumes ?? [], `${path}.volumes`, pod, causes);
  const containers = spec.containers ?? [];
  if (containers.length === 0) causes.push(required(`${path}.containers`));
  else {
    const names = new Set<string>();
    containers.forEach((c, i) => {
      const p = `${path}.containers[${i}]`;
      causes.push(...validateContainer(c, p, { volumes }));
      if (names.has(c.name)) causes.push(duplicate(`${p}.name`, quote(c.name)));
      else names.add(c.name);
      causes.push(...validateProbesAndHooks(c, p, gracePeriod));
      if (c.restartPolicy !== undefined) causes.push(forbidden(`${p}.restartPolicy`, 'may not be set for non-init containers'));
    });
    causes.push(...hostPortConflicts(containers, `${path}.containers`));
  }
  causes.push(...validateInitContainers(spec, `${path}.initContainers`, volumes, gracePeriod));
  causes.push(...validateEphemeralContainers(spec, `${path}.ephemeralContainers`, { volumes }));
  if (spec.hostNetwork) causes.push(...hostNetworkPorts(containers, `${path}.containers`, pod !== undefined));
  if (!RESTART_POLICIES.includes(spec.restartPolicy ?? '')) causes.push(notSupported(`${path}.restartPolicy`, quote(spec.restartPolicy ?? ''), RESTART_POLICIES));
  if (!DNS_POLICIES.includes(spec.dnsPolicy ?? '')) causes.push(notSupported(`${path}.dnsPolicy`, quote(spec.dnsPolicy ?? ''), DNS_POLICIES));
  causes.push(...validateLabels(spec.nodeSelector, `${path}.nodeSelector`));
  causes.push(...validatePodSecurityContext(spec, `${path}.securityContext`));
  causes.push(...validateAffinity(spec.affinity, `${path}.affinity`, old?.affinity));
  causes.push(...validatePodDNSConfig(spec, `${path}.dnsConfig`));
  causes.push(...validateReadinessGates(spec.readinessGates ?? [], `${path}.readinessGates`));
  causes.push(...validateSchedulingGates(spec.schedulingGates ?? [], `${path}.schedulingGates`));
  causes.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, `${path}.topologySpreadConstraints`, old?.topologySpreadConstraints));
  causes.push(...validateWindowsHostProcess(spec, path));
  if (spec.serviceAccountName) causes.push(...checkName(spec.serviceAccountName, 'subdomain', `${path}.serviceAccountName`));
  if (spec.nodeName) causes.push(...checkName(spec.nodeName, 'subdomain', `${path}.nodeName`));
  const deadline = spec.activeDeadlineSeconds;
  if (deadline !== undefined && (deadline < 1 || deadline > MAX_INT32)) {
    causes.push(invalid(`${path}.activeDeadlineSeconds`, String(deadline), inclusiveRange(1, MAX_INT32)));
  }
  if (spec.hostname) causes.push(...checkName(spec.hostname, 'label', `${path}.hostname`));
  if (spec.subdomain) causes.push(...checkName(spec.subdomain, 'label', `${path}.subdomain`));
  causes.push(...validateTolerations(spec.tolerations ?? [], `${path}.tolerations`));
  causes.push(...validateHostAliases(spec.hostAliases ?? [], `${path}.hostAliases`));
  if (spec.priorityClassName) causes.push(...checkName(spec.priorityClassName, 'subdomain', `${path}.priorityClassName`));
  if (spec.runtimeClassName != null) causes.push(...checkName(spec.runtimeClassName, 'subdomain', `${path}.runtimeClassName`));
  if (spec.preemptionPolicy != null) causes.push(...validatePreemptionPolicy(spec.preemptionPolicy, `${path}.preemptionPolicy`));
  // validateOverhead: checked as a container's limits, so the paths read overhead.limits[…].
  if (spec.overhead != null) causes.push(...validateResources({ limits: spec.overhead }, `${path}.overhead`));
  causes.push(...validatePodOS(spec, path));
  return causes;
}

/** ValidatePreemptionPolicy, of pods and PriorityClasses: "" is a missing value. */
export function validatePreemptionPolicy(policy: string, path: string): StatusCause[] {
  if (policy === '') return [required(path)];
  return ['PreemptLowerPriority', 'Never'].includes(policy) ? [] : [notSupported(path, quote(policy), ['PreemptLowerPriority', 'Never'])];
}

/**
 * ValidatePodTemplateSpec; `old` is the template being updated. A template's
 * profile annotations and fields must agree on every write, not only at creation.
 */
export function validatePodTemplate(template: PodTemplateSpec, path: string, old?: PodTemplateSpec): StatusCause[] {
  const spec = template.spec ?? ({} as PodSpec);
  const annotations = template.metadata?.annotations;
  const causes = [
    ...validateLabels(template.metadata?.labels, `${path}.labels`),
    ...validateAnnotationKeys(annotations, `${path}.annotations`),
    ...validatePodSpecificAnnotations(annotations, spec, `${path}.annotations`, old !== undefined && holdsInvalidDeletionCost(old.metadata?.annotations)),
    ...validatePodSpec(spec, `${path}.spec`, undefined, old?.spec),
    ...validateSeccompAnnotationsMatchFields(annotations, spec, `${path}.spec`),
    ...validateAppArmorAnnotationsMatchFields(annotations, spec, `${path}.spec`),
  ];
  if ((spec.ephemeralContainers ?? []).length > 0) causes.push(forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  return causes;
}

function validateInitContainers(spec: PodSpec, path: string, volumes: ReadonlyMap<string, Volume>, gracePeriod: number): StatusCause[] {
  const causes: StatusCause[] = [];
  const names = new Set((spec.containers ?? []).map((c) => c.name));
  (spec.initContainers ?? []).forEach((c, i) => {
    const p = `${path}[${i}]`;
    causes.push(...validateContainer(c, p, { volumes }));
    if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always') causes.push(notSupported(`${p}.restartPolicy`, quote(c.restartPolicy), ['Always']));
    if (names.has(c.name)) causes.push(duplicate(`${p}.name`, quote(c.name)));
    else if (c.name) names.add(c.name);
    // Init containers run one at a time: each is checked alone, and upstream reports it as index 0.
    causes.push(...hostPortConflicts([c], path));
    if (c.restartPolicy === 'Always') causes.push(...validateProbesAndHooks(c, p, gracePeriod));
    else {
      for (const f of INIT_FORBIDDEN) if (c[f] !== undefined) causes.push(forbidden(`${p}.${f}`, 'may not be set for init containers without restartPolicy=Always'));
    }
  });
  return causes;
}

/** AccumulateUniqueHostPorts: one protocol/hostIP/hostPort per pod. */
function hostPortConflicts(containers: readonly Container[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  containers.forEach((c, i) =>
    (c.ports ?? []).forEach((port, j) => {
      if (!port.hostPort) return;
      const key = `${port.protocol ?? ''}/${port.hostIP ?? ''}/${port.hostPort}`;
      if (seen.has(key)) causes.push(duplicate(`${path}[${i}].ports[${j}].hostPort`, quote(key)));
      else seen.add(key);
    }),
  );
  return causes;
}

/** With hostNetwork, a pod's hostPort is its containerPort; templates may leave it 0 for the pod to default. */
function hostNetworkPorts(containers: readonly Container[], path: string, isPod: boolean): StatusCause[] {
  return containers.flatMap((c, i) =>
    (c.ports ?? []).flatMap((port, j) => {
      const hostPort = port.hostPort ?? 0;
      if ((!isPod && hostPort === 0) || hostPort === port.containerPort) return [];
      return [invalid(`${path}[${i}].ports[${j}].hostPort`, String(hostPort), 'must match `containerPort` when `hostNetwork` is true')];
    }),
  );
}

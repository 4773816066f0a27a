// Upstream's warnings for a pod spec and the metadata beside it
// (pkg/api/pod/warnings.go, Kubernetes 1.31: warningsForPodSpecAndMeta),
// for pods and for the templates of workloads: deprecated node labels,
// annotations and volume plugins, duplicates that apply would drop, byte
// quantities with fractions, ports that clash. In upstream's order, with its
// field paths: `prefix` is where the template sits ("spec.template",
// "spec.jobTemplate.spec.template"), "" for a pod. (A pod's own deprecated
// AppArmor annotations are warned about as they are synced, apparmor.ts.)
import type { Container, ContainerPort, PodSpec, PodTemplateSpec, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import { ANNOTATION_DEPRECATED, ANNOTATION_PREFIX as APPARMOR_PREFIX } from './apparmor.js';
import { containersWithPaths } from './container-paths.js';
import { deprecatedNodeLabel, nodeSelectorTermWarnings } from './deprecated-node-labels.js';
import { quote } from './field-errors.js';
import { claimSpecWarnings, fractionalBytes, isSet } from './storage-warnings.js';

const DEPRECATED_ANNOTATIONS: readonly (readonly [key: string, message: string])[] = [
  ['scheduler.alpha.kubernetes.io/critical-pod', 'non-functional in v1.16+; use the "priorityClassName" field instead'],
  ['security.alpha.kubernetes.io/sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
  ['security.alpha.kubernetes.io/unsafe-sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
];

/** Volume plugins upstream no longer runs, in the order it checks them; `ephemeral` sits between them. */
const REMOVED_PLUGINS_BEFORE_EPHEMERAL: readonly (readonly [field: string, message: string])[] = [
  ['photonPersistentDisk', 'deprecated in v1.11, non-functional in v1.16+'],
  ['gitRepo', 'deprecated in v1.11'],
  ['scaleIO', 'deprecated in v1.16, non-functional in v1.22+'],
  ['flocker', 'deprecated in v1.22, non-functional in v1.25+'],
  ['storageOS', 'deprecated in v1.22, non-functional in v1.25+'],
  ['quobyte', 'deprecated in v1.22, non-functional in v1.25+'],
  ['glusterfs', 'deprecated in v1.25, non-functional in v1.26+'],
];
const REMOVED_PLUGINS_AFTER_EPHEMERAL: readonly (readonly [field: string, message: string])[] = [
  ['cephfs', 'deprecated in v1.28, non-functional in v1.31+'],
  ['rbd', 'deprecated in v1.28, non-functional in v1.31+'],
];

const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER = 'container.seccomp.security.alpha.kubernetes.io/';
const SECCOMP_MESSAGE = 'non-functional in v1.27+; use the "seccompProfile" field instead';
const NO_POD = 'a null labelSelector results in matching no pod';

/** GetWarningsForPodTemplate, the template at `prefix`. */
export function podTemplateWarnings(prefix: string, template: PodTemplateSpec | undefined): string[] {
  return specAndMetaWarnings(prefix, template?.spec ?? ({} as PodSpec), template?.metadata?.annotations ?? {});
}

/** GetWarningsForPod. */
export function podWarnings(pod: KubeObject): string[] {
  return specAndMetaWarnings('', (pod['spec'] ?? {}) as PodSpec, pod.metadata.annotations ?? {});
}

function specAndMetaWarnings(prefix: string, spec: PodSpec, annotations: Readonly<Record<string, string>>): string[] {
  const at = (path: string) => (prefix === '' ? path : `${prefix}.${path}`);
  const warnings: string[] = [];

  // Deprecated node labels in selectors, affinity and topology.
  for (const key of Object.keys(spec.nodeSelector ?? {})) {
    const message = deprecatedNodeLabel(key);
    if (message !== undefined) warnings.push(`${at('spec.nodeSelector')}[${key}]: ${message}`);
  }
  const nodeAffinity = spec.affinity?.nodeAffinity;
  if (isSet(nodeAffinity)) {
    const required = at('spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms');
    (nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []).forEach((term, i) => {
      warnings.push(...nodeSelectorTermWarnings(term, `${required}[${i}]`));
    });
    const preferred = at('spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution');
    (nodeAffinity!.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term, i) => {
      warnings.push(...nodeSelectorTermWarnings(term.preference ?? {}, `${preferred}[${i}].preference`));
    });
  }
  (spec.topologySpreadConstraints ?? []).forEach((constraint, i) => {
    const path = `${at('spec.topologySpreadConstraints')}[${i}]`;
    const message = deprecatedNodeLabel(constraint.topologyKey);
    if (message !== undefined) warnings.push(`${path}.topologyKey: ${constraint.topologyKey} is ${message}`);
    if (!isSet(constraint.labelSelector)) warnings.push(`${path}.labelSelector: ${NO_POD}`);
  });

  for (const [key, message] of DEPRECATED_ANNOTATIONS) {
    if (annotations[key] !== undefined) warnings.push(`${at('metadata.annotations')}[${key}]: ${message}`);
  }

  (spec.volumes ?? []).forEach((volume, i) => {
    const path = `${at('spec.volumes')}[${i}]`;
    const fields = volume as unknown as Record<string, unknown>;
    for (const [field, message] of REMOVED_PLUGINS_BEFORE_EPHEMERAL) if (isSet(fields[field])) warnings.push(`${path}.${field}: ${message}`);
    const claim = volume.ephemeral?.volumeClaimTemplate;
    if (isSet(claim)) warnings.push(...claimSpecWarnings(`${path}.ephemeral.volumeClaimTemplate.spec`, claim!.spec));
    for (const [field, message] of REMOVED_PLUGINS_AFTER_EPHEMERAL) if (isSet(fields[field])) warnings.push(`${path}.${field}: ${message}`);
  });

  // Duplicates, which apply's merge by key would drop.
  if ((spec.hostAliases ?? []).length > 1) {
    const seen = new Set<string>();
    spec.hostAliases!.forEach((alias, i) => {
      const ip = alias.ip ?? '';
      if (seen.has(ip)) warnings.push(`${at('spec.hostAliases')}[${i}].ip: duplicate ip ${quote(ip)}`);
      else seen.add(ip);
    });
  }
  const pullSecrets = spec.imagePullSecrets ?? [];
  if (pullSecrets.length > 1) {
    const seen = new Set<string>();
    pullSecrets.forEach((secret, i) => {
      const name = secret.name ?? '';
      if (seen.has(name)) warnings.push(`${at('spec.imagePullSecrets')}[${i}].name: duplicate name ${quote(name)}`);
      else seen.add(name);
    });
  }
  pullSecrets.forEach((secret, i) => {
    if (!secret.name) warnings.push(`${at('spec.imagePullSecrets')}[${i}].name: invalid empty name ""`);
  });

  for (const name of ['memory', 'ephemeral-storage']) warnings.push(...fractionalBytes(spec.overhead, name, `${at('spec.overhead')}[${name}]`));

  if (!isSet(spec.securityContext?.seccompProfile) && annotations[SECCOMP_POD] !== undefined) {
    warnings.push(`${at('metadata.annotations')}[${SECCOMP_POD}]: ${SECCOMP_MESSAGE}`);
  }
  const podAppArmor = isSet(spec.securityContext?.appArmorProfile);
  const containers = containersWithPaths(spec, at('spec'));
  for (const { container: c, path } of containers) {
    if (!isSet(c.securityContext?.seccompProfile) && annotations[SECCOMP_CONTAINER + c.name] !== undefined) {
      warnings.push(`${at('metadata.annotations')}[${SECCOMP_CONTAINER}${c.name}]: ${SECCOMP_MESSAGE}`);
    }
    // A pod's own are warned about as its annotations are synced (apparmor.ts).
    if (prefix !== '' && !podAppArmor && !isSet(c.securityContext?.appArmorProfile) && annotations[APPARMOR_PREFIX + c.name] !== undefined) {
      warnings.push(`${at('metadata.annotations')}[${APPARMOR_PREFIX}${c.name}]: ${ANNOTATION_DEPRECATED}`);
    }
    warnings.push(
      ...fractionalBytes(c.resources?.limits, 'memory', `${path}.resources.limits[memory]`),
      ...fractionalBytes(c.resources?.requests, 'memory', `${path}.resources.requests[memory]`),
      ...fractionalBytes(c.resources?.limits, 'ephemeral-storage', `${path}.resources.limits[ephemeral-storage]`),
      ...fractionalBytes(c.resources?.requests, 'ephemeral-storage', `${path}.resources.requests[ephemeral-storage]`),
      ...envWarnings(c, path),
    );
  }
  warnings.push(...portWarnings(containers));

  if ((spec.terminationGracePeriodSeconds ?? 0) < 0) {
    warnings.push(`${at('spec.terminationGracePeriodSeconds')}: must be >= 0; negative values are invalid and will be treated as 1`);
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const affinity = spec.affinity?.[kind];
    if (!isSet(affinity)) continue;
    const path = at(`spec.affinity.${kind}`);
    (affinity!.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term, i) => {
      if (!isSet(term.labelSelector)) warnings.push(`${path}.requiredDuringSchedulingIgnoredDuringExecution[${i}].labelSelector: ${NO_POD}`);
    });
    (affinity!.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((term: WeightedPodAffinityTerm, i) => {
      if (!isSet(term.podAffinityTerm?.labelSelector)) {
        warnings.push(`${path}.preferredDuringSchedulingIgnoredDuringExecution[${i}].podAffinityTerm.labelSelector: ${NO_POD}`);
      }
    });
  }
  return warnings;
}

/** A later env entry hides an earlier one of its name unless it only builds on it ("X=$(X):more"). */
function envWarnings(c: Container, path: string): string[] {
  const env = c.env ?? [];
  if (env.length < 2) return [];
  const seen = new Set<string>();
  const warnings: string[] = [];
  env.forEach((item, i) => {
    if (!seen.has(item.name)) {
      seen.add(item.name);
      return;
    }
    const ref = `$(${item.name})`;
    const value = item.value ?? '';
    if (isSet(item.valueFrom) || value === ref || !value.includes(ref)) {
      warnings.push(`${path}.env[${i}]: hides previous definition of ${quote(item.name)}, which may be dropped when using apply`);
    }
  });
  return warnings;
}

/** Ports of all containers together: a host IP without a host port, and the same port and protocol given twice. */
function portWarnings(containers: readonly { container: Container; path: string }[]): string[] {
  const warnings: string[] = [];
  const byPort = new Map<string, { path: string; port: ContainerPort }[]>();
  for (const { container: c, path: containerPath } of containers) {
    (c.ports ?? []).forEach((port, i) => {
      const path = `${containerPath}.ports[${i}]`;
      const hostIP = port.hostIP ?? '';
      const hostPort = port.hostPort ?? 0;
      if (hostIP !== '' && hostPort === 0) warnings.push(`${path}: hostIP set without hostPort: ${goContainerPort(port)}`);
      const key = `${port.containerPort}/${port.protocol ?? ''}`;
      const others = byPort.get(key) ?? [];
      for (const other of others) {
        const otherIP = other.port.hostIP ?? '';
        const otherPort = other.port.hostPort ?? 0;
        if (hostIP === otherIP && hostPort === otherPort) warnings.push(`${path}: duplicate port definition with ${other.path}`);
        // A host port of 0 is redundant with any other: odd, not dangerous.
        else if (hostPort === 0 || otherPort === 0) warnings.push(`${path}: overlapping port definition with ${other.path}`);
        // The same host port, on all addresses and on one: undefined.
        else if (hostPort === otherPort && (hostIP === '') !== (otherIP === '')) warnings.push(`${path}: dangerously ambiguous port definition with ${other.path}`);
      }
      byPort.set(key, [...others, { path, port }]);
    });
  }
  return warnings;
}

/** %+v of the internal ContainerPort. */
function goContainerPort(port: ContainerPort): string {
  return `{Name:${port.name ?? ''} HostPort:${port.hostPort ?? 0} ContainerPort:${port.containerPort} Protocol:${port.protocol ?? ''} HostIP:${port.hostIP ?? ''}}`;
}

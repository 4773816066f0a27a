// A pod's os field as upstream 1.31 validates it (validateOS, validateLinux,
// validateWindows): linux or windows, and then none of the other system's
// security settings: no Windows options on a Linux pod, none of the
// Linux-only fields on a Windows pod. A pod that names no OS gets neither
// check. hostUsers, which a Windows pod may not set either, never gets
// here: 1.31's default feature gates drop it (pod-gated-fields.ts).
import type { PodSpec, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../status.js';
import { containersWithPaths } from './container-paths.js';
import { forbidden, notSupported, quote, required } from './field-errors.js';

const OS_NAMES = ['linux', 'windows'];
const NOT_FOR_WINDOWS = 'cannot be set for a windows pod';
/** The container fields a Windows pod may not set, in upstream's order. */
const LINUX_ONLY_CONTAINER_FIELDS = [
  'appArmorProfile',
  'seLinuxOptions',
  'seccompProfile',
  'capabilities',
  'readOnlyRootFilesystem',
  'privileged',
  'allowPrivilegeEscalation',
  'procMount',
  'runAsUser',
  'runAsGroup',
] as const satisfies readonly (keyof SecurityContext)[];

export function validatePodOS(spec: PodSpec, specPath: string): StatusCause[] {
  if (spec.os == null) return [];
  const name = spec.os.name ?? '';
  if (name === '') return [required(`${specPath}.os.name`, 'cannot be empty')];
  if (!OS_NAMES.includes(name)) return [notSupported(`${specPath}.os`, quote(name), OS_NAMES)];
  return name === 'linux' ? linuxPodErrors(spec, specPath) : windowsPodErrors(spec, specPath);
}

function linuxPodErrors(spec: PodSpec, specPath: string): StatusCause[] {
  const message = 'windows options cannot be set for a linux pod';
  const causes = spec.securityContext?.windowsOptions != null ? [forbidden(`${specPath}.securityContext.windowsOptions`, message)] : [];
  for (const { container, path } of containersWithPaths(spec, specPath)) {
    if (container.securityContext?.windowsOptions != null) causes.push(forbidden(`${path}.securityContext.windowsOptions`, message));
  }
  return causes;
}

function windowsPodErrors(spec: PodSpec, specPath: string): StatusCause[] {
  const sc = spec.securityContext ?? {};
  const scPath = `${specPath}.securityContext`;
  // Upstream keeps the host namespaces in the pod's security context; their paths are the spec's.
  const set: [boolean, string][] = [
    [sc.appArmorProfile != null, `${scPath}.appArmorProfile`],
    [sc.seLinuxOptions != null, `${scPath}.seLinuxOptions`],
    [spec.hostPID === true, `${specPath}.hostPID`],
    [spec.hostIPC === true, `${specPath}.hostIPC`],
    [sc.seccompProfile != null, `${scPath}.seccompProfile`],
    [sc.fsGroup != null, `${scPath}.fsGroup`],
    [sc.fsGroupChangePolicy != null, `${scPath}.fsGroupChangePolicy`],
    [(sc.sysctls ?? []).length > 0, `${scPath}.sysctls`],
    [spec.shareProcessNamespace != null, `${specPath}.shareProcessNamespace`],
    [sc.runAsUser != null, `${scPath}.runAsUser`],
    [sc.runAsGroup != null, `${scPath}.runAsGroup`],
    [sc.supplementalGroups != null, `${scPath}.supplementalGroups`],
  ];
  const causes = set.filter(([isSet]) => isSet).map(([, path]) => forbidden(path, NOT_FOR_WINDOWS));
  for (const { container, path } of containersWithPaths(spec, specPath)) {
    const csc = container.securityContext;
    if (csc == null) continue;
    for (const field of LINUX_ONLY_CONTAINER_FIELDS) if (csc[field] != null) causes.push(forbidden(`${path}.securityContext.${field}`, NOT_FOR_WINDOWS));
  }
  return causes;
}

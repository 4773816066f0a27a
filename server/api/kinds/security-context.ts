// Pod and container security contexts as upstream 1.31 validates them
// (validatePodSpecSecurityContext, ValidateSecurityContext): user and group
// ids in range, sysctls well named, unique and not reaching into a
// namespace the pod shares with its host, the fsGroup change policy, no
// privilege escalation refused beside what grants it anyway, and the
// seccomp, AppArmor and Windows options each context carries. procMount and
// hostUsers are absent here: 1.31's default feature gates drop them before
// validation (pod-gated-fields.ts).
import type { PodSpec, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../status.js';
import { validateAppArmorProfileField } from './apparmor.js';
import { duplicate, goPointer, inclusiveRange, invalid, MAX_INT32, notSupported, quote, required } from './field-errors.js';
import { validateSeccompProfileField } from './seccomp.js';
import { validateWindowsOptions } from './windows-options.js';

const FS_GROUP_CHANGE_POLICIES = ['Always', 'OnRootMismatch'];

/** IsValidUserID and IsValidGroupID: both 0 to MaxInt32. */
function idErrors(id: number | undefined, path: string): StatusCause[] {
  return id != null && (id < 0 || id > MAX_INT32) ? [invalid(path, String(id), inclusiveRange(0, MAX_INT32))] : [];
}

/** validatePodSpecSecurityContext; the pod's host namespaces live in the spec in v1, in the context upstream. */
export function validatePodSecurityContext(spec: PodSpec, path: string): StatusCause[] {
  const sc = spec.securityContext ?? {};
  const causes = [...idErrors(sc.fsGroup, `${path}.fsGroup`), ...idErrors(sc.runAsUser, `${path}.runAsUser`), ...idErrors(sc.runAsGroup, `${path}.runAsGroup`)];
  (sc.supplementalGroups ?? []).forEach((gid, i) => causes.push(...idErrors(gid, `${path}.supplementalGroups[${i}]`)));
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    causes.push(invalid(`${path}.shareProcessNamespace`, 'true', 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  causes.push(...validateSysctls(spec, `${path}.sysctls`));
  if (sc.fsGroupChangePolicy != null && !FS_GROUP_CHANGE_POLICIES.includes(sc.fsGroupChangePolicy)) {
    causes.push(notSupported(`${path}.fsGroupChangePolicy`, quote(sc.fsGroupChangePolicy), FS_GROUP_CHANGE_POLICIES));
  }
  causes.push(...validateSeccompProfileField(sc.seccompProfile, `${path}.seccompProfile`));
  causes.push(...validateWindowsOptions(sc.windowsOptions, `${path}.windowsOptions`));
  causes.push(...validateAppArmorProfileField(sc.appArmorProfile, `${path}.appArmorProfile`));
  return causes;
}

const SYSCTL_MAX_LENGTH = 253;
const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_NAME = `^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`;
const SYSCTL_NAME_REGEX = new RegExp(SYSCTL_NAME);
/** The kernel's IPC-namespaced sysctls (component-helpers' sysctl namespaces); those under "net." are the network namespace's. */
const IPC_SYSCTLS = ['kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'kernel.shm', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.msg'];

/**
 * validateSysctls: names required, well formed, unique; and none the pod
 * would set in a namespace it shares with the host (ValidateHostSysctl).
 * Upstream lets an update keep such a sysctl an older object already had;
 * here it is refused on update too.
 */
function validateSysctls(spec: PodSpec, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  (spec.securityContext?.sysctls ?? []).forEach((sysctl, i) => {
    const p = `${path}[${i}].name`;
    const name = sysctl.name ?? '';
    if (name === '') causes.push(required(p));
    else if (name.length > SYSCTL_MAX_LENGTH || !SYSCTL_NAME_REGEX.test(name)) {
      causes.push(invalid(p, quote(name), `must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${SYSCTL_NAME}`));
    } else if (seen.has(name)) causes.push(duplicate(p, quote(name)));
    const namespace = sysctlNamespace(name);
    if (spec.hostNetwork === true && namespace === 'net') causes.push(invalid(p, quote(name), "may not be specified when 'hostNetwork' is true"));
    else if (spec.hostIPC === true && namespace === 'ipc') causes.push(invalid(p, quote(name), "may not be specified when 'hostIPC' is true"));
    seen.add(name);
  });
  return causes;
}

/** utilsysctl.GetNamespace: the slash form read as the dotted one, up to the first '*'. */
function sysctlNamespace(name: string): 'net' | 'ipc' | undefined {
  const separator = name.search(/[./]/);
  const dotted = separator !== -1 && name[separator] === '/' ? name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.')) : name;
  const star = dotted.indexOf('*');
  const key = star === -1 ? dotted : dotted.slice(0, star);
  if (IPC_SYSCTLS.includes(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  return key.startsWith('net.') ? 'net' : undefined;
}

/** ValidateSecurityContext: a container's, in any kind of container. */
export function validateSecurityContext(sc: SecurityContext | undefined, path: string): StatusCause[] {
  if (sc == null) return [];
  const causes = [...idErrors(sc.runAsUser, `${path}.runAsUser`), ...idErrors(sc.runAsGroup, `${path}.runAsGroup`)];
  causes.push(...validateSeccompProfileField(sc.seccompProfile, `${path}.seccompProfile`));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) causes.push(invalid(path, goSecurityContext(sc), 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    for (const capability of sc.capabilities?.add ?? []) {
      if (capability === 'CAP_SYS_ADMIN') causes.push(invalid(path, goSecurityContext(sc), 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  causes.push(...validateWindowsOptions(sc.windowsOptions, `${path}.windowsOptions`));
  causes.push(...validateAppArmorProfileField(sc.appArmorProfile, `${path}.appArmorProfile`));
  return causes;
}

/** %#v of a core.SecurityContext: every field a pointer. */
function goSecurityContext(sc: SecurityContext): string {
  const fields: [string, string, unknown][] = [
    ['Capabilities', 'core.Capabilities', sc.capabilities],
    ['Privileged', 'bool', sc.privileged],
    ['SELinuxOptions', 'core.SELinuxOptions', sc.seLinuxOptions],
    ['WindowsOptions', 'core.WindowsSecurityContextOptions', sc.windowsOptions],
    ['RunAsUser', 'int64', sc.runAsUser],
    ['RunAsGroup', 'int64', sc.runAsGroup],
    ['RunAsNonRoot', 'bool', sc.runAsNonRoot],
    ['ReadOnlyRootFilesystem', 'bool', sc.readOnlyRootFilesystem],
    ['AllowPrivilegeEscalation', 'bool', sc.allowPrivilegeEscalation],
    ['ProcMount', 'core.ProcMountType', sc.procMount],
    ['SeccompProfile', 'core.SeccompProfile', sc.seccompProfile],
    ['AppArmorProfile', 'core.AppArmorProfile', sc.appArmorProfile],
  ];
  return `core.SecurityContext{${fields.map(([name, type, value]) => `${name}:${goPointer(type, value != null)}`).join(', ')}}`;
}

// A pod's and its containers' securityContext as the runtime takes it
// (kubelet's securitycontext.DetermineEffectiveSecurityContext,
// kuberuntime/security_context.go, kuberuntime_sandbox_linux.go): the
// container's fields win over the pod's; supplemental groups are the pod's
// fsGroup then supplementalGroups; a container without a user runs as the
// image's; runAsNonRoot is checked against the user that will run.
import type { Container, Pod, SeccompProfile, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { LinuxContainerSecurityContext, LinuxSandboxSecurityContext, NamespaceOption, SecurityProfile } from '../cri/types.js';
import { ContainerConfigError } from './container-config-error.js';

/** The user an image runs as (CRI ImageStatus): a uid, else a name, else root. */
export interface ImageUser {
  readonly uid?: bigint;
  readonly username: string;
}

// Kubelet's defaults for procMount: Default, kept in step with moby's.
const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The container's security context with the pod's fields it does not set. */
export function effectiveSecurityContext(pod: Pod, container: Container): SecurityContext {
  const podSc = pod.spec?.securityContext ?? {};
  const fromPod: SecurityContext = {
    ...(podSc.runAsUser !== undefined ? { runAsUser: podSc.runAsUser } : {}),
    ...(podSc.runAsGroup !== undefined ? { runAsGroup: podSc.runAsGroup } : {}),
    ...(podSc.runAsNonRoot !== undefined ? { runAsNonRoot: podSc.runAsNonRoot } : {}),
    ...(podSc.seccompProfile !== undefined ? { seccompProfile: podSc.seccompProfile } : {}),
    ...(podSc.seLinuxOptions !== undefined ? { seLinuxOptions: podSc.seLinuxOptions } : {}),
  };
  const own = Object.fromEntries(Object.entries(container.securityContext ?? {}).filter(([, v]) => v !== undefined && v !== null));
  return { ...fromPod, ...own };
}

/** kubelet's getImageUser: an image that names no user runs as root. */
export function imageUserId(image: ImageUser): { uid?: bigint; username?: string } {
  if (image.uid !== undefined) return { uid: image.uid };
  if (image.username !== '') return { username: image.username };
  return { uid: 0n };
}

/** verifyRunAsNonRoot: throws ContainerConfigError, with kubelet's message, when the container would run as root. */
export function verifyRunAsNonRoot(pod: Pod, container: Container, image: ImageUser): void {
  const sc = effectiveSecurityContext(pod, container);
  if (sc.runAsNonRoot !== true) return;
  const podDesc = `${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})`;
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy (pod: "${podDesc}", container: ${container.name})`);
    return;
  }
  const user = imageUserId(image);
  if (user.uid === 0n) throw new ContainerConfigError(`container has runAsNonRoot and image will run as root (pod: "${podDesc}", container: ${container.name})`);
  if (user.username !== undefined) {
    throw new ContainerConfigError(
      `container has runAsNonRoot and image has non-numeric user (${user.username}), cannot verify user is non-root (pod: "${podDesc}", container: ${container.name})`,
    );
  }
}

/** Host namespaces: the pod's network, PID and IPC namespaces, or the node's. */
export function namespaceOptions(pod: Pod): NamespaceOption {
  const spec = pod.spec ?? { containers: [] };
  return {
    network: spec.hostNetwork === true ? 'NODE' : 'POD',
    pid: spec.hostPID === true ? 'NODE' : spec.shareProcessNamespace === true ? 'POD' : 'CONTAINER',
    ipc: spec.hostIPC === true ? 'NODE' : 'POD',
  };
}

/** The pod's fsGroup, then its supplementalGroups. */
function supplementalGroups(pod: Pod): number[] {
  const sc = pod.spec?.securityContext;
  return [...(sc?.fsGroup !== undefined ? [sc.fsGroup] : []), ...(sc?.supplementalGroups ?? [])];
}

/** The sandbox's: the pod's user and groups, privileged when any container is, under the runtime's default seccomp profile. */
export function sandboxSecurityContext(pod: Pod): LinuxSandboxSecurityContext {
  const sc = pod.spec?.securityContext;
  const groups = supplementalGroups(pod);
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return {
    namespaceOptions: namespaceOptions(pod),
    ...(sc?.runAsUser !== undefined ? { runAsUser: sc.runAsUser } : {}),
    ...(sc?.runAsGroup !== undefined ? { runAsGroup: sc.runAsGroup } : {}),
    ...(groups.length > 0 ? { supplementalGroups: groups } : {}),
    privileged: all.some((c) => c.securityContext?.privileged === true),
    seccomp: { profileType: 'RuntimeDefault' },
  };
}

/** The container's, in the sandbox's namespaces; throws ContainerConfigError for what kubelet refuses. */
export function containerSecurityContext(pod: Pod, container: Container, image: ImageUser, namespaces: NamespaceOption): LinuxContainerSecurityContext {
  verifyRunAsNonRoot(pod, container, image);
  const sc = effectiveSecurityContext(pod, container);
  const imageUser = imageUserId(image);
  const user = sc.runAsUser !== undefined ? { runAsUser: sc.runAsUser } : imageUser.uid !== undefined ? { runAsUser: imageUser.uid } : { runAsUsername: imageUser.username! };
  const unmasked = sc.procMount === 'Unmasked';
  const groups = supplementalGroups(pod);
  return {
    ...(sc.capabilities !== undefined ? { capabilities: { addCapabilities: [...(sc.capabilities.add ?? [])], dropCapabilities: [...(sc.capabilities.drop ?? [])] } } : {}),
    privileged: sc.privileged === true,
    namespaceOptions: namespaces,
    ...user,
    ...(sc.runAsGroup !== undefined ? { runAsGroup: sc.runAsGroup } : {}),
    readonlyRootfs: sc.readOnlyRootFilesystem === true,
    ...(groups.length > 0 ? { supplementalGroups: groups } : {}),
    // Only an explicit allowPrivilegeEscalation: false sets no_new_privs.
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    maskedPaths: unmasked ? [] : [...DEFAULT_MASKED_PATHS],
    readonlyPaths: unmasked ? [] : [...DEFAULT_READONLY_PATHS],
    seccomp: seccompProfile(sc.seccompProfile),
  };
}

/** Unconfined unless the pod or container asks (kubelet without SeccompDefault). */
function seccompProfile(profile: SeccompProfile | undefined): SecurityProfile {
  if (profile?.type === 'RuntimeDefault') return { profileType: 'RuntimeDefault' };
  if (profile?.type === 'Localhost') throw new ContainerConfigError('Localhost seccomp profiles are not supported on this node');
  return { profileType: 'Unconfined' };
}

// What the agent asks the runtime for, shaped as kubelet shapes it
// (kuberuntime_sandbox.go, kuberuntime_container.go, labels.go): the same
// labels, so a restarted agent finds the sandboxes and containers it made
// (and tools like crictl show them as they show kubelet's), the same log
// layout, the pod's own labels and annotations on the sandbox; and what the
// containers are made with: environment, resources, security context, ports.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { join } from 'node:path';
import type { ContainerConfig, Mount, PodSandboxConfig, PortMapping, Protocol, StringMap } from '../cri/types.js';
import { linuxContainerResources } from './container-resources.js';
import { containerEnvironment, criEnv, type EnvSources, expandArgs } from './env.js';
import { podCgroupParent } from './pod-cgroups.js';
import { value } from './quantities.js';
import { containerSecurityContext, type ImageUser, sandboxSecurityContext } from './security-context.js';

export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
/** On each container: the pod's terminationGracePeriodSeconds, for stopping it after the pod is gone. */
export const GRACE_ANNOTATION = 'io.kubernetes.pod.terminationGracePeriod';

/** The agent's pods are those the runtime holds with these labels. */
export function podLabels(pod: Pod): StringMap {
  return { [POD_NAME_LABEL]: pod.metadata!.name!, [POD_NAMESPACE_LABEL]: pod.metadata!.namespace!, [POD_UID_LABEL]: pod.metadata!.uid! };
}

/** kubelet's /var/log/pods/<namespace>_<name>_<uid>, under the agent's log root. */
export function podLogDirectory(logRoot: string, pod: Pod): string {
  return join(logRoot, `${pod.metadata!.namespace}_${pod.metadata!.name}_${pod.metadata!.uid}`);
}

export function sandboxConfig(pod: Pod, logRoot: string, attempt: number): PodSandboxConfig {
  const meta = pod.metadata!;
  const hostNetwork = pod.spec?.hostNetwork === true;
  const ports = portMappings(pod);
  const sysctls = Object.fromEntries((pod.spec?.securityContext?.sysctls ?? []).map((s) => [s.name, s.value]));
  return {
    metadata: { name: meta.name!, namespace: meta.namespace!, uid: meta.uid!, attempt },
    // kubelet: spec.hostname, else the pod's name; a host-network pod keeps the node's.
    ...(hostNetwork ? {} : { hostname: pod.spec?.hostname ?? meta.name! }),
    logDirectory: podLogDirectory(logRoot, pod),
    ...(ports.length > 0 ? { portMappings: ports } : {}),
    labels: { ...meta.labels, ...podLabels(pod) },
    annotations: { ...meta.annotations },
    linux: {
      cgroupParent: podCgroupParent(pod),
      securityContext: sandboxSecurityContext(pod),
      ...(Object.keys(sysctls).length > 0 ? { sysctls } : {}),
    },
  };
}

/**
 * Every port of the pod's containers (MakePortMappings): those with a
 * hostPort are what CNI's portmap exposes on the node. A port listed twice
 * in one container (by name, or by family, protocol, host IP and ports) counts once.
 */
export function portMappings(pod: Pod): PortMapping[] {
  const mappings: PortMapping[] = [];
  for (const container of pod.spec?.containers ?? []) {
    const seen = new Set<string>();
    for (const port of container.ports ?? []) {
      const protocol = (port.protocol ?? 'TCP') as Protocol;
      const family = port.hostIP ? (port.hostIP.includes(':') ? 'v6' : 'v4') : 'any';
      const name = port.name || `${family}-${protocol}-${port.hostIP ?? ''}:${port.containerPort}:${port.hostPort ?? 0}`;
      if (seen.has(name)) continue;
      seen.add(name);
      mappings.push({ protocol, containerPort: port.containerPort, hostPort: port.hostPort ?? 0, ...(port.hostIP ? { hostIp: port.hostIP } : {}) });
    }
  }
  return mappings;
}

/** What the node is, as kubelet reads it from its Node object. */
export interface NodeFacts {
  /** Primary first. */
  readonly hostIps: readonly string[];
  readonly capacity: Readonly<Record<string, string>>;
  readonly allocatable: Readonly<Record<string, string>>;
}

/** What a container's config needs besides its pod and spec; each feature adds what it brings (env sources, mounts, …). */
export interface ContainerContext {
  /** How many times this container was restarted: the new one's attempt and log file. */
  readonly restartCount: number;
  /** The sandbox's IPs, primary first (the node's with host networking). */
  readonly podIps: readonly string[];
  readonly node: NodeFacts;
  /** The ConfigMaps and Secrets its env may name. */
  readonly sources: EnvSources;
  /** Who the image runs as (CRI ImageStatus). */
  readonly imageUser: ImageUser;
  /** The container's volumeMounts, set up on the node. */
  readonly mounts?: readonly Mount[];
}

/** Throws ContainerConfigError when the config cannot be made (a missing ConfigMap, runAsNonRoot, …). */
export function containerConfig(pod: Pod, container: Container, image: string, sandbox: PodSandboxConfig, context: ContainerContext): ContainerConfig {
  const { restartCount, node } = context;
  const env = containerEnvironment(pod, container, { sources: context.sources, podIps: context.podIps, hostIps: node.hostIps, allocatable: node.allocatable });
  const command = expandArgs(container.command, env);
  const args = expandArgs(container.args, env);
  return {
    metadata: { name: container.name, attempt: restartCount },
    image: { image },
    ...(command !== undefined ? { command } : {}),
    ...(args !== undefined ? { args } : {}),
    ...(container.workingDir !== undefined ? { workingDir: container.workingDir } : {}),
    envs: criEnv(env),
    ...(context.mounts !== undefined && context.mounts.length > 0 ? { mounts: [...context.mounts] } : {}),
    labels: { ...podLabels(pod), [CONTAINER_NAME_LABEL]: container.name },
    annotations: {
      'io.kubernetes.container.restartCount': String(restartCount),
      'io.kubernetes.container.terminationMessagePath': container.terminationMessagePath ?? '/dev/termination-log',
      'io.kubernetes.container.terminationMessagePolicy': container.terminationMessagePolicy ?? 'File',
      [GRACE_ANNOTATION]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
    },
    // kubelet's <container>/<restartCount>.log, relative to the sandbox's log directory.
    logPath: `${container.name}/${restartCount}.log`,
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    tty: container.tty === true,
    linux: {
      resources: linuxContainerResources(pod, container, value(node.capacity['memory'])),
      // In the sandbox's namespaces.
      securityContext: containerSecurityContext(pod, container, context.imageUser, sandbox.linux?.securityContext?.namespaceOptions ?? {}),
    },
  };
}

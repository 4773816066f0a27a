// What the agent asks the runtime for, shaped as kubelet shapes it
// (kuberuntime_sandbox.go, kuberuntime_container.go, labels.go): the same
// labels, so a restarted agent finds the sandboxes and containers it made
// (and tools like crictl show them as they show kubelet's), the same log
// layout, the pod's own labels and annotations on the sandbox.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { join } from 'node:path';
import type { ContainerConfig, EnvVar, Mount, PodSandboxConfig, StringMap } from '../cri/types.js';

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
  return {
    metadata: { name: meta.name!, namespace: meta.namespace!, uid: meta.uid!, attempt },
    // kubelet: spec.hostname, else the pod's name; a host-network pod keeps the node's.
    ...(hostNetwork ? {} : { hostname: pod.spec?.hostname ?? meta.name! }),
    logDirectory: podLogDirectory(logRoot, pod),
    labels: { ...meta.labels, ...podLabels(pod) },
    annotations: { ...meta.annotations },
    linux: {
      // Empty: the runtime's default parent; per-pod cgroups come with resources.
      securityContext: {
        namespaceOptions: { network: hostNetwork ? 'NODE' : 'POD', pid: pod.spec?.hostPID ? 'NODE' : 'CONTAINER', ipc: pod.spec?.hostIPC ? 'NODE' : 'POD' },
      },
    },
  };
}

/** What a container's config needs besides its pod and spec; each feature adds what it brings (env sources, mounts, …). */
export interface ContainerContext {
  /** How many times this container was restarted: the new one's attempt and log file. */
  readonly restartCount: number;
  /** The container's volumeMounts, set up on the node. */
  readonly mounts?: readonly Mount[];
}

export function containerConfig(pod: Pod, container: Container, image: string, sandbox: PodSandboxConfig, { restartCount, mounts }: ContainerContext): ContainerConfig {
  return {
    metadata: { name: container.name, attempt: restartCount },
    image: { image },
    ...(container.command !== undefined ? { command: container.command } : {}),
    ...(container.args !== undefined ? { args: container.args } : {}),
    ...(container.workingDir !== undefined ? { workingDir: container.workingDir } : {}),
    envs: literalEnv(container),
    ...(mounts !== undefined && mounts.length > 0 ? { mounts: [...mounts] } : {}),
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
    linux: { securityContext: { namespaceOptions: sandbox.linux?.securityContext?.namespaceOptions ?? {} } },
  };
}

/** Env vars with literal values; valueFrom (ConfigMaps, Secrets, fields) comes later. */
function literalEnv(container: Container): EnvVar[] {
  return (container.env ?? []).filter((e) => e.valueFrom === undefined).map((e) => ({ key: e.name, value: e.value ?? '' }));
}

// Which pod and container a streaming request is for, checked as the
// apiserver checks it before it ever reaches the node (upstream's
// LogLocation, streamLocation and PortForwardLocation in
// pkg/registry/core/pod/strategy.go), with the same messages.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { errors } from '../api/status.js';
import { containerNotFound, type PodRef } from '../../common/pod-streams.js';

export interface ContainerTarget {
  readonly pod: PodRef;
  readonly container: string;
}

/**
 * The pod and container of a log stream. An empty name means the only
 * container; a pod not bound to a node yet has no log, which upstream
 * answers with an empty body (undefined here).
 */
export async function logTarget(registry: Registry, pods: ResourceType, namespace: string, name: string, container: string): Promise<ContainerTarget | undefined> {
  const pod = await getPod(registry, pods, namespace, name);
  const chosen = chooseContainer(pod, name, container);
  const ref = podRef(pod);
  return ref === undefined ? undefined : { pod: ref, container: chosen };
}

/** The pod and container of exec or attach: bound to a node, and the container running when the pod's status says otherwise. */
export async function execTarget(registry: Registry, pods: ResourceType, namespace: string, name: string, container: string): Promise<ContainerTarget> {
  const pod = await getPod(registry, pods, namespace, name);
  const chosen = chooseContainer(pod, name, container);
  const ref = podRef(pod);
  if (ref === undefined) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  // Kubelet finds only running containers; a status that already says "not running" gets its answer without asking the node.
  const status = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])].find(
    (s) => s.name === chosen,
  );
  if (status !== undefined && status.state?.running === undefined) throw containerNotFound(chosen);
  return { pod: ref, container: chosen };
}

/** The pod of a port-forward: bound to a node. */
export async function portForwardTarget(registry: Registry, pods: ResourceType, namespace: string, name: string): Promise<PodRef> {
  const pod = await getPod(registry, pods, namespace, name);
  const ref = podRef(pod);
  if (ref === undefined) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  return ref;
}

async function getPod(registry: Registry, pods: ResourceType, namespace: string, name: string): Promise<Pod> {
  return (await registry.get(pods, namespace, name)) as Pod;
}

/** The pod as its node's streams name it; undefined while it is not bound to a node. */
export function podRef(pod: Pod): PodRef | undefined {
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return undefined;
  return { namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, uid: pod.metadata!.uid!, nodeName };
}

/** Upstream's rule: a named container must be one of the pod's (init and ephemeral included); no name is fine only for a pod of one container. */
function chooseContainer(pod: Pod, name: string, container: string): string {
  const containers = pod.spec?.containers ?? [];
  if (container === '') {
    if (containers.length === 1) return containers[0]!.name;
    if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
    const init = pod.spec?.initContainers ?? [];
    let message = `a container name must be specified for pod ${name}, choose one of: [${names(containers)}]`;
    if (init.length > 0) message += ` or one of the init containers: [${names(init)}]`;
    throw errors.badRequest(message);
  }
  const all = [...containers, ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
  if (!all.some((c) => c.name === container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

const names = (containers: readonly Pick<Container, 'name'>[]) => containers.map((c) => c.name).join(' ');

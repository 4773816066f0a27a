// Gathers what a container's config needs beyond its pod (ContainerContext):
// the sandbox's IPs, the node's addresses and resources, the ConfigMaps and
// Secrets the node holds, the image's user and the container's volume mounts, as kubelet gathers them
// before it generates a container's config.
import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { ImageClient } from '../cri/image-client.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { VolumeManager } from '../volumes/volume-manager.js';
import type { EnvSources } from './env.js';
import type { ContainerContext, NodeFacts } from './runtime-config.js';

export interface ContainerContextSources {
  readonly runtime: RuntimeClient;
  readonly images: ImageClient;
  readonly desired: DesiredState;
  readonly node: () => Promise<NodeFacts>;
  /** The pod's volumes, set up before its containers: their mounts. */
  readonly volumes?: VolumeManager;
}

export async function containerContext(from: ContainerContextSources, pod: Pod, container: Container, sandboxId: string, image: string, restartCount: number): Promise<ContainerContext> {
  const [node, sandbox, imageStatus] = await Promise.all([from.node(), from.runtime.podSandboxStatus(sandboxId), from.images.imageStatus(image)]);
  const network = sandbox.status.network;
  // A host-network pod's IPs are the node's.
  const podIps = pod.spec?.hostNetwork === true ? node.hostIps : network?.ip ? [network.ip, ...network.additionalIps.map((a) => a.ip)] : [];
  return {
    restartCount,
    podIps,
    node,
    sources: desiredSources(from.desired),
    imageUser: { ...(imageStatus?.uid !== undefined ? { uid: imageStatus.uid } : {}), username: imageStatus?.username ?? '' },
    ...(from.volumes !== undefined ? { mounts: await from.volumes.mountsFor(pod, container) } : {}),
  };
}

/** The ConfigMaps and Secrets the server sent this node (those its pods use). */
export function desiredSources(desired: DesiredState): EnvSources {
  return {
    configMap: (namespace, name) => desired.get('configmaps', namespace, name)?.object as ConfigMap | undefined,
    secret: (namespace, name) => desired.get('secrets', namespace, name)?.object as Secret | undefined,
  };
}

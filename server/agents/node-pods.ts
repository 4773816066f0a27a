// What a node may say about a pod: only about one that exists, is bound to
// that node (the node named by its certificate, never by the message) and
// has the uid the node names, so no node can write for another's pods or for
// a pod deleted and created again under the same name.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';

/** The pod, or why it is not this node's to speak for. */
export async function nodePod(registry: Registry, pods: ResourceType, node: string, ref: { namespace: string; name: string; uid: string }): Promise<(KubeObject & Pod) | string> {
  let pod: KubeObject & Pod;
  try {
    pod = (await registry.get(pods, ref.namespace, ref.name)) as KubeObject & Pod;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return 'no such pod';
    throw err;
  }
  if (pod.metadata.uid !== ref.uid) return `uid ${pod.metadata.uid}, not ${ref.uid}`;
  if (pod.spec?.nodeName !== node) return `bound to ${JSON.stringify(pod.spec?.nodeName ?? '')}`;
  return pod;
}

// The pods bound to a node, from the shared pod cache's index on
// spec.nodeName: what taint eviction and the node feed ask on every change.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/objects.js';
import type { SharedInformer } from './shared-informers.js';

const BY_NODE = 'spec.nodeName';

export function podsOnNode(pods: SharedInformer, node: string): (KubeObject & Pod)[] {
  pods.addIndex(BY_NODE, (pod) => {
    const name = (pod as Pod).spec?.nodeName;
    return name ? [name] : [];
  });
  return pods.byIndex(BY_NODE, node) as (KubeObject & Pod)[];
}

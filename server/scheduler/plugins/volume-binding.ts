// VolumeBinding, at the size of what Bramble provisions: every claim a pod
// names must exist and not be going; a bound claim's volume must exist and
// its node affinity accept the node (a local-path volume lives on one
// node); an unbound claim is fine anywhere if its class binds on first
// consumer (the claim is then annotated with the chosen node before the pod
// is bound, which is the provisioner's cue), and holds the pod otherwise
// (nothing binds it here). Messages are upstream's.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SELECTED_NODE_ANNOTATION } from '../../api/kinds/storage.js';
import { type ClusterView, type Plugin, Unresolvable } from '../framework.js';
import { termMatches } from './node-affinity.js';

const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
const ERR_PV_MISSING = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';

interface State {
  /** Required node selector terms of each bound volume; null for a volume that does not exist. */
  readonly bound: readonly (ReturnType<typeof requiredTerms> | null)[];
  /** Claims to annotate with the chosen node. */
  readonly delayed: readonly { namespace: string; name: string; selected: string | undefined }[];
}

function requiredTerms(cluster: ClusterView, volumeName: string) {
  return cluster.storage?.volume(volumeName)?.spec?.nodeAffinity?.required?.nodeSelectorTerms;
}

function claimNames(pod: Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));
}

export const volumeBinding: Plugin<State> = {
  name: 'VolumeBinding',
  prepare(pod, cluster) {
    const names = claimNames(pod.pod);
    if (names.length === 0) return { bound: [], delayed: [] };
    const namespace = pod.pod.metadata?.namespace ?? '';
    const bound: (ReturnType<typeof requiredTerms> | null)[] = [];
    const delayed: { namespace: string; name: string; selected: string | undefined }[] = [];
    for (const name of names) {
      const claim = cluster.storage?.claim(namespace, name);
      if (claim === undefined) throw new Unresolvable(`persistentvolumeclaim "${name}" not found`);
      if (claim.metadata?.deletionTimestamp) throw new Unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      const volumeName = claim.spec?.volumeName;
      if (volumeName) {
        bound.push(cluster.storage!.volume(volumeName) === undefined ? null : requiredTerms(cluster, volumeName));
        continue;
      }
      const className = claim.spec?.storageClassName;
      const sc = className ? cluster.storage!.storageClass(className) : undefined;
      if (sc?.volumeBindingMode !== 'WaitForFirstConsumer') throw new Unresolvable('pod has unbound immediate PersistentVolumeClaims');
      delayed.push({ namespace, name, selected: claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] });
    }
    return { bound, delayed };
  },
  filter(_pod, node, state) {
    for (const terms of state.bound) {
      if (terms === null) return [ERR_PV_MISSING];
      if (terms !== undefined && !terms.some((term) => termMatches(term, node.node))) return [ERR_NODE_CONFLICT];
    }
    return [];
  },
  async preBind(pod, node, cluster) {
    const namespace = pod.pod.metadata?.namespace ?? '';
    for (const name of claimNames(pod.pod)) {
      const claim = cluster.storage?.claim(namespace, name);
      if (claim === undefined || claim.spec?.volumeName || claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === node) continue;
      await cluster.storage!.selectNode(namespace, name, node);
    }
  },
};

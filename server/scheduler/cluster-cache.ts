// The scheduler's picture of the cluster: every Node with the pods bound to
// it, kept current from the informers' keys, plus the pods it has decided
// on but whose binding is still being written ("assumed", as upstream's
// cache holds them), so the next decision already counts them. A pod that
// finished (Succeeded, Failed) frees its node's resources.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ClusterView, NodeInfo, PodInfo } from './framework.js';
import { resourcesOf } from './framework.js';

class MutableNodeInfo implements NodeInfo {
  node: Node;
  allocatable: Map<string, number>;
  readonly requested = new Map<string, number>();
  readonly nonZeroRequested = new Map<string, number>();
  readonly pods: PodInfo[] = [];
  podsWithAffinity: PodInfo[] = [];
  readonly ownedBy = new Map<string, number>();

  constructor(
    readonly name: string,
    node: Node,
  ) {
    this.node = node;
    this.allocatable = resourcesOf(node.status?.allocatable);
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = resourcesOf(node.status?.allocatable);
  }

  add(pod: PodInfo): void {
    this.pods.push(pod);
    if (pod.hasPodAffinity) this.podsWithAffinity = [...this.podsWithAffinity, pod];
    if (pod.liveControllerUid !== undefined) this.ownedBy.set(pod.liveControllerUid, (this.ownedBy.get(pod.liveControllerUid) ?? 0) + 1);
    addInto(this.requested, pod.requests, 1);
    addInto(this.nonZeroRequested, pod.nonZeroRequests, 1);
  }

  remove(key: string): void {
    const index = this.pods.findIndex((p) => p.key === key);
    if (index < 0) return;
    const [pod] = this.pods.splice(index, 1);
    if (pod!.hasPodAffinity) this.podsWithAffinity = this.podsWithAffinity.filter((p) => p.key !== key);
    const owner = pod!.liveControllerUid;
    if (owner !== undefined) {
      const left = this.ownedBy.get(owner)! - 1;
      if (left === 0) this.ownedBy.delete(owner);
      else this.ownedBy.set(owner, left);
    }
    addInto(this.requested, pod!.requests, -1);
    addInto(this.nonZeroRequested, pod!.nonZeroRequests, -1);
  }
}

interface Placement {
  readonly node: string;
  readonly pod: PodInfo;
  readonly assumed: boolean;
}

export class ClusterCache implements ClusterView {
  /** Nodes with pods but no Node object (deleted while pods still name it) stay out of `nodes`. */
  readonly #infos = new Map<string, MutableNodeInfo>();
  readonly #placements = new Map<string, Placement>();
  readonly #podsOfGhosts = new Map<string, PodInfo[]>();
  #nodes: NodeInfo[] = [];

  get nodes(): readonly NodeInfo[] {
    return this.#nodes;
  }

  /** A Node was added, changed (undefined: deleted). */
  setNode(name: string, node: Node | undefined): void {
    const info = this.#infos.get(name);
    if (node === undefined) {
      if (info === undefined) return;
      this.#infos.delete(name);
      this.#podsOfGhosts.set(name, info.pods);
    } else if (info !== undefined) {
      info.setNode(node);
      return;
    } else {
      const created = new MutableNodeInfo(name, node);
      for (const pod of this.#podsOfGhosts.get(name) ?? []) created.add(pod);
      this.#podsOfGhosts.delete(name);
      this.#infos.set(name, created);
    }
    this.#nodes = [...this.#infos.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A pod as the informer now has it (undefined: deleted): counted on its node while bound and not finished. */
  setPod(key: string, pod: Pod | undefined, info: () => PodInfo): void {
    const placed = this.#placements.get(key);
    const node = pod?.spec?.nodeName;
    const counts = node !== undefined && node !== '' && pod?.status?.phase !== 'Succeeded' && pod?.status?.phase !== 'Failed';
    if (!counts) {
      // An unbound pod that is assumed keeps its assumption until the binding is confirmed or fails.
      if (placed !== undefined && !(placed.assumed && pod !== undefined && !node)) this.#unplace(key, placed);
      return;
    }
    if (placed !== undefined && !placed.assumed && placed.pod.pod === pod) return;
    if (placed !== undefined) this.#unplace(key, placed);
    this.#place(key, { node, pod: info(), assumed: false });
  }

  /** The scheduler chose `node` for `pod`; counted there until the binding is seen or forgotten. */
  assume(pod: PodInfo, node: string): void {
    const placed = this.#placements.get(pod.key);
    if (placed !== undefined) this.#unplace(pod.key, placed);
    this.#place(pod.key, { node, pod, assumed: true });
  }

  /** The binding failed: the assumed pod no longer counts. */
  forget(key: string): void {
    const placed = this.#placements.get(key);
    if (placed?.assumed === true) this.#unplace(key, placed);
  }

  isAssumed(key: string): boolean {
    return this.#placements.get(key)?.assumed === true;
  }

  #place(key: string, placement: Placement): void {
    this.#placements.set(key, placement);
    const info = this.#infos.get(placement.node);
    if (info !== undefined) info.add(placement.pod);
    else this.#podsOfGhosts.set(placement.node, [...(this.#podsOfGhosts.get(placement.node) ?? []), placement.pod]);
  }

  #unplace(key: string, placement: Placement): void {
    this.#placements.delete(key);
    const info = this.#infos.get(placement.node);
    if (info !== undefined) {
      info.remove(key);
      return;
    }
    const left = (this.#podsOfGhosts.get(placement.node) ?? []).filter((p) => p.key !== key);
    if (left.length > 0) this.#podsOfGhosts.set(placement.node, left);
    else this.#podsOfGhosts.delete(placement.node);
  }
}

function addInto(into: Map<string, number>, from: ReadonlyMap<string, number>, sign: 1 | -1): void {
  for (const [name, amount] of from) into.set(name, (into.get(name) ?? 0) + sign * amount);
}

// Pods leave a node whose NoExecute taints they do not tolerate, as
// upstream's taint-eviction controller has them leave: at once when a taint is
// not tolerated at all; after the shortest tolerationSeconds of the
// tolerations they rely on when it is (counted from the taint's timeAdded, so
// a server restart does not restart the clock); never when tolerated without
// a time. The not-ready and unreachable taints come from the node keeper, and
// every pod tolerates them for 300 s unless it says otherwise (admission).
// An edge node that is expected to lose the server now and then can ask for
// a longer stay: with the annotation bramble.io/autonomy-seconds, its pods
// stay at least that long after it became unreachable or not ready.
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { toleratesTaint } from '../api/kinds/tolerations.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { isGoneOrReplaced } from './api-errors.js';
import { disruptionTarget, updatePodStatus } from './disruption-target.js';
import { EventRecorder } from './event-recorder.js';
import { podsOnNode } from './pods-by-node.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';

/** What an evicted pod's DisruptionTarget condition says, as upstream's taint manager writes it. */
const TAINT_EVICTION = disruptionTarget('DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint');

export const AUTONOMY_ANNOTATION = 'bramble.io/autonomy-seconds';
/** The taints that mean "the server cannot reach the node", which the autonomy window stretches. */
const LOST_NODE_TAINTS: ReadonlySet<string> = new Set(['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready']);

export interface TaintEvictionOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  readonly now?: () => number;
}

export class TaintEvictionController {
  readonly #nodes: SharedInformer;
  readonly #pods: SharedInformer;
  readonly #podType: ResourceType;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;
  readonly #now: () => number;

  private constructor(private readonly opts: TaintEvictionOptions) {
    this.#now = opts.now ?? Date.now;
    this.#podType = opts.catalogue.get('', 'v1', 'pods')!;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'taint-eviction-controller', opts.log);
    this.#queue = new WorkQueue(
      (node) => this.reconcile(node),
      (node, err, retryInMs) => opts.log.warn('taint eviction failed', { node, error: err, retryInMs }),
    );
    this.#nodes = opts.informers.of('', 'v1', 'nodes');
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#nodes.subscribe((name) => this.#queue.add(name));
    this.#pods.subscribe((key) => {
      const node = (this.#pods.get(key) as Pod | undefined)?.spec?.nodeName;
      if (node) this.#queue.add(node);
    });
  }

  static async start(opts: TaintEvictionOptions): Promise<TaintEvictionController> {
    const controller = new TaintEvictionController(opts);
    await controller.#nodes.start();
    await controller.#pods.start();
    return controller;
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }

  /** Evicts the node's pods whose time is up, and comes back when the next one's is. */
  async reconcile(name: string): Promise<void> {
    const node = this.#nodes.get(name) as (KubeObject & Node) | undefined;
    const taints = (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    if (node === undefined || taints.length === 0) return;
    const now = this.#now();
    const autonomyMs = this.#autonomyOf(node) * 1000;
    let next = Infinity;
    for (const pod of podsOnNode(this.#pods, name)) {
      if (pod.metadata.deletionTimestamp !== undefined) continue;
      const at = evictionTime(pod.spec?.tolerations ?? [], taints, autonomyMs, now);
      if (at <= now) await this.#evict(pod);
      else next = Math.min(next, at);
    }
    if (Number.isFinite(next)) this.#queue.addAfter(name, next - now);
  }

  async #evict(pod: KubeObject & Pod): Promise<void> {
    const { namespace, name } = pod.metadata as { namespace: string; name: string };
    this.#events.record({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${namespace}/${name}`);
    try {
      const preconditions = { uid: pod.metadata.uid! };
      await updatePodStatus(this.opts.registry, this.#podType, { namespace, name }, TAINT_EVICTION, this.#now(), preconditions);
      await this.opts.registry.delete(this.#podType, namespace, name, { preconditions });
      this.opts.log.info('evicted a pod from a tainted node', { pod: `${namespace}/${name}`, node: pod.spec?.nodeName });
    } catch (err) {
      // Gone already, or a new pod of the same name: not this one to evict.
      if (!isGoneOrReplaced(err)) throw err;
    }
  }

  /** The node's autonomy window in seconds; a value that is not a whole number counts as none, and says so. */
  #autonomyOf(node: KubeObject): number {
    const value = node.metadata.annotations?.[AUTONOMY_ANNOTATION];
    if (value === undefined) return 0;
    if (/^\d+$/.test(value)) return Number(value);
    this.#events.record(
      { apiVersion: 'v1', kind: 'Node', metadata: node.metadata },
      'Warning',
      'InvalidAutonomySeconds',
      `annotation ${AUTONOMY_ANNOTATION}=${JSON.stringify(value)} is not a whole number of seconds; the node gets no autonomy window`,
    );
    return 0;
  }
}

/**
 * When (ms) a pod with these tolerations must leave a node with these
 * NoExecute taints: now for a taint it does not tolerate; otherwise the
 * earliest taint's timeAdded plus the shortest tolerationSeconds among the
 * tolerations it relies on (stretched to the autonomy window for the
 * lost-node taints); Infinity when none of those has a time.
 */
export function evictionTime(tolerations: readonly Toleration[], taints: readonly Taint[], autonomyMs: number, now: number): number {
  let seconds = Infinity;
  let lostNode = false;
  for (const taint of taints) {
    const used = tolerations.filter((t) => toleratesTaint(t, taint));
    if (used.length === 0) return now;
    for (const t of used) if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) seconds = Math.min(seconds, Math.max(0, t.tolerationSeconds));
    lostNode ||= LOST_NODE_TAINTS.has(taint.key);
  }
  if (!Number.isFinite(seconds)) return Infinity;
  const since = Math.min(...taints.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : now)).map((ms) => (Number.isNaN(ms) ? now : ms)));
  return since + Math.max(seconds * 1000, lostNode ? autonomyMs : 0);
}

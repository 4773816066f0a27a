// The default scheduler: binds every pod that names no node (and no other
// scheduler) to the best node, through the binding subresource, as
// kube-scheduler does. One pod at a time: filters in plugin order (a node's
// first failing plugin says why), scores from every scoring plugin times
// its weight, the highest total wins (ties at random). On big clusters only
// enough feasible nodes are looked for (upstream's percentageOfNodesToScore),
// starting where the previous pod stopped. The decision is assumed in the
// cache at once and the binding written in the background, so the next
// pod is decided while earlier bindings are still being written. A pod that
// fits nowhere gets PodScheduled=False (Unschedulable) with kubectl's
// familiar message and a FailedScheduling event, and waits in the queue for
// the cluster to change.
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { bindPod } from '../api/http/pod-subresources.js';
import { SELECTED_NODE_ANNOTATION } from '../api/kinds/storage.js';
import { type KubeObject, metaTime } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { EventRecorder } from '../controllers/event-recorder.js';
import type { SharedInformer, SharedInformers } from '../controllers/shared-informers.js';
import { ClusterCache } from './cluster-cache.js';
import { type ClusterView, type NodeInfo, type Plugin, type PodInfo, type StorageView, Unresolvable } from './framework.js';
import { podInfoOf } from './pod-info.js';
import { DEFAULT_PLUGINS } from './plugins/index.js';
import { SchedulingQueue } from './scheduling-queue.js';

export const SCHEDULER_NAME = 'default-scheduler';
/** Bindings written at once; more decisions wait for a slot. */
const BIND_CONCURRENCY = 64;
/** Upstream: below this many nodes every node is looked at; above, at least this many. */
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

export interface SchedulerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  readonly plugins?: readonly Plugin<any>[];
  readonly random?: () => number;
}

type Decision = { readonly node: string } | { readonly message: string };

export class Scheduler {
  readonly #pods: SharedInformer;
  readonly #nodes: SharedInformer;
  /** Claims, volumes and classes (VolumeBinding). */
  readonly #storage: readonly SharedInformer[];
  readonly #view: ClusterView;
  readonly #podType: ResourceType;
  readonly #cache = new ClusterCache();
  readonly #queue = new SchedulingQueue();
  readonly #events: EventRecorder;
  readonly #plugins: readonly Plugin<any>[];
  readonly #random: () => number;
  /** Pods set aside, as they were when they did not fit: a change to their status alone does not retry them. */
  readonly #attempted = new Map<string, Pod>();
  #nextStart = 0;
  #binding = 0;
  readonly #bindings = new Set<Promise<void>>();
  #running: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: SchedulerOptions) {
    this.#podType = opts.catalogue.get('', 'v1', 'pods')!;
    this.#plugins = opts.plugins ?? DEFAULT_PLUGINS;
    this.#random = opts.random ?? Math.random;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, SCHEDULER_NAME, opts.log);
    this.#nodes = opts.informers.of('', 'v1', 'nodes');
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#nodes.subscribe((name) => this.#nodeChanged(name));
    this.#pods.subscribe((key) => this.#podChanged(key));
    const claims = opts.informers.of('', 'v1', 'persistentvolumeclaims');
    const volumes = opts.informers.of('', 'v1', 'persistentvolumes');
    const classes = opts.informers.of('storage.k8s.io', 'v1', 'storageclasses');
    this.#storage = [claims, volumes, classes];
    // A claim, volume or class that appears or changes may let pods set aside fit.
    for (const informer of this.#storage) informer.subscribe(() => this.#queue.moveAllToActive());
    const claimType = opts.catalogue.get('', 'v1', 'persistentvolumeclaims')!;
    const storage: StorageView = {
      claim: (namespace, name) => claims.get(`${namespace}/${name}`) as ReturnType<StorageView['claim']>,
      volume: (name) => volumes.get(name) as ReturnType<StorageView['volume']>,
      storageClass: (name) => classes.get(name) as ReturnType<StorageView['storageClass']>,
      selectNode: async (namespace, name, node) => {
        const written = await opts.registry.patch(
          claimType,
          namespace,
          name,
          (claim) => {
            claim.metadata.annotations = { ...claim.metadata.annotations, [SELECTED_NODE_ANNOTATION]: node };
            return claim;
          },
          {},
        );
        claims.remember(written);
      },
    };
    const cache = this.#cache;
    this.#view = {
      get nodes() {
        return cache.nodes;
      },
      storage,
    };
  }

  static async start(opts: SchedulerOptions): Promise<Scheduler> {
    const scheduler = new Scheduler(opts);
    await scheduler.#nodes.start();
    for (const informer of scheduler.#storage) await informer.start();
    await scheduler.#pods.start();
    scheduler.#running = scheduler.#run();
    return scheduler;
  }

  async close(): Promise<void> {
    this.#queue.close();
    await this.#running;
    await Promise.allSettled(this.#bindings);
  }

  #nodeChanged(name: string): void {
    this.#cache.setNode(name, this.#nodes.get(name) as Node | undefined);
    this.#queue.moveAllToActive();
  }

  #podChanged(key: string): void {
    const pod = this.#pods.get(key) as (KubeObject & Pod) | undefined;
    this.#cache.setPod(key, pod, () => podInfoOf(pod!));
    if (pod === undefined || pod.spec?.nodeName) {
      // A pod gone or placed may have made room (or a place next to it) for those set aside.
      this.#forget(key);
      this.#queue.moveAllToActive();
      return;
    }
    if (!wantsScheduling(pod)) {
      this.#forget(key);
      return;
    }
    const before = this.#attempted.get(key);
    if (before !== undefined && this.#queue.isUnschedulable(key) && !changedForScheduling(before, pod)) return;
    this.#queue.add(key);
  }

  #forget(key: string): void {
    this.#queue.forget(key);
    this.#attempted.delete(key);
  }

  async #run(): Promise<void> {
    for (let key = await this.#queue.pop(); key !== undefined; key = await this.#queue.pop()) {
      try {
        await this.#scheduleOne(key);
      } catch (err) {
        this.opts.log.error('scheduling failed', { pod: key, error: err });
        this.#queue.retryLater(key);
      }
      // The API shares this thread: let it answer between pods.
      await yieldToIo();
    }
  }

  async #scheduleOne(key: string): Promise<void> {
    const pod = this.#pods.get(key) as (KubeObject & Pod) | undefined;
    if (pod === undefined || pod.spec?.nodeName || !wantsScheduling(pod)) {
      this.#forget(key);
      return;
    }
    if (this.#cache.isAssumed(key)) return;
    const info = podInfoOf(pod);
    const decision = this.decide(info);
    if ('message' in decision) {
      await this.#unschedulable(key, pod, decision.message);
      return;
    }
    this.#cache.assume(info, decision.node);
    this.#forget(key);
    while (this.#binding >= BIND_CONCURRENCY) await Promise.race(this.#bindings);
    this.#binding++;
    const binding = this.#bind(key, pod, decision.node).finally(() => {
      this.#binding--;
      this.#bindings.delete(binding);
    });
    this.#bindings.add(binding);
  }

  /** The node for `pod`, or why there is none (upstream's FitError message). */
  decide(pod: PodInfo): Decision {
    const nodes = this.#cache.nodes;
    if (nodes.length === 0) return { message: 'no nodes available to schedule pods' };
    let states: unknown[];
    try {
      states = this.#plugins.map((plugin) => plugin.prepare?.(pod, this.#view));
    } catch (err) {
      // Upstream's FitError with a PreFilter message: no per-node counts.
      if (err instanceof Unresolvable) return { message: `0/${nodes.length} nodes are available: ${err.message}.` };
      throw err;
    }
    const wanted = feasibleNodesToFind(nodes.length);
    const feasible: NodeInfo[] = [];
    const reasons = new Map<string, number>();
    let looked = 0;
    for (; looked < nodes.length && feasible.length < wanted; looked++) {
      const node = nodes[(this.#nextStart + looked) % nodes.length]!;
      const why = this.#filter(pod, node, states);
      if (why.length === 0) feasible.push(node);
      else for (const reason of why) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    this.#nextStart = (this.#nextStart + looked) % nodes.length;
    if (feasible.length === 0) return { message: fitError(nodes.length, reasons) };
    if (feasible.length === 1) return { node: feasible[0]!.name };
    const totals = new Array<number>(feasible.length).fill(0);
    this.#plugins.forEach((plugin, i) => {
      if (plugin.score === undefined) return;
      const scores = feasible.map((node) => plugin.score!(pod, node, states[i]));
      plugin.normalize?.(scores, states[i]);
      const weight = plugin.weight ?? 1;
      scores.forEach((score, j) => (totals[j]! += score * weight));
    });
    // The highest total; among equals, each equally likely (upstream's reservoir sampling).
    let best = 0;
    let ties = 1;
    for (let j = 1; j < feasible.length; j++) {
      if (totals[j]! > totals[best]!) {
        best = j;
        ties = 1;
      } else if (totals[j] === totals[best] && this.#random() * ++ties < 1) {
        best = j;
      }
    }
    return { node: feasible[best]!.name };
  }

  #filter(pod: PodInfo, node: NodeInfo, states: readonly unknown[]): readonly string[] {
    for (let i = 0; i < this.#plugins.length; i++) {
      const why = this.#plugins[i]!.filter?.(pod, node, states[i]);
      if (why !== undefined && why.length > 0) return why;
    }
    return [];
  }

  async #bind(key: string, pod: KubeObject & Pod, node: string): Promise<void> {
    const { namespace, name } = pod.metadata as { namespace: string; name: string };
    try {
      for (const plugin of this.#plugins) await plugin.preBind?.(podInfoOf(pod), node, this.#view);
    } catch (err) {
      // What the choice implies could not be written (a claim gone meanwhile): decide again later.
      this.#cache.forget(key);
      this.opts.log.warn('could not prepare a pod for its node; retrying', { pod: key, node, error: err });
      this.#queue.retryLater(key);
      return;
    }
    try {
      await bindPod(this.opts.registry, this.#podType, namespace, name, { kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: node } }, false);
      this.#events.record(podRef(pod), 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (err) {
      this.#cache.forget(key);
      // Deleted meanwhile, or bound by someone else: nothing left to do.
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) return;
      this.opts.log.warn('could not bind a pod; retrying', { pod: key, node, error: err });
      this.#queue.retryLater(key);
    }
  }

  async #unschedulable(key: string, pod: KubeObject & Pod, message: string): Promise<void> {
    this.#queue.unschedulable(key);
    this.#attempted.set(key, pod);
    this.#events.record(podRef(pod), 'Warning', 'FailedScheduling', message);
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message) return;
    const { namespace, name } = pod.metadata as { namespace: string; name: string };
    await this.opts.registry
      .patch(
        this.#podType,
        namespace,
        name,
        (latest) => {
          const status = ((latest as { status?: { conditions?: PodCondition[] } }).status ??= {});
          const conditions = (status.conditions ??= []);
          const existing = conditions.find((c) => c.type === 'PodScheduled');
          const condition: PodCondition = {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message,
            lastProbeTime: null as unknown as string,
            lastTransitionTime: existing?.status === 'False' ? existing.lastTransitionTime! : metaTime(),
          };
          if (existing === undefined) conditions.push(condition);
          else Object.assign(existing, condition);
          return latest;
        },
        { subresource: 'status' },
      )
      .catch((err: unknown) => {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      });
  }
}

/** Pods this scheduler places: no node yet, ours by name, not being deleted, no scheduling gates left. */
function wantsScheduling(pod: KubeObject & Pod): boolean {
  const spec = pod.spec;
  return (
    !spec?.nodeName &&
    (spec?.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME &&
    pod.metadata.deletionTimestamp === undefined &&
    (spec?.schedulingGates ?? []).length === 0
  );
}

/** Whether anything the plugins read changed (the spec or the labels), not just the status. */
function changedForScheduling(before: Pod, after: Pod): boolean {
  return JSON.stringify([before.spec, before.metadata?.labels]) !== JSON.stringify([after.spec, after.metadata?.labels]);
}

/** Upstream's numFeasibleNodesToFind with the adaptive percentage. */
function feasibleNodesToFind(nodes: number): number {
  if (nodes < MIN_FEASIBLE_NODES_TO_FIND) return nodes;
  const percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.floor(nodes / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((nodes * percentage) / 100));
}

/** "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}." — counts first, sorted as upstream sorts them. */
export function fitError(nodes: number, reasons: ReadonlyMap<string, number>): string {
  const histogram = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${nodes} nodes are available${histogram.length > 0 ? `: ${histogram.join(', ')}` : ''}.`;
}

function podRef(pod: KubeObject & Pod) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata };
}

// The Nodes of connected agents, kept kind to SD cards: heartbeats live in
// memory; a Node's status (and its Lease) is written only when something in
// it changed or every five minutes (kubelet's nodeStatusReportFrequency).
// reconcile(name) is level-triggered: from the agent's last report, when it
// was last heard from and the stored Node, it converges the Node's status
// and condition taints. An agent silent longer than the grace period gets
// every condition Unknown and the unreachable taints; its next report
// brings the node back.
import type { Node, NodeSpec, NodeStatus as StoredStatus, Taint as StoredTaint } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Hello, NodeStatus } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import type { SharedInformer, SharedInformers } from '../controllers/shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';
import { lastHeartbeatMs, reportedStatus, statusChanged, unknownStatus, withConditionTaints } from './node-conditions.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Upstream's default node-monitor-grace-period. */
export const DEFAULT_GRACE_MS = 40_000;
/** kubelet's nodeStatusReportFrequency: an unchanged status is written this often. */
const REFRESH_MS = 5 * 60_000;
/** Readings (a Pi's temperature) travel as annotations with this prefix. */
const READINGS_ANNOTATION_PREFIX = 'bramble.io/';

export interface NodeKeeperOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
  /** How long an agent may stay silent before its node is Unknown. */
  readonly graceMs?: number;
  readonly now?: () => number;
}

interface Heartbeat {
  lastSeen: number;
  /** Set while the agent's stream is open: only then does a deleted Node come back. */
  hello?: Hello;
  report?: NodeStatus;
}

export class NodeKeeper {
  readonly #nodes: SharedInformer;
  readonly #queue: WorkQueue;
  readonly #heartbeats = new Map<string, Heartbeat>();
  readonly #nodeType: ResourceType;
  readonly #leaseType: ResourceType;
  readonly #graceMs: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  #sweeper: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: NodeKeeperOptions) {
    this.#nodeType = opts.catalogue.get('', 'v1', 'nodes')!;
    this.#leaseType = opts.catalogue.get('coordination.k8s.io', 'v1', 'leases')!;
    this.#graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    this.#now = opts.now ?? Date.now;
    // Nodes stored before this start get a full grace period to reconnect. Set
    // before subscribing: a shared informer that already runs reports its
    // cached Nodes at once, and their reconciles must not see a start of 0.
    this.#startedAt = this.#now();
    this.#queue = new WorkQueue(
      (name) => this.reconcile(name),
      (name, err, retryInMs) => opts.log.warn('node reconcile failed', { node: name, error: err, retryInMs }),
    );
    this.#nodes = opts.informers.of('', 'v1', 'nodes');
    this.#nodes.subscribe((name) => this.#queue.add(name));
  }

  static async start(opts: NodeKeeperOptions): Promise<NodeKeeper> {
    const keeper = new NodeKeeper(opts);
    await keeper.#nodes.start();
    keeper.#sweeper = setInterval(() => keeper.#sweep(), Math.max(1000, Math.min(5000, keeper.#graceMs / 4)));
    keeper.#sweeper.unref();
    return keeper;
  }

  /** When the node's agent was last heard from (ms), if since this server started. */
  lastSeen(name: string): number | undefined {
    return this.#heartbeats.get(name)?.lastSeen;
  }

  /** An agent said hello: its Node exists with the agent's labels (and, when new, its taints) before this returns. */
  async register(name: string, hello: Hello): Promise<void> {
    this.#heartbeats.set(name, { ...this.#heartbeats.get(name), lastSeen: this.#now(), hello });
    const current = this.#nodes.get(name) as (KubeObject & Node) | undefined ?? (await this.#read(name));
    if (current === undefined) {
      const node: KubeObject & Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, labels: { ...hello.labels } },
        spec: hello.taints.length > 0 ? { taints: hello.taints.map((t) => ({ key: t.key, ...(t.value !== '' ? { value: t.value } : {}), effect: t.effect })) } : {},
      };
      try {
        this.#nodes.remember(await this.opts.registry.create(this.#nodeType, undefined, node, {}));
        this.opts.log.info('node registered', { node: name });
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      }
    } else if (Object.entries(hello.labels).some(([k, v]) => current.metadata?.labels?.[k] !== v)) {
      // A patch (re-read on conflict): reconciles of this node may write it meanwhile.
      const merge = (n: KubeObject): KubeObject => ({ ...n, metadata: { ...n.metadata, labels: { ...n.metadata.labels, ...hello.labels } } });
      this.#nodes.remember(await this.opts.registry.patch(this.#nodeType, undefined, name, merge, {}));
    }
    await this.#ensureLease(name);
  }

  /** The agent's stream ended: its Node stays (and goes Unknown after the grace period), but a deletion now sticks. */
  disconnected(name: string): void {
    const heartbeat = this.#heartbeats.get(name);
    if (heartbeat !== undefined) delete heartbeat.hello;
  }

  /** A status report: kept in memory; the Node is written only if it changed (or is due). */
  report(name: string, status: NodeStatus): void {
    this.#heartbeats.set(name, { ...this.#heartbeats.get(name), lastSeen: this.#now(), report: status });
    this.#queue.add(name);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#queue.close();
  }

  /** Queues `name` and waits until no reconcile runs (what the sweep and reports do, for tests and the bench). */
  async resync(name: string): Promise<void> {
    this.#queue.add(name);
    await this.#queue.drained();
  }

  /** Converges one Node's status and condition taints; idempotent. Only the queue calls it, one at a time. */
  private async reconcile(name: string): Promise<void> {
    const node = this.#nodes.get(name) as (KubeObject & Node) | undefined;
    const now = this.#now();
    const heartbeat = this.#heartbeats.get(name);
    const silent = now - (heartbeat?.lastSeen ?? this.#startedAt) > this.#graceMs;
    if (node === undefined) {
      // Deleted while its agent is connected: it registers again, as kubelet does.
      if (!silent && heartbeat?.hello !== undefined) await this.register(name, heartbeat.hello);
      return;
    }
    let status: StoredStatus;
    if (silent) {
      status = unknownStatus(node.status, new Date(now));
    } else if (heartbeat?.report !== undefined) {
      status = reportedStatus(heartbeat.report, node.status, new Date(now));
    } else {
      return; // connected, no report yet
    }
    const due = !silent && now - lastHeartbeatMs(node.status) >= REFRESH_MS;
    let current = node;
    const write = due || statusChanged(node.status, status);
    if (write) {
      current = (await this.opts.registry.update(this.#nodeType, undefined, name, { ...node, status } as KubeObject, { subresource: 'status' })) as KubeObject & Node;
      this.#nodes.remember(current);
      if (!silent) await this.#renewLease(name, now);
    }
    await this.#writeSpecAndReadings(current, silent ? {} : (heartbeat?.report?.readings ?? {}), write, new Date(now));
  }

  /** Condition taints (and, with a status write, the readings annotations). */
  async #writeSpecAndReadings(node: KubeObject & Node, readings: Record<string, string>, withReadings: boolean, now: Date): Promise<void> {
    const spec: NodeSpec = node.spec ?? {};
    const taints = withConditionTaints(spec.taints ?? [], node.status ?? {}, spec.unschedulable === true, now);
    const taintsChanged = !sameTaints(spec.taints ?? [], taints);
    const annotations = { ...node.metadata?.annotations };
    let readingsChanged = false;
    if (withReadings || taintsChanged) {
      for (const [key, value] of Object.entries(readings)) {
        if (key.startsWith(READINGS_ANNOTATION_PREFIX) && annotations[key] !== value) {
          annotations[key] = value;
          readingsChanged = true;
        }
      }
    }
    if (!taintsChanged && !readingsChanged) return;
    const { taints: _previous, ...untainted } = spec;
    const next = { ...node, metadata: { ...node.metadata, annotations }, spec: taints.length > 0 ? { ...untainted, taints } : untainted };
    if (taintsChanged) this.opts.log.info('node taints changed', { node: node.metadata?.name, taints: taints.map((t) => `${t.key}:${t.effect}`).join(',') });
    this.#nodes.remember(await this.opts.registry.update(this.#nodeType, undefined, node.metadata!.name!, next as KubeObject, {}));
  }

  async #ensureLease(name: string): Promise<void> {
    const lease: KubeObject & Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: NODE_LEASE_NAMESPACE },
      spec: { holderIdentity: name, leaseDurationSeconds: Math.round(this.#graceMs / 1000), renewTime: microTime(this.#now()) },
    };
    const node = this.#nodes.get(name);
    if (node?.metadata.uid !== undefined) {
      lease.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }];
    }
    try {
      await this.opts.registry.create(this.#leaseType, NODE_LEASE_NAMESPACE, lease, {});
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
  }

  async #renewLease(name: string, now: number): Promise<void> {
    let lease: KubeObject & Lease;
    try {
      lease = (await this.opts.registry.get(this.#leaseType, NODE_LEASE_NAMESPACE, name)) as KubeObject & Lease;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return this.#ensureLease(name);
      throw err;
    }
    await this.opts.registry.update(this.#leaseType, NODE_LEASE_NAMESPACE, name, { ...lease, spec: { ...lease.spec, renewTime: microTime(now) } } as KubeObject, {});
  }

  async #read(name: string): Promise<(KubeObject & Node) | undefined> {
    try {
      return (await this.opts.registry.get(this.#nodeType, undefined, name)) as KubeObject & Node;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Queues every node whose agent just fell silent (the Unknown transition needs no event). */
  #sweep(): void {
    const now = this.#now();
    for (const node of this.#nodes.values()) {
      const name = node.metadata.name ?? '';
      const lastSeen = this.#heartbeats.get(name)?.lastSeen ?? this.#startedAt;
      const ready = (node as KubeObject & Node).status?.conditions?.find((c) => c.type === 'Ready');
      if (now - lastSeen > this.#graceMs && ready?.status !== 'Unknown') this.#queue.add(name);
    }
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds, as Leases carry it. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

function sameTaints(a: readonly StoredTaint[], b: readonly StoredTaint[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

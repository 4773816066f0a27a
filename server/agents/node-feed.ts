// What each connected node must hold, sent down its stream: the pods bound to
// it (spec.nodeName) and the ConfigMaps and Secrets those pods use (what the
// node authorizer lets it read), never anything else. reconcile(node) is
// level-triggered: it compares what the node should hold with what its
// stream was sent and sends the difference. A new stream was sent nothing,
// so its first batch is the whole snapshot, sent once every object in it has
// been read: the agent replaces its view with it, and a pod left out would be
// stopped. A pod whose ConfigMaps or Secrets are still being read waits for
// them, so the agent never sees a pod before what it uses.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeObjects, NodeResource, ObjectData, ObjectKey } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from '../api/catalogue.js';
import { podReferences } from '../../common/pod-references.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import { podsOnNode } from '../controllers/pods-by-node.js';
import type { SharedInformer, SharedInformers } from '../controllers/shared-informers.js';
import { WorkQueue } from '../../common/work-queue.js';
import { ReferencedObjects } from './referenced-objects.js';

/** A message stays well under what the agent accepts (8 MiB) even with one 1.5 MB object over this. */
const BATCH_BYTES = 1 << 20;

const KINDS: Readonly<Record<NodeResource, string>> = { pods: 'Pod', configmaps: 'ConfigMap', secrets: 'Secret' };

export interface NodeFeedOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

interface Feed {
  readonly send: (objects: NodeObjects) => void;
  /** "resource/ns/name" → the resourceVersion the node was sent. */
  readonly sent: Map<string, string>;
  synced: boolean;
  /** "resource/ns/name" of the ConfigMaps and Secrets tracked for this node. */
  uses: Set<string>;
}

interface Wanted {
  readonly key: ObjectKey;
  readonly object: KubeObject;
}

export class NodeFeed {
  readonly #pods: SharedInformer;
  readonly #used: Readonly<Record<'configmaps' | 'secrets', ReferencedObjects>>;
  /** Pod key → the node it was bound to when last seen: a pod that moves or goes is taken from that node's feed. */
  readonly #nodeOfPod = new Map<string, string>();
  readonly #feeds = new Map<string, Feed>();
  readonly #queue: WorkQueue;

  private constructor(private readonly opts: NodeFeedOptions) {
    const type = (plural: NodeResource) => opts.catalogue.get('', 'v1', plural)!;
    this.#queue = new WorkQueue(
      async (node) => this.reconcile(node),
      (node, err, retryInMs) => opts.log.warn('could not send a node its objects', { node, error: err, retryInMs }),
    );
    this.#pods = opts.informers.of('', 'v1', 'pods');
    this.#pods.subscribe((key) => this.#podChanged(key));
    const used = (resource: 'configmaps' | 'secrets') =>
      new ReferencedObjects({ registry: opts.registry, type: type(resource), log: opts.log, onChange: (key) => this.#usedChanged(`${resource}/${key}`) });
    this.#used = { configmaps: used('configmaps'), secrets: used('secrets') };
  }

  static async start(opts: NodeFeedOptions): Promise<NodeFeed> {
    const feed = new NodeFeed(opts);
    feed.#used.configmaps.start();
    feed.#used.secrets.start();
    await feed.#pods.start();
    return feed;
  }

  /** Starts a node's stream from nothing (a newer stream replaces an older one); returns its end. */
  subscribe(node: string, send: (objects: NodeObjects) => void): () => void {
    this.#drop(node);
    const feed: Feed = { send, sent: new Map(), synced: false, uses: new Set() };
    this.#feeds.set(node, feed);
    this.#queue.add(node);
    return () => {
      if (this.#feeds.get(node) === feed) this.#drop(node);
    };
  }

  async close(): Promise<void> {
    await this.#queue.close();
    await this.#used.configmaps.close();
    await this.#used.secrets.close();
  }

  async reconcile(node: string): Promise<void> {
    const feed = this.#feeds.get(node);
    if (feed === undefined) return;
    const pods = podsOnNode(this.#pods, node);
    // Track what the pods use before reading it: a key tracked for the first time is read, then reported.
    const uses = new Map(pods.map((pod) => [pod, usedBy(pod)]));
    const allUses = new Set([...uses.values()].flat());
    for (const ref of allUses) if (!feed.uses.has(ref)) this.#tracker(ref).track(refName(ref));
    for (const ref of feed.uses) if (!allUses.has(ref)) this.#tracker(ref).untrack(refName(ref));
    feed.uses = allUses;

    const wanted = new Map<string, Wanted>();
    const kept = new Set<string>();
    for (const [pod, refs] of uses) {
      const podRef = refOf('pods', pod);
      const read = refs.map((ref) => ({ ref, tracked: this.#tracker(ref).get(refName(ref)) }));
      if (read.some(({ tracked }) => !tracked.loaded)) {
        // Not yet: the node keeps the version it has until what this one uses is read.
        if (!feed.synced) return;
        for (const ref of [podRef, ...refs]) kept.add(ref);
        continue;
      }
      for (const { ref, tracked } of read) {
        if (tracked.loaded && tracked.object !== undefined) wanted.set(ref, { key: keyOfRef(ref), object: tracked.object });
      }
      wanted.set(podRef, { key: keyOfRef(podRef), object: pod });
    }

    const upserted: ObjectData[] = [];
    // ConfigMaps and Secrets before the pods that use them (the map holds them first per pod).
    for (const [ref, { key, object }] of wanted) {
      const resourceVersion = object.metadata.resourceVersion ?? '';
      if (feed.sent.get(ref) === resourceVersion) continue;
      upserted.push({ key, resourceVersion, json: Buffer.from(JSON.stringify({ ...object, apiVersion: 'v1', kind: KINDS[key.resource] })) });
    }
    const removed = [...feed.sent.keys()].filter((ref) => !wanted.has(ref) && !kept.has(ref));
    if (upserted.length === 0 && removed.length === 0 && feed.synced) return;

    for (const batch of batches(upserted, removed.map(keyOfRef))) feed.send(batch);
    for (const data of upserted) feed.sent.set(refOfKey(data.key), data.resourceVersion);
    for (const ref of removed) feed.sent.delete(ref);
    if (!feed.synced) this.opts.log.debug('node sent its objects', { node, objects: feed.sent.size });
    feed.synced = true;
  }

  #drop(node: string): void {
    const feed = this.#feeds.get(node);
    if (feed === undefined) return;
    for (const ref of feed.uses) this.#tracker(ref).untrack(refName(ref));
    this.#feeds.delete(node);
  }

  #tracker(ref: string): ReferencedObjects {
    return this.#used[ref.slice(0, ref.indexOf('/')) as 'configmaps' | 'secrets'];
  }

  #podChanged(key: string): void {
    const pod = this.#pods.get(key) as Pod | undefined;
    const node = pod?.spec?.nodeName || undefined;
    const before = this.#nodeOfPod.get(key);
    if (node !== undefined) this.#nodeOfPod.set(key, node);
    else this.#nodeOfPod.delete(key);
    if (before !== undefined) this.#queue.add(before);
    if (node !== undefined && node !== before) this.#queue.add(node);
  }

  #usedChanged(ref: string): void {
    for (const [node, feed] of this.#feeds) if (feed.uses.has(ref)) this.#queue.add(node);
  }
}

/** "configmaps/ns/name" and "secrets/ns/name" that a pod uses, in that order. */
function usedBy(pod: KubeObject): string[] {
  const refs = podReferences((pod as Pod).spec);
  const namespace = pod.metadata.namespace!;
  return [...[...refs.configmaps].map((name) => `configmaps/${namespace}/${name}`), ...[...refs.secrets].map((name) => `secrets/${namespace}/${name}`)];
}

function refOf(resource: NodeResource, obj: KubeObject): string {
  return `${resource}/${obj.metadata.namespace!}/${obj.metadata.name!}`;
}

/** "ns/name", the key the trackers use. */
function refName(ref: string): string {
  return ref.slice(ref.indexOf('/') + 1);
}

function keyOfRef(ref: string): ObjectKey {
  const [resource, namespace, name] = ref.split('/') as [NodeResource, string, string];
  return { resource, namespace, name };
}

function refOfKey(key: ObjectKey): string {
  return `${key.resource}/${key.namespace}/${key.name}`;
}

/** Messages of about BATCH_BYTES each (at least one), the last one marked synced. */
function batches(upserted: ObjectData[], removed: ObjectKey[]): NodeObjects[] {
  const out: NodeObjects[] = [];
  let current: NodeObjects = { upserted: [], removed, synced: false };
  let bytes = 0;
  for (const data of upserted) {
    if (bytes > 0 && bytes + data.json.length > BATCH_BYTES) {
      out.push(current);
      current = { upserted: [], removed: [], synced: false };
      bytes = 0;
    }
    current.upserted.push(data);
    bytes += data.json.length;
  }
  out.push(current);
  current.synced = true;
  return out;
}

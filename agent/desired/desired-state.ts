// What the server says this node must hold: the pods bound to it and the
// ConfigMaps and Secrets they use. Every new stream starts with a snapshot
// that is gathered aside and replaces the whole view at once when it ends
// (so a pod is never dropped just because the snapshot was still arriving);
// later messages are changes applied as they come. A malformed message is
// refused whole and changes nothing; the link then starts a new stream.
//
// While the server cannot be reached after a restart, the view can come from
// the agent's cache instead (loadCached): the node runs what it last held,
// flagged as such, until the server's first snapshot replaces it.
//
// A pod whose change is only in its status (the agent's own reports coming
// back) is not announced: as kubelet, the node acts on what the pod asks
// for, and its status is read when it is next synced. A pod that ends
// (Succeeded or Failed) is announced: it is not run again, and the cache
// keeps that.
import type { NodeObjects, NodeResource, ObjectKey } from '../../common/agent-protocol.js';
import type { Logger } from '../../common/log.js';

const RESOURCES: ReadonlySet<string> = new Set<NodeResource>(['pods', 'configmaps', 'secrets']);

export interface HeldObject {
  readonly key: ObjectKey;
  readonly resourceVersion: string;
  /** The object as the API serves it. */
  readonly object: { readonly metadata: { readonly namespace?: string; readonly name?: string; readonly resourceVersion?: string } } & Record<string, unknown>;
}

export interface DesiredStateOptions {
  readonly log: Logger;
  /** Called with the keys ("resource/ns/name") that were added, changed or removed. */
  readonly onChange?: (refs: readonly string[]) => void;
}

export class DesiredState {
  #held = new Map<string, HeldObject>();
  /** The snapshot being gathered, while one is. */
  #snapshot: Map<string, HeldObject> | undefined;
  #synced = false;
  #fromCache = false;

  constructor(private readonly opts: DesiredStateOptions) {}

  /** True once a whole snapshot has arrived. */
  get synced(): boolean {
    return this.#synced;
  }

  /** True while what is held came from the agent's cache, not yet from the server. */
  get fromCache(): boolean {
    return this.#fromCache;
  }

  /**
   * Holds what the agent's cache kept, when nothing came from the server yet
   * (a restart while it is unreachable); otherwise does nothing.
   */
  loadCached(objects: readonly HeldObject[]): void {
    if (this.#synced) return;
    this.#replace(new Map(objects.map((held) => [refOf(held.key), held])));
    this.#fromCache = true;
    this.opts.log.info('the server is unreachable: running what this node held before', { pods: this.list('pods').length });
  }

  /** A new stream: what follows, up to a message marked synced, is everything the node must hold. */
  beginSnapshot(): void {
    this.#snapshot = new Map();
  }

  /** Takes one message from the server; throws (changing nothing) when it is malformed. */
  apply(message: NodeObjects): void {
    const upserted = message.upserted.map(parseObject);
    const removed = message.removed.map((key) => refOf(checkKey(key)));
    if (this.#snapshot !== undefined) {
      for (const ref of removed) this.#snapshot.delete(ref);
      for (const held of upserted) this.#snapshot.set(refOf(held.key), held);
      if (message.synced) {
        this.#replace(this.#snapshot);
        const count = (resource: NodeResource) => this.list(resource).length;
        this.opts.log.info('holding what the server assigned to this node', {
          objects: `${count('pods')} pods, ${count('configmaps')} ConfigMaps, ${count('secrets')} Secrets`,
        });
      }
      return;
    }
    const next = new Map(this.#held);
    for (const ref of removed) next.delete(ref);
    for (const held of upserted) next.set(refOf(held.key), held);
    this.#replace(next);
  }

  get(resource: NodeResource, namespace: string, name: string): HeldObject | undefined {
    return this.#held.get(`${resource}/${namespace}/${name}`);
  }

  /** The object held under `ref` ("resource/ns/name"), as onChange names it. */
  getRef(ref: string): HeldObject | undefined {
    return this.#held.get(ref);
  }

  /** Every held object of one resource. */
  list(resource: NodeResource): HeldObject[] {
    return [...this.#held.values()].filter((held) => held.key.resource === resource);
  }

  #replace(next: Map<string, HeldObject>): void {
    const previous = this.#held;
    this.#held = next;
    this.#snapshot = undefined;
    this.#synced = true;
    this.#fromCache = false;
    const changed: string[] = [];
    for (const [ref, held] of next) {
      const before = previous.get(ref);
      if (before?.resourceVersion === held.resourceVersion) continue;
      if (before !== undefined && held.key.resource === 'pods' && nodeView(before) === nodeView(held)) continue;
      changed.push(ref);
      if (before === undefined && held.key.resource === 'pods') this.opts.log.info('pod assigned to this node', { pod: `${held.key.namespace}/${held.key.name}` });
    }
    for (const [ref, held] of previous) {
      if (next.has(ref)) continue;
      changed.push(ref);
      if (held.key.resource === 'pods') this.opts.log.info('pod no longer assigned to this node', { pod: `${held.key.namespace}/${held.key.name}` });
    }
    if (changed.length > 0) this.opts.onChange?.(changed);
  }
}

/**
 * What of an object the node acts on: all but a pod's status (and the
 * metadata a status write changes), with whether the pod ended. Equal views mean
 * nothing to do and nothing to cache.
 */
export function nodeView(held: HeldObject): string {
  const { status, metadata, ...rest } = held.object as HeldObject['object'] & { status?: { phase?: string }; metadata: Record<string, unknown> };
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = metadata;
  const ended = status?.phase === 'Succeeded' || status?.phase === 'Failed';
  return JSON.stringify({ ...rest, metadata: meta, ended });
}

export function refOf(key: ObjectKey): string {
  return `${key.resource}/${key.namespace}/${key.name}`;
}

function checkKey(key: ObjectKey | null | undefined): ObjectKey {
  if (key == null || !RESOURCES.has(key.resource) || !key.namespace || !key.name) {
    throw new Error(`the server sent an object key that is not a pod, ConfigMap or Secret: ${JSON.stringify(key ?? null)}`);
  }
  return key;
}

/** The object, checked to be the one its key names (never logged: it may be a Secret). */
function parseObject(data: { key: ObjectKey | null; resourceVersion: string; json: Buffer }): HeldObject {
  const key = checkKey(data.key);
  let object: unknown;
  try {
    object = JSON.parse(data.json.toString('utf8'));
  } catch (err) {
    throw new Error(`the server sent ${refOf(key)} as malformed JSON: ${(err as Error).message}`);
  }
  const metadata = (object as HeldObject['object'] | null)?.metadata;
  if (typeof object !== 'object' || object === null || Array.isArray(object) || metadata?.namespace !== key.namespace || metadata.name !== key.name) {
    throw new Error(`the server sent an object that is not ${refOf(key)}`);
  }
  return { key, resourceVersion: data.resourceVersion, object: object as HeldObject['object'] };
}

// Controller references, shared by the controllers that own what their
// selector matches (ReplicaSet, Deployment, DaemonSet, StatefulSet): which
// object controls which (metav1.GetControllerOf), claiming (upstream's
// ControllerRefManager: a controller keeps what it controls while its
// selector still matches, adopts matching orphans, and releases what no
// longer matches), and which controllers to look at again when a child changes.
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Logger } from '../../common/log.js';
import type { KubeObject, OwnerReference } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { errors } from '../api/status.js';
import { asSelector, isEmptySelector, type Selector } from '../api/kinds/labels.js';
import { isGone } from './delete-all.js';
import { keyOf } from './informer.js';
import type { SharedInformer } from './shared-informers.js';

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

export interface OwnerKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** The owner reference a controller puts on what it makes or adopts (cached list items carry no kind, so it is given). */
export function controllerRef(owner: KubeObject, kind: OwnerKind): OwnerReference {
  return { apiVersion: kind.apiVersion, kind: kind.kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export interface ClaimOptions {
  readonly registry: Registry;
  /** The type of the objects claimed. */
  readonly type: ResourceType;
  /** Their informer, told of every write. */
  readonly informer: SharedInformer;
  /** What the claiming controller is. */
  readonly ownerKind: OwnerKind;
  readonly log: Logger;
}

/**
 * The objects `owner` controls once claimed: those it controls that
 * `selector` still matches, plus matching orphans in its namespace, adopted
 * (unless the owner is being deleted); the objects it controls that no
 * longer match are released. `filter` leaves out objects not to claim at
 * all (pods that finished, say).
 */
export async function claim(owner: KubeObject, selector: Selector, opts: ClaimOptions, filter: (obj: KubeObject) => boolean = () => true): Promise<KubeObject[]> {
  const uid = owner.metadata.uid!;
  const namespace = owner.metadata.namespace;
  const claimed: KubeObject[] = [];
  for (const obj of opts.informer.ownedBy(uid)) {
    if (controllerRefOf(obj)?.uid !== uid || !filter(obj)) continue;
    if (selector(obj.metadata.labels)) claimed.push(obj);
    // An object being deleted goes anyway: no need to let go of it.
    else if (obj.metadata.deletionTimestamp === undefined) await release(obj, uid, opts);
  }
  if (owner.metadata.deletionTimestamp !== undefined) return claimed;
  for (const obj of orphansIn(opts.informer, namespace)) {
    if (obj.metadata.deletionTimestamp !== undefined) continue;
    if (!selector(obj.metadata.labels) || !filter(obj)) continue;
    const adopted = await adopt(obj, owner, opts);
    if (adopted !== undefined) claimed.push(adopted);
  }
  return claimed;
}

const ORPHANS = 'orphans';

/** Cached objects of `namespace` that no controller owns: an index, since a reconcile runs on every change of a child and orphans are few. */
function orphansIn(informer: SharedInformer, namespace: string | undefined): KubeObject[] {
  informer.addIndex(ORPHANS, (obj) => (controllerRefOf(obj) === undefined ? [obj.metadata.namespace ?? ''] : []));
  return informer.byIndex(ORPHANS, namespace ?? '');
}

async function adopt(obj: KubeObject, owner: KubeObject, opts: ClaimOptions): Promise<KubeObject | undefined> {
  try {
    const written = await opts.registry.patch(opts.type, obj.metadata.namespace, obj.metadata.name!, (current) => {
      // Another controller got there first, or it changed under us: leave it.
      if (current.metadata.uid !== obj.metadata.uid || controllerRefOf(current) !== undefined) throw errors.conflict(opts.type, obj.metadata.name!);
      current.metadata.ownerReferences = [...(current.metadata.ownerReferences ?? []), controllerRef(owner, opts.ownerKind)];
      return current;
    }, {});
    opts.informer.remember(written);
    return written;
  } catch (err) {
    opts.log.debug('could not adopt', { object: obj.metadata.name, error: err });
    return undefined;
  }
}

async function release(obj: KubeObject, uid: string, opts: ClaimOptions): Promise<void> {
  try {
    const written = await opts.registry.patch(opts.type, obj.metadata.namespace, obj.metadata.name!, (current) => {
      if (current.metadata.uid !== obj.metadata.uid) throw errors.notFound(opts.type, obj.metadata.name!);
      current.metadata.ownerReferences = (current.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== uid);
      return current;
    }, {});
    opts.informer.remember(written);
  } catch (err) {
    if (!isGone(err)) throw err;
  }
}

/**
 * Queues the controllers of kind `kind` (cached in `controllers`) that a
 * change to an object in `children` concerns: the one controlling it now
 * and the one before, and for an orphan every one that may adopt it. With
 * skipEmptySelectors a controller whose selector is empty adopts nothing
 * (the DaemonSet and StatefulSet controllers refuse to act for one at all).
 */
export function queueOnChildChange(
  children: SharedInformer,
  controllers: SharedInformer,
  kind: string,
  queue: (key: string) => void,
  opts: { skipEmptySelectors?: boolean } = {},
): void {
  const owners = new ControllerIndex();
  children.subscribe((key) => {
    const child = children.get(key);
    for (const owner of owners.changed(key, child, kind)) queue(owner);
    for (const adopter of adoptersOf(child, controllers.values(), opts.skipEmptySelectors === true)) queue(adopter);
  });
}

/** The keys of the controllers that may adopt `child`: none unless it is an orphan (no controller, not being deleted), else those in its namespace whose spec.selector matches it. */
function adoptersOf(child: KubeObject | undefined, controllers: Iterable<KubeObject>, skipEmptySelectors: boolean): string[] {
  if (child === undefined || child.metadata.deletionTimestamp !== undefined || controllerRefOf(child) !== undefined) return [];
  const keys: string[] = [];
  for (const controller of controllers) {
    if (controller.metadata.namespace !== child.metadata.namespace) continue;
    const selector = (controller as { spec?: { selector?: LabelSelector } }).spec?.selector;
    if (skipEmptySelectors && (selector === undefined || isEmptySelector(selector))) continue;
    if (asSelector(selector)?.(child.metadata.labels) === true) keys.push(keyOf(controller));
  }
  return keys;
}

/**
 * Which owner each child was last seen controlled by, so that a child that
 * went away (and is no longer in the cache) still names the owner to look again.
 */
export class ControllerIndex {
  readonly #owners = new Map<string, string>();

  /** The keys of the owner of `key` now (when `kind`) and before; `obj` is the child as cached now, if any. */
  changed(key: string, obj: KubeObject | undefined, kind: string): string[] {
    const before = this.#owners.get(key);
    const ref = obj === undefined ? undefined : controllerRefOf(obj);
    const now = ref?.kind === kind ? `${obj!.metadata.namespace}/${ref.name}` : undefined;
    if (now === undefined) this.#owners.delete(key);
    else this.#owners.set(key, now);
    return [...new Set([before, now].filter((k): k is string => k !== undefined))];
  }
}

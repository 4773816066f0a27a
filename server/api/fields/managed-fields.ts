// metadata.managedFields: who owns which fields of an object, as upstream's
// apimachinery managedfields keeps them. Entries are read from and written
// to the object; an entry is named by its manager, operation, subresource
// and, for an Update, the API version (upstream's manager identifier).
import { isObject, type JsonObject } from '../patch/json.js';
import type { KubeObject } from '../objects.js';
import { type FieldSet, isEmpty, isFieldSet, sorted, union } from './field-set.js';

export type Operation = 'Apply' | 'Update';

export interface ManagedFieldsEntry {
  readonly manager: string;
  readonly operation: Operation;
  readonly apiVersion: string;
  readonly time?: string;
  readonly fieldsType: 'FieldsV1';
  readonly fieldsV1: FieldSet;
  readonly subresource?: string;
}

/** Who writes: the manager's name and the subresource written ("status"), as write options carry them. */
export interface FieldManager {
  readonly name: string;
  readonly subresource?: string;
}

/** The entries an object holds; malformed ones (not written by us) are dropped. */
export function entriesOf(obj: KubeObject): ManagedFieldsEntry[] {
  const raw = obj.metadata.managedFields;
  if (!Array.isArray(raw)) return [];
  return raw.filter(isEntry);
}

function isEntry(e: unknown): e is ManagedFieldsEntry {
  if (!isObject(e)) return false;
  return (
    typeof e['manager'] === 'string' &&
    (e['operation'] === 'Apply' || e['operation'] === 'Update') &&
    typeof e['apiVersion'] === 'string' &&
    e['fieldsType'] === 'FieldsV1' &&
    isFieldSet(e['fieldsV1']) &&
    (e['time'] === undefined || typeof e['time'] === 'string') &&
    (e['subresource'] === undefined || typeof e['subresource'] === 'string')
  );
}

/** Whether two entries are the same manager's (upstream's BuildManagerIdentifier: an Apply's ignores the version). */
export function sameManager(a: Pick<ManagedFieldsEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>, b: typeof a): boolean {
  return (
    a.manager === b.manager &&
    a.operation === b.operation &&
    (a.subresource ?? '') === (b.subresource ?? '') &&
    (a.operation === 'Apply' || a.apiVersion === b.apiVersion)
  );
}

export function entry(manager: FieldManager, operation: Operation, apiVersion: string, time: string | undefined, fields: FieldSet): ManagedFieldsEntry {
  // Upstream's field order: manager, operation, apiVersion, time, fieldsType, fieldsV1, subresource.
  return {
    manager: manager.name,
    operation,
    apiVersion,
    ...(time === undefined ? {} : { time }),
    fieldsType: 'FieldsV1',
    fieldsV1: sorted(fields),
    ...(manager.subresource === undefined ? {} : { subresource: manager.subresource }),
  };
}

/** Upstream's cap on Update entries: the oldest are merged into one per version, so an object's entries stay few. */
const MAX_UPDATE_ENTRIES = 10;
const ANCIENT_CHANGES = 'ancient-changes';

/** Writes the entries into the object: empty ones dropped, in upstream's order (operation, time, manager, version, subresource). */
export function setEntries(obj: KubeObject, entries: readonly ManagedFieldsEntry[]): void {
  const kept = capUpdates(entries.filter((e) => !isEmpty(e.fieldsV1)));
  kept.sort(
    (p, q) =>
      compare(p.operation, q.operation) ||
      compare(seconds(p.time), seconds(q.time)) ||
      compare(p.manager, q.manager) ||
      compare(p.apiVersion, q.apiVersion) ||
      compare(p.subresource ?? '', q.subresource ?? ''),
  );
  if (kept.length === 0) delete obj.metadata.managedFields;
  else obj.metadata.managedFields = kept;
}

/**
 * Past the cap, the oldest Update entries go into an "ancient-changes"
 * entry of their version, which takes the time of the newest merged
 * (upstream's capManagersManager: the first of a version seeds the bucket).
 */
function capUpdates(entries: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  const updates = entries.filter((e) => e.operation === 'Update');
  if (updates.length <= MAX_UPDATE_ENTRIES) return entries;
  updates.sort((p, q) => compare(seconds(p.time), seconds(q.time)) || compare(p.manager, q.manager));
  const merged = new Set<ManagedFieldsEntry>();
  // Earlier merges' buckets take the next ones.
  const buckets = new Map(updates.filter((e) => e.manager === ANCIENT_CHANGES).map((e) => [e.apiVersion, e]));
  let count = updates.length;
  for (const e of updates) {
    if (count <= MAX_UPDATE_ENTRIES) break;
    if (e.manager === ANCIENT_CHANGES) continue;
    const bucket = buckets.get(e.apiVersion);
    if (bucket === undefined) {
      buckets.set(e.apiVersion, e);
      continue;
    }
    merged.add(bucket).add(e);
    buckets.set(e.apiVersion, entry({ name: ANCIENT_CHANGES }, 'Update', e.apiVersion, e.time, union(bucket.fieldsV1, e.fieldsV1)));
    count--;
  }
  const ancient = [...buckets.values()].filter((b) => b.manager === ANCIENT_CHANGES);
  return [...entries.filter((e) => !merged.has(e)), ...ancient];
}

function seconds(time: string | undefined): number {
  return time === undefined ? 0 : Math.floor(Date.parse(time) / 1000);
}

function compare<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The fields upstream never tracks (its stripMeta manager): type and identity, and the system's own metadata. */
export function withoutSystemFields(set: FieldSet): FieldSet {
  const { 'f:apiVersion': _a, 'f:kind': _k, 'f:metadata': meta, ...rest } = set;
  if (meta === undefined) return rest;
  const {
    '.': _self,
    'f:name': _n,
    'f:namespace': _ns,
    'f:creationTimestamp': _c,
    'f:selfLink': _s,
    'f:uid': _u,
    'f:clusterName': _cl,
    'f:generation': _g,
    'f:managedFields': _m,
    'f:resourceVersion': _r,
    ...kept
  } = meta;
  return isEmpty(kept) ? rest : { 'f:metadata': kept, ...rest };
}

/** The object without its managedFields, for comparing what a write changed: a shallow copy, the rest shared. */
export function withoutManagedFields(obj: KubeObject): JsonObject {
  const { managedFields: _m, ...metadata } = obj.metadata;
  return { ...obj, metadata } as JsonObject;
}

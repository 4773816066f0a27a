// Strategic merge patch (application/strategic-merge-patch+json), applied the
// way apimachinery's strategicpatch does on the server: maps merge and null
// deletes; lists merge by key or as sets where the kind's schema says so, and
// are replaced otherwise; the $patch, $retainKeys, $setElementOrder/<list> and
// $deleteFromPrimitiveList/<list> directives are honoured.
import type { GroupVersionKind } from '../objects.js';
import { PatchError } from './errors.js';
import { cloneJson, getOwn, hasOwn, isObject, setOwn, type JsonObject } from './json.js';
import { childNode, strategicSchema, type SchemaNode } from './merge-keys.js';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder';
const DELETE_FROM = '$deleteFromPrimitiveList';

export function applyStrategicMergePatch(doc: unknown, patch: unknown, kind: GroupVersionKind): unknown {
  const schema = strategicSchema(kind);
  if (schema === undefined) throw new PatchError(`strategic merge patch format is not supported for ${kind.kind}`);
  if (!isObject(doc)) throw new PatchError('the object to patch is not a JSON object');
  if (!isObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
  return mergeMap(cloneJson(doc) as JsonObject, patch, schema);
}

/** Merges `patch` into `original`, a private copy updated in place. */
function mergeMap(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): JsonObject {
  if (hasOwn(patch, PATCH)) {
    const directive = patch[PATCH];
    if (directive === 'delete') return {};
    if (directive === 'replace') {
      const { [PATCH]: _, ...rest } = patch;
      return fromPatch(rest) as JsonObject;
    }
    throw new PatchError(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
  }
  applyRetainKeys(original, patch);
  const orderedLists = applyElementOrders(original, patch, node);
  const deletions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === RETAIN_KEYS || key.startsWith(SET_ORDER) || orderedLists.has(key)) continue;
    if (key.startsWith(DELETE_FROM)) deletions.push([directiveTarget(key, DELETE_FROM), value]);
    else mergeField(original, key, value, node);
  }
  // Deletions go last, so that one patch can both add to and remove from a set.
  for (const [key, value] of deletions) deleteFromPrimitiveList(original, key, value);
  return original;
}

function mergeField(original: JsonObject, key: string, value: unknown, node: SchemaNode | undefined): void {
  // `{"$patch": "delete"}` as a field's value deletes the field, like null.
  if (value === null || (isObject(value) && getOwn(value, PATCH) === 'delete')) {
    delete original[key];
    return;
  }
  const current = getOwn(original, key);
  const child = childNode(node, key);
  let merged: unknown;
  if (isObject(current) && isObject(value)) {
    // A map with the replace strategy becomes the patch's map, as if merged into nothing.
    merged = mergeMap(strategyOf(child) === 'replace' ? {} : current, value, child);
  } else if (Array.isArray(current) && Array.isArray(value)) {
    merged = strategyOf(child) === 'merge' ? mergeList(current, value, child, key) : fromPatch(value);
  } else {
    // Absent, or of another type: the patch value replaces.
    merged = fromPatch(value);
  }
  if (merged === DROP) delete original[key];
  else setOwn(original, key, merged);
}

function deleteFromPrimitiveList(original: JsonObject, key: string, value: unknown): void {
  if (!Array.isArray(value)) throw new PatchError(`${DELETE_FROM}/${key} must be a list`);
  const current = getOwn(original, key);
  if (!Array.isArray(current)) return;
  if (elementKind(current, value) === 'object') throw new PatchError(`${DELETE_FROM}/${key} applies to lists of primitives only`);
  setOwn(original, key, current.filter((item) => !value.includes(item)));
}

/** `$retainKeys: [a, b]` clears every other field (union types such as volume sources). */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw new PatchError(`invalid patch format of retainKeys: ${RETAIN_KEYS} must be a list`);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key === RETAIN_KEYS || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM)) continue;
    if (!retain.includes(key)) throw new PatchError(`invalid patch format of retainKeys: "${key}" is not in ${RETAIN_KEYS}`);
  }
  for (const key of Object.keys(original)) {
    if (!retain.includes(key)) delete original[key];
  }
}

/**
 * Applies each `$setElementOrder/<list>` together with its list: merges the
 * list, then orders it (the directive's order first, then the patch's, then
 * the live object's). Returns the list fields it took care of.
 */
function applyElementOrders(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): Set<string> {
  const done = new Set<string>();
  for (const [directive, order] of Object.entries(patch)) {
    if (!directive.startsWith(SET_ORDER)) continue;
    if (!Array.isArray(order)) throw new PatchError(`invalid patch format of setElementOrder list: ${directive} must be a list`);
    const key = directiveTarget(directive, SET_ORDER);
    done.add(key);
    const current = listOrUndefined(original, key, 'the object');
    const patchList = listOrUndefined(patch, key, 'the patch');
    if (current === undefined && patchList === undefined) continue;
    const child = childNode(node, key);
    const mergeKey = child?.meta?.mergeKey ?? '';
    checkOrderMatchesPatch(patchList ?? [], order, mergeKey, directive);
    const merged = mergedForOrdering(current, patchList, child, key);
    const kind = elementKind(current ?? [], patchList ?? []);
    if (kind === undefined) {
      setOwn(original, key, merged);
      continue;
    }
    const identity = identityOf(kind, mergeKey, key);
    const inOrder = new Set(order.map(identity));
    const ordered = normalizeOrder(
      merged.filter((item) => inOrder.has(identity(item))),
      merged.filter((item) => !inOrder.has(identity(item))),
      order,
      current ?? [],
      identity,
    );
    setOwn(original, key, ordered);
  }
  return done;
}

function mergedForOrdering(current: unknown[] | undefined, patchList: unknown[] | undefined, node: SchemaNode | undefined, key: string): unknown[] {
  if (patchList === undefined) return current ?? [];
  if (current !== undefined && strategyOf(node) === 'merge') return mergeList(current, patchList, node, key);
  return fromPatch(patchList) as unknown[];
}

/** The patch's own list must list its items in the directive's relative order. */
function checkOrderMatchesPatch(patchList: unknown[], order: unknown[], mergeKey: string, directive: string): void {
  if (order.length === 0) return;
  const identity = mergeKey === '' ? (v: unknown) => v : (v: unknown) => mergeKeyValue(v, mergeKey);
  const items = patchList.filter((item) => !(isObject(item) && hasOwn(item, PATCH)));
  let o = 0;
  for (const item of items) {
    const id = identity(item);
    while (o < order.length && identity(order[o]) !== id) o++;
    if (o === order.length) {
      throw new PatchError(`the order in the patch list ${JSON.stringify(patchList)} doesn't match ${directive} ${JSON.stringify(order)}`);
    }
    o++;
  }
}

function mergeList(original: unknown[], patch: unknown[], node: SchemaNode | undefined, key: string): unknown[] {
  const kind = elementKind(original, patch);
  if (kind === undefined) return original;
  if (kind !== 'object') {
    const merged = [...new Set([...original, ...patch])];
    const inPatch = new Set(patch);
    return normalizeOrder(
      merged.filter((item) => inPatch.has(item)),
      merged.filter((item) => !inPatch.has(item)),
      patch,
      original,
      (v) => v,
    );
  }
  const mergeKey = node?.meta?.mergeKey;
  if (mergeKey === undefined) throw new PatchError(`cannot merge lists without merge key for ${key}`);
  const { live, items } = applyListDirectives(original, patch, mergeKey);
  const merged = [...live];
  for (const item of items) {
    const id = mergeKeyValue(item, mergeKey);
    const at = merged.findIndex((existing) => mergeKeyValue(existing, mergeKey) === id);
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item as JsonObject, node);
    else merged.push(fromPatch(item));
  }
  const identity = identityOf('object', mergeKey, key);
  const inPatch = new Set(items.map(identity));
  return normalizeOrder(
    merged.filter((item) => inPatch.has(identity(item))),
    merged.filter((item) => !inPatch.has(identity(item))),
    items,
    live,
    identity,
  );
}

/**
 * List items carrying `$patch`: `delete` removes every live item with that key,
 * `replace` makes the rest of the patch list the whole list.
 */
function applyListDirectives(original: unknown[], patch: unknown[], mergeKey: string): { live: unknown[]; items: unknown[] } {
  let live = original;
  let replace = false;
  const items: unknown[] = [];
  for (const item of patch) {
    if (!isObject(item) || !hasOwn(item, PATCH)) {
      items.push(item);
      continue;
    }
    const directive = item[PATCH];
    if (directive === 'delete') {
      const id = mergeKeyValue(item, mergeKey);
      live = live.filter((existing) => mergeKeyValue(existing, mergeKey) !== id);
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new PatchError('merging lists cannot yet be specified in the patch');
    } else {
      throw new PatchError(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(item)}`);
    }
  }
  if (replace) return { live: items.map(fromPatch), items: [] };
  return { live, items };
}

/**
 * Upstream's ordering: patch items sorted by `patchOrder` and server-only
 * items sorted by `serverOrder` are interleaved by their positions on the
 * server; a patch item the server does not have is placed before the
 * server-only items not yet placed.
 */
function normalizeOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  identity: (item: unknown) => unknown,
): unknown[] {
  const indexIn = (list: unknown[]) => {
    const ids = list.map(identity);
    return (item: unknown): number => {
      const i = ids.indexOf(identity(item));
      return i < 0 ? Infinity : i;
    };
  };
  const patchIndex = indexIn(patchOrder);
  const serverIndex = indexIn(serverOrder);
  const left = [...serverOnly].sort((a, b) => serverIndex(a) - serverIndex(b));
  const right = [...patchItems].sort((a, b) => patchIndex(a) - patchIndex(b));
  const result: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) result.push(left[i++]);
    else if (i >= left.length) result.push(right[j++]);
    else {
      const l = serverIndex(left[i]);
      const r = serverIndex(right[j]);
      if (l !== Infinity && r !== Infinity && l < r) result.push(left[i++]);
      else result.push(right[j++]);
    }
  }
  return result;
}

type ElementKind = 'object' | 'primitive';

/** The kind of the items of lists that are merged together; mixed or nested lists cannot be merged. */
function elementKind(...lists: unknown[][]): ElementKind | undefined {
  let kind: ElementKind | undefined;
  let type: string | undefined;
  for (const item of lists.flat()) {
    if (Array.isArray(item)) throw new PatchError('lists of lists are not supported');
    const itemType = item === null ? 'null' : typeof item;
    if (type !== undefined && itemType !== type) {
      throw new PatchError(`list element types are not identical: ${JSON.stringify(lists)}`);
    }
    type = itemType;
    kind = isObject(item) ? 'object' : 'primitive';
  }
  return kind;
}

function identityOf(kind: ElementKind, mergeKey: string, key: string): (item: unknown) => unknown {
  if (kind === 'primitive') return (item) => item;
  if (mergeKey === '') throw new PatchError(`cannot merge lists without merge key for ${key}`);
  return (item) => mergeKeyValue(item, mergeKey);
}

function mergeKeyValue(item: unknown, mergeKey: string): unknown {
  if (!isObject(item) || !hasOwn(item, mergeKey)) {
    throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
  }
  return item[mergeKey];
}

function strategyOf(node: SchemaNode | undefined): 'merge' | 'replace' | undefined {
  const strategies = node?.meta?.strategy?.split(',') ?? [];
  if (strategies.includes('merge')) return 'merge';
  if (strategies.includes('replace')) return 'replace';
  return undefined;
}

function directiveTarget(key: string, prefix: string): string {
  if (!key.startsWith(`${prefix}/`) || key.length === prefix.length + 1) {
    throw new PatchError(`invalid patch format: "${key}" must be "${prefix}/<field>"`);
  }
  return key.slice(prefix.length + 1);
}

function listOrUndefined(obj: JsonObject, key: string, where: string): unknown[] | undefined {
  if (!hasOwn(obj, key)) return undefined;
  const value = obj[key];
  if (!Array.isArray(value)) throw new PatchError(`invalid patch format of setElementOrder list: ${key} in ${where} is not a list`);
  return value;
}

const DROP: unique symbol = Symbol('drop');

/**
 * A value taken as is from the patch, without the nulls and directives that
 * decoding into the typed object discards upstream. An object carrying
 * `$patch` is dropped.
 */
function fromPatch(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromPatch).filter((v) => v !== DROP);
  if (!isObject(value)) return value;
  if (hasOwn(value, PATCH)) return DROP;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === null || key === RETAIN_KEYS || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM)) continue;
    const cleaned = fromPatch(v);
    if (cleaned !== DROP) setOwn(out, key, cleaned);
  }
  return out;
}

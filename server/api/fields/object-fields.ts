// The field sets of objects, typed by their FieldType, as structured-merge-
// diff computes them: the fields an object sets (ToFieldSet), what changed
// between two objects (Compare: added and modified together, removed), the
// removal of fields (RemoveItems) and the merge of an applied configuration
// into a live object (Merge).
import { getOwn, hasOwn, isObject, jsonEqual, type JsonObject, setOwn } from '../patch/json.js';
import { type FieldSet, isEmpty, isMember, nodeOf, SELF } from './field-set.js';
import type { FieldType } from './field-types.js';
import { type Element, fieldElement, keyElement, valueElement } from './path-element.js';

export interface Changes {
  /** Fields added or given another value: what a write takes from other managers. */
  readonly changed: FieldSet;
  /** Fields the write removed: no manager owns them any more. */
  readonly removed: FieldSet;
}

/** The fields `obj` sets. */
export function fieldsOf(obj: JsonObject, type: FieldType): FieldSet {
  return beneath(obj, type) ?? {};
}

/** What a write from `before` to `after` changed. */
export function changesBetween(before: JsonObject, after: JsonObject, type: FieldType): Changes {
  const diff = compareMaps(before, after, type);
  return { changed: diff?.changed ?? {}, removed: diff?.removed ?? {} };
}

/** Removes the members of `set` from `obj`, in place; a map or list left empty by it goes too (upstream leaves it null). */
export function removeFields(obj: JsonObject, set: FieldSet, type: FieldType): void {
  removeFromMap(obj, set, type);
}

/** Merges an applied configuration into `live`, in place: maps by field, associative lists by item, the rest replaced. */
export function mergeApplied(live: JsonObject, config: JsonObject, type: FieldType): void {
  for (const key of Object.keys(config)) {
    const value = config[key];
    const t = type.field(key);
    const current = getOwn(live, key);
    if (value === null) delete live[key];
    else if (t.shape === 'map' && isObject(current) && isObject(value)) mergeApplied(current, value, t);
    else if (t.shape === 'list' && Array.isArray(current) && Array.isArray(value)) setOwn(live, key, mergeLists(current, value, t));
    else setOwn(live, key, value);
  }
}

interface Diff {
  changed?: FieldSet;
  removed?: FieldSet;
}

/** The set beneath a value, or undefined for a leaf (a value owned whole). */
function beneath(value: unknown, type: FieldType): FieldSet | undefined {
  if (type.shape === 'map' && isObject(value)) {
    const out: FieldSet = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      const node = memberNode(v, type.field(key), v === null || (isObject(v) && isEmptyObject(v)) || !type.declares(key));
      if (node !== undefined) out[fieldElement(key)] = node;
    }
    return out;
  }
  if (type.shape === 'list' && Array.isArray(value)) {
    const out: FieldSet = {};
    for (const item of value) out[itemElement(item, type)] = memberNode(item, type.items!, true)!;
    return out;
  }
  return undefined;
}

/** A path's node: a leaf is always a member; a map or list is one when `member` says so. */
function memberNode(value: unknown, type: FieldType, member: boolean): FieldSet | undefined {
  const sub = beneath(value, type);
  return nodeOf(sub === undefined || member, sub);
}

/**
 * The node of a value a write added or removed whole: the value's own path
 * and every map and list beneath it are members too, as upstream's Compare
 * reports each path it finds on one side only.
 */
function wholeNode(value: unknown, type: FieldType): FieldSet {
  const shape = shapeOf(value, type);
  if (shape === 'leaf') return {};
  const out: FieldSet = { [SELF]: {} };
  if (shape === 'map') {
    for (const key of Object.keys(value as JsonObject)) out[fieldElement(key)] = wholeNode((value as JsonObject)[key], type.field(key));
  } else {
    for (const item of value as unknown[]) out[itemElement(item, type)] = wholeNode(item, type.items!);
  }
  return Object.keys(out).length === 1 ? {} : out;
}

function isEmptyObject(o: JsonObject): boolean {
  for (const _ in o) return false;
  return true;
}

function itemElement(item: unknown, type: FieldType): Element {
  const keys = type.keys!;
  if (keys.length === 0 || !isObject(item)) return valueElement(item);
  const fields: [string, unknown][] = [];
  for (const key of keys) {
    if (hasOwn(item, key)) fields.push([key, item[key]]);
    // Upstream's schemas default the protocol of ports, a key of their lists.
    else if (key === 'protocol') fields.push([key, 'TCP']);
  }
  return keyElement(fields);
}

function shapeOf(value: unknown, type: FieldType): 'leaf' | 'map' | 'list' {
  if (type.shape === 'map' && isObject(value)) return 'map';
  if (type.shape === 'list' && Array.isArray(value)) return 'list';
  return 'leaf';
}

function compareMaps(before: JsonObject, after: JsonObject, type: FieldType): Diff | undefined {
  let diff: Diff | undefined;
  for (const key of Object.keys(after)) {
    const a = after[key];
    const t = type.field(key);
    if (!hasOwn(before, key)) {
      ((diff ??= {}).changed ??= {})[fieldElement(key)] = wholeNode(a, t);
      continue;
    }
    const b = before[key];
    if (a === b) continue;
    diff = record(diff, fieldElement(key), compareValues(b, a, t));
  }
  for (const key of Object.keys(before)) {
    if (!hasOwn(after, key)) ((diff ??= {}).removed ??= {})[fieldElement(key)] = wholeNode(before[key], type.field(key));
  }
  return diff;
}

function compareValues(before: unknown, after: unknown, type: FieldType): Diff | undefined {
  const shape = shapeOf(after, type);
  // A null map or list (Go's nil) is an empty one: what fills it is added, the path itself is not.
  if (before === null && shape !== 'leaf') return compareValues(shape === 'map' ? {} : [], after, type);
  if (after === null && shapeOf(before, type) !== 'leaf') return compareValues(before, Array.isArray(before) ? [] : {}, type);
  if (shape === 'leaf' || shapeOf(before, type) !== shape) return jsonEqual(before, after) ? undefined : { changed: {} };
  if (shape === 'map') return compareMaps(before as JsonObject, after as JsonObject, type);
  return compareLists(before as unknown[], after as unknown[], type);
}

function compareLists(before: unknown[], after: unknown[], type: FieldType): Diff | undefined {
  const items = type.items!;
  const old = new Map<Element, unknown>();
  for (const item of before) old.set(itemElement(item, type), item);
  let diff: Diff | undefined;
  const seen = new Set<Element>();
  for (const item of after) {
    const element = itemElement(item, type);
    seen.add(element);
    if (!old.has(element)) ((diff ??= {}).changed ??= {})[element] = wholeNode(item, items);
    else diff = record(diff, element, compareValues(old.get(element), item, items));
  }
  for (const [element, item] of old) {
    if (!seen.has(element)) ((diff ??= {}).removed ??= {})[element] = wholeNode(item, items);
  }
  return diff;
}

/** Puts a child's diff under its element; a leaf's change is `{}` (the path is a member). */
function record(diff: Diff | undefined, element: Element, child: Diff | undefined): Diff | undefined {
  if (child === undefined) return diff;
  if (child.changed !== undefined) ((diff ??= {}).changed ??= {})[element] = child.changed;
  if (child.removed !== undefined && !isEmpty(child.removed)) ((diff ??= {}).removed ??= {})[element] = child.removed;
  return diff;
}

function removeFromMap(obj: JsonObject, set: FieldSet, type: FieldType): void {
  for (const element of Object.keys(set)) {
    if (element === SELF || !element.startsWith('f:')) continue;
    const name = element.slice(2);
    if (!hasOwn(obj, name)) continue;
    const node = set[element]!;
    if (isMember(node)) {
      delete obj[name];
      continue;
    }
    const value = obj[name];
    const t = type.field(name);
    if (shapeOf(value, t) === 'map') removeFromMap(value as JsonObject, node, t);
    else if (shapeOf(value, t) === 'list') removeFromList(value as unknown[], node, t);
    else continue;
    if (Array.isArray(value) ? value.length === 0 : isEmptyObject(value as JsonObject)) delete obj[name];
  }
}

function removeFromList(list: unknown[], set: FieldSet, type: FieldType): void {
  const items = type.items!;
  let kept = 0;
  for (const item of list) {
    const node = set[itemElement(item, type)];
    if (node !== undefined) {
      if (isMember(node)) continue;
      const shape = shapeOf(item, items);
      if (shape === 'map') removeFromMap(item as JsonObject, node, items);
      else if (shape === 'list') removeFromList(item as unknown[], node, items);
    }
    list[kept++] = item;
  }
  list.length = kept;
}

/**
 * An associative list merged: items matched by key or value and merged;
 * live items the configuration does not name stay where they were, and its
 * new items come in its order, before the next item both have.
 */
function mergeLists(live: unknown[], config: unknown[], type: FieldType): unknown[] {
  const items = type.items!;
  const liveByElement = new Map<Element, unknown>();
  for (const item of live) liveByElement.set(itemElement(item, type), item);
  const configElements = config.map((item) => itemElement(item, type));
  const named = new Set(configElements);
  const out: unknown[] = [];
  const emitted = new Set<Element>();
  let next = 0;
  const emit = (i: number) => {
    const element = configElements[i]!;
    if (emitted.has(element)) return;
    emitted.add(element);
    const current = liveByElement.get(element);
    const value = config[i];
    if (items.shape === 'map' && isObject(current) && isObject(value)) {
      mergeApplied(current, value, items);
      out.push(current);
    } else {
      out.push(value);
    }
  };
  for (const item of live) {
    const element = itemElement(item, type);
    if (!named.has(element)) {
      out.push(item);
      continue;
    }
    while (next < config.length && !emitted.has(element)) emit(next++);
  }
  while (next < config.length) emit(next++);
  return out;
}

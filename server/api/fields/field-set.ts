// Sets of field paths held in upstream's FieldsV1 JSON form itself: each key
// a path element, each value the set beneath it. A path is a member of the
// set when its value is empty ("f:image": {}) or has a "." entry (a list
// item or map that is owned itself and has owned fields beneath it). The
// root is never a member. Set operations follow structured-merge-diff's
// fieldpath.Set; every key has a prefix ("f:", "k:" …), so none is
// "__proto__" and plain objects are safe.
import { compareElements, type Element, pathString } from './path-element.js';

export type FieldSet = { [element: Element]: FieldSet };

export const SELF = '.';

/** Whether the path whose node this is belongs to the set itself. */
export function isMember(node: FieldSet): boolean {
  for (const key in node) if (key === SELF) return true;
  return isEmpty(node);
}

export function isEmpty(set: FieldSet): boolean {
  for (const _ in set) return false;
  return true;
}

/** A node from its membership and the set beneath it; undefined when it holds nothing. */
export function nodeOf(member: boolean, children: FieldSet | undefined): FieldSet | undefined {
  if (children === undefined || isEmpty(children)) return member ? {} : undefined;
  return member ? { [SELF]: {}, ...children } : children;
}

function childrenOf(node: FieldSet): FieldSet | undefined {
  if (!(SELF in node)) return node;
  const { [SELF]: _, ...rest } = node;
  return rest;
}

export function union(a: FieldSet, b: FieldSet): FieldSet {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  const out: FieldSet = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === SELF) continue;
    const x = a[key];
    const y = b[key];
    const node = x === undefined ? y : y === undefined ? x : nodeOf(isMember(x) || isMember(y), union(childrenOf(x) ?? {}, childrenOf(y) ?? {}));
    if (node !== undefined) out[key] = node;
  }
  return out;
}

/** Paths of `a` that are not in `b`: members leave only as members (fieldpath.Set.Difference). */
export function difference(a: FieldSet, b: FieldSet): FieldSet {
  if (isEmpty(a) || isEmpty(b)) return a;
  const out: FieldSet = {};
  for (const key in a) {
    if (key === SELF) continue;
    const x = a[key]!;
    const y = b[key];
    if (y === undefined) {
      out[key] = x;
      continue;
    }
    const node = nodeOf(isMember(x) && !isMember(y), difference(childrenOf(x) ?? {}, childrenOf(y) ?? {}));
    if (node !== undefined) out[key] = node;
  }
  return out;
}

export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = {};
  for (const key in a) {
    if (key === SELF) continue;
    const x = a[key]!;
    const y = b[key];
    if (y === undefined) continue;
    const node = nodeOf(isMember(x) && isMember(y), intersection(childrenOf(x) ?? {}, childrenOf(y) ?? {}));
    if (node !== undefined) out[key] = node;
  }
  return out;
}

/** The set with its keys in upstream's order at every level, "." first: the FieldsV1 encoding. */
export function sorted(set: FieldSet): FieldSet {
  const out: FieldSet = {};
  if (SELF in set) out[SELF] = {};
  for (const key of Object.keys(set)
    .filter((k) => k !== SELF)
    .sort(compareElements)) {
    out[key] = sorted(set[key]!);
  }
  return out;
}

/** Every member path, in upstream's iteration order (a level's members, then the sets beneath it). */
export function memberPaths(set: FieldSet, prefix: readonly Element[] = []): Element[][] {
  const keys = Object.keys(set)
    .filter((k) => k !== SELF)
    .sort(compareElements);
  const out: Element[][] = [];
  for (const key of keys) if (isMember(set[key]!)) out.push([...prefix, key]);
  for (const key of keys) {
    const children = childrenOf(set[key]!);
    if (children !== undefined && !isEmpty(children)) out.push(...memberPaths(children, [...prefix, key]));
  }
  return out;
}

/** The paths of a set as upstream prints them, one per member. */
export function pathStrings(set: FieldSet): string[] {
  return memberPaths(set).map(pathString);
}

/** Whether `value` is a FieldsV1 set as this module reads it: objects of objects, all the way down. */
export function isFieldSet(value: unknown): value is FieldSet {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const key of Object.keys(value)) {
    if (key !== SELF && !/^[fkvi]:/.test(key)) return false;
    if (!isFieldSet((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

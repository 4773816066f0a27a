// RFC 6902 JSON Patch, as the API applies application/json-patch+json.
import { PatchError } from './errors.js';
import { cloneJson, getOwn, hasOwn, isObject, jsonEqual, setOwn, type JsonObject } from './json.js';
import { parsePointer } from './json-pointer.js';

type OpName = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';

interface Operation {
  readonly op: OpName;
  readonly path: string;
  readonly to: readonly string[];
  /** For move and copy. */
  readonly from: readonly string[] | undefined;
  /** For add, replace and test (may be null). */
  readonly value: unknown;
}

const opNames: readonly OpName[] = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

/** Applies every operation in order; any failure throws and nothing is returned. */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  const operations = parseOperations(ops);
  let result = cloneJson(doc);
  for (const operation of operations) {
    try {
      result = applyOperation(result, operation);
    } catch (err) {
      if (err instanceof TargetError) {
        throw new PatchError(`the "${operation.op}" operation failed at ${operation.path}: ${err.message}`);
      }
      throw err;
    }
  }
  return result;
}

/** A location that does not exist or cannot hold the value; reworded with the operation. */
class TargetError extends Error {}

function parseOperations(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  return ops.map((raw: unknown, i): Operation => {
    if (!isObject(raw)) throw new PatchError(`operation ${i} is not a JSON object`);
    const op = getOwn(raw, 'op');
    if (typeof op !== 'string' || !opNames.includes(op as OpName)) {
      throw new PatchError(`operation ${i} has no valid "op" (one of ${opNames.join(', ')})`);
    }
    const name = op as OpName;
    const path = getOwn(raw, 'path');
    if (typeof path !== 'string') throw new PatchError(`operation ${i} ("${name}") has no "path"`);
    let from: readonly string[] | undefined;
    if (name === 'move' || name === 'copy') {
      const fromPointer = getOwn(raw, 'from');
      if (typeof fromPointer !== 'string') throw new PatchError(`operation ${i} ("${name}") has no "from"`);
      from = parsePointer(fromPointer);
    }
    const needsValue = name === 'add' || name === 'replace' || name === 'test';
    if (needsValue && !hasOwn(raw, 'value')) throw new PatchError(`operation ${i} ("${name}") has no "value"`);
    return { op: name, path, to: parsePointer(path), from, value: getOwn(raw, 'value') };
  });
}

function applyOperation(doc: unknown, operation: Operation): unknown {
  const { to } = operation;
  switch (operation.op) {
    case 'add':
      return add(doc, to, cloneJson(operation.value));
    case 'remove':
      return remove(doc, to);
    case 'replace':
      return replace(doc, to, cloneJson(operation.value));
    case 'move': {
      const from = operation.from ?? [];
      const value = get(doc, from);
      if (isPrefix(from, to)) {
        if (from.length === to.length) return doc;
        throw new TargetError('a value cannot be moved into one of its own children');
      }
      return add(remove(doc, from), to, value);
    }
    case 'copy':
      return add(doc, to, cloneJson(get(doc, operation.from ?? [])));
    case 'test':
      if (!jsonEqual(get(doc, to), operation.value)) throw new TargetError('the value is not the expected one');
      return doc;
  }
}

function add(doc: unknown, tokens: readonly string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, token } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    const index = token === '-' ? parent.length : arrayIndex(token, parent.length + 1);
    parent.splice(index, 0, value);
  } else {
    setOwn(parent, token, value);
  }
  return doc;
}

function remove(doc: unknown, tokens: readonly string[]): unknown {
  if (tokens.length === 0) throw new TargetError('the whole document cannot be removed');
  const { parent, token } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(token, parent.length), 1);
  } else {
    if (!hasOwn(parent, token)) throw new TargetError(`member "${token}" does not exist`);
    delete parent[token];
  }
  return doc;
}

function replace(doc: unknown, tokens: readonly string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, token } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    parent[arrayIndex(token, parent.length)] = value;
  } else {
    if (!hasOwn(parent, token)) throw new TargetError(`member "${token}" does not exist`);
    setOwn(parent, token, value);
  }
  return doc;
}

function get(doc: unknown, tokens: readonly string[]): unknown {
  let current = doc;
  for (const token of tokens) current = child(current, token);
  return current;
}

function parentOf(doc: unknown, tokens: readonly string[]): { parent: JsonObject | unknown[]; token: string } {
  const parent = get(doc, tokens.slice(0, -1));
  if (!Array.isArray(parent) && !isObject(parent)) {
    throw new TargetError('the parent of the target is not an object or an array');
  }
  return { parent, token: tokens[tokens.length - 1] ?? '' };
}

function child(container: unknown, token: string): unknown {
  if (Array.isArray(container)) return container[arrayIndex(token, container.length)];
  if (isObject(container)) {
    if (!hasOwn(container, token)) throw new TargetError(`member "${token}" does not exist`);
    return container[token];
  }
  throw new TargetError(`"${token}" cannot be looked up in a value that is not an object or an array`);
}

/** A decimal index without leading zeros, below `limit`. */
function arrayIndex(token: string, limit: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new TargetError(`"${token}" is not an array index`);
  const index = Number(token);
  if (index >= limit) throw new TargetError(`index ${index} is out of range`);
  return index;
}

function isPrefix(prefix: readonly string[], tokens: readonly string[]): boolean {
  return prefix.length <= tokens.length && prefix.every((t, i) => t === tokens[i]);
}

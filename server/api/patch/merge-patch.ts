// RFC 7386 JSON Merge Patch: objects merge, null deletes, anything else replaces.
import { cloneJson, getOwn, isObject, setOwn, type JsonObject } from './json.js';

export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  return mergeInto(cloneJson(doc), patch);
}

/** `target` is a private copy and is updated in place. */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return cloneJson(patch);
  const result: JsonObject = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setOwn(result, key, mergeInto(getOwn(result, key), value));
  }
  return result;
}

// Structural defaulting of custom resources, as upstream applies it when it
// decodes one (a request body, or an object read from storage): a field
// with a `default` that is absent (or null where null is not allowed) gets
// a copy of it, at every depth, in map values and array items too. Nulls
// where null is not allowed and nothing defaults them are dropped first
// (PruneNonNullableNullsWithoutDefaults).
import type { SchemaProps } from './definition.js';
import { fieldSchemaOf, isJsonObject, itemsOf, mapValuesOf, propertiesOf, someNode } from './schema-nodes.js';

/** Fills in the schema's defaults in `obj` (a whole object). In place. */
export function applyDefaults(obj: Record<string, unknown>, schema: SchemaProps | undefined): void {
  if (schema === undefined) return;
  dropNulls(obj, schema);
  fill(obj, schema);
}

/** Whether any node of the schema has a default: only then do reads need to fill them in. */
export function hasDefaults(schema: SchemaProps | undefined): boolean {
  return someNode(schema, (node) => node.default !== undefined);
}

function nonNullableNull(x: unknown, s: SchemaProps | undefined): boolean {
  return x === null && s !== undefined && s.nullable !== true;
}

function dropNulls(x: unknown, s: SchemaProps | undefined): void {
  if (Array.isArray(x)) {
    const items = s === undefined ? undefined : itemsOf(s);
    for (const item of x) dropNulls(item, items);
    return;
  }
  if (!isJsonObject(x)) return;
  for (const [key, value] of Object.entries(x)) {
    const child = s === undefined ? undefined : fieldSchemaOf(s, key);
    if (nonNullableNull(value, child) && child!.default === undefined) delete x[key];
    else dropNulls(value, child);
  }
}

function fill(x: unknown, s: SchemaProps): void {
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    if (items === undefined) return;
    x.forEach((item, i) => {
      if (nonNullableNull(item, items) && items.default !== undefined) x[i] = structuredClone(items.default);
      fill(x[i], items);
    });
    return;
  }
  if (!isJsonObject(x)) return;
  const properties = propertiesOf(s) ?? {};
  for (const [key, prop] of Object.entries(properties)) {
    if (!isJsonObject(prop) || prop.default === undefined) continue;
    if (!Object.hasOwn(x, key) || nonNullableNull(x[key], prop)) x[key] = structuredClone(prop.default);
  }
  const values = mapValuesOf(s);
  for (const key of Object.keys(x)) {
    const prop = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (prop !== undefined) fill(x[key], prop);
    else if (values !== undefined) {
      if (nonNullableNull(x[key], values) && values.default !== undefined) x[key] = structuredClone(values.default);
      fill(x[key], values);
    }
  }
}

// Reading a custom resource's schema and values together: the schema a
// field or an item has, whether a value is a JSON object, JSON equality.
// The stored schema is the user's JSON, checked only as far as the CRD's
// validation goes: every read here tolerates nodes of the wrong shape.
import type { SchemaProps } from './definition.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The node's properties, when it declares some. */
export function propertiesOf(s: SchemaProps): Readonly<Record<string, SchemaProps>> | undefined {
  return isJsonObject(s.properties) ? (s.properties as Record<string, SchemaProps>) : undefined;
}

/** The schema of a map's values (additionalProperties as a schema), if the node is a map. */
export function mapValuesOf(s: SchemaProps): SchemaProps | undefined {
  return isJsonObject(s.additionalProperties) ? (s.additionalProperties as SchemaProps) : undefined;
}

/** The schema of the field `key` of an object the node describes: a declared property, else the map's values. */
export function fieldSchemaOf(s: SchemaProps, key: string): SchemaProps | undefined {
  const properties = propertiesOf(s);
  return (properties !== undefined && Object.hasOwn(properties, key) ? properties[key] : undefined) ?? mapValuesOf(s);
}

/** The schema of an array's items, when a single one is given (structural schemas allow no other). */
export function itemsOf(s: SchemaProps): SchemaProps | undefined {
  return isJsonObject(s.items) ? (s.items as SchemaProps) : undefined;
}

/** Whether `test` holds for the node or any node under it (properties, map values, items). */
export function someNode(schema: SchemaProps | undefined, test: (node: SchemaProps) => boolean): boolean {
  if (!isJsonObject(schema)) return false;
  if (test(schema)) return true;
  return [...Object.values(propertiesOf(schema) ?? {}), mapValuesOf(schema), itemsOf(schema)].some((c) => someNode(c, test));
}

/** reflect.DeepEqual over decoded JSON: same values, same keys; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

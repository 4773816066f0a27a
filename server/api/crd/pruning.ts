// Pruning of fields a custom resource's schema does not declare, as
// upstream's structural pruning does before it stores (or serves) one:
// dropped, unless a node says x-kubernetes-preserve-unknown-fields. The
// root and embedded resources keep apiVersion, kind and metadata.
import type { SchemaProps } from './definition.js';
import { fieldSchemaOf, isJsonObject, itemsOf } from './schema-nodes.js';

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** Removes from `obj` (a whole object) what `schema` (its openAPIV3Schema) does not declare. In place. */
export function prune(obj: Record<string, unknown>, schema: SchemaProps | undefined): void {
  walk(obj, schema, true);
}

function walk(x: unknown, s: SchemaProps | undefined, embedded: boolean): void {
  if (s !== undefined && s['x-kubernetes-preserve-unknown-fields'] === true) {
    keepUnknown(x, s);
    return;
  }
  if (Array.isArray(x)) {
    const items = s === undefined ? undefined : itemsOf(s);
    for (const item of x) walk(item, items, items?.['x-kubernetes-embedded-resource'] === true);
    return;
  }
  if (!isJsonObject(x)) return;
  for (const key of Object.keys(x)) {
    if (embedded && META_FIELDS.has(key)) continue;
    const child = s === undefined ? undefined : fieldSchemaOf(s, key);
    if (child === undefined) delete x[key];
    else walk(x[key], child, child['x-kubernetes-embedded-resource'] === true);
  }
}

/** A node that keeps unknown fields still prunes inside the ones it declares. */
function keepUnknown(x: unknown, s: SchemaProps): void {
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    if (items !== undefined) for (const item of x) keepUnknown(item, items);
    return;
  }
  if (!isJsonObject(x)) return;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  for (const key of Object.keys(x)) {
    if (embedded && META_FIELDS.has(key)) continue;
    const declared = fieldSchemaOf(s, key);
    if (declared !== undefined) walk(x[key], declared, declared['x-kubernetes-embedded-resource'] === true);
  }
}

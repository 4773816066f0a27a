// Server-side field validation (?fieldValidation=Strict|Warn|Ignore): the
// fields of a request object that its kind's schema does not declare, found
// and spelled as upstream's strict JSON decoder (sigs.k8s.io/json) reports
// them. Once /openapi/v3 advertises the fieldValidation parameter, kubectl
// skips its own validation and relies on this.
import { isCustomResourceType } from '../crd/resource-types.js';
import type { GroupVersionKind } from '../objects.js';
import type { ResourceType } from '../resources.js';
import { type Schema, builtinSchemas, refTo, resolve, schemaNameOf } from './schema.js';

// Upstream's decoder stops collecting there.
const MAX_REPORTED = 100;

/** Paths of fields in `obj` that the kind's schema does not declare, as upstream prints them: "spec.replicass", "spec.template.spec.containers[0].imagee". */
export function unknownFields(type: GroupVersionKind | ResourceType, obj: unknown): string[] {
  const name = schemaNameOf(type);
  // Custom kinds: their CRD's schema, which refers to the built-in ObjectMeta.
  const custom = 'plural' in type && isCustomResourceType(type) ? type.schema : undefined;
  const schema = name === undefined ? custom : refTo(name);
  if (schema === undefined) return [];
  const found = new Set<string>();
  walk(schema, obj, '', builtinSchemas(), found);
  return [...found];
}

function walk(schema: Schema, value: unknown, path: string, schemas: Readonly<Record<string, Schema>>, found: Set<string>): void {
  const s = resolve(schema, schemas);
  if (s['x-kubernetes-preserve-unknown-fields'] === true || found.size >= MAX_REPORTED) return;
  if (Array.isArray(value)) {
    // A value of the wrong type is a decoding error, not an unknown field: not reported here.
    const items = s.items;
    if (items !== undefined) value.forEach((item, i) => walk(items, item, `${path}[${i}]`, schemas, found));
    return;
  }
  if (typeof value !== 'object' || value === null || s.type !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    const declared = s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (declared !== undefined) walk(declared, child, childPath, schemas, found);
    else if (s.additionalProperties !== true) {
      found.add(childPath);
      if (found.size >= MAX_REPORTED) return;
    }
  }
}

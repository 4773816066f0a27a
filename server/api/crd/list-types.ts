// The uniqueness x-kubernetes-list-type asks of a custom resource's lists,
// as upstream's listtype validation checks it: a set's items are unique,
// a map's items are objects unique by their x-kubernetes-list-map-keys.
import type { StatusCause } from '../status.js';
import { duplicate, goValue, invalid } from '../kinds/field-errors.js';
import type { SchemaProps } from './definition.js';
import { isJsonObject, itemsOf, mapValuesOf, propertiesOf } from './schema-nodes.js';

/** Causes for lists in `obj` whose items repeat where their list type forbids it. */
export function checkListTypes(obj: Record<string, unknown>, schema: SchemaProps | undefined, prefix = ''): StatusCause[] {
  const causes: StatusCause[] = [];
  if (schema !== undefined) walk(obj, schema, prefix, causes);
  return causes;
}

function walk(x: unknown, s: SchemaProps, path: string, causes: StatusCause[]): void {
  if (Array.isArray(x)) {
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'set') causes.push(...repeated(x).map((i) => duplicate(`${path}[${i}]`, goValue(x[i]))));
    else if (listType === 'map') causes.push(...mapDuplicates(x, s['x-kubernetes-list-map-keys'] ?? [], path));
    const items = itemsOf(s);
    if (items !== undefined) x.forEach((item, i) => walk(item, items, `${path}[${i}]`, causes));
    return;
  }
  if (!isJsonObject(x)) return;
  const properties = propertiesOf(s) ?? {};
  const values = mapValuesOf(s);
  for (const [key, value] of Object.entries(x)) {
    if (values !== undefined) walk(value, values, `${path}[${key}]`, causes);
    if (Object.hasOwn(properties, key)) walk(value, properties[key]!, path === '' ? key : `${path}.${key}`, causes);
  }
}

/** Indices of the second appearance of each repeated value. */
function repeated(values: readonly unknown[]): number[] {
  const seen = new Map<string, number>();
  const out: number[] = [];
  values.forEach((v, i) => {
    const key = canonical(v);
    const times = seen.get(key) ?? 0;
    seen.set(key, times + 1);
    if (times === 1) out.push(i);
  });
  return out;
}

function mapDuplicates(list: readonly unknown[], keyFields: readonly string[], path: string): StatusCause[] {
  const bad = list.findIndex((x) => x !== null && !isJsonObject(x));
  if (bad >= 0) return [invalid(`${path}[${bad}]`, goValue(list[bad]), 'must be an object for an array of list-type map')];
  const keys = list.map((x) => {
    const key: Record<string, unknown> = {};
    if (isJsonObject(x)) for (const f of keyFields) if (Object.hasOwn(x, f)) key[f] = x[f];
    return key;
  });
  return repeated(keys).map((i) => duplicate(`${path}[${i}]`, goValue(keys[i])));
}

/** JSON with sorted keys: equal values, equal text (Go's json.Marshal sorts map keys). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isJsonObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

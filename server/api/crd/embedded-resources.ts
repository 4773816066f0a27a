// Objects a custom resource embeds (x-kubernetes-embedded-resource) checked
// as upstream's schema/objectmeta Validate does: apiVersion and kind are
// required and well-formed, metadata is an ObjectMeta with a valid name,
// namespace, labels and annotation keys.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { checkName } from '../registry/names.js';
import type { StatusCause } from '../status.js';
import { goValue, invalid, quote, required } from '../kinds/field-errors.js';
import { validateAnnotationKeys, validateLabels } from '../kinds/labels.js';
import type { SchemaProps } from './definition.js';
import { isJsonObject, itemsOf, mapValuesOf, propertiesOf } from './schema-nodes.js';
import { checkKindName } from './validation.js';

/** Causes for every embedded resource in `obj` (a whole custom resource; its own metadata is checked elsewhere). */
export function checkEmbeddedResources(obj: Record<string, unknown>, schema: SchemaProps | undefined, prefix = ''): StatusCause[] {
  const causes: StatusCause[] = [];
  if (schema !== undefined) walk(obj, schema, prefix, causes);
  return causes;
}

function walk(x: unknown, s: SchemaProps, path: string, causes: StatusCause[]): void {
  if (Array.isArray(x)) {
    const items = itemsOf(s);
    if (items !== undefined) x.forEach((item, i) => walk(item, items, `${path}[${i}]`, causes));
    return;
  }
  if (!isJsonObject(x)) return;
  if (s['x-kubernetes-embedded-resource'] === true) causes.push(...embedded(x, path));
  const properties = propertiesOf(s) ?? {};
  const values = mapValuesOf(s);
  for (const [key, value] of Object.entries(x)) {
    if (Object.hasOwn(properties, key)) walk(value, properties[key]!, path === '' ? key : `${path}.${key}`, causes);
    else if (values !== undefined) walk(value, values, `${path}[${key}]`, causes);
  }
}

function embedded(x: Record<string, unknown>, path: string): StatusCause[] {
  const at = (field: string) => (path === '' ? field : `${path}.${field}`);
  const causes: StatusCause[] = [];
  if (!Object.hasOwn(x, 'apiVersion')) causes.push(required(at('apiVersion')));
  if (!Object.hasOwn(x, 'kind')) causes.push(required(at('kind')));
  for (const [key, value] of Object.entries(x)) {
    if (key === 'apiVersion') {
      if (typeof value !== 'string') causes.push(invalid(at(key), goValue(value), 'must be a string'));
      else if (value === '') causes.push(required(at(key)));
      else if (value.split('/').length > 2) causes.push(invalid(at(key), quote(value), `unexpected GroupVersion string: ${value}`));
    } else if (key === 'kind') {
      if (typeof value !== 'string') causes.push(invalid(at(key), goValue(value), 'must be a string'));
      else if (value === '') causes.push(required(at(key)));
      else causes.push(...checkKindName(at(key), value));
    } else if (key === 'metadata') causes.push(...metadata(value, at(key)));
  }
  return causes;
}

/** ValidateObjectMeta of an embedded object, as far as it concerns what users write. */
function metadata(value: unknown, path: string): StatusCause[] {
  if (!isJsonObject(value)) return [invalid(path, goValue(value), `json: cannot unmarshal ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value} into Go value of type v1.ObjectMeta`)];
  const meta = value as ObjectMeta;
  const causes: StatusCause[] = [];
  if (typeof meta.name === 'string' && meta.name !== '') causes.push(...checkName(meta.name, 'path-segment', `${path}.name`));
  if (typeof meta.namespace === 'string' && meta.namespace !== '') causes.push(...checkName(meta.namespace, 'label', `${path}.namespace`));
  if (isJsonObject(meta.labels)) causes.push(...validateLabels(meta.labels, `${path}.labels`));
  if (isJsonObject(meta.annotations)) causes.push(...validateAnnotationKeys(meta.annotations, `${path}.annotations`));
  return causes;
}

// The structural-schema rules a v1 CRD's openAPIV3Schema must follow
// (apiextensions-apiserver's ValidateStructural, the checks that catch
// real mistakes): every specified node has a type, the root is an object,
// arrays say what they hold, objects are structs or maps but not both.
import type { StatusCause } from '../status.js';
import type { SchemaProps } from './definition.js';
import { forbidden, invalid, notSupported, required } from '../kinds/field-errors.js';

type Level = 'root' | 'item' | 'field';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const MISSING_TYPE: Readonly<Record<Level, string>> = {
  root: 'must not be empty at the root',
  item: 'must not be empty for specified array items',
  field: 'must not be empty for specified object fields',
};

export function checkStructural(schema: SchemaProps, path: string, level: Level = 'root'): StatusCause[] {
  // Stored as the user sent it: a node of the wrong shape is an error here, not a crash later.
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [invalid(path, JSON.stringify(schema), 'must be a schema object')];
  const causes: StatusCause[] = [];
  const type = schema.type ?? '';
  if (type === '') {
    if (schema['x-kubernetes-int-or-string'] !== true && schema['x-kubernetes-preserve-unknown-fields'] !== true) causes.push(required(`${path}.type`, MISSING_TYPE[level]));
  } else if (!TYPES.includes(type)) {
    causes.push(notSupported(`${path}.type`, JSON.stringify(type), TYPES));
  } else if (level === 'root' && type !== 'object') {
    causes.push(invalid(`${path}.type`, JSON.stringify(type), 'must be object at the root'));
  }
  if (type === 'array' && schema.items === undefined) causes.push(required(`${path}.items`, 'must be specified'));
  const additional = schema.additionalProperties;
  if (additional !== undefined) {
    if (level === 'root') causes.push(forbidden(`${path}.additionalProperties`, 'must not be used at the root'));
    // A struct ignores unknown fields by convention; a map has no fixed ones: one or the other.
    if (Object.keys(schema.properties ?? {}).length > 0 && additional !== true) {
      causes.push(forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    }
    if (typeof additional === 'object') causes.push(...checkStructural(additional, `${path}.additionalProperties`, 'field'));
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) causes.push(...checkStructural(child, `${path}.properties[${name}]`, 'field'));
  if (Array.isArray(schema.items)) causes.push(forbidden(`${path}.items`, 'items must be a schema object and not an array'));
  else if (schema.items !== undefined) causes.push(...checkStructural(schema.items, `${path}.items`, 'item'));
  return causes;
}

// Custom resources against their schema: each keyword's error as upstream's
// apiextensions-apiserver words it (kube-openapi's message, turned into a
// field error), pruning of undeclared fields, structural defaults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SchemaProps } from '../../server/api/crd/definition.js';
import { checkEmbeddedResources } from '../../server/api/crd/embedded-resources.js';
import { checkListTypes } from '../../server/api/crd/list-types.js';
import { prune } from '../../server/api/crd/pruning.js';
import { applyDefaults, hasDefaults } from '../../server/api/crd/schema-defaults.js';
import { checkAgainstSchema, type SchemaCheck } from '../../server/api/crd/schema-validation.js';
import type { StatusCause } from '../../server/api/status.js';

/** A root schema whose spec has these properties. */
function specOf(properties: Record<string, SchemaProps>, extra: SchemaProps = {}): SchemaProps {
  return { type: 'object', properties: { spec: { type: 'object', properties, ...extra } } };
}

const lines = (causes: readonly StatusCause[]) => causes.map((c) => `${c.field}: ${c.message}`);
const errorsOf = (schema: SchemaProps, obj: unknown, check?: SchemaCheck) => lines(checkAgainstSchema(obj, schema, check));

test('type: the JSON type of the value, as kube-openapi names it', () => {
  const schema = specOf({ replicas: { type: 'integer' }, name: { type: 'string' }, ratio: { type: 'number' }, on: { type: 'boolean' }, list: { type: 'array', items: { type: 'string' } } });
  assert.deepEqual(errorsOf(schema, { spec: { replicas: 'three', name: 5, ratio: 2, on: 'yes', list: {} } }), [
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    'spec.name: Invalid value: "integer": spec.name in body must be of type string: "integer"',
    'spec.on: Invalid value: "string": spec.on in body must be of type boolean: "string"',
    'spec.list: Invalid value: "object": spec.list in body must be of type array: "object"',
  ]);
  // A number with a fraction is no integer; an integer is a number.
  assert.deepEqual(errorsOf(schema, { spec: { replicas: 1.5 } }), [
    'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
    '<nil>: Invalid value: "": Checked value must be of type integer (default format) in spec.replicas',
  ]);
  assert.equal(checkAgainstSchema({ spec: 'x' }, schema)[0]?.reason, 'FieldValueTypeInvalid');
});

test('nullable: null passes only where the schema allows it', () => {
  const schema = specOf({ a: { type: 'string', nullable: true }, items: { type: 'array', items: { type: 'string' } } });
  assert.deepEqual(errorsOf(schema, { spec: { a: null, items: ['x', null] } }), [
    'spec.items[1]: Invalid value: "null": spec.items[1] in body must be of type string: "null"',
  ]);
});

test('required, enum', () => {
  const schema = specOf({ size: { type: 'integer' }, mode: { type: 'string', enum: ['a', 'b'] }, level: { type: 'integer', enum: [1, 2] } }, { required: ['size', 'mode'] });
  assert.deepEqual(errorsOf(schema, { spec: { mode: 'x', level: 3 } }), [
    'spec.mode: Unsupported value: "x": supported values: "a", "b"',
    'spec.level: Unsupported value: 3: supported values: "1", "2"',
    'spec.size: Required value',
  ]);
  const causes = checkAgainstSchema({ spec: {} }, schema);
  assert.deepEqual(causes.map((c) => c.reason), ['FieldValueRequired', 'FieldValueRequired']);
  assert.deepEqual(errorsOf({ type: 'object', required: ['spec'] }, {}), ['spec: Required value']);
});

test('numbers: minimum, maximum, exclusive bounds, multipleOf, int32', () => {
  const schema = specOf({
    min: { type: 'integer', minimum: 1 },
    max: { type: 'integer', maximum: 10 },
    xmin: { type: 'number', minimum: 0, exclusiveMinimum: true },
    xmax: { type: 'number', maximum: 1, exclusiveMaximum: true },
    step: { type: 'integer', multipleOf: 5 },
    half: { type: 'number', multipleOf: 0.5 },
    small: { type: 'integer', format: 'int32' },
  });
  assert.deepEqual(errorsOf(schema, { spec: { min: 0, max: 11, xmin: 0, xmax: 1, step: 7, half: 0.7, small: 2 ** 31 } }), [
    'spec.min: Invalid value: 0: spec.min in body should be greater than or equal to 1',
    'spec.max: Invalid value: 11: spec.max in body should be less than or equal to 10',
    'spec.xmin: Invalid value: 0: spec.xmin in body should be greater than 0',
    'spec.xmax: Invalid value: 1: spec.xmax in body should be less than 1',
    'spec.step: Invalid value: 7: spec.step in body should be a multiple of 5',
    'spec.half: Invalid value: 0.7: spec.half in body should be a multiple of 0.5',
    '<nil>: Invalid value: "": Checked value must be of type integer with format int32 in spec.small',
  ]);
  assert.deepEqual(errorsOf(schema, { spec: { min: 1, max: 10, xmin: 0.1, xmax: 0.9, step: 10, half: 1.5, small: 2 ** 31 - 1 } }), []);
});

test('strings: maxLength, minLength, pattern; lengths in characters', () => {
  const schema = specOf({ long: { type: 'string', maxLength: 3 }, short: { type: 'string', minLength: 2 }, name: { type: 'string', pattern: '^[a-z]+$' } });
  assert.deepEqual(errorsOf(schema, { spec: { long: 'abcd', short: 'a', name: 'A1' } }), [
    'spec.long: Too long: may not be longer than 3',
    'spec.short: Invalid value: "a": spec.short in body should be at least 2 chars long',
    "spec.name: Invalid value: \"A1\": spec.name in body should match '^[a-z]+$'",
  ]);
  assert.equal(checkAgainstSchema({ spec: { long: 'abcd' } }, schema)[0]?.reason, 'FieldValueTooLong');
  assert.deepEqual(errorsOf(schema, { spec: { long: 'äöü' } }), []);
});

// Too many properties is worded as items: upstream turns it into field.TooMany too.
test('arrays and objects: item and property counts, uniqueItems', () => {
  const schema = specOf({
    few: { type: 'array', items: { type: 'string' }, minItems: 2 },
    many: { type: 'array', items: { type: 'string' }, maxItems: 1 },
    unique: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    small: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 },
    big: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1 },
  });
  assert.deepEqual(errorsOf(schema, { spec: { few: ['a'], many: ['a', 'b'], unique: ['a', 'a'], small: { a: 'x', b: 'y' }, big: {} } }), [
    'spec.few: Invalid value: 1: spec.few in body should have at least 2 items',
    'spec.many: Too many: 2: must have at most 1 items',
    'spec.unique: Invalid value: "": spec.unique in body shouldn\'t contain duplicates',
    'spec.small: Too many: 2: must have at most 1 items',
    'spec.big: Invalid value: 0: spec.big in body should have at least 1 properties',
  ]);
  assert.equal(checkAgainstSchema({ spec: { many: ['a', 'b'] } }, schema)[0]?.reason, 'FieldValueTooMany');
});

test('maps (additionalProperties) and array items are checked with their paths', () => {
  const schema = specOf({
    labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 2 } },
    ports: { type: 'array', items: { type: 'object', properties: { port: { type: 'integer', maximum: 65535 } }, required: ['port'] } },
  });
  assert.deepEqual(errorsOf(schema, { spec: { labels: { a: 'xyz', b: 1 }, ports: [{ port: 70000 }, {}] } }), [
    'spec.labels.a: Too long: may not be longer than 2',
    'spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer"',
    'spec.ports[0].port: Invalid value: 70000: spec.ports[0].port in body should be less than or equal to 65535',
    'spec.ports[1].port: Required value',
  ]);
});

test('formats: date-time, date, byte, uuid; unsupported formats check nothing', () => {
  const schema = specOf({
    at: { type: 'string', format: 'date-time' },
    day: { type: 'string', format: 'date' },
    data: { type: 'string', format: 'byte' },
    id: { type: 'string', format: 'uuid' },
    other: { type: 'string', format: 'made-up' },
  });
  assert.deepEqual(errorsOf(schema, { spec: { at: '2024-01-01T10:00:00Z', day: '2024-02-29', data: 'aGVsbG8=', id: '123e4567-e89b-12d3-a456-426614174000', other: '?' } }), []);
  assert.deepEqual(errorsOf(schema, { spec: { at: 'yesterday', day: '2023-02-29', data: 'not base64!', id: 'nope' } }), [
    'spec.at: Invalid value: "yesterday": spec.at in body must be of type date-time: "yesterday"',
    'spec.day: Invalid value: "2023-02-29": spec.day in body must be of type date: "2023-02-29"',
    'spec.data: Invalid value: "not base64!": spec.data in body must be of type byte: "not base64!"',
    'spec.id: Invalid value: "nope": spec.id in body must be of type uuid: "nope"',
  ]);
});

test('x-kubernetes-int-or-string: an integer or a string, nothing else', () => {
  const schema = specOf({ port: { 'x-kubernetes-int-or-string': true } });
  assert.deepEqual(errorsOf(schema, { spec: { port: 80 } }), []);
  assert.deepEqual(errorsOf(schema, { spec: { port: 'http' } }), []);
  assert.deepEqual(errorsOf(schema, { spec: { port: true } }), ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"']);
});

test('allOf, anyOf, oneOf, not: value validations of a structural schema', () => {
  const schema = specOf({
    any: { type: 'integer', anyOf: [{ minimum: 10 }, { maximum: 0 }] },
    one: { type: 'string', oneOf: [{ pattern: '^a' }, { pattern: 'z$' }] },
    all: { type: 'string', allOf: [{ minLength: 2 }, { maxLength: 3 }] },
    not: { type: 'string', not: { enum: ['forbidden'] } },
  });
  assert.deepEqual(errorsOf(schema, { spec: { any: 20, one: 'ab', all: 'abc', not: 'ok' } }), []);
  assert.deepEqual(errorsOf(schema, { spec: { any: 5, one: 'az', all: 'a', not: 'forbidden' } }), [
    '<nil>: Invalid value: "": "spec.any" must validate at least one schema (anyOf)',
    'spec.any: Invalid value: 5: spec.any in body should be greater than or equal to 10',
    '<nil>: Invalid value: "": "spec.one" must validate one and only one schema (oneOf). Found 2 valid alternatives',
    'spec.all: Invalid value: "a": spec.all in body should be at least 2 chars long',
    '<nil>: Invalid value: "": "spec.all" must validate all the schemas (allOf)',
    '<nil>: Invalid value: "": "spec.not" must not validate the schema (not)',
  ]);
});

test('x-kubernetes-preserve-unknown-fields: undeclared fields are not errors', () => {
  const schema = specOf({ known: { type: 'string' } }, { 'x-kubernetes-preserve-unknown-fields': true });
  assert.deepEqual(errorsOf(schema, { spec: { known: 'a', other: { any: 1 } } }), []);
});

test('ratcheting: on update, values unchanged since the stored object are not checked again', () => {
  const schema = specOf({ a: { type: 'string', maxLength: 1 }, b: { type: 'string', maxLength: 1 } });
  const old = { spec: { a: 'long', b: 'x' } };
  assert.deepEqual(errorsOf(schema, { spec: { a: 'long', b: 'y' } }, { old }), []);
  assert.deepEqual(errorsOf(schema, { spec: { a: 'longer', b: 'x' } }, { old }), ['spec.a: Too long: may not be longer than 1']);
  assert.deepEqual(errorsOf(schema, { spec: { a: 'long', b: 'x' } }), ['spec.a: Too long: may not be longer than 1']);
});

test('the status alone, under its own path', () => {
  const status: SchemaProps = { type: 'object', properties: { replicas: { type: 'integer' } } };
  assert.deepEqual(lines(checkAgainstSchema({ replicas: 'x' }, status, { fieldPrefix: 'status' })), [
    'status.replicas: Invalid value: "string": replicas in body must be of type integer: "string"',
  ]);
});

test('embedded resources: apiVersion and kind required and well-formed, metadata checked', () => {
  const schema = specOf({ template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } });
  assert.deepEqual(lines(checkEmbeddedResources({ spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ok', labels: { app: 'x' } } } } }, schema)), []);
  assert.deepEqual(lines(checkEmbeddedResources({ spec: { template: { metadata: { labels: { 'bad key!': 'x' } } } } }, schema)), [
    'spec.template.apiVersion: Required value',
    'spec.template.kind: Required value',
    "spec.template.metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.deepEqual(lines(checkEmbeddedResources({ spec: { template: { apiVersion: 'a/b/c', kind: 'my_kind' } } }, schema)), [
    'spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c',
    "spec.template.kind: Invalid value: \"my_kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
});

test('list types: a set has no repeated items, a map no repeated keys', () => {
  const schema = specOf({
    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
    ports: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
  });
  assert.deepEqual(lines(checkListTypes({ spec: { tags: ['a', 'b', 'a', 'a'], ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] } }, schema)), [
    'spec.tags[2]: Duplicate value: "a"',
    'spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}',
  ]);
});

test('pruning: undeclared fields go, preserved subtrees and the root\'s type and object meta stay', () => {
  const schema: SchemaProps = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          known: { type: 'string' },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { typed: { type: 'object', properties: { a: { type: 'string' } } } } } as SchemaProps,
          items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
          map: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string' } } } },
          embedded: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } } as SchemaProps,
        },
      },
    },
  };
  const obj: Record<string, unknown> = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: {
      known: 'k',
      unknown: 'u',
      free: { anything: 1, typed: { a: 'x', b: 'gone' } },
      items: [{ name: 'n', extra: 1 }],
      map: { k: { v: 'x', w: 'gone' } },
      embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {}, status: 'gone' },
    },
    status: { gone: true },
  };
  prune(obj, schema);
  assert.deepEqual(obj, {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w' },
    spec: {
      known: 'k',
      free: { anything: 1, typed: { a: 'x' } },
      items: [{ name: 'n' }],
      map: { k: { v: 'x' } },
      embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} },
    },
  });
});

test('defaults: nested, in array items and map values, only where absent or a null not allowed', () => {
  const schema = specOf({
    replicas: { type: 'integer', default: 1 },
    mode: { type: 'string', default: 'auto' },
    nested: { type: 'object', default: {}, properties: { level: { type: 'integer', default: 3 } } },
    ports: { type: 'array', items: { type: 'object', properties: { protocol: { type: 'string', default: 'TCP' } } } },
    limits: { type: 'object', additionalProperties: { type: 'object', properties: { unit: { type: 'string', default: 'Mi' } } } },
    dropped: { type: 'string' },
    kept: { type: 'string', nullable: true },
  });
  const obj: Record<string, unknown> = { spec: { mode: null, ports: [{}, { protocol: 'UDP' }], limits: { memory: {} }, dropped: null, kept: null } };
  applyDefaults(obj, schema);
  assert.deepEqual(obj, {
    spec: { replicas: 1, mode: 'auto', nested: { level: 3 }, ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }], limits: { memory: { unit: 'Mi' } }, kept: null },
  });
  // Copies: a later change of one object's default does not touch the schema.
  (obj['spec'] as { nested: { level: number } }).nested.level = 9;
  assert.deepEqual(schema.properties!['spec']!.properties!['nested']!.default, {});
  assert.equal(hasDefaults(schema), true);
  assert.equal(hasDefaults(specOf({ a: { type: 'string' } })), false);
});

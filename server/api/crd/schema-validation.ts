// A custom resource checked against its version's openAPIV3Schema as
// upstream's kube-openapi SchemaValidator checks it, and its errors turned
// into field errors as apiextensions' kubeOpenAPIResultToFieldErrors does:
// the same checks in the same order, the same messages
// ("spec.replicas in body must be of type integer: \"string\"") and field
// paths. Updates ratchet as upstream's CRDValidationRatcheting does: a
// value unchanged since the stored object is not checked again.
// x-kubernetes-validations (CEL rules) are validation-rules.ts's.
import type { StatusCause } from '../status.js';
import { goNumber, goValue, invalid, notSupported, quote, required, tooLongMaxLength, tooMany, typeInvalid } from '../kinds/field-errors.js';
import type { SchemaProps } from './definition.js';
import { effectiveFormat, matchesFormat } from './schema-formats.js';
import { isJsonObject, itemsOf, jsonEqual, mapValuesOf, propertiesOf } from './schema-nodes.js';

export interface SchemaCheck {
  /** Prepended to every field path: "status" when only the status is checked. */
  readonly fieldPrefix?: string;
  /** On update, the stored value: parts of the new one equal to their stored counterpart are not checked. */
  readonly old?: unknown;
}

/** Causes for a 422: where `value` breaks `schema`. */
export function checkAgainstSchema(value: unknown, schema: SchemaProps, check: SchemaCheck = {}): StatusCause[] {
  const found = new Found();
  node(value, schema, '', found, 'old' in check ? { value: check.old } : undefined);
  return found.problems.map((p) => toCause(p, check.fieldPrefix ?? ''));
}

/** A kube-openapi error: which field error it becomes, the path it names (dotted, as in its message) and its message. */
type Problem =
  | { readonly kind: 'required' | 'plain'; readonly name: string; readonly message: string }
  | { readonly kind: 'type' | 'invalid'; readonly name: string; readonly value: unknown; readonly message: string }
  | { readonly kind: 'enum'; readonly name: string; readonly value: unknown; readonly values: readonly unknown[]; readonly message: string }
  | { readonly kind: 'tooLong'; readonly name: string; readonly max: number; readonly message: string }
  | { readonly kind: 'tooMany'; readonly name: string; readonly actual: number; readonly max: number; readonly message: string };

/** A validation result: its problems, each message once (Result.AddErrors), and how much was checked (MatchCount). */
class Found {
  readonly problems: Problem[] = [];
  readonly #messages = new Set<string>();
  matched = 0;

  add(problem: Problem): void {
    if (this.#messages.has(problem.message)) return;
    this.#messages.add(problem.message);
    this.problems.push(problem);
  }

  merge(other: Found): void {
    for (const p of other.problems) this.add(p);
    this.matched += other.matched;
  }

  get valid(): boolean {
    return this.problems.length === 0;
  }
}

/** The stored counterpart of a value, when there is one. */
type Old = { readonly value: unknown } | undefined;

const IN = 'in body';

function node(v: unknown, s: SchemaProps, path: string, found: Found, old: Old): void {
  found.matched++;
  if (old !== undefined && jsonEqual(old.value, v)) return;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return;
  const types = s['x-kubernetes-int-or-string'] === true ? ['integer', 'string'] : typeof s.type === 'string' && s.type !== '' ? [s.type] : [];
  const format = effectiveFormat(types.length === 1 ? types[0] : '', s.format);
  if (v === null || v === undefined) {
    if (types.length > 0 && s.nullable !== true) found.add(typeError(path, types.join(','), 'null'));
    enumeration(v, s, path, found);
    return;
  }
  type(v, types, format, path, found);
  composition(v, s, path, found);
  if (typeof v === 'string') {
    text(v, s, path, found);
    if (format !== '' && !matchesFormat(format, v)) found.add(typeError(path, format, v));
  }
  if (typeof v === 'number') number(v, s, types, format, path, found);
  if (Array.isArray(v)) array(v, s, path, found);
  enumeration(v, s, path, found);
  if (isJsonObject(v)) object(v, s, path, found, old);
}

function jsonType(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** typeValidator. Numbers without a fraction are int64 to Go's decoder, others float64. */
function type(v: unknown, types: readonly string[], format: string, path: string, found: Found): void {
  if (types.length === 0 && format === '') return;
  const actual = jsonType(v);
  const intAsNumber = actual === 'integer' && types.includes('number');
  const isText = typeof v === 'string' || Array.isArray(v);
  if (!isText && format !== '') {
    const actualFormat = actual === 'integer' ? 'int64' : actual === 'number' ? 'float64' : '';
    if (!(types.includes(actual) || actualFormat === format || intAsNumber)) {
      found.add(typeError(path, format, actualFormat));
      return;
    }
  }
  if (!types.includes('number') && !types.includes('integer') && format !== '' && isText) return;
  if (!(types.includes(actual) || intAsNumber)) found.add(typeError(path, types.join(','), actual));
}

function typeError(path: string, expected: string, value: string): Problem {
  return { kind: 'type', name: path, value, message: `${path} ${IN} must be of type ${expected}: ${quote(value)}` };
}

/** schemaPropsValidator: allOf, anyOf, oneOf and not, each branch checked at the same path. */
function composition(v: unknown, s: SchemaProps, path: string, found: Found): void {
  const branches = (list: unknown): Found[] =>
    (Array.isArray(list) ? (list as SchemaProps[]) : []).map((branch) => {
      const result = new Found();
      node(v, branch, path, result, undefined);
      return result;
    });
  const anyOf = branches(s.anyOf);
  if (anyOf.length > 0) {
    const success = anyOf.find((r) => r.valid);
    if (success === undefined) {
      found.add({ kind: 'plain', name: path, message: `${quote(path)} must validate at least one schema (anyOf)` });
      found.merge(best(anyOf));
    } else found.merge(success);
  }
  const oneOf = branches(s.oneOf);
  if (oneOf.length > 0) {
    const valid = oneOf.filter((r) => r.valid);
    if (valid.length !== 1) {
      const detail = valid.length === 0 ? 'Found none valid' : `Found ${valid.length} valid alternatives`;
      found.add({ kind: 'plain', name: path, message: `${quote(path)} must validate one and only one schema (oneOf). ${detail}` });
      if (valid.length === 0) found.merge(best(oneOf));
    } else found.merge(valid[0]!);
  }
  const allOf = branches(s.allOf);
  if (allOf.length > 0) {
    allOf.forEach((r) => found.merge(r));
    const validated = allOf.filter((r) => r.valid).length;
    if (validated !== allOf.length) {
      found.add({ kind: 'plain', name: path, message: `${quote(path)} must validate all the schemas (allOf)${validated === 0 ? '. None validated' : ''}` });
    }
  }
  if (isJsonObject(s.not) && branches([s.not])[0]!.valid) found.add({ kind: 'plain', name: path, message: `${quote(path)} must not validate the schema (not)` });
}

/** The failed branch that got furthest (the highest MatchCount), the first of equals. */
function best(results: readonly Found[]): Found {
  return results.reduce((a, b) => (b.matched > a.matched ? b : a));
}

/** stringValidator: stops at the first failure. Lengths count characters (runes), not UTF-16 units. */
function text(v: string, s: SchemaProps, path: string, found: Found): void {
  const length = typeof s.maxLength === 'number' || typeof s.minLength === 'number' ? [...v].length : 0;
  if (typeof s.maxLength === 'number' && length > s.maxLength) {
    found.add({ kind: 'tooLong', name: path, max: s.maxLength, message: `${path} ${IN} should be at most ${s.maxLength} chars long` });
    return;
  }
  if (typeof s.minLength === 'number' && length < s.minLength) {
    found.add({ kind: 'invalid', name: path, value: v, message: `${path} ${IN} should be at least ${s.minLength} chars long` });
    return;
  }
  if (typeof s.pattern === 'string' && s.pattern !== '') {
    let re: RegExp;
    try {
      re = new RegExp(s.pattern);
    } catch (err) {
      found.add({ kind: 'invalid', name: path, value: v, message: `${path} ${IN} should match '${s.pattern}, but pattern is invalid: ${(err as Error).message}'` });
      return;
    }
    if (!re.test(v)) found.add({ kind: 'invalid', name: path, value: v, message: `${path} ${IN} should match '${s.pattern}'` });
  }
}

const INT32 = 2 ** 31;
const FLOAT32_MAX = 3.4028234663852886e38;

/** IsValueValidAgainstRange: a message when `n` cannot be a value of the node's type and format. */
function outOfRange(n: number, typeName: string, format: string, prefix: string, path: string): string | undefined {
  let fits = true;
  if (typeName === 'integer') fits = Number.isInteger(n) && (format === 'int32' ? n >= -INT32 && n < INT32 : Math.abs(n) <= 2 ** 63);
  else if (format === 'float') fits = Math.abs(n) <= FLOAT32_MAX;
  if (fits) return undefined;
  return format !== '' ? `${prefix} value must be of type ${typeName} with format ${format} in ${path}` : `${prefix} value must be of type ${typeName} (default format) in ${path}`;
}

/** numberValidator: the range of the type, then multipleOf, minimum, maximum. */
function number(v: number, s: SchemaProps, types: readonly string[], format: string, path: string, found: Found): void {
  const typeName = types.length === 1 && (types[0] === 'integer' || types[0] === 'number') ? types[0] : '';
  const numberFormat = typeName === '' ? '' : format;
  const plain = (message: string | undefined) => message !== undefined && found.add({ kind: 'plain', name: path, message });
  plain(outOfRange(v, typeName, numberFormat, 'Checked', path));
  // A bound of the wrong kind for the type is reported, and compared as a float.
  const bound = (b: number, prefix: string): { value: number; asInt: boolean } => {
    const wrong = outOfRange(b, typeName, numberFormat, prefix, path);
    plain(wrong);
    const asInt = wrong === undefined && Number.isInteger(v);
    return { value: asInt ? Math.trunc(b) : b, asInt };
  };
  if (typeof s.multipleOf === 'number') {
    const { value: factor, asInt } = bound(s.multipleOf, 'MultipleOf');
    if (factor <= 0) found.add({ kind: 'invalid', name: path, value: factor, message: `factor MultipleOf declared for ${path} must be positive: ${goNumber(factor)}` });
    else if (asInt ? v % factor !== 0 : !isWhole(factor < 1 ? (1 / factor) * v : v / factor)) {
      found.add({ kind: 'invalid', name: path, value: v, message: `${path} ${IN} should be a multiple of ${goNumber(factor)}` });
    }
  }
  if (typeof s.minimum === 'number') {
    const { value: min } = bound(s.minimum, 'Minimum boundary');
    const exclusive = s.exclusiveMinimum === true;
    if (exclusive ? v <= min : v < min) {
      found.add({ kind: 'invalid', name: path, value: v, message: `${path} ${IN} should be greater than ${exclusive ? '' : 'or equal to '}${goNumber(min)}` });
    }
  }
  if (typeof s.maximum === 'number') {
    const { value: max } = bound(s.maximum, 'Maximum boundary');
    const exclusive = s.exclusiveMaximum === true;
    if (exclusive ? v >= max : v > max) {
      found.add({ kind: 'invalid', name: path, value: v, message: `${path} ${IN} should be less than ${exclusive ? '' : 'or equal to '}${goNumber(max)}` });
    }
  }
}

/** swag.IsFloat64AJSONInteger. */
function isWhole(f: number): boolean {
  if (!Number.isFinite(f)) return false;
  return Number.isInteger(f) || Math.abs(f - Math.round(f)) < 1e-9 * Math.max(1, Math.abs(f));
}

/** schemaSliceValidator: the items, then minItems, maxItems, uniqueItems. */
function array(v: unknown[], s: SchemaProps, path: string, found: Found): void {
  const items = itemsOf(s);
  if (items !== undefined) v.forEach((item, i) => node(item, items, `${path}[${i}]`, found, undefined));
  if (typeof s.minItems === 'number' && v.length < s.minItems) {
    found.add({ kind: 'invalid', name: path, value: v.length, message: `${path} ${IN} should have at least ${s.minItems} items` });
  }
  if (typeof s.maxItems === 'number' && v.length > s.maxItems) {
    found.add({ kind: 'tooMany', name: path, actual: v.length, max: s.maxItems, message: `${path} ${IN} should have at most ${s.maxItems} items` });
  }
  if (s.uniqueItems === true && v.some((a, i) => v.slice(0, i).some((b) => jsonEqual(a, b)))) {
    found.add({ kind: 'invalid', name: path, value: '', message: `${path} ${IN} shouldn't contain duplicates` });
  }
}

/** basicCommonValidator: enum. */
function enumeration(v: unknown, s: SchemaProps, path: string, found: Found): void {
  const values = s.enum;
  if (!Array.isArray(values) || values.length === 0) return;
  if (v !== null && v !== undefined && values.some((e) => e !== null && jsonEqual(v, e))) return;
  found.add({ kind: 'enum', name: path, value: v ?? null, values, message: `${path} ${IN} should be one of ${JSON.stringify(values)}` });
}

/** objectValidator: property counts, the map's values, the declared properties, then required ones. */
function object(v: Record<string, unknown>, s: SchemaProps, path: string, found: Found, old: Old): void {
  const keys = Object.keys(v);
  const child = (key: string) => (path === '' ? key : `${path}.${key}`);
  const oldChild = (key: string): Old => (old !== undefined && isJsonObject(old.value) && Object.hasOwn(old.value, key) ? { value: old.value[key] } : undefined);
  if (typeof s.minProperties === 'number' && keys.length < s.minProperties) {
    found.add({ kind: 'invalid', name: path, value: keys.length, message: `${path} ${IN} should have at least ${s.minProperties} properties` });
  }
  if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) {
    found.add({ kind: 'tooMany', name: path, actual: keys.length, max: s.maxProperties, message: `${path} ${IN} should have at most ${s.maxProperties} properties` });
  }
  const properties = propertiesOf(s) ?? {};
  const declared = (key: string) => Object.hasOwn(properties, key);
  if (s.additionalProperties === false) {
    for (const key of keys) {
      if (!declared(key)) found.add({ kind: 'invalid', name: path, value: key, message: `${path}.${key} ${IN} is a forbidden property` });
    }
  } else {
    const values = mapValuesOf(s);
    if (values !== undefined) for (const key of keys) if (!declared(key)) node(v[key], values, `${path}.${key}`, found, oldChild(key));
  }
  for (const [name, schema] of Object.entries(properties)) {
    if (Object.hasOwn(v, name)) node(v[name], schema, child(name), found, oldChild(name));
  }
  if (Array.isArray(s.required)) {
    for (const name of s.required) if (!Object.hasOwn(v, name)) found.add({ kind: 'required', name: `${path}.${name}`, message: `${path}.${name} ${IN} is required` });
  }
}

/** kubeOpenAPIResultToFieldErrors: the error's dotted name becomes the field path, under `prefix`. */
function toCause(p: Problem, prefix: string): StatusCause {
  const name = p.name.startsWith('.') ? p.name.slice(1) : p.name;
  const named = name === '' ? prefix : prefix === '' ? name : `${prefix}.${name}`;
  // Errors other than *Validation carry no path: upstream's nil path prints as "<nil>".
  const field = (p.kind === 'plain' ? prefix : named) || '<nil>';
  switch (p.kind) {
    case 'required':
      return required(field);
    case 'enum':
      return notSupported(field, goValue(p.value), p.values.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))));
    case 'tooLong':
      return tooLongMaxLength(field, p.max);
    case 'tooMany':
      return tooMany(field, p.actual, p.max);
    case 'type':
      return typeInvalid(field, goValue(p.value), p.message);
    case 'invalid':
      return invalid(field, goValue(p.value), p.message);
    case 'plain':
      return invalid(field, '""', p.message);
  }
}

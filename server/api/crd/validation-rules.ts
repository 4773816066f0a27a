// x-kubernetes-validations: the CEL rules of a custom resource's schema,
// evaluated as upstream's apiextensions-apiserver does (schema/cel/
// validation.go): each rule at its schema node with `self` bound to the
// node's value, typed by the schema (integers are CEL ints, objects maps of
// their declared fields by their escaped names, date-time, duration and
// byte strings timestamps, durations and bytes, the root and embedded
// resources with apiVersion, kind and metadata's name and generateName);
// transition rules (those naming `oldSelf`) only where the stored object has
// a value to correlate (objects by field, maps by key, map lists by their
// keys); on update, a rule that fails on a value unchanged since the stored
// object is not held against it (ratcheting). A false rule is a field error
// at the node (or its `fieldPath`) with the rule's message,
// messageExpression or "failed rule: …", of the kind its `reason` names.
//
// The evaluator is @bufbuild/cel with its strings extension and Kubernetes'
// lists and IP/CIDR libraries (cel-library.ts). A rule it cannot run (a
// Kubernetes library function it lacks: regex, URLs, quantities, semver;
// optional types; a syntax it does not parse) is skipped, never
// failed: upstream compiled the rule when the CRD was written, so the failure
// would be ours, and a refusal would block a valid object.
import type { CelEnv } from '@bufbuild/cel';
import type { Logger } from '../../../common/log.js';
import { duplicate, forbidden, invalid, quote, required } from '../kinds/field-errors.js';
import { kubernetesLibrary } from './cel-library.js';
import type { StatusCause } from '../status.js';
import type { SchemaProps } from './definition.js';
import { parseJsonPath } from './json-path.js';
import { isJsonObject, itemsOf, jsonEqual, mapValuesOf, propertiesOf, someNode } from './schema-nodes.js';

/** A ValidationRule as a CRD's schema carries it. */
interface ValidationRule {
  readonly rule?: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly reason?: string;
  readonly fieldPath?: string;
}

type Cel = typeof import('@bufbuild/cel');
type Program = ReturnType<Cel['plan']>;

interface CompiledRule {
  readonly source: ValidationRule;
  /** Undefined when the evaluator cannot parse it: the rule is skipped. */
  readonly program: Program | undefined;
  readonly message: Program | undefined;
  readonly usesOldSelf: boolean;
}

/** The stored counterpart of a value, when the schema lets it be found. */
type Old = { readonly value: unknown } | undefined;

const compiledRules = new WeakMap<SchemaProps, readonly CompiledRule[]>();

interface Evaluator {
  readonly cel: Cel;
  readonly env: CelEnv;
  /** CEL's timestamp and duration values (protobuf's well-known types). */
  readonly timestamp: (date: Date) => unknown;
  readonly duration: (seconds: bigint, nanos: number) => unknown;
}

/** Loaded by the first CRD with rules: servers without such CRDs never run its code. */
let evaluator: Evaluator | undefined;

/** Loads the evaluator; types whose schema has rules are served only after it. */
export async function loadValidationRules(): Promise<void> {
  if (evaluator !== undefined) return;
  const [cel, ext, protobuf, wkt] = await Promise.all([import('@bufbuild/cel'), import('@bufbuild/cel/ext'), import('@bufbuild/protobuf'), import('@bufbuild/protobuf/wkt')]);
  evaluator ??= {
    cel,
    env: cel.celEnv({ funcs: [...ext.strings, ...kubernetesLibrary(cel)] }),
    timestamp: (date) => wkt.timestampFromDate(date),
    duration: (seconds, nanos) => protobuf.create(wkt.DurationSchema, { seconds, nanos }),
  };
}

function loaded(): Evaluator {
  if (evaluator === undefined) throw new Error('a schema with validation rules is in use before the CEL evaluator was loaded');
  return evaluator;
}

/** Whether any node of the schema has rules: objects of other kinds are never walked. */
export function hasValidationRules(schema: SchemaProps | undefined): boolean {
  return someNode(schema, (node) => validationsOf(node).length > 0);
}

function validationsOf(schema: SchemaProps): readonly ValidationRule[] {
  const rules = (schema as { 'x-kubernetes-validations'?: unknown })['x-kubernetes-validations'];
  return Array.isArray(rules) ? (rules.filter(isJsonObject) as ValidationRule[]) : [];
}

/** Schema errors after which the object has not the shape its rules were written for (upstream's hasBlockingErr). */
const BLOCKING = new Set(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

/**
 * Causes for a 422: the rules `obj` breaks (`old`: the stored object, on
 * update), or, when the schema's own checks found it malformed
 * (`schemaCauses`), upstream's note that the rules were not run.
 */
export function checkValidationRules(obj: unknown, schema: SchemaProps, old: Old, schemaCauses: readonly StatusCause[], log: Logger): StatusCause[] {
  if (schemaCauses.some((c) => BLOCKING.has(c.reason ?? ''))) {
    return [invalid(ROOT, '"null"', 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation')];
  }
  const causes: StatusCause[] = [];
  node(obj, schema, '', { old, unchanged: old !== undefined && jsonEqual(obj, old.value), root: true }, causes, log);
  return causes;
}

/** How upstream names the object itself in a field error (a nil field.Path). */
const ROOT = '<nil>';

interface Place {
  readonly old: Old;
  /** The value equals its stored counterpart, or sits in one that does (its errors are ratcheted). */
  readonly unchanged: boolean;
  /** The custom resource itself, or an embedded resource: self carries apiVersion, kind and metadata. */
  readonly root: boolean;
}

function node(value: unknown, schema: SchemaProps, path: string, place: Place, causes: StatusCause[], log: Logger): void {
  // Rules see only non-null values: a rule about a nullable field's presence sits on its parent.
  if (value === null || value === undefined) return;
  evaluate(value, schema, path, place, causes, log);
  if (Array.isArray(value)) {
    const items = itemsOf(schema);
    if (items === undefined) return;
    const correlate = oldItemFinder(schema, place.old);
    value.forEach((item, i) => {
      const old = correlate(item);
      const unchanged = old === undefined ? place.unchanged : jsonEqual(item, old.value);
      node(item, items, `${path}[${i}]`, { old, unchanged, root: items['x-kubernetes-embedded-resource'] === true }, causes, log);
    });
    return;
  }
  if (!isJsonObject(value)) return;
  const oldObject = place.old !== undefined && isJsonObject(place.old.value) && schema['x-kubernetes-map-type'] !== 'atomic' ? place.old.value : undefined;
  const child = (key: string, sub: SchemaProps, childPath: string): void => {
    const old = oldObject !== undefined && Object.hasOwn(oldObject, key) ? { value: oldObject[key] } : undefined;
    const unchanged = old === undefined ? place.unchanged : jsonEqual(value[key], old.value);
    node(value[key], sub, childPath, { old, unchanged, root: sub['x-kubernetes-embedded-resource'] === true }, causes, log);
  };
  const properties = propertiesOf(schema);
  const values = mapValuesOf(schema);
  for (const key of Object.keys(value)) {
    if (properties !== undefined && Object.hasOwn(properties, key)) child(key, properties[key]!, path === '' ? key : `${path}.${key}`);
    else if (values !== undefined) child(key, values, `${path}[${key}]`);
  }
}

function evaluate(value: unknown, schema: SchemaProps, path: string, place: Place, causes: StatusCause[], log: Logger): void {
  const rules = rulesOf(schema);
  if (rules.length === 0) return;
  const self = toCel(value, schema, place.root);
  const bindings: Record<string, unknown> = { self };
  if (place.old !== undefined && place.old.value !== null) bindings['oldSelf'] = toCel(place.old.value, schema, place.root);
  const type = quote(typeof schema.type === 'string' ? schema.type : '');
  const here = path === '' ? ROOT : path;
  for (const rule of rules) {
    const text = rule.source.rule ?? '';
    if (rule.program === undefined) {
      if (text.trim() !== '') log.debug('validation rule skipped: the CEL evaluator cannot parse it', { rule: text });
      continue;
    }
    // Transition rules need a value to compare with (optionalOldSelf's optional types are not supported).
    if (rule.usesOldSelf && bindings['oldSelf'] === undefined) continue;
    const result = rule.program(bindings as never);
    if (loaded().cel.isCelError(result)) {
      if (result.message.startsWith('unbound function')) {
        log.debug('validation rule skipped: the CEL evaluator lacks a function it uses', { rule: text, error: result.message });
        continue;
      }
      causes.push(invalid(here, type, evaluationError(result.message, rule.source)));
      continue;
    }
    if (result === true) continue;
    // A value the stored object already had is not held to a rule it broke then; transition rules always hold.
    if (!rule.usesOldSelf && place.unchanged) continue;
    const at = withFieldPath(path, rule.source.fieldPath) || ROOT;
    const detail = messageOf(rule, bindings) ?? defaultMessage(rule.source);
    switch (rule.source.reason) {
      case 'FieldValueForbidden':
        causes.push(forbidden(at, detail));
        break;
      case 'FieldValueRequired':
        causes.push(required(at, detail));
        break;
      case 'FieldValueDuplicate':
        causes.push(duplicate(at, type));
        break;
      default:
        causes.push(invalid(at, type, detail));
    }
  }
}

function rulesOf(schema: SchemaProps): readonly CompiledRule[] {
  let compiled = compiledRules.get(schema);
  if (compiled === undefined) {
    compiled = validationsOf(schema).map(compile);
    compiledRules.set(schema, compiled);
  }
  return compiled;
}

function compile(source: ValidationRule): CompiledRule {
  const rule = source.rule ?? '';
  return {
    source,
    program: programOf(rule),
    message: source.messageExpression === undefined ? undefined : programOf(source.messageExpression),
    // An identifier, not inside a string: what upstream's compiler finds in the AST.
    usesOldSelf: /(^|[^\w.'"])oldSelf\b/.test(rule),
  };
}

function programOf(expression: string): Program | undefined {
  if (expression.trim() === '') return undefined;
  const { cel, env } = loaded();
  try {
    return cel.plan(env, cel.parse(expression));
  } catch {
    return undefined;
  }
}

/** messageExpression's result when it is a usable message (upstream falls back to the message otherwise). */
function messageOf(rule: CompiledRule, bindings: Record<string, unknown>): string | undefined {
  if (rule.message === undefined) return undefined;
  const result = rule.message(bindings as never);
  if (typeof result !== 'string') return undefined;
  const message = result.trim();
  return message === '' || message.includes('\n') || message.length > 5120 ? undefined : message;
}

function defaultMessage(rule: ValidationRule): string {
  return rule.message !== undefined && rule.message !== '' ? rule.message.trim() : `failed rule: ${ruleErrorString(rule)}`;
}

function ruleErrorString(rule: ValidationRule): string {
  return (rule.message !== undefined && rule.message !== '' ? rule.message : (rule.rule ?? '')).trim();
}

/** The evaluator's error in upstream's frame; a missing field reads as cel-go words it. */
function evaluationError(message: string, rule: ValidationRule): string {
  const missing = /^field not found: (.*)$/.exec(message);
  if (missing !== null) return `no such key: ${missing[1]} evaluating rule: ${ruleErrorString(rule)}`;
  if (message.startsWith('found no matching overload')) {
    return `'${message}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleErrorString(rule)}`;
  }
  return `${message} evaluating rule: ${ruleErrorString(rule)}`;
}

/** The rule's fieldPath (".a.b", "['x']"), relative to the node, appended to its path. */
function withFieldPath(path: string, fieldPath: string | undefined): string {
  const steps = fieldPath === undefined ? undefined : parseJsonPath(fieldPath);
  if (steps === undefined) return path;
  return [path, ...steps.map((step) => (step.kind === 'field' ? step.name : ''))].filter((name) => name !== '').join('.');
}

/** For a list of type map: the stored item with the same keys. Other lists' items have no counterpart. */
function oldItemFinder(schema: SchemaProps, old: Old): (item: unknown) => Old {
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] !== 'map' || keys === undefined || old === undefined || !Array.isArray(old.value)) return () => undefined;
  const oldItems = old.value.filter(isJsonObject);
  return (item) => {
    if (!isJsonObject(item)) return undefined;
    const found = oldItems.find((o) => keys.every((k) => jsonEqual(o[k], item[k])));
    return found === undefined ? undefined : { value: found };
  };
}

// --- values as CEL sees them ---------------------------------------------

const CEL_KEYWORDS = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);

/** A property's name as a CEL field (upstream's cel.Escape), or undefined when it cannot be one. */
export function escapeFieldName(name: string): string | undefined {
  if (CEL_KEYWORDS.has(name)) return `__${name}__`;
  if (!/^[a-zA-Z_.\-/][a-zA-Z0-9_.\-/]*$/.test(name)) return undefined;
  return name.replaceAll('__', '__underscores__').replaceAll('.', '__dot__').replaceAll('-', '__dash__').replaceAll('/', '__slash__');
}

function toCel(value: unknown, schema: SchemaProps | undefined, root = false): unknown {
  if (value === null || value === undefined || schema === undefined) return dynamic(value);
  if (schema['x-kubernetes-int-or-string'] === true) return typeof value === 'number' ? BigInt(Math.trunc(value)) : value;
  switch (schema.type) {
    case 'integer':
      return typeof value === 'number' ? BigInt(Math.trunc(value)) : value;
    case 'string':
      return typeof value === 'string' ? formatted(value, schema.format) : value;
    case 'number':
    case 'boolean':
      return value;
    case 'array': {
      const items = itemsOf(schema);
      return Array.isArray(value) ? value.map((item) => toCel(item, items)) : value;
    }
    default:
      return isJsonObject(value) ? objectOf(value, schema, root || schema['x-kubernetes-embedded-resource'] === true) : dynamic(value);
  }
}

function objectOf(value: Record<string, unknown>, schema: SchemaProps, resource: boolean): unknown {
  const properties = propertiesOf(schema);
  const values = mapValuesOf(schema);
  if (properties === undefined && values === undefined && !resource) {
    return schema['x-kubernetes-preserve-unknown-fields'] === true ? dynamic(value) : new Map();
  }
  const out = new Map<string, unknown>();
  if (values !== undefined) {
    for (const [key, v] of Object.entries(value)) out.set(key, toCel(v, values));
    return out;
  }
  for (const [key, v] of Object.entries(value)) {
    const name = escapeFieldName(key);
    if (name === undefined) continue;
    if (properties !== undefined && Object.hasOwn(properties, key)) out.set(name, toCel(v, properties[key]));
    else if (resource && (key === 'apiVersion' || key === 'kind') && typeof v === 'string') out.set(key, v);
  }
  if (resource && isJsonObject(value['metadata'])) {
    // Of an object's metadata, rules see its name and generateName only.
    const meta = value['metadata'];
    const visible = new Map<string, unknown>();
    for (const key of ['name', 'generateName']) if (typeof meta[key] === 'string') visible.set(key, meta[key]);
    out.set('metadata', visible);
  }
  return out;
}

/** Strings of the formats upstream gives CEL types: date and date-time as timestamps, duration as a duration, byte as bytes. */
function formatted(value: string, format: string | undefined): unknown {
  switch (format) {
    case 'date':
    case 'date-time':
    case 'datetime': {
      const ms = Date.parse(format === 'date' ? `${value}T00:00:00Z` : value);
      return Number.isNaN(ms) ? value : loaded().timestamp(new Date(ms));
    }
    case 'duration': {
      const nanos = durationNanos(value);
      return nanos === undefined ? value : loaded().duration(nanos / 1_000_000_000n, Number(nanos % 1_000_000_000n));
    }
    case 'byte':
      return Uint8Array.from(Buffer.from(value, 'base64'));
    default:
      return value;
  }
}

const NANOS_PER_UNIT: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9, w: 604800e9 };

/** strfmt.ParseDuration: Go's durations ("1h30m", "-1.5s") with days and weeks as well; undefined when it is none. */
function durationNanos(text: string): bigint | undefined {
  if (text === '0') return 0n;
  const m = /^([+-]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d|w))+)$/u.exec(text.replaceAll(' ', ''));
  if (m === null) return undefined;
  let total = 0;
  for (const [, amount, unit] of m[2]!.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/gu)) total += Number(amount) * NANOS_PER_UNIT[unit!]!;
  const nanos = BigInt(Math.round(total));
  return m[1] === '-' ? -nanos : nanos;
}

/** Values without a schema (x-kubernetes-preserve-unknown-fields): JSON's integers as ints, as upstream's unstructured data holds them. */
function dynamic(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(dynamic);
  if (isJsonObject(value)) return new Map(Object.entries(value).map(([k, v]) => [k, dynamic(v)]));
  return value;
}

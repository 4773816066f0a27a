// Field errors worded as upstream's apimachinery field.Error renders them
// (Kubernetes 1.31): the cause message is the error body ("Invalid value:
// 5: must be …"), the cause field the path. Values render as Go prints them
// there: strings quoted, numbers bare, maps and slices in %#v form.
import { groupVersionOf, type KubeObject } from '../objects.js';
import { ApiError, type StatusCause } from '../status.js';

export const IMMUTABLE = 'field is immutable';
/** Go's math.MaxInt32: the bound of the int32 fields. */
export const MAX_INT32 = 2147483647;
export const NON_NEGATIVE = 'must be greater than or equal to 0';
/** IsValidCIDR's detail. */
export const VALID_CIDR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

export function invalid(field: string, value: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: detail === '' ? `Invalid value: ${value}` : `Invalid value: ${value}: ${detail}`, field };
}

/** field.Invalid with field.OmitValueType: the detail alone, no value. */
export function invalidOmitted(field: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${detail}`, field };
}

export function required(field: string, detail = ''): StatusCause {
  return { reason: 'FieldValueRequired', message: detail === '' ? 'Required value' : `Required value: ${detail}`, field };
}

export function forbidden(field: string, detail: string): StatusCause {
  return { reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field };
}

export function duplicate(field: string, value: string): StatusCause {
  return { reason: 'FieldValueDuplicate', message: `Duplicate value: ${value}`, field };
}

export function notFound(field: string, value: string): StatusCause {
  return { reason: 'FieldValueNotFound', message: `Not found: ${value}`, field };
}

export function notSupported(field: string, value: string, supported: readonly string[]): StatusCause {
  return { reason: 'FieldValueNotSupported', message: `Unsupported value: ${value}: supported values: ${supported.map(quote).join(', ')}`, field };
}

export function tooLong(field: string, max: number): StatusCause {
  return { reason: 'FieldValueTooLong', message: `Too long: must have at most ${max} bytes`, field };
}

/** ValidateNonnegativeField; absent (nil) values pass. */
export function nonNegative(field: string, value: number | undefined): StatusCause[] {
  return value !== undefined && value < 0 ? [invalid(field, String(value), NON_NEGATIVE)] : [];
}

export function inclusiveRange(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** Go's strconv.Quote: printable characters stay, control characters are escaped. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch in GO_ESCAPES) out += GO_ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** A *string or *int32 field: field.Error turns a nil pointer into the string "null", which it then quotes. */
export function pointerValue(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '"null"';
  return typeof value === 'number' ? String(value) : quote(value);
}

/** %#v of a map[string]string: keys sorted, as fmt prints maps. */
export function goStringMap(m: Readonly<Record<string, string>> | undefined | null): string {
  if (m === undefined || m === null) return 'map[string]string(nil)';
  return `map[string]string{${Object.keys(m)
    .sort()
    .map((k) => `${quote(k)}:${quote(m[k]!)}`)
    .join(', ')}}`;
}

/** %q of a []string: `["a" "b"]`. */
export function goQuotedList(list: readonly string[]): string {
  return `[${list.map(quote).join(' ')}]`;
}

/** %#v of a []string. */
export function goStrings(list: readonly string[] | undefined | null): string {
  return list === undefined || list === null ? '[]string(nil)' : `[]string{${list.map(quote).join(', ')}}`;
}

/** Keys in the order Go's map iteration cannot promise: sorted, so messages are stable. */
export function sortedKeys(m: object | undefined | null): string[] {
  return m === undefined || m === null ? [] : Object.keys(m).sort();
}

/**
 * What upstream's decoder answers when a body cannot become the typed object
 * (bad base64, bad quantity): 400, before any validation runs.
 */
export function decodeError(obj: KubeObject, detail: string): ApiError {
  const { version } = groupVersionOf(obj.apiVersion);
  return new ApiError(400, 'BadRequest', `${obj.kind} in version ${quote(version)} cannot be handled as a ${obj.kind}: ${detail}`);
}

/** field.TypeInvalid: a value that is not of the schema's type. */
export function typeInvalid(field: string, value: string, detail: string): StatusCause {
  return { reason: 'FieldValueTypeInvalid', message: `Invalid value: ${value}: ${detail}`, field };
}

/** field.TooLongMaxLength, as custom resources' maxLength reports it. */
export function tooLongMaxLength(field: string, max: number): StatusCause {
  return { reason: 'FieldValueTooLong', message: `Too long: may not be longer than ${max}`, field };
}

/** field.TooMany: a list (or object) with more items than allowed. */
export function tooMany(field: string, actual: number, max: number): StatusCause {
  return { reason: 'FieldValueTooMany', message: `Too many: ${actual}: must have at most ${max} items`, field };
}

/** %#v of a Go pointer of type `*type`: an address cannot be rebuilt, so a set pointer shows a placeholder one. */
export function goPointer(type: string, set: boolean): string {
  return `(*${type})(${set ? '0xc000000000' : 'nil'})`;
}

/**
 * A JSON value (a custom resource's) as field.Error prints it: strings
 * quoted, numbers and booleans bare, null as "null", objects and lists in
 * Go's %#v form of map[string]interface {} and []interface {}.
 */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '"null"';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  return goSharp(v);
}

/** %v of a JSON number: integers as int64 (JSON without a fraction decodes to one), others as float64 (%g, shortest: an exponent below -4 or from 6 up). */
export function goNumber(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [mantissa, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${e.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return String(n);
}

/**
 * Go's %f: six decimals, never an exponent. strconv rounds the exact binary
 * value, a tie to even (1.0078125 → "1.007812"), where toFixed rounds a tie up.
 */
export function goFixed(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  if (Math.abs(n) >= 1e21) return `${BigInt(n)}.000000`;
  // Exact for doubles from 2^-48 up (at most 100 decimals), enough to see a tie; smaller ones print as 0.
  const [whole, fraction] = n.toFixed(100).split('.') as [string, string];
  const tie = fraction[6] === '5' && /^0*$/.test(fraction.slice(7));
  if (tie && Number(fraction[5]) % 2 === 0) return `${whole}.${fraction.slice(0, 6)}`;
  return n.toFixed(6);
}

function goSharp(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSharp).join(', ')}}`;
  const m = v as Record<string, unknown>;
  return `map[string]interface {}{${sortedKeys(m)
    .map((k) => `${quote(k)}:${goSharp(m[k])}`)
    .join(', ')}}`;
}

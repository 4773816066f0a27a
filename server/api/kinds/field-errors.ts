// Field errors worded as upstream's apimachinery field.Error renders them
// (Kubernetes 1.31): the cause message is the error body ("Invalid value:
// 5: must be …"), the cause field the path. Values render as Go prints them
// there: strings quoted, numbers bare, maps and slices in %#v form.
import { groupVersionOf, type KubeObject } from '../objects.js';
import { ApiError, type StatusCause } from '../status.js';

export const IMMUTABLE = 'field is immutable';
export const NON_NEGATIVE = 'must be greater than or equal to 0';

export function invalid(field: string, value: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: detail === '' ? `Invalid value: ${value}` : `Invalid value: ${value}: ${detail}`, field };
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

/** A *string or *int32 field: nil renders as null. */
export function pointerValue(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return 'null';
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

// Int-or-percent fields (maxUnavailable, maxSurge, minAvailable) as
// upstream validates them, and their values as Go prints them in errors.
import type { StatusCause } from '../status.js';
import { invalid, nonNegative, quote } from './field-errors.js';

export type IntOrString = number | string;

const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** ValidatePositiveIntOrPercent. */
export function positiveIntOrPercent(value: IntOrString, path: string): StatusCause[] {
  if (typeof value === 'number') return nonNegative(path, value);
  return /^[0-9]+%$/.test(value) ? [] : [invalid(path, goIntOrString(value), PERCENT_MSG)];
}

/** IsNotMoreThan100Percent. */
export function notMoreThan100Percent(value: IntOrString, path: string): StatusCause[] {
  const percent = typeof value === 'string' && /^[0-9]+%$/.test(value) ? Number.parseInt(value, 10) : undefined;
  return percent !== undefined && percent > 100 ? [invalid(path, goIntOrString(value), 'must not be greater than 100%')] : [];
}

/** getIntOrPercentValue: a percentage's number, an int, or what Atoi makes of any other string (0 when it fails). */
export function intOrPercentValue(value: IntOrString): number {
  if (typeof value === 'number') return value;
  const m = /^([0-9]+)%?$/.exec(value);
  return m === null ? 0 : Number(m[1]);
}

/** %#v of an intstr.IntOrString. */
export function goIntOrString(value: IntOrString): string {
  return typeof value === 'number'
    ? `intstr.IntOrString{Type:0, IntVal:${value}, StrVal:""}`
    : `intstr.IntOrString{Type:1, IntVal:0, StrVal:${quote(value)}}`;
}

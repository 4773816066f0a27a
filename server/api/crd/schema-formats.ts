// The string formats a custom resource's schema may name and what each
// accepts, as kube-openapi's strfmt registry checks them. Upstream strips
// formats CRDs may not use (formats.go): they check nothing. Of the
// supported ones, those not checked here (UNCHECKED) accept anything.
import { isIPv4, isIPv6 } from 'node:net';

/** The formats of a string node that are checked, by their name without '-' (strfmt's normalization). */
const CHECKS: Readonly<Record<string, (s: string) => boolean>> = {
  datetime: isDateTime,
  date: isDate,
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/.test(s),
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid3: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid4: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  uuid5: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  ipv4: isIPv4,
  ipv6: isIPv6,
  cidr: isCidr,
  hostname: isHostname,
  hexcolor: (s) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s),
  password: () => true,
};

/** Supported by upstream for strings but not checked here. */
const UNCHECKED = new Set(['uri', 'email', 'mac', 'isbn', 'isbn10', 'isbn13', 'creditcard', 'ssn', 'rgbcolor', 'duration', 'bsonobjectid', 'quantity']);

/**
 * The format a node keeps once upstream has stripped the unsupported ones
 * (StripUnsupportedFormatsPostProcess): "" when it has none left.
 */
export function effectiveFormat(type: string | undefined, format: string | undefined): string {
  if (!format) return '';
  switch (type ?? '') {
    case '':
    case 'string': {
      const name = format.replaceAll('-', '');
      return Object.hasOwn(CHECKS, name) || UNCHECKED.has(name) ? format : '';
    }
    case 'integer':
      return format === 'int32' || format === 'int64' ? format : '';
    case 'number':
      return format === 'float' || format === 'double' ? format : '';
    default:
      return '';
  }
}

/** Whether `value` is of the string format `format` (one effectiveFormat kept); unchecked formats accept anything. */
export function matchesFormat(format: string, value: string): boolean {
  const name = format.replaceAll('-', '');
  return !Object.hasOwn(CHECKS, name) || CHECKS[name]!(value);
}

/** Go's time.Parse("2006-01-02"): four-digit year, two-digit month and day, a day the month has. */
function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** strfmt.IsDateTime: a date, "t", then hh:mm:ss, optional fraction, and "z" or an offset. */
function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0]!)) return false;
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/.exec(parts[1]!);
  return m !== null && m[1]! <= '23' && m[2]! <= '59' && m[3]! <= '59';
}

function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  if (isIPv4(ip)) return Number(bits) <= 32;
  return isIPv6(ip) && Number(bits) <= 128;
}

/** strfmt.IsHostname. */
function isHostname(s: string): boolean {
  const label = /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
  return label.test(s) && s.length <= 255 && s.split('.').every((p) => p.length <= 63);
}

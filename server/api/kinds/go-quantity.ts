// A resource.Quantity as Go holds it after decoding and SetDefaults_ResourceList
// (apimachinery 1.31 ParseQuantity, then RoundUp to milli units): what its
// String() gives, which upstream serves and stores, and its %#v, which field
// errors passing the Quantity itself show. Go keeps what fits an int64 as
// value × 10^scale exactly as written ("0.5" is 5 × 10^-1, "500m" 500 × 10^-3),
// caches the text it was given when that text looks canonical, and keeps
// everything else as an inf.Dec, whose address is printed and cannot be
// reproduced here.
import { formatQuantity, parseQuantity, type Quantity, roundUp } from '../../../common/quantity.js';
import { goPointer, quote } from './field-errors.js';

const DECIMAL_EXPONENTS: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_EXPONENTS: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const MAX_INT64 = (1n << 63n) - 1n;
/** ParseQuantity's fast path holds at most this many digits in an int64. */
const MAX_INT64_FACTORS = 18;

interface Held {
  /** The int64Amount; undefined when Go fell back to an inf.Dec. */
  readonly int?: { readonly value: bigint; readonly scale: number };
  /** The cached String(), "" when not computed yet. */
  readonly s: string;
  /** "" for the Quantity a JSON null decodes to, which never got one. */
  readonly format: 'DecimalSI' | 'BinarySI' | 'DecimalExponent' | '';
}

/** What UnmarshalJSON makes of a JSON null: the zero amount, no format. */
const FROM_NULL: Held = { int: { value: 0n, scale: 0 }, s: '', format: '' };

/**
 * %#v of the Quantity `text` (a quantity decoding accepted) becomes. Go
 * copies the value into the error before any String() call beside it runs,
 * so the cache shows only what parsing put there.
 */
export function goQuantity(text: string | number | null): string {
  const held = decoded(text);
  const int = held.int ?? { value: 0n, scale: 0 };
  return `resource.Quantity{i:resource.int64Amount{value:${int.value}, scale:${int.scale}}, d:resource.infDecAmount{Dec:${goPointer('inf.Dec', held.int === undefined)}}, s:${quote(held.s)}, Format:${quote(held.format)}}`;
}

/**
 * Quantity.String() of what `text` decodes to, which is what upstream serves
 * and stores: the text as sent when Go cached it ("+1" stays "+1"), else the
 * canonical form of the rounded amount ("0.5" → "500m", "1024Mi" → "1Gi").
 */
export function goString(text: string | number): string {
  return decoded(text).s || formatQuantity(roundUp(parseQuantity(text) as Quantity, -3));
}

/** Quantity.String() of a Quantity field no defaulting rounds (an emptyDir's sizeLimit): the text as sent when Go cached it, else the canonical form. */
export function goUnroundedString(text: string | number): string {
  return parsed(String(text).trim()).s || formatQuantity(parseQuantity(text) as Quantity);
}

function decoded(text: string | number | null): Held {
  return text === null ? FROM_NULL : afterDefaults(parsed(String(text).trim()));
}

/** ParseQuantity. */
function parsed(str: string): Held {
  if (str === '0') return { int: { value: 0n, scale: 0 }, s: str, format: 'DecimalSI' };
  const [, sign, digits, fraction = '', suffix = ''] = /^([+-]?)0*([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(str)!;
  const num = digits === '' ? '0' : digits!;
  let format: Held['format'];
  let exponent: number;
  if (suffix in BINARY_EXPONENTS) {
    format = 'BinarySI';
    exponent = BINARY_EXPONENTS[suffix]!;
  } else if (suffix in DECIMAL_EXPONENTS) {
    format = 'DecimalSI';
    exponent = DECIMAL_EXPONENTS[suffix]!;
  } else {
    format = 'DecimalExponent';
    exponent = Number(suffix.slice(1));
  }
  let precision: number;
  let scale = 0;
  let mantissa = 1n;
  if (format !== 'BinarySI') {
    scale = exponent;
    precision = MAX_INT64_FACTORS - (num.length + fraction.length);
  } else if (fraction === '') {
    mantissa = 1n << BigInt(exponent);
    precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
  } else {
    precision = -1;
  }
  scale -= fraction.length;
  if (precision >= 0 && scale >= -9) {
    const shifted = num + fraction;
    const written = BigInt(shifted);
    const magnitude = written * mantissa;
    if (magnitude <= MAX_INT64) {
      const canonical = format === 'BinarySI' ? (written & 7n) !== 0n : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
      return { int: { value: sign === '-' ? -magnitude : magnitude, scale }, s: canonical ? str : '', format };
    }
  }
  // The inf.Dec path: a binary amount strictly between 0 and 1 is printed in decimal.
  const q = parseQuantity(str) as Quantity;
  const magnitude = q.value < 0n ? -q.value : q.value;
  const belowOne = magnitude !== 0n && q.scale < 0 && magnitude < 10n ** BigInt(-q.scale);
  return { s: '', format: format === 'BinarySI' && belowOne ? 'DecimalSI' : format };
}

/** SetDefaults_ResourceList's RoundUp(-3): a finer amount is rounded away from zero, and its cached text dropped. */
function afterDefaults(held: Held): Held {
  if (held.int === undefined) return { ...held, s: '' };
  if (held.int.scale >= -3) return held;
  const { value } = roundUp({ value: held.int.value, scale: held.int.scale, format: 'DecimalSI' }, -3);
  return { ...held, int: { value, scale: -3 }, s: '' };
}

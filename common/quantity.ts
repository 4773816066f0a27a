// resource.Quantity: parsed exactly (value × 10^scale), rounded up as
// upstream rounds, and printed in its canonical form ("0.5" → "500m",
// "1.5Gi" → "1536Mi", "1000" → "1k"), which is what clients read back.

type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  readonly value: bigint;
  readonly scale: number;
  readonly format: QuantityFormat;
}

const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const SUFFIX_ERROR = "unable to parse quantity's suffix";

const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: readonly string[] = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** ParseQuantity; a string is the decoder's error. JSON numbers arrive as numbers. */
export function parseQuantity(input: string | number): Quantity | string {
  const text = String(input).trim();
  if (text === '') return QUANTITY_FORMAT_ERROR;
  const m = QUANTITY.exec(text);
  if (m === null) return QUANTITY_FORMAT_ERROR;
  const [, sign, whole, fraction = '', suffix] = m as unknown as [string, string, string, string | undefined, string];
  let value = BigInt(`0${whole}${fraction}`);
  let scale = -fraction.length;
  let format: QuantityFormat;
  const binary = BINARY_SUFFIXES.indexOf(suffix);
  if (binary > 0) {
    format = 'BinarySI';
    value *= 1n << BigInt(10 * binary);
  } else if (suffix in DECIMAL_SUFFIXES) {
    format = 'DecimalSI';
    scale += DECIMAL_SUFFIXES[suffix]!;
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    scale += Number(suffix.slice(1));
  } else {
    return SUFFIX_ERROR;
  }
  if (sign === '-') value = -value;
  const q = roundUp({ value, scale, format }, -9);
  // A binary quantity below one cannot be written in binary units.
  return q.format === 'BinarySI' && compare(abs(q), ONE) < 0 ? { ...q, format: 'DecimalSI' } : q;
}

/** Rounds away from zero to at most -scale decimal places (RoundUp). */
export function roundUp(q: Quantity, scale: number): Quantity {
  if (q.scale >= scale) return q;
  const divisor = 10n ** BigInt(scale - q.scale);
  let value = q.value / divisor;
  if (value * divisor !== q.value) value += q.value < 0n ? -1n : 1n;
  return { value, scale, format: q.format };
}

export function compare(a: Quantity, b: Quantity): number {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** a.Add(b): the sum in a's format, or in b's when a is zero, as Go's Add. */
export function add(a: Quantity, b: Quantity): Quantity {
  const [x, y] = aligned(a, b);
  return { value: x + y, scale: Math.min(a.scale, b.scale), format: a.value === 0n ? b.format : a.format };
}

/** A whole number (no fraction once scaled). */
export function isInteger(q: Quantity): boolean {
  return q.scale >= 0 || q.value % 10n ** BigInt(-q.scale) === 0n;
}

/** Quantity.String(): the canonical form. */
export function formatQuantity(q: Quantity): string {
  if (q.value === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI' && (compare(abs(q), KIBI) < 0 || !isInteger(q))) format = 'DecimalSI';
  if (format === 'BinarySI') {
    let value = q.scale >= 0 ? q.value * 10n ** BigInt(q.scale) : q.value / 10n ** BigInt(-q.scale);
    let exponent = 0;
    while (value % 1024n === 0n && exponent < BINARY_SUFFIXES.length - 1) {
      value /= 1024n;
      exponent++;
    }
    return `${value}${BINARY_SUFFIXES[exponent]}`;
  }
  let { value, scale } = q;
  while (value % 10n === 0n) {
    value /= 10n;
    scale++;
  }
  const down = ((scale % 3) + 3) % 3;
  value *= 10n ** BigInt(down);
  scale -= down;
  if (format === 'DecimalExponent') return scale === 0 ? `${value}` : `${value}e${scale}`;
  const suffix = Object.entries(DECIMAL_SUFFIXES).find(([, e]) => e === scale)?.[0];
  return suffix === undefined ? `${value}e${scale}` : `${value}${suffix}`;
}

const ONE: Quantity = { value: 1n, scale: 0, format: 'DecimalSI' };
const KIBI: Quantity = { value: 1024n, scale: 0, format: 'DecimalSI' };

function abs(q: Quantity): Quantity {
  return q.value < 0n ? { ...q, value: -q.value } : q;
}

function aligned(a: Quantity, b: Quantity): [bigint, bigint] {
  const scale = Math.min(a.scale, b.scale);
  return [a.value * 10n ** BigInt(a.scale - scale), b.value * 10n ** BigInt(b.scale - scale)];
}

// ResourceLists (name → quantity maps) as upstream's core/v1 decoding leaves
// them: SetDefaults_ResourceList runs on every ResourceList field of every
// core kind (containers' limits and requests, a claim's requests, limits,
// capacity and allocated resources, a volume's capacity), so a quantity is
// rounded up to milli units and kept in canonical form wherever it is; and
// what validation needs of them (Quantity.Value, semantic equality, Go's
// %#v of a ResourceList).
import type { KubeObject } from '../objects.js';
import { formatQuantity, parseQuantity, type Quantity, roundUp } from '../../../common/quantity.js';
import { decodeError, quote, sortedKeys } from './field-errors.js';

export type ResourceList = Record<string, string>;

const ZERO: Quantity = { value: 0n, scale: 0, format: 'DecimalSI' };

/** SetDefaults_ResourceList, in place: each quantity rounded up to milli units, printed canonically; a bad one fails decoding (a 400). */
export function canonicalResourceList(list: ResourceList | undefined | null, owner: KubeObject): void {
  for (const name of Object.keys(list ?? {})) {
    const q = parseQuantity(list![name]!);
    if (typeof q === 'string') throw decodeError(owner, q);
    list![name] = formatQuantity(roundUp(q, -3));
  }
}

/** A quantity decoding left canonical; an absent one is the zero Quantity, as a missing map key reads in Go. */
export function quantityIn(list: ResourceList | undefined | null, name: string): Quantity {
  const text = list?.[name];
  if (text === undefined) return ZERO;
  const q = parseQuantity(text);
  return typeof q === 'string' ? ZERO : q;
}

/** Quantity.Value(): the value rounded up (away from zero) to an integer, as the int64 validation prints. */
export function integerValue(q: Quantity): bigint {
  return roundUp(q, 0).value * 10n ** BigInt(Math.max(q.scale, 0));
}

/**
 * The lists with every quantity replaced by its exact value, for
 * apiequality.Semantic (which compares quantities with Cmp: "1Gi" and
 * "1073741824" are the same). Leaves its input as it is.
 */
export function comparableResourceList(list: ResourceList | undefined | null): Record<string, string> | undefined | null {
  if (list === undefined || list === null) return list;
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(list)) {
    const q = parseQuantity(text);
    out[name] = typeof q === 'string' ? text : exact(q);
  }
  return out;
}

function exact(q: Quantity): string {
  const nano = roundUp(q, -9);
  return String(nano.value * 10n ** BigInt(nano.scale + 9));
}

/**
 * %#v of a core.ResourceList, as field errors print one: keys sorted as fmt
 * sorts maps; each resource.Quantity as its struct. That struct is what
 * ParseQuantity's fast path makes of the canonical form decoding left (a
 * client's original text, which Go parsed, is gone by then): exact for
 * quantities sent in canonical form ("1Gi", "500m", "10"), close otherwise.
 */
export function goResourceList(list: ResourceList | undefined | null): string {
  if (list === undefined || list === null) return 'core.ResourceList(nil)';
  return `core.ResourceList{${sortedKeys(list)
    .map((name) => `${quote(name)}:${goQuantity(list[name]!)}`)
    .join(', ')}}`;
}

const INT64_MAX = (1n << 63n) - 1n;

function goQuantity(text: string): string {
  const q = parseQuantity(text);
  if (typeof q === 'string') return `resource.Quantity{}`;
  const format = `Format:${quote(q.format)}`;
  if (q.value === 0n) return `resource.Quantity{i:resource.int64Amount{value:0, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"0", ${format}}`;
  if (q.value > INT64_MAX || q.value < -INT64_MAX) {
    return `resource.Quantity{i:resource.int64Amount{value:0, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(0xc000000000)}, s:"", ${format}}`;
  }
  // ParseQuantity keeps the text when it is already canonical.
  const magnitude = q.value < 0n ? -q.value : q.value;
  let canonical: boolean;
  if (q.format === 'BinarySI') {
    const mantissa = /^-?(\d+)/.exec(text)?.[1] ?? '0';
    canonical = /[KMGTPE]i$/.test(text) && (BigInt(mantissa) & 7n) !== 0n;
  } else {
    const shifted = String(magnitude);
    canonical = q.scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
  }
  return `resource.Quantity{i:resource.int64Amount{value:${q.value}, scale:${q.scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${quote(canonical ? text : '')}, ${format}}`;
}

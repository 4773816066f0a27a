// Resource lists as quota adds them up (apiserver's pkg/quota/v1
// resources.go): each quantity exact, sums in the format Go's Quantity.Add
// keeps (the first's, unless it is zero), printed as Quantity.String().
// What the quota controller and admission both compute with.
import { add, compare, formatQuantity, parseQuantity, type Quantity } from '../../../common/quantity.js';

/** Resource name → amount. */
export type Usage = Map<string, Quantity>;

/** A quantity of `value` in whole units (resource.NewQuantity(n, DecimalSI)). */
export const count = (value: number): Quantity => ({ value: BigInt(value), scale: 0, format: 'DecimalSI' });

/** Go's zero Quantity{Format: DecimalSI}. */
export const ZERO = count(0);

/** A stored ResourceList as amounts. */
export function usageOf(list: Readonly<Record<string, string>> | undefined | null): Usage {
  return new Map(Object.entries(list ?? {}).map(([name, text]) => [name, parseQuantity(text) as Quantity]));
}

/** The amounts as a ResourceList is written. */
export function listOf(usage: Usage): Record<string, string> {
  return Object.fromEntries([...usage].map(([name, q]) => [name, formatQuantity(q)]));
}

/** quota.Add: every name of either, summed where both have it. */
export function sum(a: Usage, b: Usage): Usage {
  const out = new Map(a);
  for (const [name, q] of b) {
    const prev = out.get(name);
    out.set(name, prev === undefined ? q : add(prev, q));
  }
  return out;
}

/** Go's Quantity.Max into `into`: the larger amount of each name (maxResourceList). */
export function maxInto(into: Usage, from: Usage): void {
  for (const [name, q] of from) {
    const prev = into.get(name);
    if (prev === undefined || compare(q, prev) > 0) into.set(name, q);
  }
}

/** quota.SubtractWithNonNegativeResult: a − b per name, never below zero; names only b has are zero. */
export function subtractNonNegative(a: Usage, b: Usage): Usage {
  const out: Usage = new Map();
  for (const [name, q] of a) {
    const other = b.get(name);
    const diff = other === undefined ? q : add(q, { ...other, value: -other.value });
    out.set(name, diff.value > 0n ? diff : ZERO);
  }
  for (const name of b.keys()) if (!out.has(name)) out.set(name, ZERO);
  return out;
}

/** quota.Mask: only the names given. */
export function mask(usage: Usage, names: Iterable<string>): Usage {
  const keep = new Set(names);
  return new Map([...usage].filter(([name]) => keep.has(name)));
}

/** quota.RemoveZeros. */
export function removeZeros(usage: Usage): Usage {
  return new Map([...usage].filter(([, q]) => q.value !== 0n));
}

/** quota.IsNegative: the names with a negative amount. */
export function negatives(usage: Usage): string[] {
  return [...usage].filter(([, q]) => q.value < 0n).map(([name]) => name);
}

/** quota.LessThanOrEqual: the names `b` limits that `a` exceeds. */
export function exceeding(a: Usage, b: Usage): string[] {
  return [...b].filter(([name, limit]) => a.has(name) && compare(a.get(name)!, limit) > 0).map(([name]) => name);
}

/** quota.Equals: the same names with the same amounts. */
export function equal(a: Usage, b: Usage): boolean {
  return a.size === b.size && [...a].every(([name, q]) => b.has(name) && compare(q, b.get(name)!) === 0);
}

/** prettyPrint: name=amount, sorted by name, comma-separated. */
export function prettyPrint(usage: Usage): string {
  return [...usage.keys()]
    .sort()
    .map((name) => `${name}=${formatQuantity(usage.get(name)!)}`)
    .join(',');
}

// resource.Quantity read as kubelet reads amounts: Value() and MilliValue(),
// both rounded up to a whole number.
import { parseQuantity, type Quantity } from '../../common/quantity.js';

/** A quantity from a pod spec or the node (already valid: the API checked it); unset is zero. */
export function quantity(text: string | number | undefined): Quantity {
  if (text === undefined) return { value: 0n, scale: 0, format: 'DecimalSI' };
  const q = parseQuantity(text);
  if (typeof q === 'string') throw new Error(`invalid quantity ${JSON.stringify(text)}: ${q}`);
  return q;
}

/** Value(): whole units, rounded up. */
export function value(text: string | number | undefined): bigint {
  return scaled(quantity(text), 0);
}

/** MilliValue(): thousandths, rounded up. */
export function milliValue(text: string | number | undefined): bigint {
  return scaled(quantity(text), -3);
}

/** The amount in units of 10^scale, rounded up (away from zero). */
function scaled(q: Quantity, scale: number): bigint {
  if (q.scale >= scale) return q.value * 10n ** BigInt(q.scale - scale);
  const divisor = 10n ** BigInt(scale - q.scale);
  const whole = q.value / divisor;
  return whole * divisor === q.value ? whole : whole + (q.value < 0n ? -1n : 1n);
}

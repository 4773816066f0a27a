// Int-or-percent fields (maxSurge, maxUnavailable) resolved against a
// count, as upstream's intstr.GetScaledValueFromIntOrPercent.

/**
 * A number as it is; "N%" as N% of `total`, rounded up or down (each field
 * says which: a Deployment rounds its surge up and its unavailability down).
 * Any other string, which the API refuses, reads as the number it starts
 * with, 0 when none.
 */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (percent === null) return Number.parseInt(value, 10) || 0;
  const exact = (Number(percent[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

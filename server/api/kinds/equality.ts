// apiequality.Semantic.DeepEqual over JSON values: absent, null and empty
// lists are one thing, as nil and empty slices are upstream; key order does
// not matter.

export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isNothing(a) || isNothing(b)) return isNothing(a) && isNothing(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => semanticEqual(item, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const key of keys) if (!semanticEqual(x[key], y[key])) return false;
    return true;
  }
  return a === b;
}

function isNothing(v: unknown): boolean {
  return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
}

/**
 * semanticEqual of two decoded Go structs: a field absent and a field at its
 * zero value ("", false, 0) decode alike, so those are dropped first. Only
 * for values with no pointers to scalars (there nil and the zero value
 * differ).
 */
export function zerolessEqual(a: unknown, b: unknown): boolean {
  return semanticEqual(zeroless(a), zeroless(b));
}

function zeroless(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(zeroless);
  if (v === null || typeof v !== 'object') return v === '' || v === false || v === 0 ? undefined : v;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    const z = zeroless(value);
    if (z !== undefined) out[key] = z;
  }
  return out;
}

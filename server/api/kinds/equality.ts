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

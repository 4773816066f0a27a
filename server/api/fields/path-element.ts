// Path elements as upstream's FieldsV1 spells them (structured-merge-diff's
// fieldpath): "f:<name>" a field, "k:<json>" a list item by its key fields,
// "v:<json>" a set item by its value, "i:<n>" a list item by index; their
// order, and the ".spec.containers[name=\"web\"]" form error messages use.

export type Element = string;

export function fieldElement(name: string): Element {
  return `f:${name}`;
}

/** A keyed list item: its key fields, sorted by name, as a JSON object. */
export function keyElement(fields: ReadonlyArray<readonly [string, unknown]>): Element {
  const sorted = [...fields].sort(([a], [b]) => compareStrings(a, b));
  return `k:{${sorted.map(([name, value]) => `${goJson(name)}:${goJson(value)}`).join(',')}}`;
}

export function valueElement(value: unknown): Element {
  return `v:${goJson(value)}`;
}

const KIND_ORDER: Readonly<Record<string, number>> = { f: 0, k: 1, v: 2, i: 3 };

/** Upstream's PathElement.Compare: fields, then keys, then values, then indexes; each by its own order. */
export function compareElements(a: Element, b: Element): number {
  const ka = KIND_ORDER[a[0]!] ?? 4;
  const kb = KIND_ORDER[b[0]!] ?? 4;
  if (ka !== kb) return ka - kb;
  switch (a[0]) {
    case 'f':
      // The same prefix: the names decide.
      return compareStrings(a, b);
    case 'k':
      return compareKeys(JSON.parse(a.slice(2)) as Record<string, unknown>, JSON.parse(b.slice(2)) as Record<string, unknown>);
    case 'v':
      return compareValues(JSON.parse(a.slice(2)), JSON.parse(b.slice(2)));
    default:
      return Number(a.slice(2)) - Number(b.slice(2));
  }
}

/** A path as upstream's Path.String prints it: `.spec.containers[name="web"].image`. */
export function pathString(path: readonly Element[]): string {
  return path
    .map((e) => {
      const body = e.slice(2);
      switch (e[0]) {
        case 'f':
          return `.${body}`;
        case 'k':
          return `[${Object.entries(JSON.parse(body) as Record<string, unknown>)
            .map(([k, v]) => `${k}=${valueString(v)}`)
            .join(',')}]`;
        case 'v':
          return `[=${valueString(JSON.parse(body))}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

/** value.ToString: strings quoted, lists bracketed, maps as k=v run together. */
function valueString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}=${valueString(x)}`).join('');
  return String(v);
}

/**
 * Go's strings.Compare: by the bytes of UTF-8, which order as code points
 * do. UTF-16 code units below the surrogates order the same way, so only a
 * difference at or above them needs the bytes.
 */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    return x < 0xd800 && y < 0xd800 ? x - y : Buffer.compare(Buffer.from(a.slice(i)), Buffer.from(b.slice(i)));
  }
  return a.length - b.length;
}

/** FieldList.Compare: field by field (name, then value); a shorter list first. */
function compareKeys(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ea = Object.entries(a);
  const eb = Object.entries(b);
  for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
    const byName = compareStrings(ea[i]![0], eb[i]![0]);
    if (byName !== 0) return byName;
    const byValue = compareValues(ea[i]![1], eb[i]![1]);
    if (byValue !== 0) return byValue;
  }
  return ea.length - eb.length;
}

/** value.Compare's total order: numbers < strings < booleans < lists < maps < null. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return Math.sign((a as number) - (b as number));
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return Number(a) - Number(b);
    case 3: {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
      return la.length - lb.length;
    }
    case 4: {
      const sorted = (m: object) => Object.fromEntries(Object.entries(m).sort(([x], [y]) => compareStrings(x, y)));
      return compareKeys(sorted(a as object), sorted(b as object));
    }
    default:
      return 0;
  }
}

function rank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (v !== null && typeof v === 'object') return 4;
  return 5;
}

/** JSON as Go's encoding/json writes it: map keys sorted, and <, >, & and U+2028/9 escaped. */
export function goJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort(compareStrings);
    return `{${keys.map((k) => `${goJson(k)}:${goJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof v === 'string') return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return JSON.stringify(v) ?? 'null';
}

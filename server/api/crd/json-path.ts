// The JSONPath that printer columns use (client-go's jsonpath, as
// kube-apiserver evaluates `{<jsonPath>}` with missing keys allowed), in the
// subset CRDs write: `.spec.x`, `.a.b[0]`, `['dotted.key']`, `[*]`, `.*`,
// and filters such as `.status.conditions[?(@.type=="Ready")].status`.

export type Step =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'filter'; readonly path: readonly Step[]; readonly test?: { readonly op: '==' | '!='; readonly value: unknown } };

/** The steps of a path, or undefined for what this subset does not read (such a column stays empty). */
export function parseJsonPath(text: string): Step[] | undefined {
  const steps: Step[] = [];
  let rest = text.trim();
  while (rest !== '') {
    // A lone (or trailing) dot is the object itself.
    if (rest === '.') return steps;
    const field = /^\.([^.[\]]+)/.exec(rest);
    const filter = /^\[\?\((.*?)\)\]/.exec(rest);
    const bracket = /^\[([^\]]*)\]/.exec(rest);
    if (field !== null) {
      steps.push(field[1] === '*' ? { kind: 'all' } : { kind: 'field', name: field[1]! });
      rest = rest.slice(field[0].length);
    } else if (filter !== null) {
      const step = parseFilter(filter[1]!);
      if (step === undefined) return undefined;
      steps.push(step);
      rest = rest.slice(filter[0].length);
    } else if (bracket !== null) {
      const step = parseBracket(bracket[1]!.trim());
      if (step === undefined) return undefined;
      steps.push(step);
      rest = rest.slice(bracket[0].length);
    } else {
      return undefined;
    }
  }
  return steps;
}

function parseBracket(inner: string): Step | undefined {
  if (inner === '*') return { kind: 'all' };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const quoted = /^(['"])(.*)\1$/.exec(inner);
  return quoted === null ? undefined : { kind: 'field', name: quoted[2]! };
}

function parseFilter(inner: string): Step | undefined {
  const m = /^@((?:\.[^.[\]=!\s]+|\[[^\]]*\])+)\s*(?:(==|!=)\s*(.+?))?\s*$/.exec(inner.trim());
  if (m === null) return undefined;
  const path = parseJsonPath(m[1]!);
  if (path === undefined) return undefined;
  if (m[2] === undefined) return { kind: 'filter', path };
  const value = literal(m[3]!);
  return value === undefined ? undefined : { kind: 'filter', path, test: { op: m[2] as '==' | '!=', value } };
}

function literal(text: string): unknown {
  const quoted = /^(['"])(.*)\1$/.exec(text);
  if (quoted !== null) return quoted[2];
  if (text === 'true' || text === 'false') return text === 'true';
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : undefined;
}

/** Every value the path reaches in `data`; none when a key or index is missing. */
export function evaluate(steps: readonly Step[], data: unknown): unknown[] {
  let values: unknown[] = [data];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of values) {
      switch (step.kind) {
        case 'field':
          if (isObject(v) && Object.hasOwn(v, step.name)) next.push(v[step.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const i = step.index < 0 ? v.length + step.index : step.index;
            if (i >= 0 && i < v.length) next.push(v[i]);
          }
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (isObject(v)) next.push(...Object.values(v));
          break;
        case 'filter':
          if (Array.isArray(v)) next.push(...v.filter((item) => passes(step, item)));
          break;
      }
    }
    values = next;
  }
  return values;
}

function passes(step: Extract<Step, { kind: 'filter' }>, item: unknown): boolean {
  const found = evaluate(step.path, item);
  if (step.test === undefined) return found.length > 0;
  const { op, value } = step.test;
  const equal = found.length > 0 && found[0] === value;
  return op === '==' ? equal : found.length > 0 && !equal;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

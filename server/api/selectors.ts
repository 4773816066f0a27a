// Label and field selectors, parsed and matched as apimachinery's labels and
// fields packages do, with the fields each kind lets clients select on.
import type { KubeObject } from './objects.js';

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

// ---- Label selectors --------------------------------------------------------

export interface LabelSelector {
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

type LabelOperator = 'in' | 'notin' | '=' | '!=' | 'gt' | 'lt' | 'exists' | '!';

interface Requirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: ReadonlySet<string>;
}

/**
 * `a=b`, `a==b`, `a!=b`, `a in (b,c)`, `a notin (b,c)`, `a`, `!a`, `a>1`,
 * `a<1`; commas join requirements with AND. An empty string selects everything.
 */
export function parseLabelSelector(s: string): LabelSelector {
  return selectorOf(new LabelParser(scan(s)).parse());
}

/** A metav1.LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist), ANDed. */
export function labelSelectorFromObject(sel: {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}): LabelSelector {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    requirements.push(newRequirement(key, '=', [value]));
  }
  for (const expr of sel.matchExpressions ?? []) {
    const operator = Object.hasOwn(objectOperators, expr.operator) ? objectOperators[expr.operator] : undefined;
    if (operator === undefined) throw new SelectorError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    requirements.push(newRequirement(expr.key, operator, expr.values ?? []));
  }
  return selectorOf(requirements);
}

const objectOperators: Readonly<Record<string, LabelOperator>> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

function selectorOf(requirements: readonly Requirement[]): LabelSelector {
  return {
    matches: (labels) => requirements.every((r) => requirementMatches(r, labels ?? {})),
  };
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const value = Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
      return value !== undefined && r.values.has(value);
    case 'notin':
    case '!=':
      return value === undefined || !r.values.has(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
    case 'gt':
    case 'lt': {
      const [bound = '0'] = r.values;
      if (value === undefined || !isInteger(value)) return false;
      return r.operator === 'gt' ? BigInt(value) > BigInt(bound) : BigInt(value) < BigInt(bound);
    }
  }
}

/** A requirement, checked as labels.NewRequirement checks it. */
function newRequirement(key: string, operator: LabelOperator, values: readonly string[]): Requirement {
  const errors: string[] = [];
  const keyErrors = labelKeyErrors(key);
  if (keyErrors.length > 0) errors.push(invalid('key', key, keyErrors.join('; ')));
  if ((operator === 'in' || operator === 'notin') && values.length === 0) {
    errors.push(invalid('values', values, "for 'in', 'notin' operators, values set can't be empty"));
  }
  if ((operator === 'exists' || operator === '!') && values.length !== 0) {
    errors.push(invalid('values', values, 'values set must be empty for exists and does not exist'));
  }
  if (operator === 'gt' || operator === 'lt') {
    values.forEach((v, i) => {
      if (!isInteger(v)) errors.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
    });
  }
  values.forEach((v, i) => {
    const valueErrors = labelValueErrors(v);
    if (valueErrors.length > 0) errors.push(invalid(`values[${i}][${key}]`, v, valueErrors.join('; ')));
  });
  if (errors.length > 0) throw new SelectorError(aggregate(errors));
  return { key, operator, values: new Set(values) };
}

/** A signed 64-bit decimal integer, as strconv.ParseInt accepts. */
function isInteger(s: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

// The lexer and parser follow labels.Parse, so that the same strings are
// accepted and rejected with the same messages.

type Token = 'id' | 'end' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';

interface Item {
  readonly token: Token;
  readonly literal: string;
}

const symbolTokens: ReadonlyMap<string, Token> = new Map<string, Token>([
  ['(', '('],
  [')', ')'],
  [',', ','],
  ['!', '!'],
  ['=', '='],
  ['==', '=='],
  ['!=', '!='],
  ['>', '>'],
  ['<', '<'],
]);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSymbol = (c: string): boolean => '=!(),<>'.includes(c);

function scan(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isSpace(s.charAt(pos))) pos++;
    if (pos >= s.length) {
      items.push({ token: 'end', literal: '' });
      return items;
    }
    const start = pos;
    if (isSymbol(s.charAt(pos))) {
      // Every symbol alone is a token; take the longest run that still is one ("!=" rather than "!").
      pos++;
      while (pos < s.length && symbolTokens.has(s.slice(start, pos + 1))) pos++;
      const literal = s.slice(start, pos);
      items.push({ token: symbolTokens.get(literal) as Token, literal });
    } else {
      while (pos < s.length && !isSymbol(s.charAt(pos)) && !isSpace(s.charAt(pos))) pos++;
      const literal = s.slice(start, pos);
      items.push({ token: literal === 'in' || literal === 'notin' ? literal : 'id', literal });
    }
  }
}

const binaryOperators = 'in, notin, =, ==, !=, gt, lt';

class LabelParser {
  private position = 0;

  constructor(private readonly items: readonly Item[]) {}

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      const { token, literal } = this.peek(true);
      if (token === 'end') return requirements;
      if (token !== 'id' && token !== '!') {
        throw new SelectorError(`found '${literal}', expected: !, identifier, or 'end of string'`);
      }
      requirements.push(this.requirement());
      const next = this.next(true);
      if (next.token === 'end') return requirements;
      if (next.token !== ',') throw new SelectorError(`found '${next.literal}', expected: ',' or 'end of string'`);
      const after = this.peek(true);
      if (after.token !== 'id' && after.token !== '!') {
        throw new SelectorError(`found '${after.literal}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): Requirement {
    try {
      let negated = false;
      let { token, literal: key } = this.next(true);
      if (token === '!') {
        negated = true;
        ({ token, literal: key } = this.next(true));
      }
      if (token !== 'id') throw new SelectorError(`found '${key}', expected: identifier`);
      const keyErrors = labelKeyErrors(key);
      // Upstream checks the key against a nil field path, which it prints as "<nil>".
      if (keyErrors.length > 0) throw new SelectorError(invalid('<nil>', key, keyErrors.join('; ')));
      if (negated) return newRequirement(key, '!', []);
      const following = this.peek(true).token;
      if (following === 'end' || following === ',') return newRequirement(key, 'exists', []);
      const operator = this.operator();
      const values = operator === 'in' || operator === 'notin' ? this.valueSet() : this.exactValue();
      return newRequirement(key, operator, [...values].sort());
    } catch (err) {
      if (err instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${err.message}`);
      throw err;
    }
  }

  private operator(): LabelOperator {
    const { token, literal } = this.next(false);
    switch (token) {
      case 'in':
      case 'notin':
      case '=':
      case '!=':
        return token;
      case '==':
        return '=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new SelectorError(`found '${literal}', expected: ${binaryOperators}`);
    }
  }

  /** `(a,b)`; empty members, as in `()` or `(a,)`, are the empty value. */
  private valueSet(): Set<string> {
    const open = this.next(true);
    if (open.token !== '(') throw new SelectorError(`found '${open.literal}' expected: '('`);
    const first = this.peek(true);
    if (first.token === ')') {
      this.next(true);
      return new Set(['']);
    }
    if (first.token !== 'id' && first.token !== ',') {
      throw new SelectorError(`found '${first.literal}', expected: ',', ')' or identifier`);
    }
    const values = new Set<string>();
    for (;;) {
      const { token, literal } = this.next(true);
      if (token === 'id') {
        values.add(literal);
        const after = this.peek(true);
        if (after.token === ')') break;
        if (after.token !== ',') throw new SelectorError(`found '${after.literal}', expected: ',' or ')'`);
      } else if (token === ',') {
        const after = this.peek(true).token;
        if (values.size === 0 || after === ')' || after === ',') values.add('');
        if (after === ')') break;
      } else {
        throw new SelectorError(`found '${literal}', expected: ',', or identifier`);
      }
    }
    this.next(true);
    return values;
  }

  private exactValue(): Set<string> {
    const { token } = this.peek(true);
    if (token === 'end' || token === ',') return new Set(['']);
    const value = this.next(true);
    if (value.token !== 'id') throw new SelectorError(`found '${value.literal}', expected: identifier`);
    return new Set([value.literal]);
  }

  /** In value position the words "in" and "notin" are plain identifiers. */
  private peek(asValue: boolean): Item {
    return this.item(this.position, asValue);
  }

  private next(asValue: boolean): Item {
    return this.item(this.position++, asValue);
  }

  private item(at: number, asValue: boolean): Item {
    const item = this.items[Math.min(at, this.items.length - 1)] ?? { token: 'end', literal: '' };
    return asValue && (item.token === 'in' || item.token === 'notin') ? { token: 'id', literal: item.literal } : item;
  }
}

// ---- Label key and value syntax (qualified names) ----------------------------

const nameFormat = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const nameRegexp = new RegExp(`^${nameFormat}$`);
const nameChars = "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const nameMessage = `must ${nameChars}`;
const valueFormat = `(${nameFormat})?`;
const valueRegexp = new RegExp(`^${valueFormat}$`);
const dnsLabelFormat = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const subdomainFormat = `${dnsLabelFormat}(\\.${dnsLabelFormat})*`;
const subdomainRegexp = new RegExp(`^${subdomainFormat}$`);

function labelKeyErrors(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) {
    const rule = regexError(nameMessage, nameFormat, 'MyName', 'my.name', '123-abc');
    return [`a valid label key ${rule} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const [prefix, name] = parts.length === 2 ? [parts[0] ?? '', parts[1] ?? ''] : [undefined, key];
  const errors = prefix === undefined ? [] : prefixErrors(prefix);
  if (name === '') errors.push('name part must be non-empty');
  else if (byteLength(name) > 63) errors.push('name part must be no more than 63 characters');
  if (!nameRegexp.test(name)) errors.push(`name part ${regexError(nameMessage, nameFormat, 'MyName', 'my.name', '123-abc')}`);
  return errors;
}

const subdomainMessage =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

function prefixErrors(prefix: string): string[] {
  if (prefix === '') return ['prefix part must be non-empty'];
  const errors: string[] = [];
  if (byteLength(prefix) > 253) errors.push('prefix part must be no more than 253 characters');
  if (!subdomainRegexp.test(prefix)) errors.push(`prefix part ${regexError(subdomainMessage, subdomainFormat, 'example.com')}`);
  return errors;
}

function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (byteLength(value) > 63) errors.push('must be no more than 63 characters');
  if (!valueRegexp.test(value)) {
    errors.push(regexError(`a valid label must be an empty string or ${nameChars}`, valueFormat, 'MyValue', 'my_value', '12345'));
  }
  return errors;
}

function regexError(message: string, format: string, ...examples: string[]): string {
  return `${message} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${format}')`;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** field.Invalid(...).Error() */
function invalid(field: string, value: unknown, detail: string): string {
  return `${field}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several deduplicated in brackets. */
function aggregate(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
}

// ---- Field selectors --------------------------------------------------------

export interface FieldSelector {
  readonly requirements: readonly { field: string; op: '=' | '!='; value: string }[];
  matches(fields: Readonly<Record<string, string>>): boolean;
}

/**
 * `f=v`, `f==v`, `f!=v`, joined by commas (AND). In values, `\,`, `\=` and
 * `\\` stand for `,`, `=` and `\`. Nothing is trimmed: spaces are part of the
 * field or value, as upstream.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const requirements: { field: string; op: '=' | '!='; value: string }[] = [];
  for (const term of splitTerms(s).sort()) {
    if (term === '') continue;
    const at = term.search(/!=|==|=/);
    if (at < 0) throw new SelectorError(`invalid selector: '${s}'; can't understand '${term}'`);
    const op = term.startsWith('!=', at) ? '!=' : term.startsWith('==', at) ? '==' : '=';
    const field = term.slice(0, at);
    const value = unescapeValue(term.slice(at + op.length));
    // An empty field with an empty value selects everything.
    if (field === '' && value === '') continue;
    requirements.push({ field, op: op === '!=' ? '!=' : '=', value });
  }
  return {
    requirements,
    matches: (fields) =>
      requirements.every(({ field, op, value }) => ((Object.hasOwn(fields, field) ? fields[field] : '') === value) === (op === '=')),
  };
}

/** Splits on commas that are not escaped by a backslash. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function unescapeValue(s: string): string {
  let out = '';
  let escaped = false;
  for (const c of s) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === ',' || c === '=') {
      // Upstream prints the character as its code point.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (escaped) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

// ---- Selectable fields per kind ----------------------------------------------

type FieldGetter = (obj: KubeObject) => string;

/** A string field, or "" when absent (Go's zero value). */
function text(...path: string[]): FieldGetter {
  return (obj) => {
    const value = lookup(obj, path);
    return typeof value === 'string' ? value : '';
  };
}

/** An integer field, "0" when absent. */
function count(...path: string[]): FieldGetter {
  return (obj) => {
    const value = lookup(obj, path);
    return typeof value === 'number' ? String(value) : '0';
  };
}

/** A boolean field, "false" when absent. */
function flag(...path: string[]): FieldGetter {
  return (obj) => String(lookup(obj, path) === true);
}

function lookup(obj: unknown, path: readonly string[]): unknown {
  let current = obj;
  for (const name of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, name)) return undefined;
    current = (current as Record<string, unknown>)[name];
  }
  return current;
}

const name: FieldGetter = text('metadata', 'name');
const objectMeta: Readonly<Record<string, FieldGetter>> = { 'metadata.name': name, 'metadata.namespace': text('metadata', 'namespace') };

/** EventToSelectableFields, reading the fields named as `names` gives them. */
function eventFields(names: { involvedObject: string; reportingComponent: string; source: string }): Readonly<Record<string, FieldGetter>> {
  const involved = (field: string): FieldGetter => text(names.involvedObject, field);
  const reporter = text(names.reportingComponent);
  return {
    ...objectMeta,
    'involvedObject.kind': involved('kind'),
    'involvedObject.namespace': involved('namespace'),
    'involvedObject.name': involved('name'),
    'involvedObject.uid': involved('uid'),
    'involvedObject.apiVersion': involved('apiVersion'),
    'involvedObject.resourceVersion': involved('resourceVersion'),
    'involvedObject.fieldPath': involved('fieldPath'),
    reason: text('reason'),
    reportingComponent: reporter,
    source: (obj) => text(names.source, 'component')(obj) || reporter(obj),
    type: text('type'),
  };
}

/** From the registries' GetAttrs and the field label conversions of each kind; other kinds offer objectMeta only. */
const fieldsByKind: Readonly<Record<string, Readonly<Record<string, FieldGetter>>>> = {
  '/Pod': {
    ...objectMeta,
    'spec.nodeName': text('spec', 'nodeName'),
    'spec.restartPolicy': text('spec', 'restartPolicy'),
    'spec.schedulerName': text('spec', 'schedulerName'),
    'spec.serviceAccountName': text('spec', 'serviceAccountName'),
    'spec.hostNetwork': flag('spec', 'hostNetwork'),
    'status.phase': text('status', 'phase'),
    // The primary IP: podIPs[0], which podIP mirrors.
    'status.podIP': (obj) => {
      const first = lookup(obj, ['status', 'podIPs', '0', 'ip']);
      return typeof first === 'string' ? first : text('status', 'podIP')(obj);
    },
    'status.nominatedNodeName': text('status', 'nominatedNodeName'),
  },
  '/Event': eventFields({ involvedObject: 'involvedObject', reportingComponent: 'reportingComponent', source: 'source' }),
  // The same labels over events.k8s.io's names (upstream converts the field labels to core's).
  'events.k8s.io/Event': eventFields({ involvedObject: 'regarding', reportingComponent: 'reportingController', source: 'deprecatedSource' }),
  '/Secret': { ...objectMeta, type: text('type') },
  '/Service': { ...objectMeta, 'spec.clusterIP': text('spec', 'clusterIP'), 'spec.type': text('spec', 'type') },
  '/ReplicationController': { ...objectMeta, 'status.replicas': count('status', 'replicas') },
  // Cluster-scoped, and upstream rejects metadata.namespace for these two.
  '/Node': { 'metadata.name': name, 'spec.unschedulable': flag('spec', 'unschedulable') },
  '/Namespace': { 'metadata.name': name, 'status.phase': text('status', 'phase') },
  'apps/ReplicaSet': { ...objectMeta, 'status.replicas': count('status', 'replicas') },
  'batch/Job': { ...objectMeta, 'status.successful': count('status', 'succeeded') },
  'certificates.k8s.io/CertificateSigningRequest': { ...objectMeta, 'spec.signerName': text('spec', 'signerName') },
};

function fieldsOf(group: string, kind: string): Readonly<Record<string, FieldGetter>> {
  return fieldsByKind[`${group}/${kind}`] ?? objectMeta;
}

/** The values of the fields that `kind` supports in field selectors, for matching `obj`. */
export function selectableFields(group: string, kind: string, obj: KubeObject): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [field, get] of Object.entries(fieldsOf(group, kind))) values[field] = get(obj);
  return values;
}

/** Throws SelectorError ('field label not supported: spec.foo') when the selector names a field the kind does not support. */
export function checkFieldSelector(sel: FieldSelector, group: string, kind: string): void {
  const supported = fieldsOf(group, kind);
  for (const { field } of sel.requirements) {
    if (!Object.hasOwn(supported, field)) throw new SelectorError(`field label not supported: ${field}`);
  }
}

// JSON held in annotations, decoded as upstream decodes it: Go's
// json.Unmarshal into a typed value (Go 1.22, what Kubernetes 1.31 is built
// with), and the errors it returns in Go's words. Syntax errors come from
// Go's scanner, which checks the whole text before anything is decoded;
// then values of the wrong JSON type are skipped, the first one reported
// with the struct field it was met in; metav1.Time fails the decoding at
// once, with its own decoder's or time.Parse's error.
import { goTimeParseError } from './go-time.js';

/** The Go type a JSON text is decoded into; `name` is how Go prints it (reflect.Type.String()). */
export type GoType =
  | { readonly kind: 'string'; readonly name: string }
  | { readonly kind: 'bool' }
  | { readonly kind: 'int64' }
  | { readonly kind: 'pointer'; readonly elem: GoType }
  | { readonly kind: 'slice'; readonly name: string; readonly elem: GoType }
  | { readonly kind: 'struct'; readonly name: string; readonly fields: Readonly<Record<string, GoType>> }
  /** metav1.Time: null or an RFC 3339 string. */
  | { readonly kind: 'time' };

/**
 * What json.Unmarshal leaves in a value of `type` (strings '', bools
 * false, nil pointers and times undefined, structs with every field), and
 * the error it returns, if any.
 */
export function goUnmarshal(text: string, type: GoType): { value: unknown; error?: string } {
  const syntax = goJsonSyntaxError(text);
  if (syntax !== undefined) return { value: zero(type), error: syntax };
  const decoder = new Decoder();
  try {
    const value = decoder.decode(JSON.parse(text) as unknown, type, { fields: [] });
    return decoder.saved === undefined ? { value } : { value, error: decoder.saved };
  } catch (err) {
    if (err instanceof Abort) return { value: zero(type), error: err.message };
    throw err;
  }
}

interface ErrorContext {
  /** The struct whose field is being decoded (reflect.Type.Name(): no package). */
  readonly struct?: string;
  /** The JSON names of the fields from the root. */
  readonly fields: readonly string[];
}

/** An error that ends the decoding (an Unmarshaler's). */
class Abort extends Error {}

class Decoder {
  /** The first type error: decoding goes on past it. */
  saved: string | undefined;

  decode(v: unknown, type: GoType, ctx: ErrorContext): unknown {
    if (v === null) return type.kind === 'slice' ? [] : zero(type);
    switch (type.kind) {
      case 'pointer':
        return this.decode(v, type.elem, ctx);
      case 'string':
        if (typeof v === 'string') return v;
        return this.mismatch(v, type.name, ctx, type);
      case 'bool':
        if (typeof v === 'boolean') return v;
        return this.mismatch(v, 'bool', ctx, type);
      case 'int64':
        if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
        // Go names a number by its literal and refuses 1.0 or 1e2 as integers; JSON.parse keeps only the value,
        // which reads the same for plain decimals.
        return this.mismatch(v, 'int64', ctx, type, typeof v === 'number' ? `number ${String(v)}` : undefined);
      case 'slice':
        if (Array.isArray(v)) return v.map((item) => this.decode(item, type.elem, ctx));
        return this.mismatch(v, type.name, ctx, type);
      case 'struct': {
        if (typeof v !== 'object' || Array.isArray(v)) return this.mismatch(v, type.name, ctx, type);
        const out = zero(type) as Record<string, unknown>;
        const names = Object.keys(type.fields);
        for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
          // An exact match first, then one that differs in case only.
          const name = names.find((n) => n === key) ?? names.find((n) => n.toLowerCase() === key.toLowerCase());
          if (name === undefined) continue;
          out[name] = this.decode(item, type.fields[name]!, { struct: type.name.slice(type.name.lastIndexOf('.') + 1), fields: [...ctx.fields, name] });
        }
        return out;
      }
      case 'time':
        // metav1.Time's UnmarshalJSON: a string (json.Unmarshal into one), then time.Parse(RFC3339, it).
        if (typeof v !== 'string') throw new Abort(typeError(jsonKind(v), 'string', ctx));
        {
          const error = goTimeParseError(v);
          if (error !== undefined) throw new Abort(error);
        }
        return v;
    }
  }

  private mismatch(v: unknown, typeName: string, ctx: ErrorContext, type: GoType, value = jsonKind(v)): unknown {
    this.saved ??= typeError(value, typeName, ctx);
    return zero(type);
  }
}

/** UnmarshalTypeError.Error(), with the context the decoder adds. */
function typeError(value: string, typeName: string, ctx: ErrorContext): string {
  if (ctx.struct !== undefined || ctx.fields.length > 0) {
    return `json: cannot unmarshal ${value} into Go struct field ${ctx.struct ?? ''}.${ctx.fields.join('.')} of type ${typeName}`;
  }
  return `json: cannot unmarshal ${value} into Go value of type ${typeName}`;
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // object, string, number
}

function zero(type: GoType): unknown {
  switch (type.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int64':
      return 0;
    case 'slice':
      return [];
    case 'struct':
      return Object.fromEntries(Object.entries(type.fields).map(([name, field]) => [name, zero(field)]));
    default:
      return undefined;
  }
}

// --- the scanner ----------------------------------------------------------------

const enum Parse {
  ObjectKey,
  ObjectValue,
  ArrayValue,
}

type Step = (c: number) => Step | undefined;

/** encoding/json's checkValid: the SyntaxError message for `text`, undefined when it is valid JSON. */
export function goJsonSyntaxError(text: string): string | undefined {
  const stack: Parse[] = [];
  let error: string | undefined;
  let endTop = false;
  const fail = (c: number, context: string): undefined => {
    error = `invalid character ${quoteChar(c)} ${context}`;
    return undefined;
  };
  const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

  const endValue: Step = (c) => {
    if (stack.length === 0) {
      endTop = true;
      return endTopStep(c);
    }
    if (isSpace(c)) return endValue;
    switch (stack[stack.length - 1]) {
      case Parse.ObjectKey:
        if (c === 0x3a) {
          stack[stack.length - 1] = Parse.ObjectValue;
          return beginValue;
        }
        return fail(c, 'after object key');
      case Parse.ObjectValue:
        if (c === 0x2c) {
          stack[stack.length - 1] = Parse.ObjectKey;
          return beginString;
        }
        if (c === 0x7d) {
          stack.pop();
          return endValue;
        }
        return fail(c, 'after object key:value pair');
      default:
        if (c === 0x2c) return beginValue;
        if (c === 0x5d) {
          stack.pop();
          return endValue;
        }
        return fail(c, 'after array element');
    }
  };
  const endTopStep: Step = (c) => (isSpace(c) ? endTopStep : fail(c, 'after top-level value'));
  const beginValue: Step = (c) => {
    if (isSpace(c)) return beginValue;
    switch (c) {
      case 0x7b: // {
        stack.push(Parse.ObjectKey);
        return beginStringOrEmpty;
      case 0x5b: // [
        stack.push(Parse.ArrayValue);
        return beginValueOrEmpty;
      case 0x22:
        return inString;
      case 0x2d: // -
        return neg;
      case 0x30:
        return zeroStep;
      case 0x74: // t
        return literal('true', 1);
      case 0x66: // f
        return literal('false', 1);
      case 0x6e: // n
        return literal('null', 1);
    }
    if (c >= 0x31 && c <= 0x39) return one;
    return fail(c, 'looking for beginning of value');
  };
  const beginValueOrEmpty: Step = (c) => {
    if (isSpace(c)) return beginValueOrEmpty;
    if (c === 0x5d) return endValue(c);
    return beginValue(c);
  };
  const beginStringOrEmpty: Step = (c) => {
    if (isSpace(c)) return beginStringOrEmpty;
    if (c === 0x7d) {
      stack[stack.length - 1] = Parse.ObjectValue;
      return endValue(c);
    }
    return beginString(c);
  };
  const beginString: Step = (c) => {
    if (isSpace(c)) return beginString;
    if (c === 0x22) return inString;
    return fail(c, 'looking for beginning of object key string');
  };
  const inString: Step = (c) => {
    if (c === 0x22) return endValue;
    if (c === 0x5c) return inStringEsc;
    if (c < 0x20) return fail(c, 'in string literal');
    return inString;
  };
  const inStringEsc: Step = (c) => {
    if ([0x62, 0x66, 0x6e, 0x72, 0x74, 0x5c, 0x2f, 0x22].includes(c)) return inString;
    if (c === 0x75) return hex(4);
    return fail(c, 'in string escape code');
  };
  const hex =
    (left: number): Step =>
    (c) => {
      if (!isHex(c)) return fail(c, 'in \\u hexadecimal character escape');
      return left === 1 ? inString : hex(left - 1);
    };
  const neg: Step = (c) => {
    if (c === 0x30) return zeroStep;
    if (c >= 0x31 && c <= 0x39) return one;
    return fail(c, 'in numeric literal');
  };
  const one: Step = (c) => (isDigit(c) ? one : zeroStep(c));
  const zeroStep: Step = (c) => {
    if (c === 0x2e) return dot;
    if (c === 0x65 || c === 0x45) return exponent;
    return endValue(c);
  };
  const dot: Step = (c) => (isDigit(c) ? dot0 : fail(c, 'after decimal point in numeric literal'));
  const dot0: Step = (c) => {
    if (isDigit(c)) return dot0;
    if (c === 0x65 || c === 0x45) return exponent;
    return endValue(c);
  };
  const exponent: Step = (c) => (c === 0x2b || c === 0x2d ? exponentSign : exponentSign(c));
  const exponentSign: Step = (c) => (isDigit(c) ? exponentDigits : fail(c, 'in exponent of numeric literal'));
  const exponentDigits: Step = (c) => (isDigit(c) ? exponentDigits : endValue(c));
  const literal =
    (word: string, at: number): Step =>
    (c) => {
      const want = word.charCodeAt(at);
      if (c !== want) return fail(c, `in literal ${word} (expecting ${quoteChar(want)})`);
      return at === word.length - 1 ? endValue : literal(word, at + 1);
    };

  let step: Step | undefined = beginValue;
  for (const c of Buffer.from(text, 'utf8')) {
    step = step(c);
    if (step === undefined) return error;
  }
  // eof: a value that ends only at the end (a number) is ended by a space.
  if (endTop) return undefined;
  step = step(0x20);
  if (endTop) return undefined;
  return error ?? 'unexpected end of JSON input';
}

/** encoding/json's quoteChar: a byte as the scanner names it. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  return `'${goQuoteRune(c)}'`;
}

/** The inside of strconv.Quote(string(rune(c))) for a byte. */
function goQuoteRune(c: number): string {
  const escapes: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x5c: '\\\\' };
  if (c in escapes) return escapes[c]!;
  if (c < 0x20 || c === 0x7f) return `\\x${c.toString(16).padStart(2, '0')}`;
  // A byte above 0x7f that the scanner stops at leads a UTF-8 sequence (0xc2 to 0xf4): as a rune, a printable Latin-1 letter.
  return String.fromCharCode(c);
}

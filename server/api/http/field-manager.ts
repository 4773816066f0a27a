// The manager a write is recorded under (metadata.managedFields): the
// fieldManager query parameter, checked as upstream's ValidateFieldManager,
// else upstream's default from the User-Agent, the part before its first
// "/" ("kubectl/v1.33.1 (linux/amd64) …" → "kubectl").
import { forbidden, invalid, quote, required, tooLong } from '../kinds/field-errors.js';
import { errors, type OptionsKind, optionsKind, type StatusCause } from '../status.js';

const MAX_LENGTH = 128;

/** Upstream's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export interface ManagerOptions {
  /** The manager's name: the parameter's, else the User-Agent's. */
  readonly name: string;
  /** Whether the request named it (an apply must). */
  readonly explicit: boolean;
}

/** The write's manager; a bad fieldManager is a 422 Invalid of the write's options. */
export function fieldManagerOf(query: URLSearchParams, userAgent: string | undefined, kind: OptionsKind): ManagerOptions {
  const given = query.get('fieldManager') ?? '';
  const causes = fieldManagerCauses(given);
  if (causes.length > 0) throw errors.invalid(optionsKind(kind), '', causes);
  return given === '' ? { name: fromUserAgent(userAgent ?? ''), explicit: false } : { name: given, explicit: true };
}

/** PatchOptions an apply needs (a fieldManager) and others must not have (force). */
export function checkPatchOptions(query: URLSearchParams, manager: ManagerOptions, apply: boolean): void {
  const causes: StatusCause[] = [];
  if (!apply && query.has('force')) causes.push(forbidden('force', 'may not be specified for non-apply patch'));
  if (apply && !manager.explicit) causes.push(required('fieldManager', 'is required for apply patch'));
  if (causes.length > 0) throw errors.invalid(optionsKind('PatchOptions'), '', causes);
}

function fieldManagerCauses(name: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (Buffer.byteLength(name) > MAX_LENGTH) causes.push(tooLong('fieldManager', MAX_LENGTH));
  let at = 0;
  for (const ch of name) {
    if (!PRINTABLE.test(ch)) {
      const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
      causes.push(invalid('fieldManager', quote(name), `invalid character ${code} (at position ${at})`));
    }
    at += Buffer.byteLength(ch);
  }
  return causes;
}

/** The User-Agent before its first "/", unprintable characters left out, cut to the longest name allowed. */
function fromUserAgent(userAgent: string): string {
  let out = '';
  for (const ch of userAgent.split('/')[0]!) {
    if (!PRINTABLE.test(ch)) continue;
    if (Buffer.byteLength(out + ch) > MAX_LENGTH) break;
    out += ch;
  }
  return out;
}

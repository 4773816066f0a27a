// Query parameters as the API reads them: absent when missing or empty, else
// checked (a 400 naming the parameter).
import { goStrings, notSupported } from '../kinds/field-errors.js';
import { errors, type OptionsKind, optionsKind } from '../status.js';

export function booleanParam(value: string | null | undefined, name: string): boolean | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (value !== 'true' && value !== 'false') throw errors.badRequest(`${name} must be true or false, not ${JSON.stringify(value)}`);
  return value === 'true';
}

export function nonNegativeInt(value: string | null | undefined, name: string): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw errors.badRequest(`${name} must be a non-negative integer, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** `{ key: value }`, or nothing when the value is absent: for spreading into options. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Whether a write's dryRun values ask for a dry run: "All" is the only one
 * there is, and anything else is refused (upstream's ValidateDryRun), so a
 * mistyped dry run (dryRun=true) never writes.
 */
export function dryRunOf(values: readonly string[], kind: OptionsKind): boolean {
  if (values.every((v) => v === 'All')) return values.length > 0;
  throw errors.invalid(optionsKind(kind), '', [notSupported('dryRun', goStrings(values), ['All'])]);
}

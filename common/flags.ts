// Strict command-line flag parsing: every flag is declared, anything else is a
// usage error (exit code 2), so a typo never silently falls back to a default.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** By name, not class: each command is bundled with its own copy of this module (tools/bundle/bundle.ts). */
export function isUsageError(err: unknown): err is UsageError {
  return err instanceof Error && err.name === 'UsageError';
}

export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'boolean' | 'list';
  readonly help: string;
  /** Shown in help; the parser itself never invents values. */
  readonly placeholder?: string;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedArgs {
  readonly flags: FlagValues;
  readonly positionals: string[];
}

export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: FlagValues = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(arg.startsWith('--') ? 2 : 1, eq === -1 ? undefined : eq);
    const spec = byName.get(name);
    if (spec === undefined) throw new UsageError(`unknown flag: ${arg.slice(0, eq === -1 ? undefined : eq)}`);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (spec.kind === 'boolean') {
      if (value === undefined || value === 'true') flags[name] = true;
      else if (value === 'false') flags[name] = false;
      else throw new UsageError(`flag --${name} takes true or false, not "${value}"`);
      continue;
    }
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`flag --${name} needs a value`);
      value = next;
      i++;
    }
    if (value === '') throw new UsageError(`flag --${name} needs a value`);
    if (spec.kind === 'list') flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
  }
  return { flags, positionals };
}

export function flagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = s.kind === 'boolean' ? `--${s.name}` : `--${s.name} ${s.placeholder ?? 'VALUE'}`;
    return [left, s.help] as const;
  });
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`).join('\n');
}

/** Parses a non-negative integer flag value, naming the flag in the error. */
export function integerFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`flag --${name} takes a whole number, not "${value}"`);
  return Number(value);
}

/**
 * A duration as Go and k3s write them, units in order (24h, 1h30m, 90s,
 * 500ms), in milliseconds; "0" is zero. Names the flag in the error.
 */
export function durationFlag(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  if (value === '0') return 0;
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(value);
  if (match === null || value === '') throw new UsageError(`flag --${name} takes a duration such as 10s, 5m or 1h30m, not "${value}"`);
  return ((Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 60 + Number(match[3] ?? 0)) * 1000 + Number(match[4] ?? 0);
}

// CronJob schedules as upstream reads them: robfig/cron/v3's ParseStandard
// (five fields, or a descriptor such as @hourly), worded as its errors are,
// and parsed into the values each field allows (what the CronJob controller
// walks to find the next time).
import { quote } from './field-errors.js';

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
/** minute, hour, day of month, month, day of week */
const FIELDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];
/** The descriptors as the five fields they stand for. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** The values one field allows; `star` when it was "*" or "?" with no step above 1 (robfig's starBit). */
export interface CronField {
  readonly values: ReadonlySet<number>;
  readonly star: boolean;
}

/** minute, hour, day of month, month, day of week; or @every's period. `timeZone` from a TZ= / CRON_TZ= prefix. */
export type CronSchedule =
  | { readonly fields: readonly CronField[]; readonly timeZone?: string }
  | { readonly everySeconds: number; readonly timeZone?: string };

/** The parser's error for a schedule, or undefined when it parses. */
export function scheduleError(schedule: string): string | undefined {
  const parsed = parseSchedule(schedule);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** The schedule, or the parser's error. */
export function parseSchedule(schedule: string): CronSchedule | string {
  let spec = schedule;
  let timeZone: string | undefined;
  if (spec === '') return 'empty spec string';
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    timeZone = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
    if (!isTimeZone(timeZone)) return `provided bad location ${timeZone}: unknown time zone ${timeZone}`;
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  const zone = timeZone === undefined ? {} : { timeZone };
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      const seconds = parseDuration(spec.slice('@every '.length));
      if (typeof seconds === 'string') return `failed to parse duration ${spec}: ${seconds}`;
      // robfig's Every: whole seconds, at least one.
      return { everySeconds: Math.max(1, Math.floor(seconds)), ...zone };
    }
    if (DESCRIPTORS[spec] === undefined) return `unrecognized descriptor: ${spec}`;
    spec = DESCRIPTORS[spec];
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== FIELDS.length) return `expected exactly ${FIELDS.length} fields, found ${fields.length}: [${fields.join(' ')}]`;
  const parsed: CronField[] = [];
  for (const [i, field] of fields.entries()) {
    const values = new Set<number>();
    let star = false;
    for (const expr of field.split(',').filter((e) => e !== '')) {
      const range = parseRange(expr, FIELDS[i]!);
      if (typeof range === 'string') return range;
      for (let v = range.start; v <= range.end; v += range.step) values.add(v);
      star ||= range.star;
    }
    parsed.push({ values, star });
  }
  return { fields: parsed, ...zone };
}

/** time.LoadLocation's verdict, from the zone data Node carries (case-sensitive, as zone files are). */
export function isTimeZone(zone: string): boolean {
  if (zone === '' || zone === 'UTC' || zone === 'Local') return true;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  // Intl ignores case; a name that resolves to itself in other case is not a zone file's name.
  return resolved === zone || resolved.toLowerCase() !== zone.toLowerCase();
}

function parseRange(expr: string, bounds: Bounds): { start: number; end: number; step: number; star: boolean } | string {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = bounds.min;
    end = bounds.max;
    star = true;
  } else {
    const low = intOrName(lowAndHigh[0]!, bounds);
    if (typeof low === 'string') return low;
    if (lowAndHigh.length > 2) return `too many hyphens: ${expr}`;
    const high = lowAndHigh.length === 2 ? intOrName(lowAndHigh[1]!, bounds) : low;
    if (typeof high === 'string') return high;
    [start, end] = [low, high];
  }
  let step = 1;
  if (rangeAndStep.length > 2) return `too many slashes: ${expr}`;
  if (rangeAndStep.length === 2) {
    const parsed = nonNegativeInt(rangeAndStep[1]!);
    if (typeof parsed === 'string') return parsed;
    step = parsed;
    // "N/step" means "N-max/step".
    if (lowAndHigh.length === 1) end = bounds.max;
    if (step > 1) star = false;
  }
  if (start < bounds.min) return `beginning of range (${start}) below minimum (${bounds.min}): ${expr}`;
  if (end > bounds.max) return `end of range (${end}) above maximum (${bounds.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  if (step === 0) return `step of range should be a positive number: ${expr}`;
  return { start, end, step, star };
}

function intOrName(text: string, bounds: Bounds): number | string {
  return bounds.names?.[text.toLowerCase()] ?? nonNegativeInt(text);
}

/** mustParseInt: strconv.Atoi, then no negatives. */
function nonNegativeInt(text: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(text)) return `failed to parse int from ${text}: strconv.Atoi: parsing ${quote(text)}: invalid syntax`;
  const n = BigInt(text);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return `failed to parse int from ${text}: strconv.Atoi: parsing ${quote(text)}: value out of range`;
  return n < 0n ? `negative number (${n}) not allowed: ${text}` : Number(n);
}

/** time.ParseDuration, in seconds, or its complaint. */
function parseDuration(text: string): number | string {
  const invalid = `time: invalid duration ${quote(text)}`;
  const negative = text.startsWith('-');
  let rest = text.replace(/^[-+]/, '');
  if (rest === '0') return 0;
  if (rest === '') return invalid;
  let seconds = 0;
  while (rest !== '') {
    const number = /^([0-9]*)(\.([0-9]*))?/.exec(rest)![0];
    if (number.replace('.', '') === '') return invalid;
    rest = rest.slice(number.length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    if (unit === '') return `time: missing unit in duration ${quote(text)}`;
    const scale = DURATION_UNITS[unit];
    if (scale === undefined) return `time: unknown unit ${quote(unit)} in duration ${quote(text)}`;
    seconds += Number(number) * scale;
    rest = rest.slice(unit.length);
  }
  return negative ? -seconds : seconds;
}

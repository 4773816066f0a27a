// CronJob schedules as upstream checks them: robfig/cron/v3's ParseStandard
// (five fields, or a descriptor such as @hourly), worded as its errors are.
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
const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const DURATION_UNITS = new Set(['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h']);

/** The parser's error for a schedule, or undefined when it parses. */
export function scheduleError(schedule: string): string | undefined {
  let spec = schedule;
  if (spec === '') return 'empty spec string';
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const zone = spec.slice(spec.indexOf('=') + 1, space < 0 ? undefined : space);
    if (!isTimeZone(zone)) return `provided bad location ${zone}: unknown time zone ${zone}`;
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  if (spec.startsWith('@')) return descriptorError(spec);
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== FIELDS.length) return `expected exactly ${FIELDS.length} fields, found ${fields.length}: [${fields.join(' ')}]`;
  for (const [i, field] of fields.entries()) {
    for (const expr of field.split(',').filter((e) => e !== '')) {
      const err = rangeError(expr, FIELDS[i]!);
      if (err !== undefined) return err;
    }
  }
  return undefined;
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

function descriptorError(spec: string): string | undefined {
  if (DESCRIPTORS.has(spec)) return undefined;
  if (spec.startsWith('@every ')) {
    const err = durationError(spec.slice('@every '.length));
    return err === undefined ? undefined : `failed to parse duration ${spec}: ${err}`;
  }
  return `unrecognized descriptor: ${spec}`;
}

function rangeError(expr: string, bounds: Bounds): string | undefined {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = bounds.min;
    end = bounds.max;
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
  }
  if (start < bounds.min) return `beginning of range (${start}) below minimum (${bounds.min}): ${expr}`;
  if (end > bounds.max) return `end of range (${end}) above maximum (${bounds.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  if (step === 0) return `step of range should be a positive number: ${expr}`;
  return undefined;
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

/** time.ParseDuration's complaint about a duration, if any. */
function durationError(text: string): string | undefined {
  const invalid = `time: invalid duration ${quote(text)}`;
  let rest = text.replace(/^[-+]/, '');
  if (rest === '0') return undefined;
  if (rest === '') return invalid;
  while (rest !== '') {
    const number = /^([0-9]*)(\.([0-9]*))?/.exec(rest)![0];
    if (number.replace('.', '') === '') return invalid;
    rest = rest.slice(number.length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    if (unit === '') return `time: missing unit in duration ${quote(text)}`;
    if (!DURATION_UNITS.has(unit)) return `time: unknown unit ${quote(unit)} in duration ${quote(text)}`;
    rest = rest.slice(unit.length);
  }
  return undefined;
}

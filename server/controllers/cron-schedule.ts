// When a parsed cron schedule (kinds/cron.ts) next fires, as robfig/cron/v3's
// SpecSchedule.Next walks it: month, then day, hour, minute and second, each
// advanced in the schedule's time zone until it matches, starting over when
// a field wraps. Zone arithmetic goes through Intl, which carries the same
// IANA data Go's time.LoadLocation reads.
import type { CronField, CronSchedule } from '../api/kinds/cron.js';

interface Fields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone the process runs in: upstream reads schedules without a time zone in the controller manager's local time. */
export const LOCAL_ZONE = new Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The first time (ms since the epoch) after `fromMs` that the schedule fires in `zone`; undefined when none within five years. */
export function nextFire(schedule: CronSchedule, fromMs: number, zone: string): number | undefined {
  // @every: a constant delay from the whole second.
  if ('everySeconds' in schedule) return Math.floor(fromMs / 1000) * 1000 + schedule.everySeconds * 1000;
  const [minutes, hours, days, months, weekdays] = schedule.fields as [CronField, CronField, CronField, CronField, CronField];
  const at = (ms: number) => fieldsIn(zone, ms);
  const date = (y: number, mo: number, d: number, h: number) => zonedTime(zone, y, mo, d, h, 0, 0);
  const dayMatches = (f: Fields) => {
    const dom = days.values.has(f.day);
    const dow = weekdays.values.has(f.weekday);
    return days.star || weekdays.star ? dom && dow : dom || dow;
  };
  // The upcoming whole second.
  let t = Math.floor(fromMs / 1000) * 1000 + 1000;
  let added = false;
  const yearLimit = at(t).year + 5;
  wrap: for (;;) {
    let f = at(t);
    if (f.year > yearLimit) return undefined;
    while (!months.values.has(f.month)) {
      // Advancing a field starts the ones below it from their beginning.
      if (!added) {
        added = true;
        t = date(f.year, f.month, 1, 0);
        f = at(t);
      }
      t = zonedTime(zone, f.year, f.month + 1, f.day, f.hour, f.minute, f.second);
      f = at(t);
      if (f.month === 1) continue wrap;
    }
    while (!dayMatches(f)) {
      if (!added) {
        added = true;
        t = date(f.year, f.month, f.day, 0);
        f = at(t);
      }
      t = zonedTime(zone, f.year, f.month, f.day + 1, f.hour, f.minute, f.second);
      f = at(t);
      // Where daylight saving skips midnight, the day starts at 1 am (or 11 pm the day before).
      if (f.hour !== 0) {
        t += (f.hour > 12 ? 24 - f.hour : -f.hour) * HOUR_MS;
        f = at(t);
      }
      if (f.day === 1) continue wrap;
    }
    while (!hours.values.has(f.hour)) {
      if (!added) {
        added = true;
        t = date(f.year, f.month, f.day, f.hour);
      }
      t += HOUR_MS;
      f = at(t);
      if (f.hour === 0) continue wrap;
    }
    while (!minutes.values.has(f.minute)) {
      if (!added) {
        added = true;
        t -= mod(t, MINUTE_MS);
      }
      t += MINUTE_MS;
      f = at(t);
      if (f.minute === 0) continue wrap;
    }
    // Standard schedules fire at second 0.
    while (f.second !== 0) {
      if (!added) {
        added = true;
        t -= mod(t, 1000);
      }
      t += 1000;
      f = at(t);
      if (f.second === 0) continue wrap;
    }
    return t;
  }
}

/** RFC 3339 in `zone` ("Z" for a zero offset), as Go formats time.RFC3339. */
export function rfc3339In(ms: number, zone: string): string {
  const f = fieldsIn(zone, ms);
  const offsetMinutes = Math.round(offsetMs(zone, ms) / MINUTE_MS);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = offsetMinutes === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${offset}`;
}

function fieldsIn(zone: string, ms: number): Fields {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formats.set(zone, format);
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(ms)) parts[part.type] = part.value;
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    hour: Number(parts['hour']),
    minute: Number(parts['minute']),
    second: Number(parts['second']),
    weekday: WEEKDAYS[parts['weekday']!]!,
  };
}

/** How far `zone` is ahead of UTC at `ms`. */
function offsetMs(zone: string, ms: number): number {
  const f = fieldsIn(zone, ms);
  const whole = ms - mod(ms, 1000);
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - whole;
}

/** time.Date in a zone: out-of-range fields carry over; a wall time that does not exist takes the offset in force after it. */
function zonedTime(zone: string, year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const guess = offsetMs(zone, wall);
  const corrected = offsetMs(zone, wall - guess);
  return wall - (corrected === guess ? guess : corrected);
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

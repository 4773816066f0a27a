// Ages and durations as kubectl shows them: apimachinery's
// duration.HumanDuration and printers.go's translateTimestampSince.
import type { KubeObject } from '../objects.js';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

/** ~2-3 significant figures: "119s", "2m1s", "179m", "7h59m", "47h", "7d23h", "729d", "7y364d", "8y". */
export function humanDuration(ms: number): string {
  // Go converts with truncation toward zero; up to 2s in the future still
  // reads "0s" to forgive clock skew between machines.
  const seconds = Math.trunc(ms / second);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / minute);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / hour);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp; undefined when absent (Go's zero time). */
export function parseTime(timestamp: string | null | undefined): number | undefined {
  if (!timestamp) return undefined;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/** translateTimestampSince: time elapsed since the timestamp, "<unknown>" without one. */
export function since(timestamp: string | number | null | undefined, now: Date): string {
  const ms = typeof timestamp === 'number' ? timestamp : parseTime(timestamp);
  return ms === undefined ? '<unknown>' : humanDuration(now.getTime() - ms);
}

/** The Age column. */
export function age(object: KubeObject, now: Date): string {
  return since(object.metadata.creationTimestamp, now);
}

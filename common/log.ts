// Structured, levelled logging to stderr in logfmt (one event per line).
// Quiet by default: "info" is for once-per-lifecycle events only; anything
// per-request is "debug". Fields whose names look like credentials are
// redacted so that a token or key never reaches a log file.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /token|password|passwd|secret|private.?key|credential|authorization|cookie/i;

export const LOG_LEVELS = Object.keys(ORDER) as LogLevel[];

export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(ORDER, value);
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry these fields (e.g. component=store). */
  with(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(opts: LoggerOptions = {}, base: LogFields = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const now = opts.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    write(formatLine(now(), level, msg, { ...base, ...fields }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    with: (fields) => createLogger(opts, { ...base, ...fields }),
  };
}

function formatLine(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  let line = `time=${time.toISOString()} level=${level} msg=${quote(msg)}`;
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    line += ` ${name}=${SECRET_FIELD.test(name) ? '[redacted]' : quote(render(value))}`;
  }
  return line + '\n';
}

function render(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function quote(s: string): string {
  return /^[^\s"=\\]+$/.test(s) ? s : JSON.stringify(s);
}

// The query parameters of pods/exec, pods/attach and pods/log, read and
// checked as upstream reads PodExecOptions, PodAttachOptions and
// PodLogOptions (messages as upstream's validation words them).
import { queryBool } from '../api/request-info.js';
import { errors, type StatusCause } from '../api/status.js';
import type { LogOptions } from '../../common/pod-streams.js';

export interface ProcessOptions {
  readonly container: string;
  /** exec only. */
  readonly command: readonly string[];
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

export function processOptions(kind: 'exec' | 'attach', query: URLSearchParams): ProcessOptions {
  const command = query.getAll('command');
  if (kind === 'exec' && command.length === 0) throw errors.badRequest('you must specify at least one command for the container');
  const stdin = queryBool(query, 'stdin');
  const stdout = queryBool(query, 'stdout');
  const tty = queryBool(query, 'tty');
  // With a terminal, stderr is stdout (kubelet merges them).
  const stderr = queryBool(query, 'stderr') && !tty;
  if (!stdin && !stdout && !queryBool(query, 'stderr')) throw errors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return { container: query.get('container') ?? '', command, stdin, stdout, stderr, tty };
}

const LOG_OPTIONS = { group: '', plural: 'podlogoptions', kind: 'PodLogOptions' };

export function logOptions(name: string, query: URLSearchParams): { container: string; options: LogOptions } {
  const causes: StatusCause[] = [];
  const int = (field: string, min: number, rule: string): number | undefined => {
    const text = query.get(field);
    if (text === null || text === '') return undefined;
    if (!/^-?\d+$/.test(text)) throw errors.badRequest(`unable to parse ${field}=${JSON.stringify(text)}: not an integer`);
    const value = Number(text);
    if (value < min) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${rule}`, field });
    return value;
  };
  const tailLines = int('tailLines', 0, 'must be greater than or equal to 0');
  const limitBytes = int('limitBytes', 1, 'must be greater than 0');
  const sinceSeconds = int('sinceSeconds', 1, 'must be greater than 0');
  const sinceTimeText = query.get('sinceTime');
  let sinceTime: string | undefined;
  if (sinceTimeText !== null && sinceTimeText !== '') {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(sinceTimeText) || Number.isNaN(Date.parse(sinceTimeText))) {
      throw errors.badRequest(`unable to parse sinceTime=${JSON.stringify(sinceTimeText)}: not an RFC 3339 time`);
    }
    sinceTime = sinceTimeText;
  }
  if (sinceSeconds !== undefined && sinceTime !== undefined) {
    causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  }
  if (causes.length > 0) throw errors.invalid(LOG_OPTIONS, name, causes);
  return {
    container: query.get('container') ?? '',
    options: {
      follow: queryBool(query, 'follow'),
      previous: queryBool(query, 'previous'),
      timestamps: queryBool(query, 'timestamps'),
      ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
      ...(sinceTime === undefined ? {} : { sinceTime }),
      ...(tailLines === undefined ? {} : { tailLines }),
      ...(limitBytes === undefined ? {} : { limitBytes }),
    },
  };
}

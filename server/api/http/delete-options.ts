// DeleteOptions, from a DELETE's body and query or from an Eviction's
// deleteOptions: each field checked (a 400 naming it), the query's
// parameters taking precedence over the body's, as upstream decodes them.
import type { DeleteOptions } from '../registry/registry.js';
import { errors } from '../status.js';
import { booleanParam, dryRunOf, nonNegativeInt, optional } from './query-params.js';

/** `raw`: the decoded body (or an Eviction's deleteOptions), absent when empty; `query`: the request's, for a DELETE. */
export function deleteOptionsOf(raw: unknown, query?: URLSearchParams): DeleteOptions {
  const body = raw ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('DeleteOptions must be an object');
  const o = body as Record<string, unknown>;
  // The registry checks the policy's value (a 422 naming the supported ones, as upstream).
  const policy = param(query, 'propagationPolicy') ?? field(o, 'propagationPolicy', (v) => typeof v === 'string', 'a string');
  const orphan = booleanParam(param(query, 'orphanDependents'), 'orphanDependents') ?? field(o, 'orphanDependents', (v) => typeof v === 'boolean', 'true or false');
  const grace = nonNegativeInt(param(query, 'gracePeriodSeconds'), 'gracePeriodSeconds') ?? field(o, 'gracePeriodSeconds', isNonNegativeInt, 'a non-negative integer');
  const pre = field(o, 'preconditions', isPreconditions, 'an object of strings uid and resourceVersion');
  // kubectl sends dryRun in the DeleteOptions body, not the query.
  const dryRun = field(o, 'dryRun', (v): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'a list of strings');
  return {
    dryRun: dryRunOf(dryRun ?? [], 'DeleteOptions'),
    ...optional('propagationPolicy', policy),
    ...optional('orphanDependents', orphan),
    ...optional('gracePeriodSeconds', grace),
    ...optional('preconditions', pre),
  };
}

function param(query: URLSearchParams | undefined, name: string): string | undefined {
  const value = query?.get(name);
  return value === null || value === '' ? undefined : value;
}

/** A body field that is absent (or null), or passes `check`; else a 400 saying what it must be. */
function field<T>(o: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T | undefined;
function field(o: Record<string, unknown>, name: string, check: (v: unknown) => boolean, what: string): unknown;
function field(o: Record<string, unknown>, name: string, check: (v: unknown) => boolean, what: string): unknown {
  const value = o[name];
  if (value === undefined || value === null) return undefined;
  if (!check(value)) throw errors.badRequest(`DeleteOptions.${name} must be ${what}`);
  return value;
}

function isNonNegativeInt(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0;
}

function isPreconditions(v: unknown): v is { uid?: string; resourceVersion?: string } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = v as Record<string, unknown>;
  return ['uid', 'resourceVersion'].every((k) => p[k] === undefined || p[k] === null || typeof p[k] === 'string');
}

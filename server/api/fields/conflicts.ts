// A server-side apply that would change fields other managers own: upstream's
// 409 Conflict, its message naming each manager and path, one cause each.
import { ApiError, type StatusCause } from '../status.js';
import { memberPaths, type FieldSet } from './field-set.js';
import type { ManagedFieldsEntry } from './managed-fields.js';
import { pathString } from './path-element.js';

export interface Conflict {
  readonly owner: ManagedFieldsEntry;
  readonly fields: FieldSet;
}

export function conflictError(conflicts: readonly Conflict[]): ApiError {
  const found = conflicts.flatMap((c) => memberPaths(c.fields).map((path) => ({ manager: managerString(c.owner), path: pathString(path) })));
  const causes: StatusCause[] = found.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: c.path }));
  let message: string;
  if (found.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${found[0]!.manager}: ${found[0]!.path}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of found) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`)]);
    message = `Apply failed with ${found.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/** Upstream's printManager: `"kubectl" with subresource "status" using apps/v1` (the version for an Update only). */
function managerString(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource !== undefined && e.subresource !== '') s += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === 'Update' ? `${s} using ${e.apiVersion}` : s;
}

// An Update entry for a write that is not an apply (create, update, patch,
// a status write): the manager takes the fields the write added or changed
// from every other manager, fields it removed leave every manager, and the
// entry's time moves when it took something (upstream's managedFieldsUpdater).
import { metaTime, type KubeObject } from '../objects.js';
import { difference, type FieldSet, isEmpty, union } from './field-set.js';
import type { FieldType } from './field-types.js';
import { entriesOf, entry, type FieldManager, sameManager, setEntries, withoutManagedFields, withoutSystemFields } from './managed-fields.js';
import { changesBetween } from './object-fields.js';

export interface OwnershipContext {
  readonly fields: FieldType;
  /** The apiVersion the manager wrote in. */
  readonly apiVersion: string;
  /** What the object is compared with on create: the kind's zero value. */
  readonly zero: () => Record<string, unknown>;
  /**
   * Upstream's reset fields: a write of the main resource of a kind with a
   * status subresource owns no status; a write of the status owns nothing else.
   */
  readonly owns: 'all' | 'all but status' | 'status';
}

/** Sets `after`'s managedFields for `manager`'s write from `before` (undefined: a create). */
export function recordUpdate(before: KubeObject | undefined, after: KubeObject, manager: FieldManager, ctx: OwnershipContext): void {
  const entries = before === undefined ? [] : entriesOf(before);
  const changes = changesBetween(before === undefined ? ctx.zero() : withoutManagedFields(before), withoutManagedFields(after), ctx.fields);
  const changed = tracked(changes.changed, ctx);
  const removed = tracked(changes.removed, ctx);
  if (isEmpty(changed) && isEmpty(removed)) return setEntries(after, entries);
  const self = { manager: manager.name, operation: 'Update' as const, apiVersion: ctx.apiVersion, ...(manager.subresource === undefined ? {} : { subresource: manager.subresource }) };
  const previous = entries.find((e) => sameManager(e, self));
  const others = entries.filter((e) => e !== previous).map((e) => ({ ...e, fieldsV1: difference(difference(e.fieldsV1, changed), removed) }));
  const fields = union(difference(previous?.fieldsV1 ?? {}, removed), changed);
  const time = isEmpty(changed) ? previous?.time : metaTime();
  setEntries(after, [...others, entry(manager, 'Update', ctx.apiVersion, time, fields)]);
}

/** The paths ownership is kept for: never the system's metadata; see `owns`. */
export function tracked(set: FieldSet, ctx: OwnershipContext): FieldSet {
  const kept = withoutSystemFields(set);
  const { 'f:status': status, ...rest } = kept;
  if (ctx.owns === 'status') return status === undefined ? {} : { 'f:status': status };
  return ctx.owns === 'all' || status === undefined ? kept : rest;
}

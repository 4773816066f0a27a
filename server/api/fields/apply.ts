// Server-side apply (upstream's structured-merge-diff Updater.Apply): the
// applied configuration is merged into the live object and becomes the
// manager's Apply entry; fields the manager applied before and applies no
// more are removed unless another manager owns them; a changed field that
// another manager owns is a conflict, unless forced, which takes it over.
import { cloneJson, type JsonObject } from '../patch/json.js';
import { metaTime, type KubeObject } from '../objects.js';
import { errors } from '../status.js';
import { type Conflict, conflictError } from './conflicts.js';
import { difference, intersection, isEmpty, union } from './field-set.js';
import { entriesOf, entry, type FieldManager, type ManagedFieldsEntry, sameManager, setEntries, withoutManagedFields } from './managed-fields.js';
import { changesBetween, fieldsOf, mergeApplied, removeFields } from './object-fields.js';
import { type OwnershipContext, tracked } from './update.js';

/** Upstream names the owner of what an object held before its first apply so. */
const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * The object `config` applied by `manager` makes of `live` (undefined: it
 * is created), with its managedFields. `live` and `config` are the caller's
 * to give up. Throws a 409 Conflict naming the other managers' fields it
 * would change, unless `force`.
 */
export function applyConfig(live: KubeObject | undefined, config: KubeObject, manager: FieldManager, force: boolean, ctx: OwnershipContext): KubeObject {
  if (config.metadata.managedFields !== undefined) throw errors.badRequest('metadata.managedFields must be nil');
  const base: JsonObject = live === undefined ? ctx.zero() : withoutManagedFields(live);
  let entries: ManagedFieldsEntry[] = live === undefined ? [] : entriesOf(live);
  if (live !== undefined && entries.length === 0) {
    // An object no manager owns yet (written before managedFields were kept): what it holds is someone's.
    const held = tracked(changesBetween(ctx.zero(), base, ctx.fields).changed, ctx);
    if (!isEmpty(held)) entries = [entry({ name: BEFORE_FIRST_APPLY }, 'Update', ctx.apiVersion, metaTime(), held)];
  }
  const self = { manager: manager.name, operation: 'Apply' as const, apiVersion: ctx.apiVersion, ...(manager.subresource === undefined ? {} : { subresource: manager.subresource }) };
  const previous = entries.find((e) => sameManager(e, self));
  const others = entries.filter((e) => e !== previous);
  const applied = tracked(fieldsOf(config as JsonObject, ctx.fields), ctx);

  const merged = cloneJson(base) as JsonObject;
  mergeApplied(merged, config as JsonObject, ctx.fields);
  if (previous !== undefined) {
    const owned = others.reduce((set, e) => union(set, e.fieldsV1), applied);
    removeFields(merged, difference(previous.fieldsV1, owned), ctx.fields);
  }

  const changes = changesBetween(base, merged, ctx.fields);
  const changed = tracked(changes.changed, ctx);
  const removed = tracked(changes.removed, ctx);
  const conflicts: Conflict[] = [];
  for (const owner of others) {
    const fields = intersection(owner.fieldsV1, changed);
    if (!isEmpty(fields)) conflicts.push({ owner, fields });
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);

  const result = merged as KubeObject;
  const unchanged = isEmpty(changes.changed) && isEmpty(changes.removed);
  setEntries(result, [
    ...others.map((e) => ({ ...e, fieldsV1: difference(difference(e.fieldsV1, changed), removed) })),
    entry(manager, 'Apply', ctx.apiVersion, unchanged ? (previous?.time ?? metaTime()) : metaTime(), applied),
  ]);
  return result;
}

// What controllers make of a failed API call: the words their events quote,
// and the refusals that are no failure of theirs.
import { ApiError } from '../api/status.js';
import { isGone } from './delete-all.js';

/** The error's message, as events and logs quote it. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The namespace is being deleted and takes no new objects: its deletion takes the owner too, so there is nothing to report. */
export function isNamespaceTerminating(err: unknown): boolean {
  return err instanceof ApiError && err.code === 403 && /being terminated/.test(err.message);
}

/** A delete with a uid precondition found the object gone, or another by that name (409): the one meant is deleted either way. */
export function isGoneOrReplaced(err: unknown): boolean {
  return isGone(err) || (err instanceof ApiError && err.code === 409);
}

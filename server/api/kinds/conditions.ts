// Lists of metav1.Condition, as apimachinery's ValidateConditions (1.31)
// checks them in the status of newer kinds: each type a qualified name and
// once, a known status, a transition time, a reason of its own grammar.
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { StatusCause } from '../status.js';
import { duplicate, invalid, notSupported, quote, required, tooLong } from './field-errors.js';
import { validateQualifiedName } from './labels.js';

const STATUSES = ['False', 'True', 'Unknown'];
const MAX_REASON = 1024;
const MAX_MESSAGE = 32 * 1024;
const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const REASON_MSG =
  "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')";
/** metav1.Time's zero, as JSON writes it. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function validateConditions(conditions: readonly Condition[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const types = new Set<string>();
  conditions.forEach((condition, i) => {
    const at = `${path}[${i}]`;
    const type = condition.type ?? '';
    if (types.has(type)) causes.push(duplicate(`${at}.type`, quote(type)));
    types.add(type);
    causes.push(...validateQualifiedName(type, `${at}.type`));
    if (!STATUSES.includes(condition.status ?? '')) causes.push(notSupported(`${at}.status`, quote(condition.status ?? ''), STATUSES));
    const generation = condition.observedGeneration ?? 0;
    if (generation < 0) causes.push(invalid(`${at}.observedGeneration`, String(generation), 'must be greater than or equal to zero'));
    if (condition.lastTransitionTime == null || condition.lastTransitionTime === ZERO_TIME) causes.push(required(`${at}.lastTransitionTime`, 'must be set'));
    const reason = condition.reason ?? '';
    if (reason === '') causes.push(required(`${at}.reason`, 'must be set'));
    else {
      if (!REASON.test(reason)) causes.push(invalid(`${at}.reason`, quote(reason), REASON_MSG));
      if (Buffer.byteLength(reason) > MAX_REASON) causes.push(tooLong(`${at}.reason`, MAX_REASON));
    }
    if (Buffer.byteLength(condition.message ?? '') > MAX_MESSAGE) causes.push(tooLong(`${at}.message`, MAX_MESSAGE));
  });
  return causes;
}

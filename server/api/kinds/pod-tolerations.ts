// Tolerations checked as upstream 1.31's ValidateTolerations: a pod's and a
// template's spec.tolerations, and those of the old alpha tolerations
// annotation (pod-annotations.ts).
import type { Toleration } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../status.js';
import { goPointer, invalid, notSupported, quote } from './field-errors.js';
import { labelValueErrors, validateQualifiedName } from './labels.js';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTolerations(tolerations: readonly Toleration[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  tolerations.forEach((t, i) => {
    const p = `${path}[${i}]`;
    const key = t.key ?? '';
    const operator = t.operator ?? '';
    const value = t.value ?? '';
    const effect = t.effect ?? '';
    if (key !== '') causes.push(...validateQualifiedName(key, `${p}.key`));
    if (key === '' && operator !== 'Exists') {
      causes.push(invalid(`${p}.operator`, quote(operator), 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && effect !== 'NoExecute') {
      causes.push(invalid(`${p}.effect`, quote(effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (operator === 'Equal' || operator === '') {
      const errs = labelValueErrors(value);
      if (errs.length > 0) causes.push(invalid(`${p}.operator`, quote(value), errs.join(';')));
    } else if (operator === 'Exists') {
      if (value !== '') causes.push(invalid(`${p}.operator`, goToleration(t), "value must be empty when `operator` is 'Exists'"));
    } else {
      causes.push(notSupported(`${p}.operator`, quote(operator), ['Equal', 'Exists']));
    }
    if (effect !== '' && !TAINT_EFFECTS.includes(effect)) causes.push(notSupported(`${p}.effect`, quote(effect), TAINT_EFFECTS));
  });
  return causes;
}

/** %#v of the toleration, which upstream passes whole as the bad value of one rule. */
function goToleration(t: Toleration): string {
  return (
    `core.Toleration{Key:${quote(t.key ?? '')}, Operator:${quote(t.operator ?? '')}, Value:${quote(t.value ?? '')}, ` +
    `Effect:${quote(t.effect ?? '')}, TolerationSeconds:${goPointer('int64', t.tolerationSeconds != null)}}`
  );
}

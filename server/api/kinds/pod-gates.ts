// What a pod waits on before it counts as ready or may be scheduled, as
// upstream 1.31 validates it: readiness gates' condition types and
// scheduling gates' names are qualified names (the same as label keys),
// scheduling gates unique (validateReadinessGates, validateSchedulingGates).
import type { PodReadinessGate, PodSchedulingGate } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../status.js';
import { duplicate, quote } from './field-errors.js';
import { validateQualifiedName } from './labels.js';

export function validateReadinessGates(gates: readonly PodReadinessGate[], path: string): StatusCause[] {
  return gates.flatMap((gate, i) => validateQualifiedName(gate.conditionType ?? '', `${path}[${i}].conditionType`));
}

/** Causes name the gate's index, not its name field. */
export function validateSchedulingGates(gates: readonly PodSchedulingGate[], path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  gates.forEach((gate, i) => {
    const name = gate.name ?? '';
    causes.push(...validateQualifiedName(name, `${path}[${i}]`));
    if (seen.has(name)) causes.push(duplicate(`${path}[${i}]`, quote(name)));
    seen.add(name);
  });
  return causes;
}

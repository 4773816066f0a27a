// coordination.k8s.io/v1 Leases: a lease lasts a positive time and counts
// its transitions from zero.
import type { LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { invalid, NON_NEGATIVE } from './field-errors.js';

export const leaseRules: KindRules = {
  validate(obj: KubeObject): StatusCause[] {
    const spec = (obj as KubeObject & { spec?: LeaseSpec }).spec ?? {};
    const causes: StatusCause[] = [];
    const duration = spec.leaseDurationSeconds;
    if (duration !== undefined && duration <= 0) causes.push(invalid('spec.leaseDurationSeconds', String(duration), 'must be greater than 0'));
    const transitions = spec.leaseTransitions;
    if (transitions !== undefined && transitions < 0) causes.push(invalid('spec.leaseTransitions', String(transitions), NON_NEGATIVE));
    return causes;
  },
};

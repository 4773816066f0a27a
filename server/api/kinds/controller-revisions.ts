// apps/v1 ControllerRevisions, as upstream's ValidateControllerRevision and
// ValidateControllerRevisionUpdate check them (Kubernetes 1.31): data is
// required and never changes, the revision number is not negative (it may
// change: a rollback renumbers a revision).
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { semanticEqual } from './equality.js';
import { IMMUTABLE, invalid, nonNegative, required } from './field-errors.js';

type Revision = KubeObject & Partial<ControllerRevision>;

export const controllerRevisionRules: KindRules = {
  validate(obj, old) {
    const revision = obj as Revision;
    const causes: StatusCause[] = [];
    // A RawExtension: absent and null are both nil.
    if (revision.data == null) causes.push(required('data', 'data is mandatory'));
    causes.push(...nonNegative('revision', revision.revision));
    // Upstream compares the raw JSON; equal values in another key order or spacing count as unchanged here.
    if (old !== undefined && !semanticEqual(revision.data ?? null, (old as Revision).data ?? null)) causes.push(invalid('data', goRawData(revision.data), IMMUTABLE));
    return causes;
  },
};

/** %#v of the *runtime.Unknown a RawExtension becomes: its JSON as bytes; nil as "null". */
function goRawData(data: unknown): string {
  if (data == null) return '"null"';
  const bytes = [...Buffer.from(JSON.stringify(data))].map((b) => `0x${b.toString(16)}`).join(', ');
  return `runtime.Unknown{TypeMeta:runtime.TypeMeta{APIVersion:"", Kind:""}, Raw:[]uint8{${bytes}}, ContentEncoding:"", ContentType:"application/json"}`;
}

// What upstream compares a created object with: the kind's Go zero value as
// JSON (runtime.ObjectCreater's New), whose structs are present but empty
// and whose lists and maps without omitempty are null. Only those matter to
// field sets: a struct already there is not "added", so its path is no
// member of the creator's set. Custom resources' zero value has no fields.
import type { JsonObject } from '../patch/json.js';
import type { ResourceType } from '../resources.js';
import { isCustomResourceType } from '../crd/resource-types.js';
import type { FieldType } from './field-types.js';

const podTemplate = () => ({ metadata: {}, spec: { containers: null } });

/** Kinds whose zero value holds more than metadata, spec and status. */
const ZERO_SHAPES: Readonly<Record<string, () => JsonObject>> = {
  '/Pod': () => ({ spec: { containers: null }, status: {} }),
  '/Service': () => ({ spec: {}, status: { loadBalancer: {} } }),
  '/PodTemplate': () => ({ template: podTemplate() }),
  'apps/Deployment': () => ({ spec: { selector: null, template: podTemplate(), strategy: {} }, status: {} }),
  'apps/ReplicaSet': () => ({ spec: { selector: null, template: podTemplate() }, status: {} }),
  'apps/StatefulSet': () => ({ spec: { selector: null, template: podTemplate(), updateStrategy: {} }, status: {} }),
  'apps/DaemonSet': () => ({ spec: { selector: null, template: podTemplate(), updateStrategy: {} }, status: {} }),
  'batch/Job': () => ({ spec: { template: podTemplate() }, status: {} }),
  'batch/CronJob': () => ({ spec: { jobTemplate: { metadata: {}, spec: { template: podTemplate() } } }, status: {} }),
};

export function zeroObject(type: ResourceType, fields: FieldType): JsonObject {
  if (isCustomResourceType(type)) return {};
  const shape = ZERO_SHAPES[`${type.group}/${type.kind}`];
  if (shape !== undefined) return { metadata: {}, ...shape() };
  const zero: JsonObject = { metadata: {} };
  // Every built-in kind's spec and status are structs, never pointers.
  for (const field of ['spec', 'status']) if (fields.declares(field)) zero[field] = {};
  return zero;
}

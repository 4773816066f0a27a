// The scale subresource (deployments, replicasets, statefulsets): an
// autoscaling/v1 Scale view of the parent's spec.replicas, as `kubectl
// scale` and autoscalers use it. Writes change only spec.replicas.
import type { KubeObject } from '../objects.js';
import { applyJsonPatch, applyMergePatch, PatchError } from '../patch/index.js';
import type { Registry, WriteOptions } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { ApiError, errors } from '../status.js';
import { labelSelectorString } from '../table/format.js';

interface ScaleObject extends KubeObject {
  spec?: { replicas?: number };
}

export function toScale(parent: KubeObject): ScaleObject {
  const spec = parent['spec'] as { replicas?: number; selector?: Parameters<typeof labelSelectorString>[0] } | undefined;
  const status = parent['status'] as { replicas?: number } | undefined;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = parent.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: spec?.replicas ?? 1 },
    status: { replicas: status?.replicas ?? 0, selector: labelSelectorString(spec?.selector) ?? '' },
  };
}

/** Applies a new Scale (from PUT, or from a patch of the current Scale) to the parent. */
export async function writeScale(
  registry: Registry,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  change: { kind: 'replace'; scale: unknown } | { kind: 'patch'; contentType: string; patch: unknown },
  opts: WriteOptions,
): Promise<ScaleObject> {
  const updated = await registry.patch(
    type,
    namespace,
    name,
    (parent) => {
      const current = toScale(parent);
      let next: unknown;
      try {
        if (change.kind === 'replace') next = change.scale;
        else if (change.contentType === 'application/json-patch+json') next = applyJsonPatch(current, change.patch);
        else next = applyMergePatch(current, change.patch);
      } catch (err) {
        if (err instanceof PatchError) throw new ApiError(422, 'Invalid', err.message);
        throw err;
      }
      const scale = next as ScaleObject;
      const replicas = scale.spec?.replicas;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        throw errors.invalid({ group: 'autoscaling', kind: 'Scale' }, name, [
          { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas' },
        ]);
      }
      const rv = scale.metadata?.resourceVersion;
      if (change.kind === 'replace' && rv !== undefined && rv !== '' && rv !== parent.metadata.resourceVersion) throw errors.conflict(type, name);
      (parent['spec'] as { replicas?: number }).replicas = replicas;
      return parent;
    },
    opts,
  );
  return toScale(updated);
}

// pods/binding: how a scheduler assigns a pod to a node, a POST of a small
// object that acts on the pod (pods/eviction, its sibling, is in eviction.ts).
import type { Registry } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { errors } from '../status.js';
import { metaTime } from '../objects.js';

interface Binding {
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
  target?: { kind?: string; name?: string };
}

/** Sets spec.nodeName once, with the Binding's annotations and PodScheduled=True, as upstream; a pod already bound is a 409. */
export async function bindPod(registry: Registry, pods: ResourceType, namespace: string, name: string, body: unknown, dryRun: boolean): Promise<void> {
  const binding = body as Binding;
  if (binding?.kind !== 'Binding') throw errors.badRequest(`the body must be a Binding, not ${JSON.stringify(binding?.kind)}`);
  if (binding.metadata?.name !== undefined && binding.metadata.name !== name) {
    throw errors.badRequest(`the name of the Binding (${binding.metadata.name}) does not match the pod's (${name})`);
  }
  const node = binding.target?.name;
  if (!node || (binding.target?.kind !== undefined && binding.target.kind !== 'Node')) {
    throw errors.invalid({ group: '', kind: 'Binding' }, name, [
      { reason: 'FieldValueRequired', message: 'Required value: a Node to bind to', field: 'target.name' },
    ]);
  }
  await registry.patch(
    pods,
    namespace,
    name,
    (pod) => {
      const spec = (pod['spec'] ??= {}) as { nodeName?: string };
      if (spec.nodeName) throw errors.conflict(pods, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      if (pod.metadata.deletionTimestamp !== undefined) throw errors.conflict(pods, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      spec.nodeName = node;
      if (binding.metadata?.annotations !== undefined) pod.metadata.annotations = { ...pod.metadata.annotations, ...binding.metadata.annotations };
      const status = (pod['status'] ??= {}) as { conditions?: { type: string; status: string; lastProbeTime?: string | null; lastTransitionTime?: string }[] };
      const conditions = (status.conditions ??= []);
      const scheduled = conditions.find((c) => c.type === 'PodScheduled');
      if (scheduled === undefined) conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: metaTime() });
      else if (scheduled.status !== 'True') Object.assign(scheduled, { status: 'True', lastTransitionTime: metaTime(), reason: undefined, message: undefined });
      return pod;
    },
    { dryRun, subresource: 'binding' },
  );
}

// The downward API as env vars read it (kubelet's podFieldSelectorRuntimeValue
// and containerResourceRuntimeValue): the pod's own fields, the node's and the
// pod's addresses, and a container's requests and limits in units of a
// divisor, limits defaulting to the node's allocatable.
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { milliValue, quantity, value } from './quantities.js';

export interface PodAddresses {
  /** The pod's IPs (the node's with host networking), primary first. */
  readonly podIps: readonly string[];
  /** The node's IPs, primary first. */
  readonly hostIps: readonly string[];
}

/** A fieldRef's value; throws with kubelet's message when the field is not one env can read. */
export function podFieldValue(pod: Pod, ref: ObjectFieldSelector, addresses: PodAddresses): string {
  const version = ref.apiVersion ?? 'v1';
  if (version !== 'v1') throw new Error(`unsupported pod version: ${version}`);
  const path = ref.fieldPath === 'spec.host' ? 'spec.nodeName' : ref.fieldPath;
  const meta = pod.metadata ?? {};
  const subscripted = /^(.+)\['(.*)'\]$/s.exec(path);
  if (subscripted !== null) {
    const [, field, key] = subscripted as unknown as [string, string, string];
    if (field === 'metadata.labels') return meta.labels?.[key] ?? '';
    if (field === 'metadata.annotations') return meta.annotations?.[key] ?? '';
    throw new Error(`field label does not support subscript: ${path}`);
  }
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return addresses.hostIps[0] ?? '';
    case 'status.hostIPs':
      return addresses.hostIps.join(',');
    case 'status.podIP':
      return addresses.podIps[0] ?? '';
    case 'status.podIPs':
      return addresses.podIps.join(',');
  }
  throw new Error(`unsupported fieldPath: ${path}`);
}

/**
 * A resourceFieldRef's value: the amount over the divisor, rounded up, as
 * kubelet computes it (in float64: CPU in thousandths, the rest in bytes). A
 * limit that is unset or zero is the node's allocatable amount.
 */
export function containerResourceValue(pod: Pod, container: Container, ref: ResourceFieldSelector, allocatable: Readonly<Record<string, string>>): string {
  let target = container;
  if (ref.containerName) {
    const named = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === ref.containerName);
    if (named === undefined) throw new Error(`container ${ref.containerName} not found`);
    target = named;
  }
  const dot = ref.resource.indexOf('.');
  const [kind, name] = [ref.resource.slice(0, dot), ref.resource.slice(dot + 1)];
  const known = name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-');
  if (dot === -1 || (kind !== 'limits' && kind !== 'requests') || !known) throw new Error(`unsupported container resource : ${ref.resource}`);
  let amount = kind === 'limits' ? target.resources?.limits?.[name] : target.resources?.requests?.[name];
  if (kind === 'limits' && quantity(amount).value === 0n && allocatable[name] !== undefined) amount = allocatable[name];
  const divisor = quantity(ref.divisor).value === 0n ? '1' : ref.divisor;
  const [a, b] = name === 'cpu' ? [milliValue(amount), milliValue(divisor)] : [value(amount), value(divisor)];
  return String(Math.ceil(Number(a) / Number(b)));
}

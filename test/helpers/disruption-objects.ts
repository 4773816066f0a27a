// Pods and PodDisruptionBudgets for the disruption controller's and the
// eviction subresource's tests: written through the registry, pods given a
// phase and readiness through their status, as a kubelet would.
import type { PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { type KubeObject, metaTime, type OwnerReference } from '../../server/api/objects.js';
import type { Registry } from '../../server/api/registry/registry.js';
import type { ResourceType } from '../../server/api/resources.js';
import type { Catalogue } from '../../server/api/catalogue.js';

export type PdbObject = KubeObject & PodDisruptionBudget;

export interface DisruptionTypes {
  readonly pods: ResourceType;
  readonly pdbs: ResourceType;
  readonly replicaSets: ResourceType;
  readonly deployments: ResourceType;
  readonly statefulSets: ResourceType;
  readonly jobs: ResourceType;
  readonly events: ResourceType;
}

export function disruptionTypes(catalogue: Catalogue): DisruptionTypes {
  return {
    pods: catalogue.get('', 'v1', 'pods')!,
    pdbs: catalogue.get('policy', 'v1', 'poddisruptionbudgets')!,
    replicaSets: catalogue.get('apps', 'v1', 'replicasets')!,
    deployments: catalogue.get('apps', 'v1', 'deployments')!,
    statefulSets: catalogue.get('apps', 'v1', 'statefulsets')!,
    jobs: catalogue.get('batch', 'v1', 'jobs')!,
    events: catalogue.get('', 'v1', 'events')!,
  };
}

export interface PodState {
  readonly phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  readonly ready?: boolean;
  readonly owner?: OwnerReference;
  readonly labels?: Record<string, string>;
}

/** Creates a pod in `default` labelled app=web (unless told otherwise), Running and Ready unless told otherwise. */
export async function createPod(registry: Registry, types: DisruptionTypes, name: string, state: PodState = {}): Promise<KubeObject> {
  await registry.create(
    types.pods,
    'default',
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: state.labels ?? { app: 'web' }, ...(state.owner !== undefined ? { ownerReferences: [state.owner] } : {}) },
      spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
    },
    {},
  );
  return setPodState(registry, types, name, state);
}

export async function setPodState(registry: Registry, types: DisruptionTypes, name: string, state: PodState): Promise<KubeObject> {
  const phase = state.phase ?? 'Running';
  const ready = state.ready ?? phase === 'Running';
  return registry.patch(
    types.pods,
    'default',
    name,
    (pod) => {
      pod['status'] = { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: metaTime() }] };
      return pod;
    },
    { subresource: 'status' },
  );
}

/** Creates a budget in `default` selecting app=web (unless told otherwise). */
export async function createPdb(registry: Registry, types: DisruptionTypes, name: string, spec: Partial<PodDisruptionBudgetSpec>): Promise<PdbObject> {
  return (await registry.create(
    types.pdbs,
    'default',
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } },
    {},
  )) as PdbObject;
}

/** Writes a budget's status as the controller would have. */
export async function setPdbStatus(registry: Registry, types: DisruptionTypes, name: string, status: Partial<PodDisruptionBudgetStatus>): Promise<PdbObject> {
  return (await registry.patch(
    types.pdbs,
    'default',
    name,
    (pdb) => {
      pdb['status'] = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, observedGeneration: pdb.metadata.generation, ...status };
      return pdb;
    },
    { subresource: 'status' },
  )) as PdbObject;
}

export async function getPdb(registry: Registry, types: DisruptionTypes, name: string): Promise<PdbObject> {
  return (await registry.get(types.pdbs, 'default', name)) as PdbObject;
}

/** A controller reference to `owner`, of kind `kind`. */
export function ownerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

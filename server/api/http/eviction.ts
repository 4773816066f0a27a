// pods/eviction, as upstream's EvictionREST (pkg/registry/core/pod/storage/
// eviction.go): how `kubectl drain` asks a pod to leave. A pod that is not
// running (Pending, Succeeded, Failed) or already being deleted goes at once;
// a running one goes only if the one PodDisruptionBudget that selects it
// allows a disruption, which the eviction takes (disruptionsAllowed - 1, the
// pod recorded in disruptedPods) before deleting the pod. A pod that goes
// carries the DisruptionTarget condition (EvictionByEvictionAPI) first.
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { asSelector, isEmptySelector } from '../kinds/labels.js';
import { updateDisruptionAllowedCondition } from '../kinds/pod-disruption-budgets.js';
import { type KubeObject, metaTime } from '../objects.js';
import type { DeleteOptions, Registry } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { ApiError, errors } from '../status.js';
import { disruptionTarget, updatePodStatus } from '../../controllers/disruption-target.js';
import { isPodReady, type PodObject } from '../../controllers/pod-predicates.js';
import { deleteOptionsOf } from './delete-options.js';

/** What the eviction answers when it refuses without an error (upstream returns this Status, code and all). */
export interface EvictionFailure {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly code: number;
}

export interface EvictionTypes {
  readonly pods: ResourceType;
  readonly podDisruptionBudgets: ResourceType;
}

type PdbObject = KubeObject & PodDisruptionBudget;

/** Upstream's MaxDisruptedPodSize: evictions the controller has not confirmed yet, at most. */
const MAX_DISRUPTED_PODS = 2000;
/** Upstream's EvictionsRetry: attempts on a conflict, and the pause between them. */
const RETRIES = 20;
const RETRY_PAUSE_MS = 500;

const EVICTING = disruptionTarget('EvictionByEvictionAPI', 'Eviction API: evicting');
const BUDGET_VIOLATED = "Cannot evict pod as it would violate the pod's disruption budget.";
const PDB_RESOURCE = { group: 'policy', plural: 'poddisruptionbudget', kind: 'PodDisruptionBudget' };

/** Evicts the pod named, or says why not: a refusal the budgets give as a 500 Status is returned, every other one thrown. */
export async function evictPod(
  registry: Registry,
  types: EvictionTypes,
  namespace: string,
  name: string,
  body: unknown,
  queryDryRun: boolean,
): Promise<EvictionFailure | undefined> {
  const eviction = body as { kind?: string; metadata?: { name?: string }; deleteOptions?: unknown } | undefined;
  if (eviction?.kind !== 'Eviction') throw errors.badRequest(`the body must be an Eviction, not ${JSON.stringify(eviction?.kind)}`);
  if (eviction.metadata?.name !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  // Dry run when the query or the options ask for it.
  const options = { ...deleteOptionsOf(eviction.deleteOptions), ...(queryDryRun ? { dryRun: true } : {}) };
  const rvPrecondition = options.preconditions?.resourceVersion !== undefined;

  // A pod that is not running has disrupted already: it is deleted without consulting the budgets.
  const pod = await retryOnConflict(!rvPrecondition, async () => {
    const current = (await registry.get(types.pods, namespace, name)) as PodObject;
    if (!canIgnoreBudgets(current)) return current;
    // Pinned to the version read, so the pod cannot have become Running (and covered) in between.
    const pin = shouldPinVersion(current) && !rvPrecondition;
    await deleteEvicted(registry, types.pods, current, pin ? withResourceVersion(options, current) : options);
    return undefined;
  });
  if (pod === undefined) return undefined;

  const budgets = await budgetsOf(registry, types.podDisruptionBudgets, pod);
  if (budgets.length > 1) {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      code: 500,
    };
  }
  let pinned = false;
  const budget = budgets[0];
  if (budget !== undefined) {
    const status: Partial<PodDisruptionBudgetStatus> = budget.status ?? {};
    // An unready pod is not counted healthy: taking it (as long as it stays unready) leaves the budget as it is,
    // always with unhealthyPodEvictionPolicy AlwaysAllow, else (IfHealthyBudget) while the budget is met.
    const healthyBudget = (status.currentHealthy ?? 0) >= (status.desiredHealthy ?? 0) && (status.desiredHealthy ?? 0) > 0;
    if (!isPodReady(pod) && (budget.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || healthyBudget)) {
      pinned = true;
    } else {
      let current: PdbObject = budget;
      let refresh = false;
      await retryOnConflict(true, async () => {
        if (refresh) current = (await registry.get(types.podDisruptionBudgets, namespace, budget.metadata.name!)) as PdbObject;
        refresh = true;
        await takeDisruption(registry, types.podDisruptionBudgets, current, name, options.dryRun === true);
      });
    }
  }
  try {
    await deleteEvicted(registry, types.pods, pod, pinned ? withResourceVersion(options, pod) : options);
  } catch (err) {
    // The unready pod changed since: it may be Ready now, so the client is to ask again.
    if (pinned && !rvPrecondition && err instanceof ApiError && err.code === 409) throw stillProcessing(budget!.metadata.name!);
    throw err;
  }
  return undefined;
}

/**
 * addConditionAndDeletePod: the pod says why it goes (DisruptionTarget, not
 * in a dry run), then is deleted; a resourceVersion precondition, checked by
 * that status write, moves to the version it made.
 */
async function deleteEvicted(registry: Registry, pods: ResourceType, pod: PodObject, options: DeleteOptions): Promise<void> {
  const { namespace, name } = pod.metadata as { namespace: string; name: string };
  let deleteOptions = options;
  if (options.dryRun !== true) {
    const written = await updatePodStatus(registry, pods, { namespace, name }, EVICTING, Date.now(), options.preconditions);
    if (options.preconditions?.resourceVersion !== undefined) deleteOptions = withResourceVersion(options, written);
  }
  await registry.delete(pods, namespace, name, deleteOptions);
}

/** checkAndDecrement: the budget allows one disruption, which this eviction takes (written with the resourceVersion read). */
async function takeDisruption(registry: Registry, type: ResourceType, pdb: PdbObject, podName: string, dryRun: boolean): Promise<void> {
  const name = pdb.metadata.name!;
  const status = structuredClone(pdb.status ?? {}) as PodDisruptionBudgetStatus;
  const allowed = status.disruptionsAllowed ?? 0;
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw stillProcessing(name);
  if (allowed < 0) throw errors.forbidden(PDB_RESOURCE, name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw errors.forbidden(PDB_RESOURCE, name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw errors.tooManyRequests(BUDGET_VIOLATED, 0, [
      { reason: 'DisruptionBudget', message: `The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently` },
    ]);
  }
  status.disruptionsAllowed = allowed - 1;
  if (status.disruptionsAllowed === 0) updateDisruptionAllowedCondition(status, Date.now());
  if (dryRun) return;
  // Until the controller sees the pod being deleted, it does not count it healthy.
  status.disruptedPods = { ...status.disruptedPods, [podName]: metaTime() };
  await registry.update(type, pdb.metadata.namespace, name, { ...pdb, status }, { subresource: 'status' });
}

/** The budgets of the pod's namespace whose selector matches it; an empty or unreadable selector matches nothing here. */
async function budgetsOf(registry: Registry, type: ResourceType, pod: PodObject): Promise<PdbObject[]> {
  const list = await registry.list(type, pod.metadata.namespace, {});
  return (list.items as PdbObject[]).filter((pdb) => {
    const selector = pdb.spec?.selector;
    if (selector === undefined || isEmptySelector(selector)) return false;
    return asSelector(selector)?.(pod.metadata.labels) === true;
  });
}

/** retry.OnError with EvictionsRetry: `attempt` again after a pause while it fails with a conflict (and `retry` holds). */
async function retryOnConflict<T>(retry: boolean, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!retry || !(err instanceof ApiError && err.code === 409) || n >= RETRIES) throw err;
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }
}

function canIgnoreBudgets(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp !== undefined;
}

/** A finished pod or one being deleted cannot come to count for a budget; any other (Pending) can. */
function shouldPinVersion(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && pod.metadata.deletionTimestamp === undefined;
}

function withResourceVersion(options: DeleteOptions, pod: PodObject): DeleteOptions {
  return { ...options, preconditions: { ...options.preconditions, resourceVersion: pod.metadata.resourceVersion! } };
}

function stillProcessing(name: string): ApiError {
  return errors.tooManyRequests(BUDGET_VIOLATED, 10, [{ reason: 'DisruptionBudget', message: `The disruption budget ${name} is still being processed by the server.` }]);
}

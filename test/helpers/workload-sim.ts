// An in-process cluster for the workload controllers' tests (DaemonSet,
// StatefulSet, Deployment with ReplicaSet):
// a real store, registry and shared informers, optionally the real scheduler,
// and a stand-in kubelet that marks pods Running and Ready (bound ones only,
// when a scheduler runs) or holds some back Running but not Ready, and
// deletes bound pods being deleted gracefully with grace 0, as kubelet does
// once their containers stopped.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { type KubeObject, metaTime } from '../../server/api/objects.js';
import { Registry } from '../../server/api/registry/registry.js';
import type { ControllerDeps, RunningController } from '../../server/controllers/controller-manager.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { Scheduler } from '../../server/scheduler/scheduler.js';
import { openLevelStore } from '../../server/store/level-store.js';
import { apiRegistry } from './api-registry.js';
import { tempDir } from './temp.js';

export const quiet = createLogger({ level: 'error' });
export type PodObject = KubeObject & Pod;

export async function workloadCluster<C extends RunningController>(t: TestContext, start: (deps: ControllerDeps) => Promise<C>, opts: { scheduler?: boolean } = {}) {
  // Our own store, closed after the controllers and informers that watch it.
  const store = await openLevelStore({ path: join(await tempDir(t), 'db'), logger: quiet });
  const { catalogue, registry } = await apiRegistry(t, { store });
  const types = {
    pods: catalogue.get('', 'v1', 'pods')!,
    nodes: catalogue.get('', 'v1', 'nodes')!,
    claims: catalogue.get('', 'v1', 'persistentvolumeclaims')!,
    events: catalogue.get('', 'v1', 'events')!,
    revisions: catalogue.get('apps', 'v1', 'controllerrevisions')!,
    daemonSets: catalogue.get('apps', 'v1', 'daemonsets')!,
    statefulSets: catalogue.get('apps', 'v1', 'statefulsets')!,
    deployments: catalogue.get('apps', 'v1', 'deployments')!,
    replicaSets: catalogue.get('apps', 'v1', 'replicasets')!,
  };
  const informers = new SharedInformers(registry, catalogue, quiet);
  const deps: ControllerDeps = { registry, catalogue, informers, log: quiet };
  const kubelet = startKubelet(registry, informers, types.pods, opts.scheduler === true);
  const scheduler = opts.scheduler ? await Scheduler.start(deps) : undefined;
  const controller = await start(deps);
  t.after(async () => {
    await controller.close();
    await scheduler?.close();
    await kubelet.close();
    await informers.close();
    await store.close();
  });
  const list = async <T = KubeObject>(type: keyof typeof types, namespace: string | undefined = 'default') => (await registry.list(types[type], namespace, {})).items as T[];
  const addNode = (name: string, labels: Record<string, string> = {}, taints: NonNullable<Node['spec']>['taints'] = []) => {
    const resources = { cpu: '4', memory: '8Gi', pods: '110' };
    return registry.create(
      types.nodes,
      undefined,
      {
        metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
        spec: { taints },
        status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True' }] },
      } as unknown as KubeObject,
      {},
    );
  };
  const patchNode = (name: string, change: (node: KubeObject & Node) => void) =>
    registry.patch(types.nodes, undefined, name, (n) => {
      change(n as KubeObject & Node);
      return n;
    }, {});
  const apply = (type: 'daemonSets' | 'statefulSets', obj: object) => registry.create(types[type], 'default', obj as KubeObject, {});
  const update = (type: 'daemonSets' | 'statefulSets', name: string, change: (obj: any) => void) =>
    registry.patch(types[type], 'default', name, (o) => {
      change(o);
      return o;
    }, {});
  const get = <T = KubeObject>(type: keyof typeof types, name: string) => registry.get(types[type], 'default', name) as Promise<T>;
  const deletePod = (name: string) => registry.delete(types.pods, 'default', name, {});
  return { registry, types, informers, controller, kubelet, list, addNode, patchNode, apply, update, get, deletePod };
}

/** Marks pods Running and Ready (bound ones only when `boundOnly`), except those `hold` matches (Running, not Ready). */
function startKubelet(registry: Registry, informers: SharedInformers, podType: Parameters<Registry['get']>[0], boundOnly: boolean) {
  const cache = informers.of('', 'v1', 'pods');
  let hold: (pod: PodObject) => boolean = () => false;
  let chain = Promise.resolve();
  let closed = false;
  const sync = (key: string) => {
    chain = chain.then(async () => {
      const pod = cache.get(key) as PodObject | undefined;
      if (closed || pod === undefined) return;
      // A bound pod being deleted gracefully: its containers "stop" at once and, as kubelet does, it is deleted with grace 0.
      if (pod.metadata.deletionTimestamp !== undefined && pod.spec?.nodeName && pod.metadata.deletionGracePeriodSeconds) {
        await registry.delete(podType, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } }).catch(() => undefined);
        return;
      }
      if (pod.metadata.deletionTimestamp !== undefined || (boundOnly && !pod.spec?.nodeName)) return;
      if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return;
      const ready = hold(pod) ? 'False' : 'True';
      if (pod.status?.phase === 'Running' && pod.status.conditions?.find((c) => c.type === 'Ready')?.status === ready) return;
      await registry
        .patch(podType, pod.metadata.namespace, pod.metadata.name!, (current) => {
          if (current.metadata.uid !== pod.metadata.uid) return current;
          current['status'] = { ...(current['status'] as object), phase: 'Running', conditions: [{ type: 'Ready', status: ready, lastTransitionTime: metaTime() }] };
          return current;
        }, { subresource: 'status' })
        .catch(() => undefined);
    });
  };
  cache.subscribe(sync);
  return {
    holdNotReady(predicate: (pod: PodObject) => boolean) {
      hold = predicate;
      for (const pod of cache.values()) sync(`${pod.metadata.namespace}/${pod.metadata.name}`);
    },
    /** Writes a pod's phase as kubelet would when it fails. */
    fail: (name: string) =>
      registry.patch(podType, 'default', name, (current) => {
        current['status'] = { ...(current['status'] as object), phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: metaTime() }] };
        return current;
      }, { subresource: 'status' }),
    close: async () => {
      closed = true;
      await chain;
    },
  };
}

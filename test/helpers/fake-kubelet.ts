// Stands in for the kubelets of simulated nodes, for controller tests that
// need no container to run: it creates the Nodes (Ready, 4 CPUs, 8 GiB, 110
// pods) through the API of a running `bramble server`, and marks every pod
// bound to one of them Running and Ready, with a pod IP and container
// statuses, as kubelet reports them, and deletes a pod being deleted
// gracefully with grace 0 (its containers stop at once); a test can hold
// pods back from Ready (a failing readiness probe) or set a pod's phase (a
// Job's pod finishing).
// Everything goes through the API with the admin credentials, over HTTPS.
// The server must be started with a long --node-monitor-grace-period: no
// agent reports for these nodes.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import type { TestContext } from 'node:test';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { metaTime } from '../../server/api/objects.js';
import { api, type Credentials, credentialsFrom } from './api-client.js';

export interface FakeKubelet {
  /** Pods matching this stay Running but not Ready until it returns false (checked again on every pod event and by `recheck`). */
  holdNotReady(predicate: ((pod: Pod) => boolean) | undefined): void;
  /** Writes the pod's phase as kubelet would when its containers exit (Succeeded: exit 0; Failed: exit 1). */
  finish(namespace: string, name: string, phase: 'Succeeded' | 'Failed'): Promise<void>;
  /** Looks at every pod again (after changing what is held back). */
  recheck(): Promise<void>;
}

export async function startFakeKubelet(t: TestContext, kubeconfigPath: string, nodes: readonly string[]): Promise<FakeKubelet> {
  const creds = await credentialsFrom(kubeconfigPath);
  for (const name of nodes) await createNode(creds, name);
  const agent = new Agent({ keepAlive: true, ca: creds.ca, cert: creds.cert, key: creds.key });
  const own = new Set(nodes);
  let held: ((pod: Pod) => boolean) | undefined;
  const finished = new Map<string, 'Succeeded' | 'Failed'>();
  let closed = false;
  let response: IncomingMessage | undefined;
  t.after(() => {
    closed = true;
    response?.destroy();
    agent.destroy();
  });

  const sync = async (pod: Pod) => {
    const { namespace, name } = pod.metadata as { namespace: string; name: string };
    const node = pod.spec?.nodeName;
    if (node === undefined || !own.has(node)) return;
    if (pod.metadata?.deletionTimestamp != null) {
      // Its containers "stop" at once; then, as kubelet does, it goes with grace 0 (finalizers may hold it still).
      if (!pod.metadata.deletionGracePeriodSeconds) return;
      const body = JSON.stringify({ gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      // Node sends a DELETE's body unframed unless told its length.
      const r = await api(creds, 'DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, { body, headers: { 'content-length': String(Buffer.byteLength(body)) } });
      if (r.status !== 200 && r.status !== 404 && r.status !== 409) throw new Error(`fake kubelet: deleting ${namespace}/${name}: ${r.status} ${r.text}`);
      return;
    }
    const wanted = statusOf(pod, node, finished.get(`${namespace}/${name}`) ?? (held?.(pod) === true ? 'NotReady' : 'Ready'));
    if (sameStatus(pod.status, wanted)) return;
    const r = await api(creds, 'PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, {
      body: JSON.stringify({ status: wanted }),
      contentType: 'application/merge-patch+json',
    });
    if (r.status !== 200 && r.status !== 404) throw new Error(`fake kubelet: status of ${namespace}/${name}: ${r.status} ${r.text}`);
  };
  const syncAll = async () => {
    const r = await api(creds, 'GET', '/api/v1/pods');
    const list = r.json<{ items: Pod[]; metadata: { resourceVersion: string } }>();
    for (const pod of list.items) await sync(pod);
    return list.metadata.resourceVersion;
  };

  const follow = async (from: string) => {
    while (!closed) {
      try {
        response = await new Promise<IncomingMessage>((resolve, reject) =>
          request(new URL(`/api/v1/pods?watch=true&resourceVersion=${from}`, creds.server), { agent }, resolve).on('error', reject).end(),
        );
        let partial = '';
        // One pod at a time, in order: a later event for a pod must not be overtaken by an earlier one.
        let work = Promise.resolve();
        for await (const chunk of response.setEncoding('utf8') as AsyncIterable<string>) {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop()!;
          for (const line of lines.filter((l) => l !== '')) {
            const event = JSON.parse(line) as { type: string; object: Pod };
            if (event.type === 'ERROR') throw new Error('watch expired');
            from = event.object.metadata?.resourceVersion ?? from;
            if (event.type === 'ADDED' || event.type === 'MODIFIED') work = work.then(() => sync(event.object)).catch(() => undefined);
          }
        }
        await work;
      } catch {
        if (closed) return;
        from = await syncAll().catch(() => from);
      }
    }
  };
  void follow(await syncAll());

  return {
    holdNotReady: (predicate) => {
      held = predicate;
    },
    finish: async (namespace, name, phase) => {
      finished.set(`${namespace}/${name}`, phase);
      const r = await api(creds, 'GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
      if (r.status === 200) await sync(r.json<Pod>());
    },
    recheck: async () => {
      await syncAll();
    },
  };
}

async function createNode(creds: Credentials, name: string): Promise<void> {
  const resources = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '30Gi' };
  const r = await api(creds, 'POST', '/api/v1/nodes', {
    body: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64' } },
      status: {
        capacity: resources,
        allocatable: resources,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
        addresses: [{ type: 'InternalIP', address: nodeIp(name) }],
      },
    }),
  });
  if (r.status !== 201) throw new Error(`fake kubelet: creating node ${name}: ${r.status} ${r.text}`);
}

/** A stable address per name, in 10.x.y.z (nodes) or 10.42.y.z (pods, as k3s's default cluster CIDR). */
function addressOf(prefix: string, name: string): string {
  const h = createHash('sha256').update(name).digest();
  return `${prefix}.${h[0]! % 250}.${(h[1]! % 250) + 2}`;
}

function nodeIp(name: string): string {
  return addressOf('10.0', name);
}

type State = 'Ready' | 'NotReady' | 'Succeeded' | 'Failed';

/** The status kubelet reports for a pod whose containers run (Ready or not) or have all exited. */
function statusOf(pod: Pod, node: string, state: State): PodStatus {
  const started = pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? metaTime();
  const running = state === 'Ready' || state === 'NotReady';
  const ready = state === 'Ready' ? 'True' : 'False';
  const podIp = addressOf('10.42', `${pod.metadata?.namespace}/${pod.metadata?.name}/${pod.metadata?.uid}`);
  const condition = (type: string, status: string) => ({ type, status, lastProbeTime: null as unknown as string, lastTransitionTime: started });
  return {
    phase: running ? 'Running' : state,
    conditions: [
      condition('PodReadyToStartContainers', running ? 'True' : 'False'),
      condition('Initialized', 'True'),
      condition('Ready', ready),
      condition('ContainersReady', ready),
      condition('PodScheduled', 'True'),
    ],
    hostIP: nodeIp(node),
    hostIPs: [{ ip: nodeIp(node) }],
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime: started,
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      containerID: `containerd://${createHash('sha256').update(`${pod.metadata?.uid}/${c.name}`).digest('hex')}`,
      ready: state === 'Ready',
      started: running,
      restartCount: 0,
      state: running ? { running: { startedAt: started } } : { terminated: { exitCode: state === 'Succeeded' ? 0 : 1, reason: state === 'Succeeded' ? 'Completed' : 'Error', startedAt: started, finishedAt: started } },
    })),
  };
}

/** Whether the pod already shows what would be written (so a write would change nothing). */
function sameStatus(current: PodStatus | undefined, wanted: PodStatus): boolean {
  if (current === undefined) return false;
  return (
    current.phase === wanted.phase &&
    current.podIP === wanted.podIP &&
    JSON.stringify(current.conditions?.map((c) => [c.type, c.status])) === JSON.stringify(wanted.conditions?.map((c) => [c.type, c.status])) &&
    (current.containerStatuses ?? []).length === (wanted.containerStatuses ?? []).length
  );
}

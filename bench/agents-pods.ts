// The pods stream under `bench agents`: pods created through the API, each
// bound to one simulated agent (spec.nodeName) and using a Secret and a
// ConfigMap that every pod shares, timed from each create until its agent
// holds it (the simulator's count), with the server's CPU meanwhile.
import { ApiClient } from './api-client.js';
import { CREATED_MS_ANNOTATION, simNodeName } from './agents-messages.js';
import type { SimulatorProcess } from './agents-simulator.js';
import { cpuTicks } from './proc.js';
import { percentile } from './stats.js';

export const PODS = {
  perAgent: 2,
  /** Creates in flight at once. */
  concurrency: 20,
  pollMs: 200,
  /** Per pod, on top of half a minute. */
  timeoutMs: (pods: number) => 30_000 + pods * 20,
} as const;

export interface DeliveryFigures {
  readonly pods: number;
  /** From the first create until every agent held its pods, s. */
  readonly allHeldSeconds: number;
  /** Per pod, from its create until its agent held it. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The server's CPU over that time, % of one core. */
  readonly serverCpuPercent: number;
}

export async function deliverPods(kubeconfigPath: string, agents: number, sim: SimulatorProcess, serverPid: number, hz: number): Promise<DeliveryFigures> {
  const api = await ApiClient.fromKubeconfig(kubeconfigPath, PODS.concurrency);
  try {
    await api.expect(201, 'POST', '/api/v1/namespaces/default/secrets', { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bench-secret' }, stringData: { password: 'bench' } } });
    await api.expect(201, 'POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bench-config' }, data: { mode: 'bench' } } });
    const pods = agents * PODS.perAgent;
    const ticks = await cpuTicks(serverPid);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: PODS.concurrency }, async () => {
        for (let i = next++; i < pods; i = next++) await api.expect(201, 'POST', '/api/v1/namespaces/default/pods', { body: pod(i, agents) });
      }),
    );
    const deadline = Date.now() + PODS.timeoutMs(pods);
    let stats = await sim.stats();
    while (stats.podsHeld < pods) {
      if (Date.now() > deadline) throw new Error(`after ${PODS.timeoutMs(pods) / 1000} s the agents held ${stats.podsHeld} of ${pods} pods`);
      await new Promise((resolve) => setTimeout(resolve, PODS.pollMs));
      stats = await sim.stats();
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      pods,
      allHeldSeconds: seconds,
      p50Ms: percentile(stats.deliveryMs, 50),
      p99Ms: percentile(stats.deliveryMs, 99),
      serverCpuPercent: (((await cpuTicks(serverPid)) - ticks) / hz / seconds) * 100,
    };
  } finally {
    api.close();
  }
}

function pod(i: number, agents: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, annotations: { [CREATED_MS_ANNOTATION]: String(Date.now()) } },
    spec: {
      nodeName: simNodeName((i % agents) + 1),
      containers: [
        {
          name: 'app',
          image: 'registry.local/app:1',
          env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'bench-secret', key: 'password' } } }],
          volumeMounts: [{ name: 'config', mountPath: '/config' }],
        },
      ],
      volumes: [{ name: 'config', configMap: { name: 'bench-config' } }],
    },
  };
}

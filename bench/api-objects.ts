// The objects `bench api` writes: ConfigMaps with about 1 KiB of data, and
// Pods as a cluster holds the one `kubectl run nginx --image nginx` makes once it runs.
import { randomBytes } from 'node:crypto';
import type { ConfigMap, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';

/** Characters of data in each ConfigMap. */
export const CONFIGMAP_DATA_BYTES = 1024;

/** Fresh data (base64 of random bytes), so that every update really changes the object. */
export function configMapData(): Record<string, string> {
  return { 'settings.conf': randomBytes((CONFIGMAP_DATA_BYTES * 3) / 4).toString('base64') };
}

export function configMap(name: string): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'bench' } }, data: configMapData() };
}

export function podName(i: number): string {
  return `nginx-${i}`;
}

/**
 * Pod number `i` of the namespace without its status, as `kubectl get pod -o
 * json` shows the spec of a pod that `kubectl run NAME --image nginx` made:
 * kubectl's object (the `run: NAME` label, one nginx container) with the
 * API server's defaults, its service account token volume and the
 * scheduler's node spelled out. What the server sets itself (uid,
 * resourceVersion, creationTimestamp, the Pending status) is left out, and
 * managedFields, which Bramble does not keep.
 */
export function nginxPod(namespace: string, i: number): Pod {
  const name = podName(i);
  const volume = `kube-api-access-${suffix(i)}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { run: name } },
    spec: {
      containers: [
        {
          name: 'nginx',
          image: 'nginx',
          imagePullPolicy: 'Always',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          volumeMounts: [{ name: volume, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
        },
      ],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      nodeName: 'bramble-0',
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
        { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      ],
      volumes: [
        {
          name: volume,
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
    },
  };
}

/** The status the kubelet reports for pod `i` once its nginx container runs. */
export function runningStatus(i: number): PodStatus {
  const started = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const podIP = `10.42.${(i >> 8) & 255}.${i & 255}`;
  // The zero time of a probe the kubelet never made is written as null, which the types do not allow for.
  const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: started }) as unknown as PodCondition;
  return {
    phase: 'Running',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
    hostIP: '192.168.1.10',
    hostIPs: [{ ip: '192.168.1.10' }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: started,
    containerStatuses: [
      {
        name: 'nginx',
        image: 'docker.io/library/nginx:latest',
        imageID: 'docker.io/library/nginx@sha256:0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a',
        containerID: `containerd://${randomBytes(32).toString('hex')}`,
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: started } },
        lastState: {},
      },
    ],
    qosClass: 'BestEffort',
  };
}

/** The five characters after kube-api-access-, as the API server picks them (from bcdfghjklmnpqrstvwxz2456789). */
function suffix(i: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let n = i + 12_345, k = 0; k < 5; k++, n = Math.floor(n / alphabet.length)) s += alphabet[n % alphabet.length];
  return s;
}

// What containers are made with, on a real node (registry, containerd, server,
// agent, kubectl): env from every source, a pod waiting for its ConfigMap in
// CreateContainerConfigError until it arrives through the node feed,
// resource limits seen in the container's cgroup files, the pod's QoS cgroup
// folders made and removed, runAsUser and a read-only root filesystem,
// runAsNonRoot refusing a root image, and a hostPort answering on the node.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { cgroupMounts } from '../../agent/pods/pod-cgroups.js';
import { freePort } from '../helpers/bramble.js';
import type { Kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';
const BUSYBOX = publicImage('busybox:1.36');

test('containers get env from every source, resources, security context and host ports as kubelet gives them', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c, runtime } = node;
  const hostPort = await freePort();
  const apply = async (yaml: string) => {
    const r = await c.k.run(['apply', '-f', '-'], { stdin: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  // sh as pid 1 ignores SIGTERM: a short grace keeps deletions short.
  const pod = (name: string, spec: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  terminationGracePeriodSeconds: 1
${spec}
---
`;
  await apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {MODE: fast, LEVEL: "3"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {PASSWORD: "s3cr\$t", USER: admin}
---
${pod('env', `  containers:
  - name: env
    image: ${BUSYBOX}
    command: [sh, -c, 'env | sort; echo "args: $0 $1"; sleep 3600', '$(MODE)', '$$(MODE)']
    resources:
      requests: {cpu: 100m, memory: 32Mi}
      limits: {cpu: 500m, memory: 64Mi}
    envFrom:
    - {prefix: CFG_, configMapRef: {name: settings}}
    - secretRef: {name: creds}
    env:
    - {name: GREETING, value: "mode=$(MODE) cfg=$(CFG_MODE) user=$(USER) $$(MODE) $(NOPE)"}
    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: MODE}}}
    - {name: SECRET, valueFrom: {secretKeyRef: {name: creds, key: PASSWORD}}}
    - {name: MAYBE, valueFrom: {configMapKeyRef: {name: absent, key: x, optional: true}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: POD_IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}
    - {name: MEM_LIMIT_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: CPU_REQUEST_M, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}
    - {name: EPHEMERAL_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.ephemeral-storage}}}`)}
${pod('late', `  containers:
  - name: late
    image: ${BUSYBOX}
    command: [sh, -c, 'echo "K=$K"; sleep 3600']
    env:
    - {name: K, valueFrom: {configMapKeyRef: {name: later, key: k}}}`)}
${pod('secure', `  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000]}
  containers:
  - name: secure
    image: ${BUSYBOX}
    command: [sleep, "3600"]
    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}`)}
${pod('nonroot', `  securityContext: {runAsNonRoot: true}
  containers:
  - {name: nonroot, image: ${BUSYBOX}, command: [sleep, "3600"]}`)}
${pod('web', `  containers:
  - name: web
    image: ${BUSYBOX}
    command: [sh, -c, 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www']
    ports: [{containerPort: 80, hostPort: ${hostPort}}]`)}`);

  const started = performance.now();
  const running = async (name: string) => (await podJson(c.k, name)).status?.phase === 'Running';
  await until(async () => (await running('env')) && (await running('secure')) && (await running('web')), 'pods env, secure and web Running', 60_000);
  t.diagnostic(`kubectl apply → 3 pods Running: ${Math.round(performance.now() - started)} ms`);

  // ---- Env from every source, read from the container's log ----
  const env = await podJson(c.k, 'env');
  const uid = env.metadata!.uid!;
  const logFile = join(c.dir, NODE, 'pod-logs', `default_env_${uid}`, 'env', '0.log');
  let log = '';
  await until(async () => (log = await readFile(logFile, 'utf8').catch(() => '')).includes('args: '), 'env in the log', 10_000);
  const lines = new Map(log.split('\n').map((l) => l.replace(/^\S+ stdout F /, '')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
  const expected: Record<string, string> = {
    GREETING: 'mode=$(MODE) cfg=fast user=admin $(MODE) $(NOPE)',
    MODE: 'fast',
    CFG_MODE: 'fast',
    CFG_LEVEL: '3',
    USER: 'admin',
    PASSWORD: 's3cr$t',
    SECRET: 's3cr$t',
    POD_NAME: 'env',
    POD_NAMESPACE: 'default',
    POD_UID: uid,
    APP: 'env',
    NODE_NAME: NODE,
    SA: 'default',
    HOST_IP: env.status!.hostIP!,
    POD_IP: env.status!.podIP!,
    POD_IPS: env.status!.podIP!,
    MEM_LIMIT_MI: '64',
    CPU_REQUEST_M: '100',
  };
  for (const [name, value] of Object.entries(expected)) assert.equal(lines.get(name), value, `${name} in\n${log}`);
  assert.equal(lines.has('MAYBE'), false, 'an optional missing key sets nothing');
  // No ephemeral-storage limit: the node's allocatable, in bytes.
  const nodeObject = JSON.parse((await c.k.run(['get', 'node', NODE, '-o', 'json'])).stdout) as { status: { allocatable: Record<string, string> } };
  assert.equal(Number(lines.get('EPHEMERAL_LIMIT')), Number(nodeObject.status.allocatable['ephemeral-storage']!.replace(/Ki$/, '')) * 1024);
  assert.match(log, / stdout F args: fast \$\(MODE\)\n/);

  // ---- Resources: the container's cgroup files; the pod's QoS cgroup on the host ----
  assert.equal(env.status?.qosClass, 'Burstable');
  const envId = env.status!.containerStatuses![0]!.containerID!.replace('containerd://', '');
  const inside = async (id: string, script: string) => {
    const r = await runtime.execSync(id, ['sh', '-c', script], 10);
    return { code: r.exitCode, out: r.stdout.toString().trim(), err: r.stderr.toString().trim() };
  };
  const limits = await inside(
    envId,
    'if [ -f /sys/fs/cgroup/memory.max ]; then cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max; else cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/cpu*/cpu.cfs_quota_us | head -1; fi',
  );
  assert.match(limits.out, /^67108864\n50000( 100000)?$/, limits.out);
  const mounts = cgroupMounts(await readFile('/proc/self/mountinfo', 'utf8'));
  assert.ok(mounts.some((m) => existsSync(join(m, 'kubepods', 'burstable', `pod${uid}`))), `pod${uid} under kubepods/burstable in ${mounts.join(', ')}`);

  // ---- Security context ----
  const secureId = (await podJson(c.k, 'secure')).status!.containerStatuses![0]!.containerID!.replace('containerd://', '');
  assert.deepEqual(await inside(secureId, 'id -u; id -g; id -G'), { code: 0, out: '1000\n3000\n3000 4000', err: '' });
  const write = await inside(secureId, 'touch /probe');
  assert.notEqual(write.code, 0);
  assert.match(write.err, /Read-only file system/);
  assert.match((await inside(secureId, 'grep NoNewPrivs /proc/self/status')).out, /NoNewPrivs:\s+1/);

  let waiting: { reason?: string; message?: string } | undefined;
  await until(async () => (waiting = (await podJson(c.k, 'nonroot')).status?.containerStatuses?.[0]?.state?.waiting)?.reason === 'CreateContainerConfigError', 'nonroot refused', 20_000);
  const nonrootUid = (await podJson(c.k, 'nonroot')).metadata!.uid!;
  assert.equal(waiting!.message, `container has runAsNonRoot and image will run as root (pod: "nonroot_default(${nonrootUid})", container: nonroot)`);

  // ---- A hostPort answers on the node's address ----
  const hostIp = (await podJson(c.k, 'web')).status!.hostIP!;
  const response = await fetch(`http://${hostIp}:${hostPort}/index.html`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'hello from web\n');

  // ---- A missing ConfigMap, then a missing key, then the pod starts ----
  const lateStatus = async () => (await podJson(c.k, 'late')).status?.containerStatuses?.[0]?.state?.waiting;
  await until(async () => (await lateStatus())?.reason === 'CreateContainerConfigError', 'late in CreateContainerConfigError', 20_000);
  assert.equal((await lateStatus())?.message, 'configmap "later" not found');
  assert.match((await c.k.run(['get', 'pod', 'late', '--no-headers'])).stdout, /^late\s+0\/1\s+CreateContainerConfigError\s+0\s/);
  await apply('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\ndata: {other: x}\n');
  await until(async () => (await lateStatus())?.message === "couldn't find key k in ConfigMap default/later", 'the missing key reported', 20_000);
  await apply('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\ndata: {other: x, k: finally}\n');
  await until(() => running('late'), 'late Running once its ConfigMap has the key', 20_000);
  const late = await podJson(c.k, 'late');
  const lateLog = join(c.dir, NODE, 'pod-logs', `default_late_${late.metadata!.uid}`, 'late', '0.log');
  await until(async () => (await readFile(lateLog, 'utf8').catch(() => '')).includes(' stdout F K=finally'), 'K=finally in the log', 10_000);

  // The Secret's values never reach the agent's log.
  assert.doesNotMatch(node.agent.log(), /s3cr\$t/);

  // ---- Deleted: the pods' cgroup folders go with them, before their sandboxes ----
  const names = ['env', 'late', 'secure', 'nonroot', 'web'];
  const uids = await Promise.all(names.map(async (name) => (await podJson(c.k, name)).metadata!.uid!));
  const cgroupsOf = (podUid: string) => mounts.flatMap((m) => ['kubepods', 'kubepods/burstable', 'kubepods/besteffort'].map((q) => join(m, q, `pod${podUid}`))).filter((dir) => existsSync(dir));
  assert.ok(cgroupsOf(uids[2]!).some((dir) => dir.includes('/besteffort/')), 'BestEffort pods under kubepods/besteffort');
  assert.equal((await c.k.run(['delete', 'pod', ...names, '--wait=false'])).code, 0);
  await until(async () => (await runtime.listPodSandbox()).length === 0, 'no sandboxes left', 30_000);
  assert.deepEqual(uids.flatMap(cgroupsOf), []);
});

async function podJson(k: Kubectl, name: string): Promise<Pod> {
  const r = await k.run(['get', 'pod', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Pod;
}

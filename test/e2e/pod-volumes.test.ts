// Pod volumes on a real node: a real `bramble server` and `bramble agent` on
// a real containerd, the real kubectl, busybox containers looked into with
// CRI ExecSync. Every kind: an emptyDir two containers share, a memory
// emptyDir that is a tmpfs, hostPath, a configMap with items and modes that
// changes in place after `kubectl apply`, a secret on a tmpfs, downwardAPI
// labels that follow `kubectl label`, a projected service account token the
// API accepts (until its pod is gone); and a claim on the default local-path
// class whose data outlives its pods and goes with the claim. Every pod also
// gets the kube-api-access volume in-cluster clients read.
import assert from 'node:assert/strict';
import { access, readdir, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeClient } from '../../agent/cri/runtime-client.js';
import { mountPointsUnder } from '../../agent/volumes/tmpfs.js';
import type { Kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';
const BUSYBOX = publicImage('busybox:1.36');

test('every volume kind works in a running pod, API data volumes change in place, and nothing is left once the pod is gone', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c, runtime } = node;
  const agentDir = join(c.dir, NODE);
  const hostDir = join(c.dir, 'host-data');
  const apply = async (yaml: string) => {
    const r = await c.k.run(['apply', '-f', '-'], { stdin: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  await apply(`
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {app.conf: "version=1", other: "not mounted"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: v1
kind: Pod
metadata: {name: vols, labels: {app: vols}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: ${BUSYBOX}
    command: [sh, -c, "sleep 3600"]
    volumeMounts:
    - {name: shared, mountPath: /shared}
    - {name: mem, mountPath: /mem}
    - {name: host, mountPath: /host}
    - {name: config, mountPath: /config}
    - {name: secret, mountPath: /secret}
    - {name: info, mountPath: /info}
    - {name: token, mountPath: /var/run/secrets/tokens}
  - name: peer
    image: ${BUSYBOX}
    command: [sh, -c, "echo hello from peer > /data/from-peer; sleep 3600"]
    volumeMounts:
    - {name: shared, mountPath: /data}
  volumes:
  - {name: shared, emptyDir: {}}
  - {name: mem, emptyDir: {medium: Memory, sizeLimit: 16Mi}}
  - {name: host, hostPath: {path: ${hostDir}, type: DirectoryOrCreate}}
  - name: config
    configMap:
      name: settings
      items: [{key: app.conf, path: conf/app.conf, mode: 0600}]
  - {name: secret, secret: {secretName: creds, defaultMode: 0400}}
  - name: info
    downwardAPI:
      items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}, {path: name, fieldRef: {fieldPath: metadata.name}}]
  - name: token
    projected:
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3600}
      - configMap: {name: settings, items: [{key: app.conf, path: app.conf}]}
`);
  const started = performance.now();
  await waitRunning(c.k, 'vols');
  t.diagnostic(`pod with 7 volumes Running in kubectl get: ${Math.round(performance.now() - started)} ms`);
  const pod = JSON.parse((await c.k.run(['get', 'pod', 'vols', '-o', 'json'])).stdout) as Pod;
  const uid = pod.metadata!.uid!;
  const sh = shell(runtime, 'vols');

  // emptyDir: what one container writes, the other reads.
  await until(async () => (await sh('main', 'cat /shared/from-peer').catch(() => '')) === 'hello from peer\n', 'the peer’s file in main', 10_000);
  // Memory emptyDir: a tmpfs of the asked size.
  assert.match(await sh('main', 'grep " /mem " /proc/mounts'), /^tmpfs \/mem tmpfs rw,.*size=16384k/);
  // hostPath: the node's folder, made as DirectoryOrCreate says.
  await sh('main', 'echo from pod > /host/out.txt');
  assert.equal(await readFile(join(hostDir, 'out.txt'), 'utf8'), 'from pod\n');
  // configMap with items and modes, read-only.
  assert.equal(await sh('main', 'cat /config/conf/app.conf'), 'version=1');
  assert.equal(await sh('main', 'stat -L -c %a /config/conf/app.conf'), '600\n');
  assert.equal(await sh('main', 'ls /config'), 'conf\n');
  assert.match(await sh('main', 'touch /config/x 2>&1; echo $?'), /Read-only file system\n1\n$/);
  // secret: mode 0400, on a tmpfs (never on the node's disk).
  assert.equal(await sh('main', 'cat /secret/password'), 's3cret');
  assert.equal(await sh('main', 'stat -L -c %a /secret/password'), '400\n');
  assert.match(await sh('main', 'grep " /secret " /proc/mounts'), /^tmpfs \/secret tmpfs ro,/);
  const secretDir = join(agentDir, 'pods', uid, 'volumes', 'kubernetes.io~secret', 'secret');
  assert.ok((await mountPointsUnder(secretDir)).includes(secretDir), 'the secret volume is a tmpfs on the node');
  // downwardAPI.
  assert.equal(await sh('main', 'cat /info/labels'), 'app="vols"');
  assert.equal(await sh('main', 'cat /info/name'), 'vols');
  // The kubelet layout on the node.
  const configDir = join(agentDir, 'pods', uid, 'volumes', 'kubernetes.io~configmap', 'config');
  assert.match((await readdir(configDir)).sort().join(' '), /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+ \.\.data conf$/);

  // Projected: a token the API accepts as the pod's service account, and the ConfigMap beside it.
  assert.equal(await sh('main', 'cat /var/run/secrets/tokens/app.conf'), 'version=1');
  const token = await sh('main', 'cat /var/run/secrets/tokens/token');
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; 'kubernetes.io': { pod: { name: string; uid: string } }; exp: number; iat: number };
  assert.equal(claims.sub, 'system:serviceaccount:default:default');
  assert.deepEqual(claims['kubernetes.io'].pod, { name: 'vols', uid });
  assert.equal(claims.exp - claims.iat, 3600);
  const ca = await readFile(join(agentDir, 'ca.crt'), 'utf8');
  const asToken = await apiGet(c.url, ca, '/api/v1/namespaces/default/pods', token);
  assert.equal(asToken.code, 403, 'authenticated, not allowed to list pods');
  assert.match(asToken.body, /User \\"system:serviceaccount:default:default\\" cannot list resource \\"pods\\"/);
  assert.equal((await apiGet(c.url, ca, '/api/v1/namespaces/default/pods', 'not-a-token')).code, 401);
  // The kube-api-access volume every pod gets: what in-cluster clients read.
  const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
  assert.equal(await sh('main', `cat ${sa}/ca.crt`), ca, 'the cluster CA, from kube-root-ca.crt');
  assert.equal(await sh('main', `cat ${sa}/namespace`), 'default');
  assert.equal(await sh('peer', `ls ${sa}`), 'ca.crt\nnamespace\ntoken\n', 'in every container');
  assert.equal((await apiGet(c.url, ca, '/api/v1/namespaces/default/pods', await sh('peer', `cat ${sa}/token`))).code, 403, 'its token authenticates');

  // A changed ConfigMap reaches the running container in place.
  const applied = performance.now();
  await apply('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {app.conf: "version=2", other: "not mounted"}\n');
  await until(async () => (await sh('main', 'cat /config/conf/app.conf')) === 'version=2', 'the new ConfigMap in the container', 10_000);
  t.diagnostic(`kubectl apply of a ConfigMap → new content in the container: ${Math.round(performance.now() - applied)} ms`);
  // Each volume is swapped on its own, one after the other.
  await until(async () => (await sh('main', 'cat /var/run/secrets/tokens/app.conf')) === 'version=2', 'the projected copy too', 10_000);
  // A new label reaches the downwardAPI file in place.
  const labelled = performance.now();
  const label = await c.k.run(['label', 'pod', 'vols', 'tier=back']);
  assert.equal(label.code, 0, label.stderr);
  await until(async () => (await sh('main', 'cat /info/labels')) === 'app="vols"\ntier="back"', 'the new label in the container', 10_000);
  t.diagnostic(`kubectl label → new labels file in the container: ${Math.round(performance.now() - labelled)} ms`);

  // The pod goes: its volumes (mounts and folders) go; the token is refused; hostPath data stays.
  const deleted = await c.k.run(['delete', 'pod', 'vols', '--wait=true']);
  assert.equal(deleted.code, 0, deleted.stderr);
  const podDir = join(agentDir, 'pods', uid);
  await until(async () => access(podDir).then(() => false, () => true), 'the pod’s volume folder removed', 15_000);
  assert.deepEqual(await mountPointsUnder(agentDir), [], 'no mounts left under the agent’s data dir');
  assert.equal((await apiGet(c.url, ca, '/api/v1/namespaces/default/pods', token)).code, 401, 'a token bound to a deleted pod is refused');
  assert.equal(await readFile(join(hostDir, 'out.txt'), 'utf8'), 'from pod\n');
});

test('a claim on the default local-path class keeps its data across pods and is deleted, folder and all, with the claim', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c, runtime } = node;
  const storage = join(c.dir, NODE, 'storage');
  const claimPod = (name: string, command: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: ${BUSYBOX}, command: [sh, -c, "${command}"], volumeMounts: [{name: data, mountPath: /data}]}
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: data}}
`;
  const apply = async (yaml: string) => {
    const r = await c.k.run(['apply', '-f', '-'], { stdin: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  await apply('apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 64Mi}}}\n');
  const pending = (await c.k.run(['get', 'pvc', 'data', '--no-headers'])).stdout.trim().split(/\s+/);
  // NAME STATUS VOLUME CAPACITY ACCESS-MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE
  assert.deepEqual(pending.slice(0, 5), ['data', 'Pending', 'local-path', '<unset>', pending[4]!]);
  const sc = (await c.k.run(['get', 'storageclass', '--no-headers'])).stdout.trim().split(/\s+/);
  assert.deepEqual(sc.slice(0, 6), ['local-path', '(default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false']);

  await apply(claimPod('writer', 'echo kept > /data/file; sleep 3600'));
  await waitRunning(c.k, 'writer');
  const claim = JSON.parse((await c.k.run(['get', 'pvc', 'data', '-o', 'json'])).stdout) as { metadata: { uid: string }; spec: { volumeName: string } };
  const volume = `pvc-${claim.metadata.uid}`;
  assert.equal(claim.spec.volumeName, volume);
  const row = (await c.k.run(['get', 'pvc', 'data', '--no-headers'])).stdout.trim().split(/\s+/);
  assert.deepEqual(row.slice(0, 6), ['data', 'Bound', volume, '64Mi', 'RWO', 'local-path']);
  const pvRow = (await c.k.run(['get', 'pv', volume, '--no-headers'])).stdout.trim().split(/\s+/);
  // NAME CAPACITY ACCESS-MODES RECLAIM-POLICY STATUS CLAIM STORAGECLASS
  assert.deepEqual(pvRow.slice(0, 7), [volume, '64Mi', 'RWO', 'Delete', 'Bound', 'default/data', 'local-path']);
  const folder = join(storage, `${volume}_default_data`);
  await until(async () => (await readFile(join(folder, 'file'), 'utf8').catch(() => '')) === 'kept\n', 'the file in the volume’s folder on the node', 10_000);

  // A new pod on the same claim reads what the first wrote.
  assert.equal((await c.k.run(['delete', 'pod', 'writer', '--wait=true'])).code, 0);
  await apply(claimPod('reader', 'sleep 3600'));
  await waitRunning(c.k, 'reader');
  assert.equal(await shell(runtime, 'reader')('main', 'cat /data/file'), 'kept\n');
  assert.equal((await c.k.run(['delete', 'pod', 'reader', '--wait=true'])).code, 0);

  // The claim goes: its volume goes, then the agent removes the folder.
  const gone = performance.now();
  assert.equal((await c.k.run(['delete', 'pvc', 'data', '--wait=true'])).code, 0);
  await until(async () => (await c.k.run(['get', 'pv', '--no-headers'])).stdout.trim() === '', 'the volume deleted', 15_000);
  await until(async () => access(folder).then(() => false, () => true), 'the folder removed by the agent', 15_000);
  t.diagnostic(`kubectl delete pvc → volume and folder gone: ${Math.round(performance.now() - gone)} ms`);
});

async function waitRunning(k: Kubectl, name: string): Promise<void> {
  let last = '';
  await until(
    async () => {
      last = (await k.run(['get', 'pod', name, '--no-headers'])).stdout.trim();
      return last.split(/\s+/)[2] === 'Running';
    },
    `pod ${name} Running (last: ${last})`,
    60_000,
  );
}

/** Runs `sh -c` in a container of the pod through the test's own CRI client; stdout, or a throw on a non-zero exit. */
function shell(runtime: RuntimeClient, pod: string) {
  return async (container: string, script: string): Promise<string> => {
    const [found] = await runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.name': pod, 'io.kubernetes.container.name': container } });
    if (found === undefined) throw new Error(`no container ${container} in ${pod}`);
    const r = await runtime.execSync(found.id, ['sh', '-c', script], 10);
    if (r.exitCode !== 0) throw new Error(`${script}: exit ${r.exitCode}: ${r.stderr.toString()}`);
    return r.stdout.toString();
  };
}

/** A GET with a bearer token and no client certificate. */
function apiGet(url: string, ca: string, path: string, token: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

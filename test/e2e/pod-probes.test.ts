// Probes on real containerd: a real `bramble server` and `bramble agent`,
// busybox pods with liveness, readiness and startup probes, kubectl
// watching. Readiness follows an exec probe on a file the test creates and
// removes (through CRI ExecSync on the test's own client), an httpGet probe
// against busybox httpd on a named port and a tcpSocket probe; a startup
// probe holds started and ready; a failing liveness probe gets the
// container killed and restarted. kubelet's events show each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event as CoreEvent, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-probes';
const BUSYBOX = publicImage('busybox:1.36');

test('probes decide readiness and startup through the API, a failing liveness probe kills and restarts the container, with kubelet’s events', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c, runtime } = node;
  const k = c.k;

  const quick = (probe: Probe): Probe => ({ periodSeconds: 1, failureThreshold: 1, ...probe });
  await apply(k, [
    pod('ready-file', ['sleep', '3600'], { readinessProbe: quick({ exec: { command: ['cat', '/tmp/ready'] } }) }),
    pod('ready-http', ['sh', '-c', 'mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www'], {
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: quick({ httpGet: { path: '/healthz', port: 'http' } }),
    }),
    // Listens only once the test says so: "not ready yet" must not depend on how loaded the machine is.
    pod('ready-tcp', ['sh', '-c', 'until [ -e /tmp/listen ]; do sleep 0.2; done; exec httpd -f -p 9000 -h /tmp'], { readinessProbe: quick({ tcpSocket: { port: 9000 } }) }),
    pod('startup', ['sleep', '3600'], {
      startupProbe: { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 60 },
      readinessProbe: quick({ exec: { command: ['true'] } }),
    }),
    pod('live', ['sh', '-c', 'touch /tmp/alive; sleep 3600'], { livenessProbe: quick({ exec: { command: ['cat', '/tmp/alive'] } }) }),
  ]);
  const watch = k.stream(['get', 'pods', '-w', '--no-headers', '-o', 'custom-columns=NAME:.metadata.name,READY:.status.containerStatuses[0].ready,STARTED:.status.containerStatuses[0].started,PHASE:.status.phase']);
  await until(async () => (await pods(k)).every((p) => p.status?.phase === 'Running'), 'all pods Running', 60_000);

  // ---- readiness: false until the first success ----
  const [readyFile] = await pods(k, 'ready-file');
  assert.deepEqual(conditions(readyFile!), { PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'False', ContainersReady: 'False', PodScheduled: 'True' });
  assert.equal(readyFile!.status?.containerStatuses?.[0]?.started, true);
  assert.equal(readyFile!.status?.containerStatuses?.[0]?.ready, false);
  const fileContainer = containerId(readyFile!);
  await until(async () => (await pods(k, 'ready-http'))[0]?.status?.containerStatuses?.[0]?.ready === true, 'ready-http ready (httpGet on a named port)', 15_000);
  const tcp = (await pods(k, 'ready-tcp'))[0]!;
  assert.equal(tcp.status?.containerStatuses?.[0]?.ready, false, 'nothing listens yet on ready-tcp’s port');
  await runtime.execSync(containerId(tcp), ['touch', '/tmp/listen'], 5);
  await until(async () => (await pods(k, 'ready-tcp'))[0]?.status?.containerStatuses?.[0]?.ready === true, 'ready-tcp ready (tcpSocket)', 15_000);

  // ---- readiness follows the file, through the watch ----
  await runtime.execSync(fileContainer, ['touch', '/tmp/ready'], 5);
  const touched = performance.now();
  await watch.waitFor(/^ready-file\s+true\s+true\s+Running$/, 10_000);
  const readyAfter = performance.now() - touched;
  t.diagnostic(`file created → Ready in the watch: ${Math.round(readyAfter)} ms`);
  assert.equal(conditions((await pods(k, 'ready-file'))[0]!).Ready, 'True');
  watch.lines.length = 0;
  await runtime.execSync(fileContainer, ['rm', '/tmp/ready'], 5);
  const removed = performance.now();
  await watch.waitFor(/^ready-file\s+false\s+true\s+Running$/, 10_000);
  t.diagnostic(`file removed → not Ready in the watch: ${Math.round(performance.now() - removed)} ms`);
  // A probe every second and a prompt status: well within 3 s.
  assert.ok(readyAfter < 3_000, `readiness took ${Math.round(readyAfter)} ms to reach the API`);
  const [unready] = await pods(k, 'ready-file');
  const cond = unready!.status?.conditions?.find((x) => x.type === 'Ready');
  assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['False', 'ContainersNotReady', 'containers with unready status: [ready-file]']);

  // ---- httpGet failing: a 404 makes it unready ----
  await runtime.execSync(containerId((await pods(k, 'ready-http'))[0]!), ['rm', '/www/healthz'], 5);
  await until(async () => (await pods(k, 'ready-http'))[0]?.status?.containerStatuses?.[0]?.ready === false, 'ready-http unready after a 404', 10_000);

  // ---- startup holds started and ready ----
  const [held] = await pods(k, 'startup');
  assert.deepEqual([held!.status?.containerStatuses?.[0]?.started, held!.status?.containerStatuses?.[0]?.ready], [false, false]);
  await runtime.execSync(containerId(held!), ['touch', '/tmp/started'], 5);
  await until(async () => {
    const s = (await pods(k, 'startup'))[0]?.status?.containerStatuses?.[0];
    return s?.started === true && s.ready === true;
  }, 'startup started and ready', 10_000);

  // ---- liveness failing: the container is killed ----
  const [live] = await pods(k, 'live');
  const liveContainer = containerId(live!);
  await runtime.execSync(liveContainer, ['rm', '/tmp/alive'], 5);
  const killedAt = performance.now();
  await until(async () => (await runtime.containerStatus(liveContainer)).status.state === 'CONTAINER_EXITED', 'the live container killed', 15_000);
  t.diagnostic(`liveness file removed → container exited: ${Math.round(performance.now() - killedAt)} ms`);
  const exited = (await runtime.containerStatus(liveContainer)).status;
  // sh as pid 1 ignores SIGTERM: it dies by SIGKILL when the 2 s grace ends.
  assert.equal(exited.exitCode, 137);
  assert.match(node.agent.log(), /msg="killing unhealthy container".*container=live.*probe=liveness/);
  // The pod worker starts it again: a restart counted, the kill as its last state, a healthy container.
  await until(async () => {
    const s = (await pods(k, 'live'))[0]?.status?.containerStatuses?.[0];
    return s?.restartCount === 1 && s.state?.running !== undefined && s.ready === true;
  }, 'the live container restarted', 30_000);
  const restarted = (await pods(k, 'live'))[0]!.status!.containerStatuses![0]!;
  assert.equal(restarted.lastState?.terminated?.exitCode, 137);
  assert.equal(restarted.lastState?.terminated?.containerID, `containerd://${liveContainer}`);
  assert.notEqual(restarted.containerID, `containerd://${liveContainer}`);
  watch.stop();

  // ---- kubelet's events ----
  const events = await podEvents(k);
  const seen = (pod: string, type: string, reason: string, message: string) =>
    events.some((e) => e.involvedObject.name === pod && e.type === type && e.reason === reason && e.message === message && e.involvedObject.fieldPath === `spec.containers{${pod}}` && e.source?.component === 'kubelet');
  const expected: [string, string, string, string][] = [
    ['ready-file', 'Warning', 'Unhealthy', "Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory\n"],
    ['ready-http', 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 404'],
    ['ready-tcp', 'Warning', 'Unhealthy', `Readiness probe failed: dial tcp ${(await pods(k, 'ready-tcp'))[0]!.status!.podIP}:9000: connect: connection refused`],
    ['startup', 'Warning', 'Unhealthy', "Startup probe failed: cat: can't open '/tmp/started': No such file or directory\n"],
    ['live', 'Warning', 'Unhealthy', "Liveness probe failed: cat: can't open '/tmp/alive': No such file or directory\n"],
    ['live', 'Normal', 'Killing', 'Container live failed liveness probe, will be restarted'],
  ];
  for (const [name, type, reason, message] of expected) {
    assert.ok(seen(name, type, reason, message), `event ${type} ${reason} "${message}" on ${name}; events: ${JSON.stringify(events.map((e) => [e.involvedObject.name, e.reason, e.message]))}`);
  }
  const printed = await k.run(['get', 'events', '--field-selector', 'involvedObject.name=live']);
  assert.match(printed.stdout, /Warning\s+Unhealthy\s+pod\/live\s+Liveness probe failed: cat: can't open '\/tmp\/alive': No such file or directory/);
  assert.match(printed.stdout, /Normal\s+Killing\s+pod\/live\s+Container live failed liveness probe, will be restarted/);
});

async function podEvents(k: Kubectl): Promise<CoreEvent[]> {
  const r = await k.run(['get', 'events', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: CoreEvent[] }).items;
}

function pod(name: string, command: string[], extra: Record<string, unknown>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    // sh and sleep as pid 1 ignore SIGTERM: a short grace keeps kills and cleanup short.
    spec: { terminationGracePeriodSeconds: 2, containers: [{ name, image: BUSYBOX, command, ...extra }] },
  };
}

async function apply(k: Kubectl, objects: Pod[]): Promise<void> {
  const r = await k.run(['apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  assert.equal(r.code, 0, r.stderr);
}

async function pods(k: Kubectl, name?: string): Promise<Pod[]> {
  const r = await k.run(['get', 'pods', ...(name !== undefined ? ['--field-selector', `metadata.name=${name}`] : []), '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: Pod[] }).items;
}

function conditions(p: Pod): Record<string, string> {
  return Object.fromEntries((p.status?.conditions ?? []).map((x) => [x.type, x.status]));
}

function containerId(p: Pod): string {
  const id = p.status?.containerStatuses?.[0]?.containerID;
  assert.ok(id, `${p.metadata?.name} has a container`);
  return id.slice('containerd://'.length);
}

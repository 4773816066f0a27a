// Resource metrics end to end: a real agent samples its pods' containers on
// a real containerd and the node itself, the server serves them as
// metrics.k8s.io, and the real kubectl (1.27 and 1.33) prints `kubectl top`
// from them: a pod spinning a CPU shows close to a core, an idle one close
// to nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubectl, type Kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';
/** The agent samples every 2 s here (15 s by default), so rates show within seconds. */
const AGENT_FLAGS = ['--metric-resolution', '2s'];

/** Runs `args` every half second until `check` accepts the output; returns it. */
async function poll(k: Kubectl, args: string[], check: (stdout: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await k.run(args);
    last = `${r.stdout}${r.stderr}`;
    if (r.code === 0 && check(r.stdout)) return r.stdout;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last output:\n${last}`);
    await sleep(500);
  }
}

/** "998m" → 998; "1" → 1000. */
const millicores = (cell: string) => (cell.endsWith('m') ? Number(cell.slice(0, -1)) : Number(cell) * 1000);

function rows(stdout: string): string[][] {
  return stdout.trim().split('\n').map((line) => line.trim().split(/\s+/));
}

test('kubectl top shows a busy pod near a core, an idle one near nothing, the node, and the raw metrics.k8s.io objects', async (t) => {
  const node = await startPodNode(t, NODE, { agentFlags: AGENT_FLAGS });
  const { k } = node.cluster;
  const k127 = await kubectl(t, '1.27', node.cluster.kubeconfig);
  for (const [name, script] of [['busy', 'while :; do :; done'], ['idle', 'sleep 3600']] as const) {
    const run = await k.run(['run', name, `--image=${publicImage('busybox:1.36')}`, '--restart=Never', '--labels', `app=${name}`, '--overrides={"apiVersion":"v1","spec":{"terminationGracePeriodSeconds":1}}', '--', 'sh', '-c', script]);
    assert.equal(run.code, 0, run.stderr);
  }

  // NAME CPU(cores) MEMORY(bytes), sorted by name.
  const top = await poll(k, ['top', 'pods'], (out) => rows(out).length === 3 && millicores(rows(out)[1]![1]!) > 100, "both pods in kubectl top, busy above 100m");
  const [header, busy, idle] = rows(top);
  assert.deepEqual(header, ['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
  assert.equal(busy![0], 'busy');
  assert.equal(idle![0], 'idle');
  // A spinning shell takes a whole core, less what the other work on this 2-core machine leaves it.
  assert.ok(millicores(busy![1]!) <= 1100, `busy at ${busy![1]}`);
  assert.ok(millicores(idle![1]!) < 50, `idle at ${idle![1]}`);
  assert.match(busy![2]!, /^\d+Mi$/);
  t.diagnostic(`kubectl top pods:\n${top}`);

  // The same through kubectl 1.27, across namespaces, and per container.
  const all = rows(await poll(k127, ['top', 'pods', '-A'], (out) => rows(out).length >= 3, 'kubectl 1.27 top pods -A'));
  assert.deepEqual(all[0], ['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
  assert.deepEqual(all.slice(1).map((r) => r.slice(0, 2)), [['default', 'busy'], ['default', 'idle']]);
  const containers = rows((await k.run(['top', 'pods', '--containers', '-l', 'app=busy'])).stdout);
  assert.deepEqual(containers[0], ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
  assert.deepEqual(containers[1]!.slice(0, 2), ['busy', 'busy']);
  assert.ok(millicores(containers[1]![2]!) > 100, `busy container at ${containers[1]![2]}`);

  // NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%): the node's own usage against its allocatable.
  for (const client of [k, k127]) {
    const nodes = rows(await poll(client, ['top', 'nodes'], (out) => rows(out).length === 2, `kubectl ${client.version} top nodes`));
    // kubectl 1.27 heads the shares CPU% and MEMORY%, 1.33 CPU(%) and MEMORY(%).
    const share = client === k ? ['CPU(%)', 'MEMORY(%)'] : ['CPU%', 'MEMORY%'];
    assert.deepEqual(nodes[0], ['NAME', 'CPU(cores)', share[0], 'MEMORY(bytes)', share[1]]);
    assert.equal(nodes[1]![0], NODE);
    assert.ok(millicores(nodes[1]![1]!) >= 100, `the node is busy at least with the busy pod: ${nodes[1]![1]}`);
    assert.match(nodes[1]![2]!, /^\d+%$/);
    assert.match(nodes[1]![3]!, /^\d+Mi$/);
  }

  // The objects themselves, as metrics-server writes them.
  const raw = await k.run(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy']);
  assert.equal(raw.code, 0, raw.stderr);
  const pod = JSON.parse(raw.stdout) as Record<string, any>;
  assert.equal(pod['kind'], 'PodMetrics');
  assert.equal(pod['apiVersion'], 'metrics.k8s.io/v1beta1');
  assert.deepEqual(pod['metadata'].labels, { app: 'busy' });
  assert.match(pod['timestamp'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(pod['window'], /^\d+(\.\d+)?s$/);
  assert.equal(pod['containers'][0].name, 'busy');
  assert.match(pod['containers'][0].usage.cpu, /^\d+[nu]?$/);
  assert.match(pod['containers'][0].usage.memory, /^\d+(Ki)?$/);
  const list = JSON.parse((await k.run(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes'])).stdout) as Record<string, any>;
  assert.equal(list['kind'], 'NodeMetricsList');
  assert.deepEqual(list['items'].map((n: any) => n.metadata.name), [NODE]);
  assert.deepEqual(Object.keys(list['items'][0].usage), ['cpu', 'memory']);
  const missing = await k.run(['top', 'pod', 'nope']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /pod "nope" not found|podmetrics.metrics.k8s.io "default\/nope" not found/);
});

test('an HPA scales a CPU-burning Deployment up to its maximum, says why in an event, and kubectl get hpa shows its targets', async (t) => {
  const node = await startPodNode(t, NODE, { agentFlags: AGENT_FLAGS });
  const { k } = node.cluster;
  const manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'burn' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'burn' } },
      template: {
        metadata: { labels: { app: 'burn' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'burn', image: publicImage('busybox:1.36'), command: ['sh', '-c', 'while :; do :; done'], resources: { requests: { cpu: '50m' } } }],
        },
      },
    },
  };
  const applied = await k.run(['apply', '-f', '-'], { stdin: JSON.stringify(manifest) });
  assert.equal(applied.code, 0, applied.stderr);
  const autoscale = await k.run(['autoscale', 'deployment', 'burn', '--cpu-percent=50', '--min=1', '--max=3']);
  assert.equal(autoscale.code, 0, autoscale.stderr);
  const started = Date.now();

  // NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE
  const hpa = await poll(k, ['get', 'hpa', 'burn', '--no-headers'], (out) => out.trim().split(/\s+/)[6] === '3', 'the HPA at 3 replicas', 60_000);
  t.diagnostic(`scaled to 3 in ${Math.round((Date.now() - started) / 1000)} s: ${hpa.trim()}`);
  const cells = hpa.trim().split(/\s+/);
  // The targets cell has a space in it ("cpu: 1998%/50%"), so MINPODS and MAXPODS come two cells later.
  assert.deepEqual([cells[0], cells[1], cells[2], cells[4], cells[5]], ['burn', 'Deployment/burn', 'cpu:', '1', '3']);
  assert.match(cells[3]!, /^\d+%\/50%$/);
  const deployment = JSON.parse((await k.run(['get', 'deployment', 'burn', '-o', 'json'])).stdout) as { spec: { replicas: number } };
  assert.equal(deployment.spec.replicas, 3);

  const status = JSON.parse((await k.run(['get', 'hpa', 'burn', '-o', 'json'])).stdout) as { status: Record<string, any> };
  assert.equal(status.status['desiredReplicas'], 3);
  const conditions = Object.fromEntries((status.status['conditions'] as { type: string; status: string; reason: string }[]).map((c) => [c.type, `${c.status}/${c.reason}`]));
  assert.equal(conditions['ScalingActive'], 'True/ValidMetricFound');
  assert.match(conditions['AbleToScale'] ?? '', /^True\//);
  assert.match(conditions['ScalingLimited'] ?? '', /^True\/(TooManyReplicas|ScaleUpLimit)$/);
  const events = JSON.parse((await k.run(['get', 'events', '--field-selector', 'reason=SuccessfulRescale', '-o', 'json'])).stdout) as { items: { message: string; source: { component: string } }[] };
  assert.ok(events.items.some((e) => e.message === 'New size: 3; reason: cpu resource utilization (percentage of request) above target'), JSON.stringify(events.items.map((e) => e.message)));
  assert.equal(events.items[0]?.source.component, 'horizontal-pod-autoscaler');
});

// A Job's pod evicted on a real node (containerd, a real `bramble agent`):
// the eviction marks the pod with the DisruptionTarget condition, the agent
// stops it and reports it Failed, and the Job's podFailurePolicy ignores the
// failure, so a Job with backoffLimit 0 replaces the pod instead of failing.
// And an Indexed Job with backoffLimitPerIndex whose one index keeps failing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, credentialsFrom } from '../helpers/api-client.js';
import { startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { publicImage } from '../helpers/test-images.js';

interface PodView {
  readonly metadata: { readonly name: string; readonly uid: string; readonly resourceVersion: string };
  readonly status?: { readonly phase?: string; readonly conditions?: { type: string; status: string; reason?: string }[] };
}

test('kubectl 1.33: an evicted Job pod carries DisruptionTarget, ends Failed, and its Job ignores the failure (podFailurePolicy) and replaces it', async (t) => {
  const node = await startPodNode(t, 'pi-1');
  const { k } = node.cluster;
  const creds = await credentialsFrom(node.cluster.kubeconfig);
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'sleeper' },
    spec: {
      backoffLimit: 0,
      podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] },
      template: {
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'c', image: publicImage('busybox:1.36'), command: ['sleep', '3600'] }],
        },
      },
    },
  };
  const applied = await k.run(['apply', '-f', '-'], { stdin: JSON.stringify(job) });
  assert.equal(applied.code, 0, applied.stderr);
  const list = async () => JSON.parse((await k.run(['get', 'pods', '-l', 'job-name=sleeper', '-o', 'json'])).stdout) as { metadata: { resourceVersion: string }; items: PodView[] };
  await until(async () => (await list()).items.some((p) => p.status?.phase === 'Running'), 'the Job pod running on containerd', 90_000);
  const before = await list();
  const first = before.items[0]!;

  // Every change of the Job's pods from here on: the evicted one goes quickly once its failure is counted.
  const watched = api(creds, 'GET', `/api/v1/namespaces/default/pods?watch=1&labelSelector=job-name%3Dsleeper&resourceVersion=${before.metadata.resourceVersion}&timeoutSeconds=20`);
  const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: first.metadata.name, namespace: 'default' } });
  const evicted = await k.run(['create', '--raw', `/api/v1/namespaces/default/pods/${first.metadata.name}/eviction`, '-f', '-'], { stdin: eviction });
  assert.equal(evicted.code, 0, evicted.stderr);
  await until(async () => (await list()).items.some((p) => p.metadata.uid !== first.metadata.uid && p.status?.phase === 'Running'), 'a replacement running', 90_000);

  const jobStatus = JSON.parse((await k.run(['get', 'job', 'sleeper', '-o', 'json'])).stdout) as { status: { failed?: number; conditions?: { type: string }[] } };
  assert.equal(jobStatus.status.failed ?? 0, 0, 'the ignored failure is not counted');
  assert.equal(jobStatus.status.conditions?.some((c) => c.type === 'Failed') ?? false, false, 'backoffLimit 0 not reached');

  const events = (await watched).text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { type: string; object: PodView });
  const states = events.filter((e) => e.object.metadata.uid === first.metadata.uid).map((e) => e.object);
  const failed = states.find((p) => p.status?.phase === 'Failed');
  assert.ok(failed !== undefined, `the evicted pod was reported Failed: ${JSON.stringify(states.map((s) => s.status?.phase))}`);
  const disruption = failed.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  assert.deepEqual([disruption?.status, disruption?.reason], ['True', 'EvictionByEvictionAPI']);
});

test('kubectl 1.33: an Indexed Job with backoffLimitPerIndex on containerd: the index that keeps failing fails alone, the others complete, and the Job fails with FailedIndexes', async (t) => {
  const node = await startPodNode(t, 'pi-1');
  const { k } = node.cluster;
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'per-index' },
    spec: {
      completions: 3,
      parallelism: 3,
      completionMode: 'Indexed',
      backoffLimitPerIndex: 1,
      template: {
        spec: {
          restartPolicy: 'Never',
          // JOB_COMPLETION_INDEX comes from the pod's annotation through the downward API: index 1 always fails.
          containers: [{ name: 'c', image: publicImage('busybox:1.36'), command: ['sh', '-c', 'test "$JOB_COMPLETION_INDEX" != 1'] }],
        },
      },
    },
  };
  const applied = await k.run(['apply', '-f', '-'], { stdin: JSON.stringify(job) });
  assert.equal(applied.code, 0, applied.stderr);
  const waited = await k.run(['wait', '--for=condition=failed', '--timeout=120s', 'job/per-index']);
  assert.equal(waited.code, 0, waited.stderr);
  const status = (JSON.parse((await k.run(['get', 'job', 'per-index', '-o', 'json'])).stdout) as { status: Record<string, unknown> }).status;
  assert.deepEqual([status['completedIndexes'], status['failedIndexes'], status['succeeded'], status['failed']], ['0,2', '1', 2, 2]);
  const failed = (status['conditions'] as { type: string; reason: string }[]).find((c) => c.type === 'Failed');
  assert.equal(failed?.reason, 'FailedIndexes');
  const counts = (await k.run(['get', 'pods', '-l', 'batch.kubernetes.io/job-completion-index=1', '-o', "jsonpath={range .items[*]}{.metadata.annotations.batch\\.kubernetes\\.io/job-index-failure-count}{' '}{end}"])).stdout;
  assert.deepEqual(counts.trim().split(' ').sort(), ['0', '1'], 'index 1 ran twice, its second pod counting the first failure');
});

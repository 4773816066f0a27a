// The Job and TTL-after-finished controllers on a real store and registry:
// pods end by having their status written, as kubelet would write it.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { type KubeObject, metaTime } from '../../server/api/objects.js';
import { ApiError } from '../../server/api/status.js';
import { JOB_TRACKING_FINALIZER, JobController } from '../../server/controllers/job-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { GarbageCollector } from '../../server/controllers/garbage-collector.js';
import { TtlAfterFinishedController } from '../../server/controllers/ttl-after-finished-controller.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });

async function setup(t: TestContext, backoff = { initialMs: 50, maxMs: 400 }) {
  const { catalogue, registry } = await apiRegistry(t);
  const jobs = catalogue.get('batch', 'v1', 'jobs')!;
  const pods = catalogue.get('', 'v1', 'pods')!;
  const events = catalogue.get('', 'v1', 'events')!;
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const controller = await JobController.start({ registry, catalogue, informers, log: quiet, podFailureBackoff: backoff });
  t.after(() => controller.close());

  const createJob = async (name: string, spec: Partial<JobSpec>, restartPolicy = 'Never') =>
    (await registry.create(
      jobs,
      'default',
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name },
        spec: { ...spec, template: { spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox' }] } } },
      } as unknown as KubeObject,
      {},
    )) as KubeObject & Job;
  const getJob = async (name: string) => (await registry.get(jobs, 'default', name)) as KubeObject & Job;
  const podsOf = async (job: KubeObject & Job) =>
    (await registry.list(pods, 'default', {})).items
      .map((p) => p as KubeObject & Pod)
      .filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid))
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const running = async (job: KubeObject & Job) => (await podsOf(job)).filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && p.metadata.deletionTimestamp === undefined);
  /** What kubelet writes: Running and Ready, or ended with exit 0 / 1 (or `exitCode`), with the pod's extra conditions. */
  const setPhase = (pod: KubeObject & Pod, phase: 'Running' | 'Succeeded' | 'Failed', more: { restartCount?: number; exitCode?: number; conditions?: object[] } = {}) =>
    registry.patch(
      pods,
      'default',
      pod.metadata.name!,
      (current) => {
        const now = metaTime();
        const ended = phase !== 'Running';
        current['status'] = {
          phase,
          conditions: [{ type: 'Ready', status: ended ? 'False' : 'True', lastTransitionTime: now }, ...(more.conditions ?? [])],
          containerStatuses: [
            {
              name: 'c',
              image: 'busybox',
              imageID: '',
              ready: !ended,
              restartCount: more.restartCount ?? 0,
              state: ended ? { terminated: { exitCode: more.exitCode ?? (phase === 'Succeeded' ? 0 : 1), startedAt: now, finishedAt: now } } : { running: { startedAt: now } },
            },
          ],
        };
        return current;
      },
      { subresource: 'status' },
    );
  const condition = (job: KubeObject & Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const eventsOf = async (name: string) =>
    (await registry.list(events, 'default', {})).items.map((e) => e as unknown as Event).filter((e) => e.involvedObject.name === name);
  return { registry, catalogue, informers, jobs, pods, controller, createJob, getJob, podsOf, running, setPhase, condition, eventsOf };
}

test('a Job runs its completions at most parallelism at a time, with labelled, owned, finalized pods, then completes', async (t) => {
  const { createJob, getJob, podsOf, running, setPhase, condition, eventsOf } = await setup(t);
  const job = await createJob('pi', { completions: 3, parallelism: 2 });
  await until(async () => (await podsOf(job)).length === 2, 'two pods');
  const [first] = await podsOf(job);
  assert.match(first!.metadata.name!, /^pi-[a-z0-9]{5}$/);
  assert.equal(first!.metadata.generateName, 'pi-');
  for (const label of ['batch.kubernetes.io/controller-uid', 'controller-uid']) assert.equal(first!.metadata.labels![label], job.metadata.uid);
  for (const label of ['batch.kubernetes.io/job-name', 'job-name']) assert.equal(first!.metadata.labels![label], 'pi');
  assert.deepEqual(first!.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(first!.metadata.finalizers, [JOB_TRACKING_FINALIZER]);
  await until(async () => (await getJob('pi')).status?.active === 2, 'status.active 2');
  assert.ok((await getJob('pi')).status?.startTime);

  for (const pod of await podsOf(job)) await setPhase(pod, 'Running');
  await until(async () => (await getJob('pi')).status?.ready === 2, 'status.ready 2');
  await setPhase(first!, 'Succeeded');
  await until(async () => (await getJob('pi')).status?.succeeded === 1 && (await running(job)).length === 2, 'one counted and a third pod');
  assert.equal((await podsOf(job)).length, 3, 'no more than completions - succeeded pods');
  assert.deepEqual((await podsOf(job)).find((p) => p.metadata.uid === first!.metadata.uid)!.metadata.finalizers ?? [], [], 'a counted pod lets go');

  for (const pod of await running(job)) await setPhase(pod, 'Succeeded');
  await until(async () => condition(await getJob('pi'), 'Complete') !== undefined, 'Complete');
  const done = await getJob('pi');
  assert.deepEqual(done.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [
    ['SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
    ['Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods'],
  ]);
  assert.equal(done.status?.succeeded, 3);
  assert.equal(done.status?.active, undefined);
  assert.equal(done.status?.ready, 0);
  assert.equal(done.status?.terminating, 0);
  assert.deepEqual(done.status?.uncountedTerminatedPods, {});
  assert.ok(done.status?.completionTime);
  assert.equal((await podsOf(job)).length, 3, 'finished pods stay, without the finalizer');
  for (const pod of await podsOf(job)) assert.deepEqual(pod.metadata.finalizers ?? [], []);
  await until(async () => (await eventsOf('pi')).some((e) => e.reason === 'Completed'), 'the Completed event');
  const events = await eventsOf('pi');
  assert.equal(events.filter((e) => e.reason === 'SuccessfulCreate' && /^Created pod: pi-[a-z0-9]{5}$/.test(e.message!)).length, 3);
  assert.equal(events.find((e) => e.reason === 'Completed')?.message, 'Job completed');
});

test('failed pods count against backoffLimit: FailureTarget, the other pods stopped, then Failed with BackoffLimitExceeded', async (t) => {
  const { createJob, getJob, podsOf, running, setPhase, condition, eventsOf } = await setup(t);
  const job = await createJob('flaky', { completions: 5, parallelism: 2, backoffLimit: 1 });
  await until(async () => (await running(job)).length === 2, 'two pods');
  const [a] = await running(job);
  await setPhase(a!, 'Failed');
  await until(async () => (await getJob('flaky')).status?.failed === 1 && (await running(job)).length === 2, 'one failure counted, a replacement after the back-off');
  assert.equal(condition(await getJob('flaky'), 'Failed'), undefined, 'one failure is within backoffLimit 1');
  const [b] = await running(job);
  await setPhase(b!, 'Failed');
  await until(async () => condition(await getJob('flaky'), 'Failed') !== undefined, 'Failed');
  const failed = await getJob('flaky');
  assert.deepEqual(failed.status?.conditions?.map((c) => [c.type, c.reason, c.message]), [
    ['FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
    ['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
  ]);
  // Two failed, and the one still running when the Job failed counts as failed too.
  assert.equal(failed.status?.failed, 3);
  assert.equal(failed.status?.active, undefined);
  assert.equal(failed.status?.completionTime, undefined);
  assert.equal((await running(job)).length, 0);
  assert.equal((await podsOf(job)).length, 2, 'the stopped pod is gone; the failed ones stay');
  await until(async () => (await eventsOf('flaky')).some((e) => e.reason === 'BackoffLimitExceeded'), 'the event');
  const event = (await eventsOf('flaky')).find((e) => e.reason === 'BackoffLimitExceeded')!;
  assert.equal(event.type, 'Warning');
  assert.equal(event.message, 'Job has reached the specified backoff limit');
});

test('with restartPolicy OnFailure, container restarts of running pods count against backoffLimit', async (t) => {
  const { createJob, getJob, running, setPhase, condition } = await setup(t);
  const job = await createJob('restarts', { backoffLimit: 2 }, 'OnFailure');
  await until(async () => (await running(job)).length === 1, 'a pod');
  const [pod] = await running(job);
  await setPhase(pod!, 'Running', { restartCount: 1 });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(condition(await getJob('restarts'), 'Failed'), undefined, 'one restart is within the limit');
  await setPhase(pod!, 'Running', { restartCount: 2 });
  await until(async () => condition(await getJob('restarts'), 'Failed')?.reason === 'BackoffLimitExceeded', 'Failed');
  assert.equal((await getJob('restarts')).status?.failed, 1, 'the running pod, stopped, counts as failed');
});

test('pods are re-created after failures with a back-off that doubles with each failure in a row', async (t) => {
  const { createJob, running, setPhase } = await setup(t, { initialMs: 400, maxMs: 5000 });
  const job = await createJob('backoff', { backoffLimit: 6 });
  /** How long after the failed container's finishedAt (whole seconds, as kubelet writes it) the replacement came. */
  const fail = async (): Promise<number> => {
    const [pod] = await running(job);
    const failed = (await setPhase(pod!, 'Failed')) as KubeObject & Pod;
    const finishedAt = Date.parse(failed.status!.containerStatuses![0]!.state!.terminated!.finishedAt!);
    await until(async () => (await running(job)).length === 1, 'a replacement', 5000);
    return Date.now() - finishedAt;
  };
  await until(async () => (await running(job)).length === 1, 'a pod');
  const first = await fail();
  const second = await fail();
  assert.ok(first >= 400 && first < 1800, `first replacement ${first} ms after the failure`);
  assert.ok(second >= 800 && second < 2200, `second replacement ${second} ms after the failure`);
});

test('activeDeadlineSeconds fails the Job with DeadlineExceeded and stops its pods', async (t) => {
  const { createJob, getJob, podsOf, condition, eventsOf } = await setup(t);
  const job = await createJob('slow', { parallelism: 2, completions: 2, activeDeadlineSeconds: 1 });
  // Both pods come in the Job's first sync; on a busy machine the 1 s deadline may remove them before a poll sees them, so status.failed shows them.
  await until(async () => condition(await getJob('slow'), 'Failed') !== undefined, 'Failed', 5000);
  const failed = await getJob('slow');
  assert.equal(condition(failed, 'Failed')!.reason, 'DeadlineExceeded');
  assert.equal(condition(failed, 'Failed')!.message, 'Job was active longer than specified deadline');
  assert.equal(condition(failed, 'FailureTarget')!.reason, 'DeadlineExceeded');
  assert.equal(failed.status?.failed, 2);
  await until(async () => (await podsOf(job)).length === 0, 'the pods gone');
  await until(async () => (await eventsOf('slow')).some((e) => e.reason === 'DeadlineExceeded' && e.type === 'Warning'), 'the event');
});

test('a suspended Job runs no pods, a Job suspended later stops them, and a resumed one starts again', async (t) => {
  const { registry, jobs, createJob, getJob, running, eventsOf } = await setup(t);
  const job = await createJob('paused', { suspend: true, parallelism: 2, completions: 4 });
  await until(async () => (await getJob('paused')).status?.conditions?.some((c) => c.type === 'Suspended') === true, 'Suspended');
  const suspended = await getJob('paused');
  assert.equal((await running(job)).length, 0);
  assert.equal(suspended.status?.startTime, undefined);
  assert.deepEqual(suspended.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [['Suspended', 'True', 'JobSuspended', 'Job suspended']]);
  const setSuspend = (value: boolean) =>
    registry.patch(jobs, 'default', 'paused', (j) => ((j as KubeObject & Job).spec!.suspend = value, j), {});

  await setSuspend(false);
  await until(async () => (await getJob('paused')).status?.conditions?.[0]?.status === 'False', 'resumed');
  assert.equal((await running(job)).length, 2);
  const resumed = await getJob('paused');
  assert.deepEqual(resumed.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [['Suspended', 'False', 'JobResumed']]);
  assert.ok(resumed.status?.startTime);

  await setSuspend(true);
  await until(async () => (await running(job)).length === 0 && (await getJob('paused')).status?.active === undefined, 'pods stopped');
  const events = (await eventsOf('paused')).map((e) => `${e.reason}: ${e.message}`);
  assert.ok(events.includes('Suspended: Job suspended'));
  assert.ok(events.includes('Resumed: Job resumed'));
  assert.equal(events.filter((e) => e.startsWith('SuccessfulDelete: Deleted pod: paused-')).length, 2);
});

test('an Indexed Job gives each pod its index (annotation, label, hostname, env) and tracks completedIndexes', async (t) => {
  const { createJob, getJob, running, setPhase, condition } = await setup(t);
  const job = await createJob('indexed', { completions: 3, parallelism: 3, completionMode: 'Indexed' });
  await until(async () => (await running(job)).length === 3, 'three pods');
  const byIndex = new Map((await running(job)).map((p) => [p.metadata.annotations!['batch.kubernetes.io/job-completion-index'], p]));
  assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
  const one = byIndex.get('1')!;
  assert.match(one.metadata.name!, /^indexed-1-[a-z0-9]{5}$/);
  assert.equal(one.metadata.labels!['batch.kubernetes.io/job-completion-index'], '1');
  assert.equal(one.spec!.hostname, 'indexed-1');
  assert.deepEqual(one.spec!.containers[0]!.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");

  await setPhase(one, 'Succeeded');
  await until(async () => (await getJob('indexed')).status?.completedIndexes === '1', 'completedIndexes 1');
  assert.equal((await getJob('indexed')).status?.succeeded, 1);
  // A failed index gets a new pod of the same index.
  await setPhase(byIndex.get('2')!, 'Failed');
  await until(async () => (await running(job)).some((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'] === '2'), 'index 2 again');
  for (const pod of await running(job)) await setPhase(pod, 'Succeeded');
  await until(async () => condition(await getJob('indexed'), 'Complete') !== undefined, 'Complete');
  const done = await getJob('indexed');
  assert.equal(done.status?.completedIndexes, '0-2');
  assert.equal(done.status?.succeeded, 3);
  assert.equal(done.status?.failed, 1);
});

test('a Job without completions is complete once a pod succeeded and the others finished', async (t) => {
  const { createJob, getJob, podsOf, running, setPhase, condition } = await setup(t);
  const job = await createJob('queue', { parallelism: 2 });
  await until(async () => (await running(job)).length === 2, 'two pods');
  const [a, b] = await running(job);
  await setPhase(a!, 'Succeeded');
  await until(async () => (await getJob('queue')).status?.succeeded === 1, 'one success');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await podsOf(job)).length, 2, 'no new pod after a success');
  assert.equal(condition(await getJob('queue'), 'Complete'), undefined, 'one pod still runs');
  await setPhase(b!, 'Succeeded');
  await until(async () => condition(await getJob('queue'), 'Complete') !== undefined, 'Complete');
});

test('a pod deleted while running counts as failed and is replaced; a deleted Job lets go of its pods', async (t) => {
  const { registry, jobs, pods, createJob, getJob, podsOf, running } = await setup(t);
  const job = await createJob('victim', { completions: 1 });
  await until(async () => (await running(job)).length === 1, 'a pod');
  const [pod] = await running(job);
  const { pending } = await registry.delete(pods, 'default', pod!.metadata.name!, {});
  assert.equal(pending, true, 'the finalizer holds the pod until it is counted');
  await until(async () => (await getJob('victim')).status?.failed === 1, 'counted as failed');
  await until(async () => (await running(job)).length === 1 && (await podsOf(job)).every((p) => p.metadata.uid !== pod!.metadata.uid), 'replaced, the old one gone');

  await registry.delete(jobs, 'default', 'victim', {});
  await until(async () => (await podsOf(job)).every((p) => (p.metadata.finalizers ?? []).length === 0), 'the orphans released');
});

test('a finished Job with ttlSecondsAfterFinished is deleted once the TTL has passed', async (t) => {
  const { registry, catalogue, informers, createJob, getJob, running, setPhase, condition } = await setup(t);
  const ttl = await TtlAfterFinishedController.start({ registry, catalogue, informers, log: quiet });
  t.after(() => ttl.close());
  // The TTL deletion is a foreground one: the collector removes the pods, then the Job.
  const collector = await GarbageCollector.start({ registry, catalogue, informers, log: quiet });
  t.after(() => collector.close());
  const job = await createJob('shortlived', { ttlSecondsAfterFinished: 1 });
  const kept = await createJob('kept', {});
  for (const j of [job, kept]) {
    await until(async () => (await running(j)).length === 1, 'a pod');
    await setPhase((await running(j))[0]!, 'Succeeded');
  }
  await until(async () => condition(await getJob('shortlived'), 'Complete') !== undefined, 'Complete');
  const finishedAt = Date.parse(condition(await getJob('shortlived'), 'Complete')!.lastTransitionTime!);
  await until(
    async () => {
      try {
        await getJob('shortlived');
        return false;
      } catch (err) {
        return err instanceof ApiError && err.code === 404;
      }
    },
    'the Job deleted',
    5000,
  );
  assert.ok(Date.now() - finishedAt >= 1000, 'not before the TTL');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(condition(await getJob('kept'), 'Complete'), 'a Job without a TTL stays');
});

test('a podFailurePolicy ignores a disrupted pod (DisruptionTarget: not counted, replaced) and fails the Job at once on a FailJob exit code', async (t) => {
  const { createJob, getJob, podsOf, running, setPhase, condition, eventsOf } = await setup(t);
  const job = await createJob('policy', {
    completions: 2,
    parallelism: 1,
    backoffLimit: 0,
    podFailurePolicy: {
      rules: [
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        { action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } },
      ],
    },
  });
  await until(async () => (await running(job)).length === 1, 'a pod');
  const [evicted] = await running(job);
  await setPhase(evicted!, 'Failed', {
    exitCode: 137,
    conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: metaTime() }],
  });
  await until(async () => (await running(job)).length === 1 && (await podsOf(job)).length === 2, 'the evicted pod replaced');
  const after = await getJob('policy');
  assert.equal(after.status?.failed ?? 0, 0, 'an ignored failure is not counted');
  assert.equal(condition(after, 'Failed'), undefined, 'backoffLimit 0 is not reached by it');
  await until(async () => ((await podsOf(job)).find((p) => p.metadata.uid === evicted!.metadata.uid)?.metadata.finalizers ?? []).length === 0, 'the ignored pod released');

  const [crashed] = await running(job);
  await setPhase(crashed!, 'Failed', { exitCode: 42 });
  await until(async () => condition(await getJob('policy'), 'Failed') !== undefined, 'Failed');
  const message = `Container c for pod default/${crashed!.metadata.name} failed with exit code 42 matching FailJob rule at index 1`;
  assert.deepEqual((await getJob('policy')).status?.conditions?.map((c) => [c.type, c.reason, c.message]), [
    ['FailureTarget', 'PodFailurePolicy', message],
    ['Failed', 'PodFailurePolicy', message],
  ]);
  await until(async () => (await eventsOf('policy')).some((e) => e.reason === 'PodFailurePolicy' && e.message === message), 'the event');
});

const INDEX = 'batch.kubernetes.io/job-completion-index';
const FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';

test('backoffLimitPerIndex: each index is retried with its failure count carried on, fails for good past the limit, and the Job fails with FailedIndexes once every index is done', async (t) => {
  const { createJob, getJob, podsOf, running, setPhase, condition } = await setup(t);
  const job = await createJob('per-index', { completions: 3, parallelism: 3, completionMode: 'Indexed', backoffLimitPerIndex: 1 });
  await until(async () => (await running(job)).length === 3, 'three pods');
  const indexOf = (p: KubeObject & Pod) => p.metadata.annotations![INDEX];
  for (const pod of await running(job)) assert.equal(pod.metadata.annotations![FAILURE_COUNT], '0');
  const first = (await running(job)).find((p) => indexOf(p) === '0')!;
  await setPhase(first, 'Failed');
  await until(async () => (await running(job)).some((p) => indexOf(p) === '0'), 'index 0 again');
  const second = (await running(job)).find((p) => indexOf(p) === '0')!;
  assert.equal(second.metadata.annotations![FAILURE_COUNT], '1', 'the replacement carries the failure on');
  await until(async () => ((await podsOf(job)).find((p) => p.metadata.uid === first.metadata.uid)?.metadata.finalizers ?? []).length === 0, 'the replaced pod released');

  await setPhase(second, 'Failed');
  await until(async () => (await getJob('per-index')).status?.failedIndexes === '0', 'failedIndexes 0');
  for (const pod of (await running(job)).filter((p) => indexOf(p) !== '0')) await setPhase(pod, 'Succeeded');
  await until(async () => condition(await getJob('per-index'), 'Failed') !== undefined, 'Failed');
  const done = await getJob('per-index');
  assert.deepEqual(done.status?.conditions?.map((c) => [c.type, c.reason, c.message]), [
    ['FailureTarget', 'FailedIndexes', 'Job has failed indexes'],
    ['Failed', 'FailedIndexes', 'Job has failed indexes'],
  ]);
  assert.equal(done.status?.completedIndexes, '1,2', 'two in a row are written as upstream writes them');
  assert.equal(done.status?.failedIndexes, '0');
  assert.equal(done.status?.failed, 2);
  assert.equal((await podsOf(job)).filter((p) => indexOf(p) === '0').length, 2, 'no third try of index 0');
});

test('backoffLimitPerIndex: a FailIndex rule fails the index at once, and maxFailedIndexes fails the Job and stops its pods', async (t) => {
  const { createJob, getJob, running, setPhase, condition } = await setup(t);
  const job = await createJob('fail-index', {
    completions: 4,
    parallelism: 4,
    completionMode: 'Indexed',
    backoffLimitPerIndex: 3,
    maxFailedIndexes: 1,
    podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [42] } }] },
  });
  await until(async () => (await running(job)).length === 4, 'four pods');
  const [a, b] = await running(job);
  await setPhase(a!, 'Failed', { exitCode: 42 });
  await until(async () => (await getJob('fail-index')).status?.failedIndexes === a!.metadata.annotations![INDEX], 'the index failed without a retry');
  assert.equal((await running(job)).length, 3, 'no replacement');
  await setPhase(b!, 'Failed', { exitCode: 42 });
  await until(async () => condition(await getJob('fail-index'), 'Failed') !== undefined, 'Failed');
  assert.deepEqual(
    (await getJob('fail-index')).status?.conditions?.map((c) => [c.type, c.reason, c.message]),
    [
      ['FailureTarget', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes'],
      ['Failed', 'MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes'],
    ],
  );
  assert.equal((await running(job)).length, 0, 'the other pods are stopped');
});

test('a successPolicy met completes an Indexed Job early (SuccessCriteriaMet, reason SuccessPolicy) and stops its other pods', async (t) => {
  const { createJob, getJob, running, setPhase, condition } = await setup(t);
  const job = await createJob('leader', { completions: 3, parallelism: 3, completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0' }] } });
  await until(async () => (await running(job)).length === 3, 'three pods');
  const worker = (await running(job)).find((p) => p.metadata.annotations![INDEX] === '1')!;
  await setPhase(worker, 'Succeeded');
  await until(async () => (await getJob('leader')).status?.completedIndexes === '1', 'index 1 counted');
  assert.equal(condition(await getJob('leader'), 'SuccessCriteriaMet'), undefined, 'index 1 is not the rule');
  const leader = (await running(job)).find((p) => p.metadata.annotations![INDEX] === '0')!;
  await setPhase(leader, 'Succeeded');
  await until(async () => condition(await getJob('leader'), 'Complete') !== undefined, 'Complete');
  const done = await getJob('leader');
  assert.deepEqual(done.status?.conditions?.map((c) => [c.type, c.reason, c.message]), [
    ['SuccessCriteriaMet', 'SuccessPolicy', 'Matched rules at index 0'],
    ['Complete', 'SuccessPolicy', 'Matched rules at index 0'],
  ]);
  assert.equal(done.status?.completedIndexes, '0,1');
  assert.equal((await running(job)).length, 0, 'index 2 was stopped');
});

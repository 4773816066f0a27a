// The CronJob controller on a real store and registry, on a fake clock the
// tests move and then sync at (as the controller's own timer would); Jobs
// end by having their status written, as the Job controller would.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { CronJob, CronJobSpec, Job } from 'kubernetes-types/batch/v1.js';
import type { Event } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { parseSchedule, type CronSchedule } from '../../server/api/kinds/cron.js';
import { type KubeObject, metaTime } from '../../server/api/objects.js';
import { nextFire } from '../../server/controllers/cron-schedule.js';
import { CronJobController } from '../../server/controllers/cronjob-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  const cronJobs = catalogue.get('batch', 'v1', 'cronjobs')!;
  const jobs = catalogue.get('batch', 'v1', 'jobs')!;
  const events = catalogue.get('', 'v1', 'events')!;
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const clock = { now: Date.now() };
  const controller = await CronJobController.start({ registry, catalogue, informers, log: quiet, now: () => clock.now });
  t.after(() => controller.close());

  const createCronJob = async (name: string, spec: Partial<CronJobSpec>) => {
    const created = (await registry.create(
      cronJobs,
      'default',
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name },
        spec: {
          ...spec,
          jobTemplate: {
            metadata: { labels: { app: name }, annotations: { note: 'from the template' } },
            spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
          },
        },
      } as unknown as KubeObject,
      {},
    )) as KubeObject & CronJob;
    await controller.settled();
    return { created, createdMs: Date.parse(created.metadata.creationTimestamp!) };
  };
  const getCronJob = async (name: string) => (await registry.get(cronJobs, 'default', name)) as KubeObject & CronJob;
  /** Moves the clock and syncs, as the controller's timer would at that time. */
  const at = async (ms: number, name: string) => {
    clock.now = ms;
    await controller.sync(`default/${name}`);
  };
  const jobsOf = async (name: string) =>
    (await registry.list(jobs, 'default', {})).items
      .map((j) => j as KubeObject & Job)
      .filter((j) => j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === name))
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const finish = (job: KubeObject & Job, type: 'Complete' | 'Failed', atMs: number) =>
    registry.patch(
      jobs,
      'default',
      job.metadata.name!,
      (current) => {
        const time = metaTime(new Date(atMs));
        current['status'] = {
          startTime: metaTime(new Date(Date.parse(job.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']!))),
          conditions: [{ type, status: 'True', lastTransitionTime: time }],
          ...(type === 'Complete' ? { completionTime: time, succeeded: 1 } : { failed: 1 }),
        };
        return current;
      },
      { subresource: 'status' },
    );
  const eventsOf = async (name: string) =>
    (await registry.list(events, 'default', {})).items.map((e) => e as unknown as Event).filter((e) => e.involvedObject.name === name && e.involvedObject.kind === 'CronJob');
  /** Events are written in the background: waits for one to show up. */
  const sawEvent = async (name: string, reason: string, message: string, type = 'Normal') => {
    await until(async () => (await eventsOf(name)).some((e) => e.reason === reason && e.message === message && e.type === type), `${reason}: ${message}`);
  };
  return { registry, cronJobs, controller, clock, createCronJob, getCronJob, at, jobsOf, finish, sawEvent };
}

/** The first top of the hour after `ms`. */
const nextHour = (ms: number) => Math.floor(ms / HOUR) * HOUR + HOUR;

test('a CronJob starts nothing before its time, then a Job named for the scheduled minute, with the template, owner and timestamp', async (t) => {
  const { createCronJob, getCronJob, at, jobsOf, sawEvent } = await setup(t);
  const { created, createdMs } = await createCronJob('hourly', { schedule: '0 * * * *' });
  const fire = nextHour(createdMs);
  await at(fire - 1000, 'hourly');
  assert.equal((await jobsOf('hourly')).length, 0, 'not before the schedule time');

  await at(fire + 5000, 'hourly');
  const [job, ...more] = await jobsOf('hourly');
  assert.equal(more.length, 0);
  assert.equal(job!.metadata.name, `hourly-${fire / MINUTE}`);
  assert.equal(job!.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(fire).toISOString().replace('.000Z', 'Z'));
  assert.equal(job!.metadata.annotations!['note'], 'from the template');
  assert.equal(job!.metadata.labels!['app'], 'hourly');
  assert.deepEqual(job!.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hourly', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  const status = (await getCronJob('hourly')).status!;
  assert.deepEqual(status.active?.map((r) => [r.kind, r.name, r.uid]), [['Job', job!.metadata.name, job!.metadata.uid]]);
  assert.equal(status.lastScheduleTime, metaTime(new Date(fire)));
  await sawEvent('hourly', 'SuccessfulCreate', `Created job ${job!.metadata.name}`);

  await at(fire + 30 * MINUTE, 'hourly');
  assert.equal((await jobsOf('hourly')).length, 1, 'one Job per schedule time');
  await at(fire + HOUR + 1000, 'hourly');
  assert.equal((await jobsOf('hourly')).length, 2, 'the next hour, the next Job');
});

test('concurrencyPolicy: Allow runs Jobs side by side, Forbid skips while one runs, Replace deletes the running one', async (t) => {
  const { createCronJob, getCronJob, at, jobsOf, sawEvent } = await setup(t);
  const { createdMs } = await createCronJob('allow', { schedule: '0 * * * *', concurrencyPolicy: 'Allow' });
  await createCronJob('forbid', { schedule: '0 * * * *', concurrencyPolicy: 'Forbid' });
  await createCronJob('replace', { schedule: '0 * * * *', concurrencyPolicy: 'Replace' });
  const fire = nextHour(createdMs + MINUTE);
  for (const hour of [0, 1]) for (const name of ['allow', 'forbid', 'replace']) await at(fire + hour * HOUR + 1000, name);

  assert.deepEqual((await jobsOf('allow')).map((j) => j.metadata.name), [`allow-${fire / MINUTE}`, `allow-${fire / MINUTE + 60}`]);
  assert.equal((await getCronJob('allow')).status?.active?.length, 2);

  assert.deepEqual((await jobsOf('forbid')).map((j) => j.metadata.name), [`forbid-${fire / MINUTE}`]);
  await sawEvent('forbid', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');

  assert.deepEqual((await jobsOf('replace')).map((j) => j.metadata.name), [`replace-${fire / MINUTE + 60}`]);
  assert.deepEqual((await getCronJob('replace')).status?.active?.map((r) => r.name), [`replace-${fire / MINUTE + 60}`]);
  await sawEvent('replace', 'SuccessfulDelete', `Deleted job replace-${fire / MINUTE}`);
});

test('a finished Job leaves status.active (SawCompletedJob), sets lastSuccessfulTime, and the history limits delete the oldest', async (t) => {
  const { createCronJob, getCronJob, at, jobsOf, finish, sawEvent } = await setup(t);
  const { createdMs } = await createCronJob('history', { schedule: '0 * * * *', successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
  const fire = nextHour(createdMs + MINUTE);
  const outcomes = ['Complete', 'Complete', 'Failed', 'Complete', 'Failed'] as const;
  for (const [i, outcome] of outcomes.entries()) {
    await at(fire + i * HOUR + 1000, 'history');
    const job = (await jobsOf('history')).find((j) => j.metadata.name === `history-${fire / MINUTE + i * 60}`)!;
    await finish(job, outcome, fire + i * HOUR + 10 * MINUTE);
    await at(fire + i * HOUR + 11 * MINUTE, 'history');
  }
  const names = (await jobsOf('history')).map((j) => j.metadata.name);
  const nameAt = (i: number) => `history-${fire / MINUTE + i * 60}`;
  assert.deepEqual(names.sort(), [nameAt(1), nameAt(3), nameAt(4)].sort(), 'the two newest successes and the newest failure');
  const cronJob = await getCronJob('history');
  assert.equal(cronJob.status?.active, undefined);
  assert.equal(cronJob.status?.lastSuccessfulTime, metaTime(new Date(fire + 3 * HOUR + 10 * MINUTE)));
  assert.equal(cronJob.status?.lastScheduleTime, metaTime(new Date(fire + 4 * HOUR)));
  await sawEvent('history', 'SawCompletedJob', `Saw completed job: ${nameAt(0)}, condition: Complete`);
  await sawEvent('history', 'SawCompletedJob', `Saw completed job: ${nameAt(2)}, condition: Failed`);
  await sawEvent('history', 'SuccessfulDelete', `Deleted job ${nameAt(0)}`);
  await sawEvent('history', 'SuccessfulDelete', `Deleted job ${nameAt(2)}`);
});

test('missed schedules: only the most recent runs; past startingDeadlineSeconds none; over 100 missed warns TooManyMissedTimes', async (t) => {
  const { createCronJob, at, jobsOf, sawEvent } = await setup(t);
  const { createdMs } = await createCronJob('late', { schedule: '*/5 * * * *' });
  await createCronJob('deadline', { schedule: '0 * * * *', startingDeadlineSeconds: 60 });
  await createCronJob('asleep', { schedule: '* * * * *' });
  const fire = nextHour(createdMs + MINUTE);

  // Five hours down: sixty times missed, the last one run.
  await at(fire + 5 * HOUR + 2 * MINUTE, 'late');
  assert.deepEqual((await jobsOf('late')).map((j) => j.metadata.name), [`late-${fire / MINUTE + 5 * 60}`]);

  await at(fire + 2 * MINUTE, 'deadline');
  // Upstream looks for times only within the deadline, so a time past it is skipped without a word.
  assert.equal((await jobsOf('deadline')).length, 0, 'two minutes late with a one-minute deadline');
  await at(fire + HOUR + 30_000, 'deadline');
  assert.equal((await jobsOf('deadline')).length, 1, 'within the deadline it runs');

  await at(fire + 3 * HOUR, 'asleep');
  assert.deepEqual((await jobsOf('asleep')).map((j) => j.metadata.name), [`asleep-${fire / MINUTE + 180}`]);
  await sawEvent('asleep', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew', 'Warning');
});

test('spec.timeZone: the schedule is read in that zone and the timestamp annotation carries its offset', async (t) => {
  const { createCronJob, at, jobsOf } = await setup(t);
  const { createdMs } = await createCronJob('tokyo', { schedule: '30 9 * * *', timeZone: 'Asia/Tokyo' });
  // 09:30 in Tokyo (UTC+9, no daylight saving) is 00:30 UTC.
  const day = 24 * HOUR;
  let fire = Math.floor(createdMs / day) * day + 30 * MINUTE;
  if (fire <= createdMs) fire += day;
  await at(fire - 1000, 'tokyo');
  assert.equal((await jobsOf('tokyo')).length, 0);
  await at(fire + 1000, 'tokyo');
  const [job] = await jobsOf('tokyo');
  assert.equal(job?.metadata.name, `tokyo-${fire / MINUTE}`);
  const local = new Date(fire + 9 * HOUR).toISOString().slice(0, 19);
  assert.equal(job!.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], `${local}+09:00`);
  assert.match(local, /T09:30:00$/);
});

test('a suspended CronJob starts nothing until it is resumed', async (t) => {
  const { registry, cronJobs, createCronJob, at, jobsOf } = await setup(t);
  const { createdMs } = await createCronJob('held', { schedule: '0 * * * *', suspend: true });
  const fire = nextHour(createdMs + MINUTE);
  await at(fire + 1000, 'held');
  assert.equal((await jobsOf('held')).length, 0);
  await registry.patch(cronJobs, 'default', 'held', (cj) => ((cj as KubeObject & CronJob).spec!.suspend = false, cj), {});
  await at(fire + 2000, 'held');
  assert.equal((await jobsOf('held')).length, 1, 'the most recent time runs once resumed');
});

test('schedules fire as robfig/cron reads them: ranges, steps, lists, names, macros, day-of-month or day-of-week', () => {
  const parse = (s: string) => parseSchedule(s) as CronSchedule;
  const next = (s: string, from: string, zone = 'UTC') => new Date(nextFire(parse(s), Date.parse(from), zone)!).toISOString();
  assert.equal(next('*/15 * * * *', '2024-03-01T10:07:30Z'), '2024-03-01T10:15:00.000Z');
  assert.equal(next('5-10/5 * * * *', '2024-03-01T10:07:00Z'), '2024-03-01T10:10:00.000Z');
  assert.equal(next('0 9,17 * * *', '2024-03-01T10:00:00Z'), '2024-03-01T17:00:00.000Z');
  assert.equal(next('0 0 * * mon-fri', '2024-03-01T10:00:00Z'), '2024-03-04T00:00:00.000Z', 'Friday → Monday');
  assert.equal(next('0 0 1 jan,jul *', '2024-03-01T10:00:00Z'), '2024-07-01T00:00:00.000Z');
  // Both day fields restricted: either matches.
  assert.equal(next('0 0 13 * 5', '2024-03-01T10:00:00Z'), '2024-03-08T00:00:00.000Z');
  assert.equal(nextFire(parse('0 0 31 2 *'), Date.parse('2024-03-01T10:00:00Z'), 'UTC'), undefined);
  assert.equal(next('@hourly', '2024-03-01T10:00:00Z'), '2024-03-01T11:00:00.000Z');
  assert.equal(next('@daily', '2024-03-01T10:00:00Z'), '2024-03-02T00:00:00.000Z');
  assert.equal(next('@midnight', '2024-03-01T10:00:00Z'), '2024-03-02T00:00:00.000Z');
  assert.equal(next('@weekly', '2024-03-01T10:00:00Z'), '2024-03-03T00:00:00.000Z');
  assert.equal(next('@monthly', '2024-03-01T10:00:00Z'), '2024-04-01T00:00:00.000Z');
  assert.equal(next('@yearly', '2024-03-01T10:00:00Z'), '2025-01-01T00:00:00.000Z');
  assert.equal(next('@annually', '2024-03-01T10:00:00Z'), '2025-01-01T00:00:00.000Z');
  assert.equal(next('@every 90s', '2024-03-01T10:00:00.500Z'), '2024-03-01T10:01:30.000Z');
  // New York: 02:30 does not exist on 2024-03-10; the next day's is at 06:30 UTC (EDT).
  assert.equal(next('30 2 * * *', '2024-03-09T08:00:00Z', 'America/New_York'), '2024-03-11T06:30:00.000Z');
  assert.equal(next('0 1 * * *', '2024-11-02T12:00:00Z', 'America/New_York'), '2024-11-03T05:00:00.000Z', 'the first 1 am of the day clocks go back');
});

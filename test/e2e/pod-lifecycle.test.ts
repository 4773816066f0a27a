// The container lifecycle as kubelet runs it, on a real `bramble agent`, a
// real containerd and the real kubectl: restart policies with the crash-loop
// back-off and restart counts (kept across an agent restart), init
// containers in order, graceful deletion with a preStop hook and the grace
// period, and the events the node's kubelet records.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { Kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';
const BUSYBOX = publicImage('busybox:1.36');

const pod = (name: string, spec: object) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec });
const app = (command: string, extra: object = {}) => ({ name: 'app', image: BUSYBOX, command: ['sh', '-c', command], ...extra });

test('restart policies, crash-loop back-off, init containers, graceful deletion with preStop, and kubelet events on a real node', async (t) => {
  const node = await startPodNode(t, NODE);
  const { cluster: c, runtime } = node;
  const apply = async (...pods: string[]) => {
    const r = await c.k.run(['apply', '-f', '-'], { stdin: pods.join('\n---\n') });
    assert.equal(r.code, 0, r.stderr);
  };
  await apply(
    pod('crash', { restartPolicy: 'Always', containers: [app('echo run; exit 1')] }),
    pod('done', { restartPolicy: 'OnFailure', containers: [app('exit 0')] }),
    pod('fails', { restartPolicy: 'Never', containers: [app('exit 1')] }),
    pod('inits', {
      initContainers: [
        { name: 'first', image: BUSYBOX, command: ['sh', '-c', 'sleep 1; echo first'] },
        { name: 'second', image: BUSYBOX, command: ['sh', '-c', 'sleep 1; echo second'] },
      ],
      containers: [app('echo app; sleep 3600')],
      terminationGracePeriodSeconds: 2,
    }),
    pod('bad-init', { initContainers: [{ name: 'setup', image: BUSYBOX, command: ['sh', '-c', 'exit 3'] }], containers: [app('sleep 3600')] }),
    pod('sidecar', {
      terminationGracePeriodSeconds: 2,
      initContainers: [
        { name: 'proxy', image: BUSYBOX, restartPolicy: 'Always', command: ['sh', '-c', 'sleep 3600'] },
        { name: 'setup', image: BUSYBOX, command: ['sh', '-c', 'echo set up'] },
      ],
      containers: [app('sleep 3600')],
    }),
  );

  // ---- Always: restarted with a growing count, CrashLoopBackOff between restarts ----
  const statuses: string[] = [];
  await until(
    async () => {
      statuses.push(columns(await c.k.run(['get', 'pod', 'crash', '--no-headers']))[2]!);
      return statuses.includes('CrashLoopBackOff');
    },
    'crash in CrashLoopBackOff',
    45_000,
  );
  const looping = await podJson(c.k, 'crash');
  const crash = looping.status!.containerStatuses![0]!;
  assert.equal(looping.status?.phase, 'Running');
  assert.equal(crash.state?.waiting?.reason, 'CrashLoopBackOff');
  assert.match(crash.state?.waiting?.message ?? '', new RegExp(`^back-off (10|20|40)s restarting failed container=app pod=crash_default\\(${looping.metadata!.uid}\\)$`));
  assert.ok(crash.restartCount >= 1, `restartCount ${crash.restartCount}`);
  assert.equal(crash.lastState?.terminated?.exitCode, 1);
  assert.equal(crash.lastState?.terminated?.reason, 'Error');
  assert.ok(crash.lastState?.terminated?.startedAt && crash.lastState.terminated.finishedAt);
  assert.match(crash.lastState?.terminated?.containerID ?? '', /^containerd:\/\/[0-9a-f]{64}$/);
  await until(async () => ((await podJson(c.k, 'crash')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 'a second restart after the back-off', 30_000);
  const restarts = (await podJson(c.k, 'crash')).status!.containerStatuses![0]!.restartCount;
  // One log per attempt, in kubelet's layout; the runtime keeps only the newest exited container (and a running one).
  const logs = join(c.dir, NODE, 'pod-logs', `default_crash_${looping.metadata!.uid}`, 'app');
  assert.match(await readFile(join(logs, '0.log'), 'utf8'), / stdout F run/);
  assert.match(await readFile(join(logs, '1.log'), 'utf8'), / stdout F run/);
  const held = await runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.name': 'crash' } });
  assert.ok(held.length <= 2, `${held.length} containers held for crash`);
  assert.ok(held.every((h) => Number(h.annotations['io.kubernetes.container.restartCount']) >= restarts - 1 && h.metadata?.attempt === Number(h.annotations['io.kubernetes.container.restartCount'])));

  // ---- OnFailure exit 0: Completed, not restarted; Never exit 1: Failed ----
  await until(async () => (await podJson(c.k, 'done')).status?.phase === 'Succeeded', 'done Succeeded', 20_000);
  await until(async () => (await podJson(c.k, 'fails')).status?.phase === 'Failed', 'fails Failed', 20_000);
  assert.match((await c.k.run(['get', 'pod', 'done', '--no-headers'])).stdout, /^done\s+0\/1\s+Completed\s+0\s/);
  assert.match((await c.k.run(['get', 'pod', 'fails', '--no-headers'])).stdout, /^fails\s+0\/1\s+Error\s+0\s/);
  const done = await podJson(c.k, 'done');
  assert.equal(done.status?.containerStatuses?.[0]?.restartCount, 0);
  assert.equal(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  assert.equal(done.status?.conditions?.find((cond) => cond.type === 'Ready')?.reason, 'PodCompleted');

  // ---- Init containers: one after the other, then the app ----
  await until(async () => (await podJson(c.k, 'inits')).status?.phase === 'Running', 'inits Running', 30_000);
  const inits = (await podJson(c.k, 'inits')).status!;
  const [first, second] = inits.initContainerStatuses!;
  const at = (time: string | undefined) => Date.parse(time ?? '');
  assert.deepEqual([first?.name, first?.state?.terminated?.exitCode, first?.ready, second?.name, second?.state?.terminated?.exitCode], ['first', 0, true, 'second', 0]);
  assert.ok(at(first?.state?.terminated?.finishedAt) <= at(second?.state?.terminated?.startedAt), 'second started after first finished');
  assert.ok(at(second?.state?.terminated?.finishedAt) <= at(inits.containerStatuses![0]!.state?.running?.startedAt), 'the app started after second finished');
  assert.equal(inits.conditions?.find((cond) => cond.type === 'Initialized')?.status, 'True');

  // ---- A sidecar: started in the init sequence, running beside the app; kubectl counts it ----
  await until(async () => (await podJson(c.k, 'sidecar')).status?.phase === 'Running', 'sidecar Running', 30_000);
  await until(async () => /^sidecar\s+2\/2\s+Running\s/.test((await c.k.run(['get', 'pod', 'sidecar', '--no-headers'])).stdout), 'sidecar 2/2 Running', 10_000);
  const sidecar = (await podJson(c.k, 'sidecar')).status!;
  assert.deepEqual(sidecar.initContainerStatuses?.map((s) => [s.name, Object.keys(s.state ?? {})[0], s.started]), [['proxy', 'running', true], ['setup', 'terminated', false]]);

  // ---- A failing init container: the pod waits in Init:Error / Init:CrashLoopBackOff ----
  const initStates = new Set<string>();
  await until(
    async () => {
      initStates.add(columns(await c.k.run(['get', 'pod', 'bad-init', '--no-headers']))[2]!);
      return initStates.has('Init:CrashLoopBackOff');
    },
    'bad-init in Init:CrashLoopBackOff',
    45_000,
  );
  t.diagnostic(`bad-init went through ${[...initStates].join(', ')}`);
  const badInit = (await podJson(c.k, 'bad-init')).status!;
  assert.equal(badInit.phase, 'Pending');
  assert.equal(badInit.initContainerStatuses?.[0]?.lastState?.terminated?.exitCode, 3);
  assert.equal(badInit.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  assert.equal(badInit.conditions?.find((cond) => cond.type === 'Initialized')?.message, 'containers with incomplete status: [setup]');

  // ---- kubelet's events, from the node ----
  const events = JSON.parse((await c.k.run(['get', 'events', '-o', 'json'])).stdout) as { items: Event[] };
  const about = (name: string, reason: string) => events.items.filter((e) => e.involvedObject.name === name && e.reason === reason);
  for (const [name, reason] of [['crash', 'Created'], ['crash', 'Started'], ['crash', 'BackOff'], ['inits', 'Started']] as const) {
    const found = about(name, reason);
    assert.ok(found.length > 0, `a ${reason} event for ${name}`);
    assert.deepEqual(found[0]!.source, { component: 'kubelet', host: NODE });
  }
  assert.equal(about('crash', 'Created')[0]!.message, 'Created container: app');
  assert.equal(about('crash', 'Started')[0]!.involvedObject.fieldPath, 'spec.containers{app}');
  assert.equal(about('crash', 'BackOff')[0]!.type, 'Warning');
  assert.equal(about('crash', 'BackOff')[0]!.message, `Back-off restarting failed container app in pod crash_default(${looping.metadata!.uid})`);
  assert.ok(about('inits', 'Started').some((e) => e.involvedObject.fieldPath === 'spec.initContainers{first}'));

  // ---- A restarted agent reads restart counts back from the runtime ----
  await node.restartAgent();
  await until(async () => ((await podJson(c.k, 'crash')).status?.containerStatuses?.[0]?.restartCount ?? 0) > restarts, 'crash restarted again by the new agent', 60_000);

  // ---- Graceful deletion: Terminating, preStop, then gone once stopped ----
  await apply(
    pod('graceful', {
      terminationGracePeriodSeconds: 20,
      // sh as PID 1 leaves on SIGTERM only through its trap.
      containers: [app('trap "exit 0" TERM; echo serving; while true; do sleep 1; done', { lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop ran > /proc/1/fd/1'] } } } })],
    }),
    pod('stubborn', { terminationGracePeriodSeconds: 60, containers: [app('trap "" TERM; while true; do sleep 1; done')] }),
  );
  for (const name of ['graceful', 'stubborn']) await until(async () => (await podJson(c.k, name)).status?.phase === 'Running', `${name} Running`, 30_000);
  const graceful = await podJson(c.k, 'graceful');
  const marked = await c.k.run(['delete', 'pod', 'graceful', '--wait=false']);
  assert.equal(marked.code, 0, marked.stderr);
  const terminating = await podJson(c.k, 'graceful');
  assert.ok(terminating.metadata?.deletionTimestamp, 'still there, marked for deletion');
  assert.equal(terminating.metadata?.deletionGracePeriodSeconds, 20);
  const shown = columns(await c.k.run(['get', 'pod', 'graceful', '--no-headers']))[2];
  assert.ok(shown === 'Terminating' || shown === undefined, `kubectl shows ${shown}`);
  const waited = performance.now();
  const gone = await c.k.run(['wait', '--for=delete', 'pod/graceful', '--timeout=30s']);
  assert.equal(gone.code, 0, gone.stderr);
  t.diagnostic(`delete → gone (preStop, then SIGTERM obeyed): ${Math.round(performance.now() - waited)} ms`);
  assert.ok(performance.now() - waited < 15_000, 'the container left on SIGTERM; the 20 s grace was not used up');
  const log = await readFile(join(c.dir, NODE, 'pod-logs', `default_graceful_${graceful.metadata!.uid}`, 'app', '0.log'), 'utf8');
  assert.match(log, / stdout F serving\n[^\n]* stdout F prestop ran\n/);
  const killing = JSON.parse((await c.k.run(['get', 'events', '--field-selector', 'involvedObject.name=graceful,reason=Killing', '-o', 'json'])).stdout) as { items: Event[] };
  assert.equal(killing.items[0]?.message, 'Stopping container app');
  assert.deepEqual(killing.items[0]?.source, { component: 'kubelet', host: NODE });

  // --grace-period shortens the spec's 60 s: a container that ignores SIGTERM is killed after it.
  const stubbornStart = performance.now();
  const deleting = c.k.run(['delete', 'pod', 'stubborn', '--grace-period=3']);
  // Meanwhile kubectl shows it Terminating.
  await until(async () => columns(await c.k.run(['get', 'pod', 'stubborn', '--no-headers']))[2] === 'Terminating', 'stubborn Terminating', 3_000);
  const stubborn = await deleting;
  const took = performance.now() - stubbornStart;
  assert.equal(stubborn.code, 0, stubborn.stderr);
  t.diagnostic(`kubectl delete --grace-period=3 of a container ignoring SIGTERM: ${Math.round(took)} ms`);
  assert.ok(took >= 2_500 && took < 15_000, `took ${took} ms`);
  assert.equal((await c.k.run(['get', 'pod', 'stubborn'])).code, 1, 'gone');

  // A finished pod, and --force --grace-period=0, go at once.
  for (const args of [['done'], ['crash', '--force', '--grace-period=0']]) {
    const r = await c.k.run(['delete', 'pod', ...args, '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await c.k.run(['get', 'pod', args[0]!])).code, 1, `${args[0]} gone at once`);
  }
});

function columns(r: { stdout: string }): string[] {
  return r.stdout.trim().split(/\s+/);
}

async function podJson(k: Kubectl, name: string): Promise<Pod> {
  const r = await k.run(['get', 'pod', name, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Pod;
}

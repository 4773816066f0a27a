// Jobs and CronJobs with real processes: `bramble server` (its scheduler
// binds pods to the fake kubelet's two simulated nodes, which run them and
// end them when told) driven by the real kubectl 1.33.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { type FakeKubelet, startFakeKubelet } from '../helpers/fake-kubelet.js';
import { type Kubectl, kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

async function setup(t: TestContext): Promise<{ k: Kubectl; kubelet: FakeKubelet }> {
  const dir = await tempDir(t);
  await startServer(t, [...serverArgs(dir), '--node-monitor-grace-period', '1h']);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const kubelet = await startFakeKubelet(t, kubeconfig, ['node-1', 'node-2']);
  return { k: await kubectl(t, '1.33', kubeconfig), kubelet };
}

async function ok(k: Kubectl, args: string[], stdin?: string): Promise<string> {
  const r = await k.run(args, stdin === undefined ? undefined : { stdin });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Names of the Job's pods in a phase. */
async function podsIn(k: Kubectl, job: string, phase: string): Promise<string[]> {
  const out = await ok(k, ['get', 'pods', '-l', `job-name=${job}`, '--field-selector', `status.phase=${phase}`, '-o', 'jsonpath={.items[*].metadata.name}']);
  return out.split(' ').filter((s) => s !== '');
}

const job = (name: string, spec: string) => `
apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
  ${spec}
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, "exit 0"]}]
`;

test('kubectl 1.33: a Job with completions 3 and parallelism 2 runs two pods at a time to completion; wait and get show it', async (t) => {
  const { k, kubelet } = await setup(t);
  await ok(k, ['apply', '-f', '-'], job('batch', 'completions: 3\n  parallelism: 2'));
  let finished = 0;
  while (finished < 3) {
    await until(async () => (await podsIn(k, 'batch', 'Running')).length > 0, 'a running pod', 20_000);
    const running = await podsIn(k, 'batch', 'Running');
    assert.ok(running.length <= 2, `at most parallelism pods at once: ${running.join(' ')}`);
    await kubelet.finish('default', running[0]!, 'Succeeded');
    finished++;
  }
  const waited = await k.run(['wait', '--for=condition=complete', 'job/batch', '--timeout=30s']);
  assert.equal(waited.code, 0, waited.stderr);
  assert.match(waited.stdout, /job\.batch\/batch condition met/);
  assert.match(await ok(k, ['get', 'jobs']), /^batch\s+Complete\s+3\/3\s/m);
  assert.equal((await podsIn(k, 'batch', 'Succeeded')).length, 3);
  const described = await ok(k, ['describe', 'job', 'batch']);
  assert.match(described, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 3 Succeeded \/ 0 Failed/);
  assert.match(described, /Normal\s+SuccessfulCreate\s+.*job-controller\s+Created pod: batch-[a-z0-9]{5}/);
  assert.match(described, /Normal\s+Completed\s+.*job-controller\s+Job completed/);
});

test('kubectl 1.33: a Job whose pods fail hits its backoffLimit and kubectl wait --for=condition=failed returns', async (t) => {
  const { k, kubelet } = await setup(t);
  await ok(k, ['apply', '-f', '-'], job('doomed', 'completions: 2\n  parallelism: 2\n  backoffLimit: 1'));
  await until(async () => (await podsIn(k, 'doomed', 'Running')).length === 2, 'two running pods', 20_000);
  for (const pod of await podsIn(k, 'doomed', 'Running')) await kubelet.finish('default', pod, 'Failed');
  const waited = await k.run(['wait', '--for=condition=failed', 'job/doomed', '--timeout=30s']);
  assert.equal(waited.code, 0, waited.stderr);
  const reason = await ok(k, ['get', 'job', 'doomed', '-o', 'jsonpath={.status.conditions[?(@.type=="Failed")].reason} {.status.failed}']);
  assert.equal(reason, 'BackoffLimitExceeded 2');
  assert.match(await ok(k, ['get', 'jobs']), /^doomed\s+Failed\s+0\/2\s/m);
  assert.match(await ok(k, ['describe', 'job', 'doomed']), /Warning\s+BackoffLimitExceeded\s+.*Job has reached the specified backoff limit/);
});

test('kubectl 1.33: create job runs its pod; create cronjob, then create job --from=cronjob runs the template', async (t) => {
  const { k, kubelet } = await setup(t);
  await ok(k, ['create', 'job', 'once', '--image=busybox', '--', 'true']);
  await until(async () => (await podsIn(k, 'once', 'Running')).length === 1, 'the pod running', 20_000);
  await kubelet.finish('default', (await podsIn(k, 'once', 'Running'))[0]!, 'Succeeded');
  assert.equal((await k.run(['wait', '--for=condition=complete', 'job/once', '--timeout=30s'])).code, 0);

  await ok(k, ['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '--', 'echo', 'hi']);
  assert.match(await ok(k, ['get', 'cronjobs']), /^nightly\s+0 3 \* \* \*\s+<none>\s+False\s+0\s+<none>\s/m);
  await ok(k, ['create', 'job', 'manual', '--from=cronjob/nightly']);
  const owner = await ok(k, ['get', 'job', 'manual', '-o', 'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}']);
  assert.equal(owner, 'CronJob/nightly manual');
  await until(async () => (await podsIn(k, 'manual', 'Running')).length === 1, 'the pod of the manual run', 20_000);
  await kubelet.finish('default', (await podsIn(k, 'manual', 'Running'))[0]!, 'Succeeded');
  assert.equal((await k.run(['wait', '--for=condition=complete', 'job/manual', '--timeout=30s'])).code, 0);
  assert.match(await ok(k, ['get', 'jobs']), /^manual\s+Complete\s+1\/1\s/m);
});

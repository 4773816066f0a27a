// A second real client: Debian's python3-kubernetes (test/run.sh installs it),
// run with Debian's /usr/bin/python3 against a real `bramble server`. The
// script (fixtures/python_client.py) prints one JSON line per step.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { collect, repoRoot, serverArgs, startServer } from '../helpers/bramble.js';
import { tempDir } from '../helpers/temp.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(repoRoot, 'test', 'e2e', 'fixtures', 'python_client.py');

interface Step {
  step: string;
  ok: boolean;
  error?: string;
  traceback?: string;
  [field: string]: unknown;
}

function pythonClientMissing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import kubernetes'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  if (probe.error) return `${PYTHON}: ${probe.error.message}`;
  if (probe.status !== 0) return `${PYTHON} cannot import kubernetes (test/run.sh installs python3-kubernetes as root):\n${probe.stderr}`;
  return undefined;
}

test('python3-kubernetes: namespaces, ConfigMap CRUD, a Deployment, watch, errors', async (t) => {
  const missing = pythonClientMissing();
  assert.equal(missing, undefined, missing);

  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await startServer(t, serverArgs(dataDir));
  const child = spawn(PYTHON, [SCRIPT, join(dataDir, 'kubeconfig.yaml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Nothing of the caller's python setup (pyenv, PYTHONPATH, proxies); BRAMBLE_PY_DEBUG passes through.
    env: { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', ...(process.env['BRAMBLE_PY_DEBUG'] ? { BRAMBLE_PY_DEBUG: '1' } : {}) },
    timeout: 60_000,
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const run = await collect(child);
  const steps = new Map<string, Step>();
  for (const line of run.stdout.split('\n')) {
    if (!line.startsWith('{"step"')) continue;
    const step = JSON.parse(line) as Step;
    steps.set(step.step, step);
  }
  const output = `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  assert.equal(run.code, 0, output);

  // Each step on its own, so one failure does not hide the others.
  const check = async (name: string, fn: (s: Step) => void) =>
    t.test(name, () => {
      const s = steps.get(name);
      assert.ok(s !== undefined, `no result for ${name}:\n${output}`);
      assert.ok(s.ok, `${name} failed: ${s.error}\n${s.traceback ?? ''}${s['body'] === undefined ? '' : `\nbody: ${String(s['body'])}`}`);
      fn(s);
    });

  await check('client', (s) => {
    assert.equal(s['executable'], PYTHON);
    assert.match(String(s['version']), /^\d+\.\d+\.\d+/);
  });
  await check('namespaces', (s) => {
    assert.deepEqual(s['names'], ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    assert.deepEqual(s['phases'], { default: 'Active', 'kube-node-lease': 'Active', 'kube-public': 'Active', 'kube-system': 'Active' });
    assert.match(String(s['resourceVersion']), /^\d+$/);
  });
  await check('cm-create', (s) => {
    assert.equal(s['type'], 'V1ConfigMap');
    assert.equal(s['name'], 'py-cm');
    assert.equal(s['namespace'], 'default');
    assert.match(String(s['uid']), /^[0-9a-f-]{36}$/);
    assert.match(String(s['resourceVersion']), /^\d+$/);
    assert.equal(s['creationTimestampType'], 'datetime');
    assert.deepEqual(s['data'], { a: '1' });
  });
  await check('cm-read', (s) => {
    assert.equal(s['uid'], steps.get('cm-create')?.['uid']);
    assert.equal(s['resourceVersion'], steps.get('cm-create')?.['resourceVersion']);
    assert.deepEqual(s['labels'], { app: 'py' });
    assert.deepEqual(s['data'], { a: '1' });
  });
  await check('cm-patch-strategic', (s) => assert.deepEqual(s['data'], { a: '1', b: '2' }));
  await check('cm-patch-json', (s) => assert.deepEqual(s['data'], { b: '2' }));
  await check('cm-replace', (s) => {
    assert.deepEqual(s['data'], { c: '3' });
    assert.deepEqual(s['labels'], { app: 'py', tier: 'x' });
  });
  await check('cm-duplicate', (s) => {
    assert.equal(s['exception'], 'ApiException');
    assert.equal(s['status'], 409);
    assert.equal((s['body'] as { reason: string }).reason, 'AlreadyExists');
  });
  await check('cm-delete', (s) => {
    assert.equal(s['type'], 'V1Status');
    assert.equal(s['status'], 'Success');
    assert.equal(s['after'], 404);
  });
  await check('not-found', (s) => {
    assert.equal(s['exception'], 'ApiException');
    assert.equal(s['status'], 404);
    assert.deepEqual(s['body'], {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'configmaps' },
      code: 404,
    });
  });
  await check('deployment', (s) => {
    assert.equal(s['type'], 'V1Deployment');
    assert.equal(s['generation'], 1);
    assert.equal(s['readUid'], true);
    assert.deepEqual(s['matchLabels'], { app: 'py-web' });
    assert.equal(s['patchedReplicas'], 2);
    assert.equal(s['patchedGeneration'], 2);
    assert.deepEqual(s['patchedContainers'], ['web=nginx:1.27']);
    assert.deepEqual(s['listed'], ['py-web']);
    assert.equal(s['after'], 404);
  });
  await check('watch', (s) => {
    assert.deepEqual(s['changeFailures'], []);
    // python sends watch=True: a server reading it as a list answers a ConfigMapList, which the client turns into no events.
    assert.deepEqual(s['events'], [
      { type: 'ADDED', name: 'py-watched', objectType: 'V1ConfigMap', data: { v: '1' } },
      { type: 'MODIFIED', name: 'py-watched', objectType: 'V1ConfigMap', data: { v: '2' } },
      { type: 'DELETED', name: 'py-watched', objectType: 'V1ConfigMap', data: { v: '2' } },
    ]);
  });
  await check('watch-headers', (s) => {
    assert.equal(s['status'], 200);
    // The watch asked for timeoutSeconds=3 and nothing changes meanwhile: the
    // headers come at once, the end after about 3 s.
    assert.ok(Number(s['headersAfterSeconds']) < 1.5, `response headers of an idle watch after ${String(s['headersAfterSeconds'])} s`);
    assert.ok(Number(s['endedAfterSeconds']) >= 2.5, `an idle watch with timeoutSeconds=3 ended after ${String(s['endedAfterSeconds'])} s`);
  });
  assert.deepEqual(
    [...steps.keys()],
    ['client', 'namespaces', 'cm-create', 'cm-read', 'cm-patch-strategic', 'cm-patch-json', 'cm-replace', 'cm-duplicate', 'cm-delete', 'not-found', 'deployment', 'watch', 'watch-headers'],
  );
});

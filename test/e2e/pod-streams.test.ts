// Logs, exec, attach, cp and port-forward end to end: the real kubectl
// (1.27 speaks SPDY, 1.30 tries WebSocket v5 for exec, 1.33 also tunnels
// port-forward's SPDY through a WebSocket) and @kubernetes/client-node,
// through a real `bramble server`, the agent's tunnel, a real `bramble
// agent` and containerd's stream server, on pods of real busybox images.
import { Exec, KubeConfig, type V1Status } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { collect } from '../helpers/bramble.js';
import { KUBECTL_DIR, type Kubectl, kubectl } from '../helpers/kubectl.js';
import { startPodNode } from '../helpers/pod-node.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';
import { publicImage } from '../helpers/test-images.js';

const NODE = 'pi-1';
const BUSYBOX = publicImage('busybox:1.36');
const VERSIONS = ['1.27', '1.33'] as const;

const container = (name: string, script: string, extra: Record<string, unknown> = {}) => ({ name, image: BUSYBOX, command: ['sh', '-c', script], ...extra });
const pod = (name: string, containers: unknown[], spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  // sh as pid 1 ignores SIGTERM: a short grace keeps the teardown short.
  spec: { terminationGracePeriodSeconds: 1, containers, ...spec },
});

const PODS = [
  pod('web', [
    container('app', 'echo one; echo two; echo three; mkdir -p /www; echo hello-from-pod > /www/index.html; exec httpd -f -p 8080 -h /www'),
    container('side', 'echo side-one; exec sleep 3600'),
  ]),
  // Runs a few seconds, then exits: `logs -f` ends with it.
  pod('ticker', [container('tick', 'sleep 2; for i in 1 2 3; do echo tick-$i; sleep 1; done')], { restartPolicy: 'Never' }),
  // One per kubectl: the first attach's stdin end closes the container's stdin (stdinOnce), and it exits.
  ...VERSIONS.map((v) => pod(`reader-${v.replace('.', '-')}`, [container('read', 'read line; echo "got $line"', { stdin: true, stdinOnce: true })], { restartPolicy: 'Never' })),
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await run();
  return [result, performance.now() - start];
}

test('kubectl logs, exec, cp, attach and port-forward, and client-node exec, reach pods on a real agent; a node whose agent is gone answers error dialing backend', async (t) => {
  const node = await startPodNode(t, NODE);
  const c = node.cluster;
  const k: Record<string, Kubectl> = { '1.33': c.k };
  for (const v of ['1.27', '1.30']) k[v] = await kubectl(t, v, c.kubeconfig);
  const applied = await c.k.run(['apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: PODS }) });
  assert.equal(applied.code, 0, applied.stderr);
  await until(
    async () => {
      const r = await c.k.run(['get', 'pods', '--no-headers']);
      return r.stdout.trim().split('\n').filter((l) => /\sRunning\s/.test(l)).length === PODS.length;
    },
    'every pod Running',
    30_000,
  );
  const work = await tempDir(t, 'bramble-pod-streams-');

  await t.test('logs: plain, -c, --tail, --timestamps, --previous; -f ends when the container exits', async () => {
    // Exits at once and is restarted: each run writes a line of its own.
    const crasher = pod('crasher', [container('crash', 'echo "run $(cat /proc/sys/kernel/random/uuid)"; exit 1')]);
    const created = await c.k.run(['apply', '-f', '-'], { stdin: JSON.stringify(crasher) });
    assert.equal(created.code, 0, created.stderr);
    // The ticker is still in its first sleep: both follow it to its end.
    const followed = await Promise.all(VERSIONS.map((v) => timed(() => k[v]!.run(['logs', '-f', 'ticker']))));
    for (const [r, ms] of followed) {
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'tick-1\ntick-2\ntick-3\n', '']);
      assert.ok(ms > 1500, `logs -f ended after ${ms} ms, before the container did`);
    }
    for (const v of VERSIONS) {
      const run = (args: string[]) => k[v]!.run(['logs', ...args]);
      assert.deepEqual(await run(['web', '-c', 'app']).then((r) => [r.code, r.stdout]), [0, 'one\ntwo\nthree\n']);
      assert.equal((await run(['web', '-c', 'side'])).stdout, 'side-one\n');
      assert.equal((await run(['web', '-c', 'app', '--tail=1'])).stdout, 'three\n');
      assert.match((await run(['web', '-c', 'app', '--timestamps'])).stdout, /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (one|two|three)\n){3}$/);
      // No -c on a pod of two: the first, as kubectl says.
      const first = await run(['web']);
      assert.deepEqual([first.code, first.stdout], [0, 'one\ntwo\nthree\n']);
      // Never restarted: kubelet's words for a previous container that is not there.
      const previous = await run(['web', '-c', 'app', '--previous']);
      assert.equal(previous.code, 1);
      assert.match(previous.stderr, /previous terminated container "app" in pod "web" not found/);
      const missing = await run(['web', '-c', 'nope']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /container nope is not valid for pod web/);
    }
    let runs: string[] = [];
    await until(
      async () => {
        runs = await Promise.all([['crasher', '--previous'], ['crasher']].map(async (args) => (await c.k.run(['logs', ...args])).stdout));
        return runs.every((out) => /^run [0-9a-f-]{36}\n$/.test(out)) && runs[0] !== runs[1];
      },
      'the crasher restarted with a log of each run',
      20_000,
    ).catch((err: Error) => assert.fail(`${err.message}: ${JSON.stringify(runs)}`));
    for (const v of VERSIONS) assert.equal((await k[v]!.run(['logs', 'crasher', '--previous'])).stdout, runs[0]);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) times.push((await timed(() => c.k.run(['logs', 'web', '-c', 'side'])))[1]);
    t.diagnostic(`kubectl 1.33 logs of a one-line log: median ${Math.round(median(times))} ms of 10`);
  });

  await t.test('exec: the exit code comes back, stdin ends, and a terminal shows the output', async () => {
    for (const v of ['1.27', '1.30', '1.33']) {
      const failing = await k[v]!.run(['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual([failing.code, failing.stdout, failing.stderr], [3, 'out\n', 'err\ncommand terminated with exit code 3\n'], `kubectl ${v}`);
      const piped = await k[v]!.run(['exec', '-i', 'web', '-c', 'app', '--', 'cat'], { stdin: 'hi\n' });
      assert.deepEqual([piped.code, piped.stdout, piped.stderr], [0, 'hi\n', ''], `kubectl ${v}`);
      // -t needs a terminal on kubectl's side: script(1) gives it one.
      const command = `${join(KUBECTL_DIR, `kubectl.${v}`)} --kubeconfig ${c.kubeconfig} exec -t web -c app -- sh -c 'echo hello; exit 4'`;
      const script = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: work, TERM: 'dumb' }, timeout: 30_000 });
      script.stdin.end();
      const terminal = await collect(script);
      assert.equal(terminal.code, 4, `kubectl ${v} -t: ${terminal.stdout} ${terminal.stderr}`);
      assert.match(terminal.stdout, /^hello\r\n/, `kubectl ${v} -t`);
    }
    for (const v of VERSIONS) {
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const [r, ms] = await timed(() => k[v]!.run(['exec', 'web', '-c', 'app', '--', 'true']));
        assert.equal(r.code, 0, r.stderr);
        times.push(ms);
      }
      t.diagnostic(`kubectl ${v} exec -- true: median ${Math.round(median(times))} ms of 10`);
    }
  });

  await t.test('cp: a file into the pod and back out, byte for byte', async () => {
    const original = randomBytes(300_000);
    await writeFile(join(work, 'data.bin'), original);
    for (const v of VERSIONS) {
      const into = await k[v]!.run(['cp', join(work, 'data.bin'), `web:/tmp/data-${v}.bin`, '-c', 'app']);
      assert.equal(into.code, 0, into.stderr);
      const back = join(work, `back-${v}.bin`);
      const out = await k[v]!.run(['cp', `web:/tmp/data-${v}.bin`, back, '-c', 'app']);
      assert.equal(out.code, 0, out.stderr);
      assert.ok(original.equals(await readFile(back)), `kubectl ${v} cp: the bytes came back different`);
    }
  });

  await t.test('port-forward: a local port answers with httpd in the pod', async () => {
    for (const v of VERSIONS) {
      const forward = k[v]!.stream(['port-forward', 'pod/web', ':8080']);
      const line = await forward.waitFor(/^Forwarding from 127\.0\.0\.1:\d+ -> 8080/);
      const port = Number(/:(\d+) ->/.exec(line)![1]);
      for (let i = 0; i < 2; i++) {
        const body = await new Promise<string>((resolve, reject) => {
          get({ host: '127.0.0.1', port, path: '/index.html', agent: false }, (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (d: string) => (text += d));
            res.on('end', () => resolve(`${res.statusCode} ${text}`));
          }).on('error', reject);
        });
        assert.equal(body, '200 hello-from-pod\n', `kubectl ${v} port-forward`);
      }
      forward.stop();
    }
  });

  await t.test('attach: stdin reaches the container and its output comes back', async () => {
    for (const v of VERSIONS) {
      const r = await k[v]!.run(['attach', '-i', `reader-${v.replace('.', '-')}`, '-c', 'read'], { stdin: 'ping\n' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'got ping\n');
    }
  });

  await t.test('client-node Exec: output and the exit status', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (d: Buffer) => out.push(d));
    stderr.on('data', (d: Buffer) => err.push(d));
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec('default', 'web', 'app', ['sh', '-c', 'echo out; echo err >&2; exit 3'], stdout, stderr, null, false, resolve).catch(reject);
    });
    assert.equal(Buffer.concat(out).toString(), 'out\n');
    assert.equal(Buffer.concat(err).toString(), 'err\n');
    assert.equal(status.status, 'Failure');
    assert.deepEqual(status.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
  });

  await t.test('a node whose agent is gone: kubectl says error dialing backend, at once', async () => {
    await node.agent.stop();
    for (const v of VERSIONS) {
      for (const args of [['logs', 'web', '-c', 'app'], ['exec', 'web', '-c', 'app', '--', 'true']]) {
        const [r, ms] = await timed(() => k[v]!.run(args));
        assert.equal(r.code, 1, `kubectl ${v} ${args[0]}`);
        assert.match(r.stderr, /error dialing backend/, `kubectl ${v} ${args[0]}`);
        assert.ok(ms < 10_000, `kubectl ${v} ${args[0]} took ${ms} ms`);
      }
    }
  });
});

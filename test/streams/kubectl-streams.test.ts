// Real kubectl 1.27 (SPDY), 1.30 (WebSocket exec, SPDY port-forward) and
// 1.33 (WebSocket exec, SPDY-in-WebSocket port-forward) against the API
// server's pod streams, with a fake node behind PodStreams.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { kubectl, KUBECTL_DIR } from '../helpers/kubectl.js';
import { startStreamApi } from '../helpers/stream-api.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.30', '1.33'];

for (const version of VERSIONS) {
  test(`kubectl ${version} exec: stdin echoed, stderr printed, the exit code is kubectl's`, async (t) => {
    const api = await startStreamApi(t);
    await api.runningPod('web', ['app']);
    const k = await kubectl(t, version, api.kubeconfig);
    const r = await k.run(['exec', '-i', 'web', '-c', 'app', '--', 'echo-exit', '3', 'oops'], { stdin: 'hello\nworld\n' });
    assert.equal(r.stdout, 'hello\nworld\n');
    assert.match(r.stderr, /oops\n/);
    assert.match(r.stderr, /command terminated with exit code 3/);
    assert.equal(r.code, 3);
    const ok = await k.run(['exec', '-i', 'web', '-c', 'app', '--', 'echo-exit', '0'], { stdin: 'fine' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'fine');
    assert.deepEqual(api.node.opened[0], {
      kind: 'exec',
      pod: { namespace: 'default', name: 'web', uid: api.node.opened[0]!.pod.uid, nodeName: 'pi-1' },
      container: 'app',
      command: ['echo-exit', '3', 'oops'],
      stdin: true,
      stdout: true,
      stderr: true,
      tty: false,
    });
  });

  test(`kubectl ${version} exec -t: the terminal size reaches the node`, async (t) => {
    const api = await startStreamApi(t);
    await api.runningPod('web', ['app']);
    const home = await tempDir(t);
    // A pseudo-terminal for kubectl (script), so -t is honoured; its stdin ends after a moment.
    const cmd = `stty cols 91 rows 27; ${join(KUBECTL_DIR, `kubectl.${version}`)} --kubeconfig ${api.kubeconfig} exec -it web -c app -- tty-size`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', HOME: home, TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    await until(() => api.node.resizes.length > 0, 20_000, () => out);
    child.stdin.write('\x04');
    assert.deepEqual(JSON.parse(api.node.resizes[0]!), { Width: 91, Height: 27 });
    const opened = api.node.opened[0]!;
    assert.equal(opened.kind === 'exec' && opened.tty, true);
    await until(() => out.includes('size {"Width":91,"Height":27}'), 10_000, () => out);
  });

  test(`kubectl ${version} attach: stdin reaches the container and its output comes back`, async (t) => {
    const api = await startStreamApi(t);
    await api.runningPod('web', ['app']);
    const k = await kubectl(t, version, api.kubeconfig);
    const r = await k.run(['attach', '-i', 'web', '-c', 'app'], { stdin: 'attached\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /attached\n/);
    assert.equal(api.node.opened[0]!.kind, 'attach');
  });

  test(`kubectl ${version} cp: a file to the pod is a tar on stdin; a file from the pod is written`, async (t) => {
    const api = await startStreamApi(t);
    await api.runningPod('web', ['app']);
    const k = await kubectl(t, version, api.kubeconfig);
    const dir = await tempDir(t);
    await writeFile(join(dir, 'up.txt'), 'going up\n');
    const up = await k.run(['cp', join(dir, 'up.txt'), 'web:/tmp/up.txt', '-c', 'app']);
    assert.equal(up.code, 0, up.stderr);
    const upCommand = api.node.opened.find((o) => o.kind === 'exec' && o.command[0] === 'tar')!;
    assert.equal(upCommand.kind === 'exec' && upCommand.command.join(' '), 'tar -xmf - -C /tmp');
    const tarFile = join(dir, 'received.tar');
    await writeFile(tarFile, api.node.tarInputs[0]!);
    assert.match(execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }), /up\.txt/);
    assert.equal(execFileSync('tar', ['-xOf', tarFile], { encoding: 'utf8' }), 'going up\n');

    await mkdir(join(dir, 'root', 'tmp'), { recursive: true });
    await writeFile(join(dir, 'root', 'tmp', 'down.txt'), 'coming down\n');
    api.node.tarOutput = execFileSync('tar', ['cf', '-', '-C', join(dir, 'root'), 'tmp/down.txt']);
    const down = await k.run(['cp', 'web:/tmp/down.txt', join(dir, 'down.txt'), '-c', 'app']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await readFile(join(dir, 'down.txt'), 'utf8'), 'coming down\n');
  });

  test(`kubectl ${version} port-forward: a TCP connection through kubectl's port reaches the pod's port`, async (t) => {
    const api = await startStreamApi(t);
    await api.runningPod('web', ['app']);
    const home = await tempDir(t);
    const child = spawn(join(KUBECTL_DIR, `kubectl.${version}`), ['--kubeconfig', api.kubeconfig, 'port-forward', 'pod/web', ':8080'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    await until(() => /Forwarding from 127\.0\.0\.1:\d+ -> 8080/.test(out), 15_000, () => out + err);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    for (const message of ['first connection', 'second connection']) {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(message);
      let echoed = '';
      socket.setEncoding('utf8').on('data', (d: string) => (echoed += d));
      await until(() => echoed === message, 10_000, () => `${echoed}\n${out}\n${err}`);
      socket.end();
      await once(socket, 'close');
    }
    const forwards = api.node.opened.filter((o) => o.kind === 'portforward');
    assert.equal(forwards.length, 2);
    assert.equal(forwards[0]!.kind === 'portforward' && forwards[0]!.port, 8080);
  });

  test(`kubectl ${version} logs: every option reaches the node as LogOptions and the lines are printed`, async (t) => {
    const api = await startStreamApi(t);
    await api.runningPod('web', ['app', 'side'], { 'kubectl.kubernetes.io/default-container': 'side' });
    api.node.logLines = ['one', 'two'];
    const k = await kubectl(t, version, api.kubeconfig);
    const r = await k.run(['logs', 'web', '-c', 'app', '-f', '--tail=2', '--since=5s', '--timestamps', '--limit-bytes=100']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'one\ntwo\n');
    const first = api.node.opened[0]!;
    assert.deepEqual(first.kind === 'log' && [first.container, first.options], ['app', { follow: true, previous: false, timestamps: true, sinceSeconds: 5, tailLines: 2, limitBytes: 100 }]);
    const since = await k.run(['logs', 'web', '-c', 'app', '--previous', '--since-time=2024-05-01T10:00:00Z']);
    assert.equal(since.code, 0, since.stderr);
    const second = api.node.opened[1]!;
    assert.deepEqual(second.kind === 'log' && second.options, { follow: false, previous: true, timestamps: false, sinceTime: '2024-05-01T10:00:00Z' });
    // Without -c kubectl picks the default container of the annotation itself.
    const byDefault = await k.run(['logs', 'web']);
    assert.equal(byDefault.code, 0, byDefault.stderr);
    const third = api.node.opened[2]!;
    assert.equal(third.kind === 'log' && third.container, 'side');
  });

  test(`kubectl ${version}: a missing pod, a container the pod lacks, and a node identity are refused as upstream`, async (t) => {
    const api = await startStreamApi(t);
    await api.runningPod('web', ['app']);
    const k = await kubectl(t, version, api.kubeconfig);
    const missing = await k.run(['exec', 'nope', '--', 'true']);
    assert.match(missing.stderr, /Error from server \(NotFound\): pods "nope" not found/);
    assert.equal(missing.code, 1);
    // kubectl checks containers itself for logs: the server's own answer, as any client gets it.
    const noContainer = await k.run(['get', '--raw', '/api/v1/namespaces/default/pods/web/log?container=other']);
    assert.match(noContainer.stderr, /Error from server \(BadRequest\): container other is not valid for pod web/);
    const asNode = await kubectl(t, version, api.nodeKubeconfig);
    const denied = await asNode.run(['exec', 'web', '-c', 'app', '--', 'echo-exit', '0']);
    assert.match(denied.stderr, /Error from server \(Forbidden\): pods "web" is forbidden: User "system:node:pi-1" cannot (create|get) resource "pods\/exec" in API group "" in the namespace "default"/);
    assert.equal(api.node.opened.length, 0);
  });
}

async function until(check: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; so far:\n${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

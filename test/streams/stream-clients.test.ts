// @kubernetes/client-node's Exec (WebSocket v5) and PortForward (the older
// channel WebSocket), and the refusals every client gets before an upgrade.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { Exec, KubeConfig, PortForward, type V1Status } from '@kubernetes/client-node';
import { startStreamApi } from '../helpers/stream-api.js';

async function collect(stream: PassThrough, until: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  let text = '';
  stream.setEncoding('utf8').on('data', (d: string) => (text += d));
  const deadline = Date.now() + timeoutMs;
  while (!until(text)) {
    if (Date.now() > deadline) throw new Error(`timed out with ${JSON.stringify(text)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return text;
}

test('client-node Exec over WebSocket v5: stdin echoed, stdin end closes it, the exit status arrives', async (t) => {
  const api = await startStreamApi(t);
  await api.runningPod('web', ['app']);
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let status: V1Status | undefined;
  const ws = await new Exec(kc).exec('default', 'web', 'app', ['echo-exit', '7', 'bad'], stdout, stderr, stdin, false, (s) => (status = s));
  t.after(() => ws.close());
  assert.equal((ws as unknown as { protocol: string }).protocol, 'v5.channel.k8s.io');
  stdin.end('from client-node\n');
  assert.equal(await collect(stdout, (s) => s.endsWith('\n')), 'from client-node\n');
  assert.equal(await collect(stderr, (s) => s.endsWith('\n')), 'bad\n');
  const deadline = Date.now() + 10_000;
  while (status === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(status?.status, 'Failure');
  assert.equal(status?.reason, 'NonZeroExitCode');
  assert.deepEqual(status?.details?.causes, [{ reason: 'ExitCode', message: '7' }]);
});

test('client-node PortForward: the port prefix on each channel, then the echo of what was sent', async (t) => {
  const api = await startStreamApi(t);
  await api.runningPod('web', ['app']);
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfig);
  const output = new PassThrough();
  const input = new PassThrough();
  const ws = await new PortForward(kc).portForward('default', 'web', [5432], output, null, input);
  t.after(() => (typeof ws === 'function' ? ws()?.close() : ws.close()));
  input.write('ping over websocket');
  assert.equal(await collect(output, (s) => s.length >= 19), 'ping over websocket');
  const opened = api.node.opened[0]!;
  assert.equal(opened.kind === 'portforward' && opened.port, 5432);
});

/** A raw upgrade request; resolves with the status and body of a refusal. */
function upgrade(url: string, caPem: string, path: string, headers: Record<string, string>, cert?: { cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', ca: caPem, headers: { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io', ...headers }, ...(cert ?? {}) });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

test('an upgrade without credentials is a 401 Status before any upgrade, and nothing reaches the node', async (t) => {
  const api = await startStreamApi(t);
  await api.runningPod('web', ['app']);
  const r = await upgrade(api.url, api.caPem, '/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true', {});
  assert.equal(r.status, 401);
  assert.equal(JSON.parse(r.body).reason, 'Unauthorized');
  const bad = await upgrade(api.url, api.caPem, '/api/v1/namespaces/default/pods/web/exec?command=true&stdout=true', { authorization: 'Bearer not-a-token' });
  assert.equal(bad.status, 401);
  assert.equal(api.node.opened.length, 0);
});

// The probe handlers as kubelet's pkg/probe runs them: exec through CRI
// ExecSync (a fake runtime here), httpGet against a local HTTP server,
// tcpSocket against a local listener, and how a probe's port is resolved.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { test, type TestContext } from 'node:test';
import type { Container } from 'kubernetes-types/core/v1.js';
import { CriError, CriStatus } from '../../agent/cri/connection.js';
import type { ExecSyncResult } from '../../agent/cri/types.js';
import { resolveContainerPort } from '../../agent/probes/container-port.js';
import { execProbe } from '../../agent/probes/exec-probe.js';
import { httpGetRequest, httpProbe } from '../../agent/probes/http-probe.js';
import { tcpProbe } from '../../agent/probes/tcp-probe.js';

const container: Container = { name: 'web', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }] };

// ---- ports ----

test('a probe port is a number, a container port by name, or a number written as a string; anything else is kubelet’s error', () => {
  assert.equal(resolveContainerPort(80, container), 80);
  assert.equal(resolveContainerPort('metrics', container), 9090);
  assert.equal(resolveContainerPort('8081', container), 8081);
  assert.throws(() => resolveContainerPort('nope', container), { message: 'strconv.Atoi: parsing "nope": invalid syntax' });
  assert.throws(() => resolveContainerPort(0, container), { message: 'invalid port number: 0' });
  assert.throws(() => resolveContainerPort('70000', container), { message: 'invalid port number: 70000' });
});

// ---- exec ----

function fakeRuntime(answer: (cmd: string[], timeout: number) => ExecSyncResult | Error) {
  const calls: { id: string; cmd: string[]; timeout: number }[] = [];
  return {
    calls,
    execSync: async (id: string, cmd: string[], timeout: number): Promise<ExecSyncResult> => {
      calls.push({ id, cmd, timeout });
      const a = answer(cmd, timeout);
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

test('exec: exit 0 succeeds, another exit fails, with stdout then stderr as the output; the timeout goes to ExecSync', async () => {
  const ok = fakeRuntime(() => ({ stdout: Buffer.from('out\n'), stderr: Buffer.from('err\n'), exitCode: 0 }));
  assert.deepEqual(await execProbe(ok, 'c1', ['cat', '/tmp/ready'], 3), { result: 'success', output: 'out\nerr\n' });
  assert.deepEqual(ok.calls, [{ id: 'c1', cmd: ['cat', '/tmp/ready'], timeout: 3 }]);
  const bad = fakeRuntime(() => ({ stdout: Buffer.alloc(0), stderr: Buffer.from('cat: can\'t open \'/tmp/ready\': No such file or directory\n'), exitCode: 1 }));
  assert.deepEqual(await execProbe(bad, 'c1', ['cat', '/tmp/ready'], 1), { result: 'failure', output: "cat: can't open '/tmp/ready': No such file or directory\n" });
});

test('exec: the output is cut at 10 KiB', async () => {
  const big = fakeRuntime(() => ({ stdout: Buffer.alloc(8 * 1024, 'a'), stderr: Buffer.alloc(8 * 1024, 'b'), exitCode: 0 }));
  const { output } = await execProbe(big, 'c1', ['x'], 1);
  assert.equal(output.length, 10 * 1024);
  assert.equal(output.at(-1), 'b');
});

test('exec: a command the runtime timed out fails with kubelet’s message; other runtime errors are thrown', async () => {
  const slow = fakeRuntime(() => new CriError('deadline', CriStatus.DEADLINE_EXCEEDED, 'ExecSync', 'unix:///x', 'timeout 1s exceeded'));
  assert.deepEqual(await execProbe(slow, 'c1', ['sh', '-c', 'sleep 5'], 1), { result: 'failure', output: 'command "sh -c sleep 5" timed out' });
  const gone = fakeRuntime(() => new CriError('gone', CriStatus.NOT_FOUND, 'ExecSync', 'unix:///x', 'not found'));
  await assert.rejects(execProbe(gone, 'c1', ['true'], 1), { message: 'gone' });
});

// ---- httpGet ----

interface Seen {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly raw: string[];
}

async function httpServer(t: TestContext, handle: (path: string, res: import('node:http').ServerResponse, port: number) => void): Promise<{ port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  let port = 0;
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers, raw: req.rawHeaders });
    handle(req.url ?? '', res, port);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, seen };
}

test('httpGet: status 200–399 succeeds and 400 and up fail with kubelet’s message; the request is kubelet’s', async (t) => {
  const { port, seen } = await httpServer(t, (path, res) => {
    const code = Number(path.slice(1).split('?')[0]);
    res.writeHead(code, { 'content-type': 'text/plain' }).end(`answer ${code}`);
  });
  const probe = (path: string) => httpProbe(httpGetRequest({ port, path }, container, '127.0.0.1'), 1000);
  assert.deepEqual(await probe('/200'), { result: 'success', output: 'answer 200' });
  assert.deepEqual(await probe('/204'), { result: 'success', output: '' });
  // A 3xx that is not a redirect to follow: the answer, as a warning.
  assert.deepEqual(await probe('/304'), { result: 'warning', output: 'Probe terminated redirects, Response body: ' });
  assert.deepEqual(await probe('/399'), { result: 'warning', output: 'Probe terminated redirects, Response body: answer 399' });
  assert.deepEqual(await probe('/400'), { result: 'failure', output: 'HTTP probe failed with statuscode: 400' });
  assert.deepEqual(await probe('/500?x=1'), { result: 'failure', output: 'HTTP probe failed with statuscode: 500' });
  assert.equal(seen[5]!.path, '/500?x=1');
  const headers = seen[0]!.headers;
  assert.equal(headers['user-agent'], 'kube-probe/1.31');
  assert.equal(headers['accept'], '*/*');
  assert.equal(headers['host'], `127.0.0.1:${port}`);
  assert.equal(headers['connection'], 'close');
  assert.equal(headers['accept-encoding'], undefined);
});

test('httpGet: the probe’s headers (names made canonical, repeated ones kept) replace the defaults; an empty Accept removes it; Host is sent as given', async (t) => {
  const { port, seen } = await httpServer(t, (_path, res) => res.end('ok'));
  const req = httpGetRequest(
    {
      port: 'web',
      path: 'healthz',
      host: '127.0.0.1',
      httpHeaders: [
        { name: 'user-agent', value: 'mine/1' },
        { name: 'x-custom-thing', value: 'a' },
        { name: 'X-Custom-Thing', value: 'b' },
        { name: 'Accept', value: '' },
        { name: 'Host', value: 'example.test' },
      ],
    },
    { ...container, ports: [{ name: 'web', containerPort: port }] },
    '10.0.0.1',
  );
  assert.equal(req.url.href, `http://127.0.0.1:${port}/healthz`);
  assert.deepEqual(await httpProbe(req, 1000), { result: 'success', output: 'ok' });
  const [s] = seen;
  assert.equal(s!.path, '/healthz');
  assert.equal(s!.headers['user-agent'], 'mine/1');
  assert.equal(s!.headers['accept'], undefined);
  assert.equal(s!.headers['host'], 'example.test');
  const customs = s!.raw.flatMap((v, i) => (i % 2 === 0 && v === 'X-Custom-Thing' ? [s!.raw[i + 1]] : []));
  assert.deepEqual(customs, ['a', 'b']);
});

test('httpGet: redirects on the same host are followed (at most 9, as Go’s client); one to another host is a warning with its body', async (t) => {
  const { port, seen } = await httpServer(t, (path, res, p) => {
    const m = /^\/hop\/(\d+)$/.exec(path);
    if (m !== null) {
      const n = Number(m[1]);
      res.writeHead(302, { location: n > 0 ? `/hop/${n - 1}` : '/done' }).end();
    } else if (path === '/away') res.writeHead(301, { location: `http://localhost:${p}/done` }).end('moved away');
    else if (path === '/done') res.end('done');
    else res.writeHead(404).end();
  });
  const probe = (path: string) => httpProbe(httpGetRequest({ port, path }, container, '127.0.0.1'), 2000);
  assert.deepEqual(await probe('/hop/7'), { result: 'success', output: 'done' });
  assert.equal(seen.length, 9);
  assert.deepEqual(await probe('/hop/9'), { result: 'failure', output: `Get "http://127.0.0.1:${port}/done": stopped after 10 redirects` });
  assert.deepEqual(await probe('/away'), { result: 'warning', output: 'Probe terminated redirects, Response body: moved away' });
});

test('httpGet: the body is read up to 10 KiB', async (t) => {
  const { port } = await httpServer(t, (_path, res) => res.end('x'.repeat(64 * 1024)));
  const { result, output } = await httpProbe(httpGetRequest({ port, path: '/' }, container, '127.0.0.1'), 1000);
  assert.equal(result, 'success');
  assert.equal(output.length, 10 * 1024);
});

test('httpGet: no answer within the timeout, or nothing listening, fails with Go’s client errors', async (t) => {
  const { port } = await httpServer(t, () => undefined);
  const started = performance.now();
  assert.deepEqual(await httpProbe(httpGetRequest({ port, path: '/slow' }, container, '127.0.0.1'), 300), {
    result: 'failure',
    output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
  });
  const took = performance.now() - started;
  assert.ok(took >= 290 && took < 1500, `timed out after ${took} ms`);
  const closed = await freePort();
  assert.deepEqual(await httpProbe(httpGetRequest({ port: closed, path: '/' }, container, '127.0.0.1'), 1000), {
    result: 'failure',
    output: `Get "http://127.0.0.1:${closed}/": dial tcp 127.0.0.1:${closed}: connect: connection refused`,
  });
});

// ---- tcpSocket ----

test('tcpSocket: a connection that opens succeeds and is closed; a refused one fails with Go’s dial error', async (t) => {
  let accepted = 0;
  const server = createTcpServer((socket) => {
    accepted++;
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  assert.deepEqual(await tcpProbe('127.0.0.1', port, 1000), { result: 'success', output: '' });
  const closed = await freePort();
  assert.deepEqual(await tcpProbe('127.0.0.1', closed, 1000), { result: 'failure', output: `dial tcp 127.0.0.1:${closed}: connect: connection refused` });
  assert.equal(accepted, 1);
});

async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

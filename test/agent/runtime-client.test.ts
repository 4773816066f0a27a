import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { RuntimeClient } from '../../agent/cri/runtime-client.js';
import { startContainerd } from '../helpers/containerd.js';
import { tempDir } from '../helpers/temp.js';

test('a real containerd answers Version and Status over CRI v1', async (t) => {
  const containerd = await startContainerd(t);
  const runtime = RuntimeClient.connect(containerd.endpoint);
  t.after(() => runtime.close());

  const version = await runtime.version();
  assert.equal(version.runtimeName, 'containerd');
  assert.match(version.runtimeVersion, /^v?1\.6\.\d+/);
  assert.equal(version.runtimeApiVersion, 'v1');

  const { conditions } = await runtime.status();
  const runtimeReady = conditions.find((c) => c.type === 'RuntimeReady');
  assert.deepEqual(runtimeReady && { type: runtimeReady.type, status: runtimeReady.status }, { type: 'RuntimeReady', status: true });
  // The helper gives containerd an empty CNI config folder: no pod network yet.
  const networkReady = conditions.find((c) => c.type === 'NetworkReady');
  assert.equal(networkReady?.status, false);
  assert.match(networkReady.message, /cni/i);
});

test('a bare socket path works like unix://', async (t) => {
  const containerd = await startContainerd(t);
  const runtime = RuntimeClient.connect(containerd.endpoint.slice('unix://'.length));
  t.after(() => runtime.close());
  assert.equal((await runtime.version()).runtimeName, 'containerd');
});

test('an endpoint with no socket fails quickly, naming the endpoint and the cause', async (t) => {
  const endpoint = `unix://${join(await tempDir(t), 'missing.sock')}`;
  const runtime = RuntimeClient.connect(endpoint);
  t.after(() => runtime.close());
  const started = performance.now();
  await assert.rejects(runtime.status(), (err: Error) => {
    assert.equal(err.message, `container runtime at ${endpoint} is not reachable: connect ENOENT ${endpoint.slice('unix://'.length)}`);
    return true;
  });
  await assert.rejects(runtime.version(), /is not reachable: connect ENOENT/);
  assert.ok(performance.now() - started < 1_000, `took ${performance.now() - started} ms`);
});

test('a socket that never answers runs into the deadline', async (t) => {
  // A listening socket that accepts and then says nothing: no HTTP/2 settings ever arrive.
  const path = join(await tempDir(t), 'silent.sock');
  const sockets = new Set<Socket>();
  const server = createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const runtime = RuntimeClient.connect(`unix://${path}`, { timeoutMs: 300 });
  t.after(async () => {
    runtime.close();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const started = performance.now();
  await assert.rejects(runtime.version(), { message: `container runtime at unix://${path} did not answer Version within 300 ms` });
  assert.ok(performance.now() - started < 1_000, `took ${performance.now() - started} ms`);
});

test('malformed endpoints are refused with a clear error', () => {
  for (const endpoint of ['', 'tcp://127.0.0.1:1234', 'npipe:////./pipe/containerd', 'unix://relative.sock', 'run/containerd.sock', 'unix://']) {
    assert.throws(
      () => RuntimeClient.connect(endpoint),
      (err: Error) => {
        assert.match(err.message, /^container runtime endpoint .* is not supported: use unix:\/\/\/absolute\/path\.sock/);
        assert.ok(err.message.includes(JSON.stringify(endpoint)), err.message);
        return true;
      },
    );
  }
});

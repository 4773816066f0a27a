// The agent's own gRPC client, held to grpc-js's server (what the Bramble
// server runs) on a unix socket: unary and bidirectional calls, metadata,
// statuses and their messages, deadlines, an absent peer, oversized
// messages, a reconnect, and keepalive noticing a peer that went silent.
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Server, ServerCredentials, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition } from '@grpc/grpc-js';
import { GrpcChannel, type GrpcMethod } from '../../agent/grpc/channel.js';
import { GrpcError, GrpcStatus } from '../../agent/grpc/status.js';
import { tempDir } from '../helpers/temp.js';

type Msg = { text: string; size?: number };
const toBytes = (m: Msg) => Buffer.from(JSON.stringify(m));
const fromBytes = (b: Buffer) => JSON.parse(b.toString('utf8')) as Msg;

const method = (name: string, stream: boolean) => ({
  path: `/test.Echo/${name}`,
  requestStream: stream,
  responseStream: stream,
  requestSerialize: toBytes,
  requestDeserialize: fromBytes,
  responseSerialize: toBytes,
  responseDeserialize: fromBytes,
});
const SERVICE = { Say: method('Say', false), Chat: method('Chat', true) } as unknown as ServiceDefinition;
const SAY: GrpcMethod<Msg, Msg> = method('Say', false);
const CHAT: GrpcMethod<Msg, Msg> = method('Chat', true);

/** grpc-js serving Echo on a socket in a temp dir: Say answers by the request's text, Chat echoes until the client ends. */
async function echoServer(t: TestContext, socketPath?: string): Promise<{ socketPath: string; seen: Msg[]; stop: () => Promise<void> }> {
  const path = socketPath ?? join(await tempDir(t), 'echo.sock');
  const seen: Msg[] = [];
  const server = new Server();
  server.addService(SERVICE, {
    Say: (call: ServerUnaryCall<Msg, Msg>, answer: sendUnaryData<Msg>) => {
      seen.push(call.request);
      const { text, size } = call.request;
      if (text === 'fail') return answer({ code: GrpcStatus.NOT_FOUND as number, details: 'no such thing: «ünïcode» 100%' });
      if (text === 'hang') return;
      answer(null, { text: `${text} (${String(call.metadata.get('authorization')[0] ?? 'anonymous')})`, ...(size !== undefined ? { size: size } : {}), ...(size !== undefined ? { pad: 'x'.repeat(size) } : {}) } as Msg);
    },
    Chat: (call: ServerDuplexStream<Msg, Msg>) => {
      call.on('data', (m: Msg) => {
        if (m.text === 'stop') call.emit('error', { code: GrpcStatus.ABORTED as number, details: 'stopped by request' });
        else call.write({ text: `echo ${m.text}` });
      });
      call.on('end', () => call.end());
    },
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${path}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  const stop = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  t.after(() => server.forceShutdown());
  return { socketPath: path, seen, stop };
}

function channel(t: TestContext, socketPath: string, opts: ConstructorParameters<typeof GrpcChannel>[1] = {}): GrpcChannel {
  const c = new GrpcChannel({ socketPath }, opts);
  t.after(() => c.close());
  return c;
}

const failure = (promise: Promise<unknown>) => promise.then(() => assert.fail('the call succeeded'), (err: unknown) => err as GrpcError);

test('a unary call carries its metadata and answer; a failed one its status and percent-encoded message', async (t) => {
  const server = await echoServer(t);
  const c = channel(t, server.socketPath);
  assert.deepEqual(await c.unary(SAY, { text: 'hello' }, { metadata: { authorization: 'Bearer abc' } }), { text: 'hello (Bearer abc)' });
  assert.deepEqual(await c.unary(SAY, { text: 'again' }), { text: 'again (anonymous)' });
  const err = await failure(c.unary(SAY, { text: 'fail' }));
  assert.ok(err instanceof GrpcError);
  assert.equal(err.code, GrpcStatus.NOT_FOUND);
  assert.equal(err.details, 'no such thing: «ünïcode» 100%');
  assert.equal(err.message, '5 NOT_FOUND: no such thing: «ünïcode» 100%');
  assert.deepEqual(server.seen.map((m) => m.text), ['hello', 'again', 'fail']);
});

test('a bidirectional call streams both ways, ends with the server, and fails with the status the server ends it with', async (t) => {
  const server = await echoServer(t);
  const c = channel(t, server.socketPath);
  const call = c.call(CHAT);
  const got: string[] = [];
  call.on('data', (m: Msg) => got.push(m.text));
  for (const text of ['a', 'b', 'c']) call.write({ text });
  call.end();
  await new Promise<void>((resolve, reject) => call.on('end', resolve).on('error', reject));
  assert.deepEqual(got, ['echo a', 'echo b', 'echo c']);

  const stopped = c.call(CHAT);
  stopped.on('data', () => undefined);
  stopped.write({ text: 'stop' });
  const err = await new Promise<GrpcError>((resolve) => stopped.on('error', resolve));
  assert.equal(err.code, GrpcStatus.ABORTED);
  assert.equal(err.details, 'stopped by request');

  // Cancelling from this side ends the call with CANCELLED.
  const cancelled = c.call(CHAT);
  cancelled.on('data', () => undefined);
  cancelled.write({ text: 'x' });
  const gone = new Promise<GrpcError>((resolve) => cancelled.on('error', resolve));
  cancelled.cancel();
  assert.equal((await gone).code, GrpcStatus.CANCELLED);
});

test('a call past its deadline fails with DEADLINE_EXCEEDED; a peer that is not there with UNAVAILABLE and the socket error', async (t) => {
  const server = await echoServer(t);
  const c = channel(t, server.socketPath);
  const started = Date.now();
  const late = await failure(c.unary(SAY, { text: 'hang' }, { deadline: Date.now() + 300 }));
  assert.equal(late.code, GrpcStatus.DEADLINE_EXCEEDED);
  assert.ok(Date.now() - started < 2000, `failed after ${Date.now() - started} ms`);
  // The connection still serves the next call.
  assert.equal((await c.unary(SAY, { text: 'still' })).text, 'still (anonymous)');

  const missing = join(await tempDir(t), 'nothing.sock');
  const absent = await failure(channel(t, missing).unary(SAY, { text: 'x' }, { deadline: Date.now() + 5000 }));
  assert.equal(absent.code, GrpcStatus.UNAVAILABLE);
  assert.equal(absent.details, `connect ENOENT ${missing}`);
});

test('a message over the limit fails its call with RESOURCE_EXHAUSTED; one under it arrives whole', async (t) => {
  const server = await echoServer(t);
  const c = channel(t, server.socketPath, { maxReceiveBytes: 100_000 });
  const big = (await c.unary(SAY, { text: 'big', size: 90_000 })) as Msg & { pad: string };
  assert.equal(big.pad.length, 90_000);
  const err = await failure(c.unary(SAY, { text: 'bigger', size: 200_000 }));
  assert.equal(err.code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.match(err.details, /more than the 100000 allowed/);
});

test('a channel whose server restarted connects again on its next call, and a closed one fails its calls', async (t) => {
  const first = await echoServer(t);
  const c = channel(t, first.socketPath);
  assert.equal((await c.unary(SAY, { text: 'one' })).text, 'one (anonymous)');
  await first.stop();
  const down = await failure(c.unary(SAY, { text: 'two' }, { deadline: Date.now() + 5000 }));
  assert.equal(down.code, GrpcStatus.UNAVAILABLE);
  await echoServer(t, first.socketPath);
  assert.equal((await c.unary(SAY, { text: 'three' })).text, 'three (anonymous)');

  // Closed, it opens no new connection (which would keep a stopping agent alive).
  c.close();
  const closed = await failure(c.unary(SAY, { text: 'four' }));
  assert.equal(closed.code, GrpcStatus.UNAVAILABLE);
  assert.equal(closed.details, 'the channel was closed');
});

test('keepalive: a peer that stops answering fails the open calls with UNAVAILABLE', async (t) => {
  // A peer that accepts the connection and then never says a word, like a server behind a dead link.
  const path = join(await tempDir(t), 'silent.sock');
  const sockets: Socket[] = [];
  const silent = createNetServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(path, resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const c = channel(t, path, { keepaliveMs: 200, keepaliveTimeoutMs: 300 });
  const call = c.call(CHAT);
  call.on('data', () => undefined);
  call.write({ text: 'anyone?' });
  const started = Date.now();
  const err = await new Promise<GrpcError>((resolve) => call.on('error', resolve));
  assert.equal(err.code, GrpcStatus.UNAVAILABLE);
  assert.match(err.details, /did not answer a keepalive ping within 0\.3 s/);
  assert.ok(Date.now() - started < 3000, `noticed after ${Date.now() - started} ms`);
});

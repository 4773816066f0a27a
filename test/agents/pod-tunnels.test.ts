// The agents' tunnels for pod streams, with a real server (mTLS gRPC) and
// the agent's own join and link code for two nodes; the node side of each
// stream is the test's own (no runtime).
import { status } from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OpenStream, TunnelFrame } from '../../common/agent-protocol.js';
import { createLogger } from '../../common/log.js';
import { DesiredState } from '../../agent/desired/desired-state.js';
import { ensureJoined } from '../../agent/join/join-cluster.js';
import { AgentServiceClient } from '../../agent/link/agent-client.js';
import { ServerLink } from '../../agent/link/server-link.js';
import { StreamRefusal } from '../../agent/streams/stream-request.js';
import { type OpenNodeStream, serveTunnel } from '../../agent/streams/tunnel-client.js';
import { PodTunnels } from '../../server/agents/pod-tunnels.js';
import { ApiError } from '../../server/api/status.js';
import { runServer } from '../../server/run.js';
import { ERROR, type Frame, type PodStream, type PodStreamRequest, STDIN, STDOUT } from '../../common/pod-streams.js';
import { tempDir } from '../helpers/temp.js';

const quiet = createLogger({ level: 'error' });

function execOn(nodeName: string): PodStreamRequest {
  return { kind: 'exec', pod: { namespace: 'default', name: 'web', uid: 'u-1', nodeName }, container: 'c', command: ['cat'], stdin: true, stdout: true, stderr: false, tty: false };
}

interface Node {
  readonly name: string;
  readonly client: AgentServiceClient;
  /** What the node does when the server asks for a stream; default: serve it with `opener`. */
  onOpen: (open: OpenStream, client: AgentServiceClient) => void;
  opener: OpenNodeStream;
}

async function twoNodes(t: TestContext) {
  const dir = await tempDir(t);
  const server = await runServer({
    dataDir: join(dir, 'server'),
    logger: quiet,
    bindAddress: '127.0.0.1',
    httpsPort: 0,
    kubeconfigPath: join(dir, 'kubeconfig'),
    kubeconfigMode: 0o600,
    tlsSans: [],
    scheduler: false,
  });
  t.after(() => server.close());
  const serverUrl = new URL(server.url);
  const nodes: Node[] = [];
  for (const name of ['node-a', 'node-b']) {
    const credentials = await ensureJoined({ serverUrl, token: server.serverToken, nodeName: name, dir: join(dir, name), log: quiet });
    const client = new AgentServiceClient(serverUrl, { ca: credentials.caPem, key: credentials.keyPem, cert: credentials.certPem });
    t.after(() => client.close());
    const node: Node = {
      name,
      client,
      opener: () => Promise.reject(new Error('no stream in this test')),
      onOpen: (open, linkClient) => void serveTunnel(open, linkClient.tunnel(), (r) => node.opener(r), quiet),
    };
    const link = new ServerLink({
      serverUrl,
      dir: join(dir, name),
      nodeName: name,
      credentials,
      hello: { labels: {}, taints: [] },
      collectStatus: () => Promise.reject(new Error('no status in this test')),
      statusIntervalMs: 3_600_000,
      desired: new DesiredState({ log: quiet }),
      openStream: (open, linkClient) => node.onOpen(open, linkClient),
      log: quiet,
    });
    link.start();
    t.after(() => link.close());
    nodes.push(node);
  }
  // Connected once the server can send to both.
  for (let i = 0; i < 100; i++) {
    const a = await server.podStreams.open(execOn('node-a')).then(
      (s) => (s.destroy(), true),
      (e: ApiError) => !e.message.includes('not connected'),
    );
    const b = await server.podStreams.open(execOn('node-b')).then(
      (s) => (s.destroy(), true),
      (e: ApiError) => !e.message.includes('not connected'),
    );
    if (a && b) break;
    await sleep(100);
  }
  return { server, a: nodes[0]!, b: nodes[1]! };
}

/** A node stream that sends back on STDOUT what it gets on STDIN, and ends when STDIN ends. */
function echo(): PodStream {
  const stream: Duplex = new Duplex({
    objectMode: true,
    read() {},
    write(frame: Frame, _e, done) {
      if (frame.channel === STDIN && frame.data.length > 0) stream.push({ channel: STDOUT, data: frame.data });
      if (frame.channel === STDIN && frame.end === true) {
        stream.push({ channel: ERROR, data: Buffer.from('{"metadata":{},"status":"Success"}') });
        stream.push(null);
      }
      done();
    },
  });
  return stream;
}

async function readAll(stream: PodStream): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const frame of stream) frames.push(frame as Frame);
  return frames;
}

test('a pod stream goes through the tunnel of the pod\'s node: frames both ways, at most 32 KiB each, stdin end, final status', async (t) => {
  const { server, a } = await twoNodes(t);
  a.opener = () => Promise.resolve(echo());
  const stream = await server.podStreams.open(execOn('node-a'));
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  stream.write({ channel: STDIN, data: Buffer.from('hello ') });
  stream.write({ channel: STDIN, data: big });
  stream.end({ channel: STDIN, data: Buffer.alloc(0), end: true });
  const frames = await readAll(stream);
  const out = Buffer.concat(frames.filter((f) => f.channel === STDOUT).map((f) => f.data));
  assert.ok(out.equals(Buffer.concat([Buffer.from('hello '), big])), `got ${out.length} bytes`);
  assert.ok(frames.every((f) => f.data.length <= 32 * 1024));
  assert.deepEqual(frames.filter((f) => f.channel === ERROR).map((f) => f.data.toString()), ['{"metadata":{},"status":"Success"}']);
});

test('a node stream that ends before the server reads it is still read whole (the call is over by then)', async (t) => {
  const { server, a } = await twoNodes(t);
  // As `exec -- true` does: the node's whole answer comes and ends while kubectl is still opening its streams.
  a.opener = () => {
    const done = new Duplex({ objectMode: true, read() {}, write: (_f, _e, cb) => cb() });
    done.push({ channel: STDOUT, data: Buffer.from('out') });
    done.push({ channel: ERROR, data: Buffer.from('{"metadata":{},"status":"Success"}') });
    done.push(null);
    return Promise.resolve(done);
  };
  const stream = await server.podStreams.open(execOn('node-a'));
  await sleep(300);
  const frames = await readAll(stream);
  assert.deepEqual(frames.map((f) => [f.channel, f.data.toString()]), [[STDOUT, 'out'], [ERROR, '{"metadata":{},"status":"Success"}']]);
});

test('a node that refuses the stream is an API error with its code, reason and message', async (t) => {
  const { server, a } = await twoNodes(t);
  a.opener = () => Promise.reject(new StreamRefusal(400, 'BadRequest', 'previous terminated container "c" in pod "web" not found'));
  await assert.rejects(server.podStreams.open(execOn('node-a')), (err: ApiError) => {
    assert.ok(err instanceof ApiError);
    assert.deepEqual([err.code, err.reason, err.message], [400, 'BadRequest', 'previous terminated container "c" in pod "web" not found']);
    return true;
  });
});

test('a node that is not connected is refused at once as upstream words it', async (t) => {
  const { server } = await twoNodes(t);
  await assert.rejects(server.podStreams.open(execOn('node-x')), (err: ApiError) => {
    assert.deepEqual([err.code, err.reason, err.message], [500, '', 'error dialing backend: node "node-x" is not connected to the server']);
    return true;
  });
});

test('another node cannot answer for a session: it is refused and the pod\'s own node still opens it', async (t) => {
  const { server, a, b } = await twoNodes(t);
  a.opener = () => Promise.resolve(echo());
  let hijack: Promise<{ code: number; frames: number }> | undefined;
  const realOnOpen = a.onOpen;
  a.onOpen = (open, client) => {
    // Node b learns the session id and calls first.
    const call = b.client.tunnel();
    let frames = 0;
    hijack = new Promise((resolve) => {
      call.on('data', () => frames++);
      call.on('error', (err: { code: number }) => resolve({ code: err.code, frames }));
      call.on('end', () => resolve({ code: status.OK, frames }));
    });
    call.write({ sessionId: open.sessionId, opened: true } satisfies Partial<TunnelFrame>);
    void hijack.then(() => realOnOpen(open, client));
  };
  const stream = await server.podStreams.open(execOn('node-a'));
  assert.deepEqual(await hijack, { code: status.PERMISSION_DENIED, frames: 0 });
  stream.end({ channel: STDIN, data: Buffer.from('mine'), end: true });
  const out = Buffer.concat((await readAll(stream)).filter((f) => f.channel === STDOUT).map((f) => f.data));
  assert.equal(out.toString(), 'mine');
});

test('a slow reader holds the node back: what the node writes waits instead of piling up', async (t) => {
  const { server, a } = await twoNodes(t);
  let offered = 0;
  const node: PodStream = new Duplex({
    objectMode: true,
    highWaterMark: 4,
    read() {
      let more = true;
      while (more && offered < 4000) {
        offered++;
        more = node.push({ channel: STDOUT, data: Buffer.alloc(32 * 1024, 1) });
      }
    },
    write(_f, _e, done) {
      done();
    },
  });
  a.opener = () => Promise.resolve(node);
  const stream = await server.podStreams.open(execOn('node-a'));
  await sleep(1500);
  // 4000 frames would be 125 MiB; what is in flight is bounded by the buffers on the way (gRPC windows, stream buffers).
  const held = offered * 32 * 1024;
  t.diagnostic(`offered ${offered} frames (${(held / 1048576).toFixed(1)} MiB) while nobody read`);
  assert.ok(held < 16 * 1048576, `${held} bytes offered`);
  // Reading lets it go on.
  let got = 0;
  for await (const frame of stream) {
    got += (frame as Frame).data.length;
    if (got >= 8 * 1048576) break;
  }
  stream.destroy();
  assert.ok(offered * 32 * 1024 >= 8 * 1048576);
});

test('destroying the stream on the server cancels it on the node', async (t) => {
  const { server, a } = await twoNodes(t);
  const node = echo();
  const closed = new Promise<void>((resolve) => node.on('close', () => resolve()));
  a.opener = () => Promise.resolve(node);
  const stream = await server.podStreams.open(execOn('node-a'));
  stream.destroy();
  await closed;
});

test('a node that does not call back is given up after the timeout', async () => {
  const tunnels = new PodTunnels({ ask: () => true, openTimeoutMs: 200, log: quiet });
  const started = Date.now();
  await assert.rejects(tunnels.open(execOn('node-a')), (err: ApiError) => {
    assert.deepEqual([err.code, err.message], [500, 'error dialing backend: node "node-a" did not open the stream within 0.2 s']);
    return true;
  });
  assert.ok(Date.now() - started < 1000);
});

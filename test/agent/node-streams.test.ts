// The node side of pod streams on a real containerd: logs read from the CRI
// log files kubelet-style, exec and port-forward through containerd's
// stream server (SPDY). The pod is made as the agent makes it (runtime-config.ts).
import type { Pod } from 'kubernetes-types/core/v1.js';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageClient } from '../../agent/cri/image-client.js';
import { RuntimeClient } from '../../agent/cri/runtime-client.js';
import { containerConfig, type ContainerContext, podLogDirectory, sandboxConfig } from '../../agent/pods/runtime-config.js';
import { NodeStreams } from '../../agent/streams/node-streams.js';
import { StreamRefusal } from '../../agent/streams/stream-request.js';
import { ERROR, type Frame, type LogOptions, type PodRef, type PodStream, STDERR, STDIN, STDOUT } from '../../common/pod-streams.js';
import { startContainerd } from '../helpers/containerd.js';
import { removeEveryPod } from '../helpers/pod-node.js';
import { startRegistry } from '../helpers/registry.js';
import { publicImage, pushTestImages } from '../helpers/test-images.js';
import { tempDir } from '../helpers/temp.js';
import { mkdir } from 'node:fs/promises';

const BUSYBOX = publicImage('busybox:1.36');

interface Node {
  readonly runtime: RuntimeClient;
  readonly streams: NodeStreams;
  readonly logRoot: string;
}

async function startNode(t: TestContext): Promise<Node> {
  let runtime: RuntimeClient | undefined;
  // Registered before containerd's teardown, so it runs first.
  t.after(async () => {
    if (runtime === undefined) return;
    try {
      await removeEveryPod(runtime);
    } finally {
      runtime.close();
    }
  });
  const registry = await startRegistry(t);
  await pushTestImages(registry);
  const containerd = await startContainerd(t, { registry, podNetwork: true });
  runtime = RuntimeClient.connect(containerd.endpoint);
  const images = ImageClient.connect(containerd.endpoint);
  t.after(() => images.close());
  await images.pullImage(BUSYBOX);
  const logRoot = await tempDir(t, 'bramble-pod-logs-');
  return { runtime, logRoot, streams: new NodeStreams({ runtime, logRoot, logCheckIntervalMs: 200 }) };
}

/** A first container with nothing from the node: no env sources, root image user. */
const PLAIN_CONTEXT: ContainerContext = {
  restartCount: 0,
  podIps: [],
  node: { hostIps: [], capacity: {}, allocatable: {} },
  sources: { configMap: () => undefined, secret: () => undefined },
  imageUser: { username: '' },
};

/** Runs a pod with these containers (name → shell script), as the agent would; returns its reference. */
async function runPod(node: Node, name: string, scripts: Record<string, string>): Promise<PodRef> {
  const pod: Pod = {
    metadata: { namespace: 'default', name, uid: `uid-${randomBytes(4).toString('hex')}` },
    spec: { containers: Object.entries(scripts).map(([c, script]) => ({ name: c, image: BUSYBOX, command: ['sh', '-c', script] })) },
  };
  const sandbox = sandboxConfig(pod, node.logRoot, 0);
  await mkdir(podLogDirectory(node.logRoot, pod), { recursive: true });
  const id = await node.runtime.runPodSandbox(sandbox);
  for (const container of pod.spec!.containers) {
    const cid = await node.runtime.createContainer(id, containerConfig(pod, container, BUSYBOX, sandbox, PLAIN_CONTEXT), sandbox);
    await node.runtime.startContainer(cid);
  }
  return { namespace: 'default', name, uid: pod.metadata!.uid!, nodeName: 'here' };
}

async function exited(node: Node, pod: PodRef): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const containers = await node.runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': pod.uid } });
    if (containers.every((c) => c.state === 'CONTAINER_EXITED')) return;
    await sleep(100);
  }
  throw new Error('the containers did not exit');
}

async function readAll(stream: PodStream): Promise<Frame[]> {
  const frames: Frame[] = [];
  for await (const frame of stream) frames.push(frame as Frame);
  return frames;
}

const text = (frames: Frame[], channel: number) => Buffer.concat(frames.filter((f) => f.channel === channel).map((f) => f.data)).toString();

function logs(node: Node, pod: PodRef, container: string, options: Partial<LogOptions> = {}): Promise<string> {
  return node.streams.open({ kind: 'log', pod, container, options: { follow: false, previous: false, timestamps: false, ...options } }).then(async (s) => text(await readAll(s), STDOUT));
}

test('logs: followed until the container exits, then read with tail, timestamps, since and limitBytes; previous and waiting refused as kubelet words them', async (t) => {
  const node = await startNode(t);
  const pod = await runPod(node, 'talker', { c: 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; sleep 2; printf "fo"; sleep 0.3; echo ur' });
  // Opened while the container runs: it ends by itself when the container exits.
  const started = Date.now();
  const followed = await logs(node, pod, 'c', { follow: true });
  assert.equal(followed, 'one\ntwo\nthree\nfour\n');
  assert.ok(Date.now() - started > 1500, 'follow ended before the container did');
  await exited(node, pod);

  assert.equal(await logs(node, pod, 'c'), 'one\ntwo\nthree\nfour\n');
  assert.equal(await logs(node, pod, 'c', { tailLines: 1 }), 'four\n');
  assert.equal(await logs(node, pod, 'c', { tailLines: 2 }), 'three\nfour\n');
  assert.equal(await logs(node, pod, 'c', { tailLines: 0 }), '');
  assert.equal(await logs(node, pod, 'c', { limitBytes: 6 }), 'one\ntw');
  const stamped = await logs(node, pod, 'c', { timestamps: true });
  assert.match(stamped, /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) (one|two|three|four)\n){4}$/);
  assert.equal(await logs(node, pod, 'c', { sinceTime: new Date(Date.now() + 60_000).toISOString() }), '');
  assert.equal(await logs(node, pod, 'c', { sinceSeconds: 3600 }), 'one\ntwo\nthree\nfour\n');

  await assert.rejects(logs(node, pod, 'c', { previous: true }), (err: StreamRefusal) => {
    assert.deepEqual([err.code, err.reason, err.message], [400, 'BadRequest', 'previous terminated container "c" in pod "talker" not found']);
    return true;
  });
  await assert.rejects(logs(node, pod, 'other'), /container "other" in pod "talker" is waiting to start: ContainerCreating/);
});

test('exec: stdout, stderr and the exit code as upstream\'s Status; stdin reaches the process', async (t) => {
  const node = await startNode(t);
  const pod = await runPod(node, 'shell', { c: 'sleep 3600' });
  const exec = (command: string[], stdin = false) => node.streams.open({ kind: 'exec', pod, container: 'c', command, stdin, stdout: true, stderr: true, tty: false });

  const failing = await readAll(await exec(['sh', '-c', 'echo out; echo err >&2; exit 3']));
  assert.equal(text(failing, STDOUT), 'out\n');
  assert.equal(text(failing, STDERR), 'err\n');
  const status = JSON.parse(text(failing, ERROR)) as { status: string; reason: string; details: { causes: { reason: string; message: string }[] } };
  assert.deepEqual([status.status, status.reason, status.details.causes], ['Failure', 'NonZeroExitCode', [{ reason: 'ExitCode', message: '3' }]]);

  const ok = await readAll(await exec(['echo', 'fine']));
  assert.equal(text(ok, STDOUT), 'fine\n');
  assert.equal(JSON.parse(text(ok, ERROR)).status, 'Success');

  // cat ends only when its stdin does: the end frame closes it (a FIN on the stdin stream).
  const reading = await exec(['cat'], true);
  reading.write({ channel: STDIN, data: Buffer.from('typed\n') });
  reading.write({ channel: STDIN, data: Buffer.alloc(0), end: true });
  const echoed = await readAll(reading);
  assert.equal(text(echoed, STDOUT), 'typed\n');
  assert.equal(JSON.parse(text(echoed, ERROR)).status, 'Success');

  // More than the runtime writes before it resets its streams, read slowly: nothing is lost at the end.
  const big = await exec(['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x']);
  let bytes = 0;
  for await (const frame of big) {
    if ((frame as Frame).channel === STDOUT) bytes += (frame as Frame).data.length;
    if (bytes < 200_000) await sleep(1);
  }
  assert.equal(bytes, 3_000_000);

  await assert.rejects(node.streams.open({ kind: 'exec', pod, container: 'nope', command: ['true'], stdin: false, stdout: true, stderr: true, tty: false }), /container not found \("nope"\)/);
});

test('port-forward: one connection to a port in the pod answers HTTP', async (t) => {
  const node = await startNode(t);
  const pod = await runPod(node, 'web', { httpd: 'mkdir -p /www && echo hello-from-pod > /www/index.html && httpd -f -p 8080 -h /www' });
  let answer = '';
  for (let attempt = 0; attempt < 20 && !answer.includes('hello-from-pod'); attempt++) {
    const stream = await node.streams.open({ kind: 'portforward', pod, port: 8080 });
    stream.write({ channel: STDIN, data: Buffer.from('GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n') });
    // Half-closed: the answer still comes back.
    stream.write({ channel: STDIN, data: Buffer.alloc(0), end: true });
    const frames = await readAll(stream);
    answer = text(frames, STDOUT);
    if (!answer.includes('hello-from-pod')) await sleep(200);
  }
  assert.match(answer, /^HTTP\/1\.[01] 200 OK/);
  assert.match(answer, /hello-from-pod/);
});

test('exec with a terminal: output written at once or later all arrives, with the status', async (t) => {
  const node = await startNode(t);
  const pod = await runPod(node, 'term', { c: 'sleep 3600' });
  const run = async (command: string[]) => {
    const frames = await readAll(await node.streams.open({ kind: 'exec', pod, container: 'c', command, stdin: false, stdout: true, stderr: true, tty: true }));
    assert.equal(JSON.parse(text(frames, ERROR)).status, 'Success');
    return text(frames, STDOUT);
  };
  // Over WebSocket v4 most of it was lost (10-15 of 30, 0 of 10 late); over SPDY none is.
  for (let i = 0; i < 30; i++) assert.equal(await run(['echo', 'hello']), 'hello\r\n', `try ${i + 1}`);
  for (let i = 0; i < 5; i++) assert.equal(await run(['sh', '-c', 'sleep 0.5; echo hello; sleep 0.5']), 'hello\r\n', `late try ${i + 1}`);
});

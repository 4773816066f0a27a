// The pod worker's orchestration on a fake CRI (the real one is proven in
// test/e2e/pod-lifecycle.test.ts): restarts with the back-off and its
// events, the container GC, init containers in order, and the stop of a
// deleted pod (preStop, Killing, the rest of the grace period) before the
// pod counts as terminal; the sandbox made with the RuntimeClass's handler,
// or a FailedCreatePodSandBox event when it cannot be.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { CriError } from '../../agent/cri/connection.js';
import type { ImageClient } from '../../agent/cri/image-client.js';
import type { RuntimeClient } from '../../agent/cri/runtime-client.js';
import type { Container, ContainerConfig, ContainerFilter, ContainerStatus, PodSandbox, PodSandboxConfig, PodSandboxFilter } from '../../agent/cri/types.js';
import type { DesiredState } from '../../agent/desired/desired-state.js';
import type { PodEvents } from '../../agent/pods/pod-events.js';
import { ImagePuller } from '../../agent/pods/image-puller.js';
import { PodWorker } from '../../agent/pods/pod-worker.js';
import { GrpcStatus } from '../../agent/grpc/status.js';
import { tempDir } from '../helpers/temp.js';

const ms = (n: bigint) => n * 1_000_000n;

/** The CRI calls the worker makes, over maps; containers exit when the test says. */
class FakeRuntime {
  readonly sandboxes = new Map<string, PodSandbox>();
  readonly containers = new Map<string, { listed: Container; status: ContainerStatus }>();
  readonly stops: [name: string, timeoutSeconds: number][] = [];
  readonly execs: string[][] = [];
  #next = 1;
  constructor(private readonly clock: () => number) {}

  async listPodSandbox(filter: PodSandboxFilter = {}) {
    return [...this.sandboxes.values()].filter((s) => matches(s.labels, filter.labelSelector));
  }
  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = '') {
    // containerd's answer for a handler its config does not have.
    if (runtimeHandler === 'kata') throw new CriError('container runtime at unix:///fake failed RunPodSandbox: UNKNOWN: failed to get sandbox runtime: no runtime for "kata" is configured', GrpcStatus.UNKNOWN, 'RunPodSandbox', 'unix:///fake', 'failed to get sandbox runtime: no runtime for "kata" is configured');
    const id = `s${this.#next++}`;
    this.sandboxes.set(id, { id, metadata: { ...config.metadata!, attempt: config.metadata?.attempt ?? 0 }, state: 'SANDBOX_READY', createdAt: ms(BigInt(this.clock())) + BigInt(this.#next), labels: config.labels ?? {}, annotations: {}, runtimeHandler });
    return id;
  }
  async podSandboxStatus(id: string) {
    const s = this.sandboxes.get(id)!;
    return { status: { ...s, network: { ip: '10.99.0.7', additionalIps: [] } }, info: {} };
  }
  async stopPodSandbox(id: string) {
    this.sandboxes.get(id)!.state = 'SANDBOX_NOTREADY';
  }
  async removePodSandbox(id: string) {
    this.sandboxes.delete(id);
  }
  async listContainers(filter: ContainerFilter = {}) {
    return [...this.containers.values()].map((c) => c.listed).filter((c) => (filter.podSandboxId === undefined || c.podSandboxId === filter.podSandboxId) && matches(c.labels, filter.labelSelector));
  }
  async containerStatus(id: string) {
    return { status: this.containers.get(id)!.status, info: {} };
  }
  async createContainer(podSandboxId: string, config: ContainerConfig) {
    const id = `c${this.#next++}`;
    const createdAt = ms(BigInt(this.clock())) + BigInt(this.#next);
    const labels = config.labels ?? {};
    const annotations = config.annotations ?? {};
    const metadata = { name: config.metadata!.name, attempt: config.metadata!.attempt ?? 0 };
    this.containers.set(id, {
      listed: { id, podSandboxId, metadata, imageRef: 'sha256:ab', state: 'CONTAINER_CREATED', createdAt, labels, annotations },
      status: { id, metadata, state: 'CONTAINER_CREATED', createdAt, startedAt: 0n, finishedAt: 0n, exitCode: 0, imageRef: 'sha256:ab', reason: '', message: '', labels, annotations, mounts: [], logPath: config.logPath ?? '' },
    });
    return id;
  }
  async startContainer(id: string) {
    this.#set(id, 'CONTAINER_RUNNING', { startedAt: ms(BigInt(this.clock())) });
  }
  async stopContainer(id: string, timeoutSeconds: number) {
    this.stops.push([this.containers.get(id)!.listed.labels['io.kubernetes.container.name']!, timeoutSeconds]);
    this.exit(id, 137);
  }
  async removeContainer(id: string) {
    this.containers.delete(id);
  }
  async execSync(_id: string, cmd: string[]) {
    this.execs.push(cmd);
    return { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 };
  }
  exit(id: string, exitCode: number) {
    this.#set(id, 'CONTAINER_EXITED', { exitCode, finishedAt: ms(BigInt(this.clock())), reason: exitCode === 0 ? 'Completed' : 'Error' });
  }
  /** The containers of `name`, newest first. */
  of(name: string) {
    return [...this.containers.values()].filter((c) => c.listed.labels['io.kubernetes.container.name'] === name).sort((a, b) => Number(b.listed.createdAt - a.listed.createdAt));
  }
  #set(id: string, state: Container['state'], extra: Partial<ContainerStatus>) {
    const c = this.containers.get(id)!;
    c.listed.state = state;
    Object.assign(c.status, { state, ...extra });
  }
}

function matches(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

async function setup(t: TestContext, pod: Pod, runtimeHandler?: (pod: Pod) => Promise<string>) {
  let clock = Date.parse('2026-11-22T10:00:00Z');
  const runtime = new FakeRuntime(() => clock);
  const images = { imageStatus: async () => ({ id: 'sha256:ab' }), pullImage: async () => 'sha256:ab' } as unknown as ImageClient;
  let current: Pod | undefined = pod;
  const desired = { synced: true, get: () => (current === undefined ? undefined : { object: current }), list: () => [] } as unknown as DesiredState;
  const events: string[] = [];
  // The container lifecycle's events; the image puller's (Pulling, Pulled) have their own tests.
  const recorder: PodEvents = {
    record: (_pod, type, reason, message, fieldPath) => {
      if (reason !== 'Pulling' && reason !== 'Pulled') events.push(`${type} ${reason} ${fieldPath ?? ''}: ${message}`);
    },
  };
  const requeues: number[] = [];
  const log = createLogger({ level: 'error' });
  const worker = new PodWorker({
    runtime: runtime as unknown as RuntimeClient,
    images,
    puller: new ImagePuller({ images, events: recorder, secret: () => undefined, log }),
    desired,
    logRoot: await tempDir(t),
    node: async () => ({ hostIps: ['192.168.1.20'], capacity: {}, allocatable: {} }),
    events: recorder,
    requeue: (_key, after) => void requeues.push(after),
    ...(runtimeHandler !== undefined ? { runtimeHandler } : {}),
    log,
    now: () => clock,
  });
  return { runtime, worker, events, requeues, advance: (by: number) => (clock += by), set: (p: Pod | undefined) => (current = p) };
}

const basePod = (spec: Partial<NonNullable<Pod['spec']>>, meta: Partial<NonNullable<Pod['metadata']>> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u1', ...meta },
  spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
  status: { phase: 'Pending' },
});

test('a crashing container restarts at once, then waits out its back-off with one BackOff event per step; old exits are collected', async (t) => {
  const { runtime, worker, events, requeues, advance } = await setup(t, basePod({ restartPolicy: 'Always' }));
  await worker.reconcile('default/p');
  assert.deepEqual(events, ['Normal Created spec.containers{app}: Created container: app', 'Normal Started spec.containers{app}: Started container app']);
  runtime.exit(runtime.of('app')[0]!.listed.id, 1);
  advance(1_000);
  await worker.reconcile('default/p');
  assert.equal(runtime.of('app')[0]!.listed.annotations['io.kubernetes.container.restartCount'], '1', 'restarted at once');
  assert.equal(runtime.of('app')[0]!.listed.metadata?.attempt, 1);

  runtime.exit(runtime.of('app')[0]!.listed.id, 1);
  advance(1_000);
  events.length = 0;
  await worker.reconcile('default/p');
  await worker.reconcile('default/p');
  assert.equal(runtime.of('app')[0]!.listed.state, 'CONTAINER_EXITED', 'held by the back-off');
  assert.deepEqual(events, ['Warning BackOff spec.containers{app}: Back-off restarting failed container app in pod p_default(u1)'], 'once, not at every sync');
  assert.equal(requeues.at(-1), 9_000, 'queued again when the back-off ends');
  const observed = await worker.observe(basePod({ restartPolicy: 'Always' }));
  assert.deepEqual(observed.waiting.get('app'), { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=p_default(u1)' });
  assert.deepEqual(runtime.of('app').map((c) => c.listed.annotations['io.kubernetes.container.restartCount']), ['1'], 'only the newest exit is kept');

  advance(9_000);
  await worker.reconcile('default/p');
  assert.deepEqual(runtime.of('app').map((c) => [c.listed.state, c.listed.annotations['io.kubernetes.container.restartCount']]), [['CONTAINER_RUNNING', '2'], ['CONTAINER_EXITED', '1']]);
  assert.equal((await worker.observe(basePod({ restartPolicy: 'Always' }))).waiting.has('app'), false);
});

test('init containers start one at a time, in order, before the app container', async (t) => {
  const { runtime, worker } = await setup(t, basePod({ initContainers: [{ name: 'one', image: 'busybox' }, { name: 'two', image: 'busybox' }] }));
  const started = () => [...runtime.containers.values()].map((c) => c.listed.labels['io.kubernetes.container.name']);
  await worker.reconcile('default/p');
  await worker.reconcile('default/p');
  assert.deepEqual(started(), ['one']);
  runtime.exit(runtime.of('one')[0]!.listed.id, 0);
  await worker.reconcile('default/p');
  assert.deepEqual(started(), ['one', 'two']);
  runtime.exit(runtime.of('two')[0]!.listed.id, 0);
  await worker.reconcile('default/p');
  assert.deepEqual(started(), ['one', 'two', 'app']);
});

test('a deleted pod: preStop, Killing, the container stopped with what is left of the grace period, the sandbox stopped; then terminal', async (t) => {
  const pod = basePod({ terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'busybox', lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo bye'] } } } }] });
  const { runtime, worker, events, set } = await setup(t, pod);
  await worker.reconcile('default/p');
  const deleting = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-11-22T10:00:10Z', deletionGracePeriodSeconds: 10 } };
  set(deleting);
  events.length = 0;
  await worker.reconcile('default/p');
  assert.equal((await worker.observe(deleting)).terminal, false, 'not before its containers stopped');
  await worker.stopsDone();
  assert.deepEqual(runtime.execs, [['sh', '-c', 'echo bye']]);
  assert.deepEqual(runtime.stops, [['app', 10]]);
  assert.deepEqual(events, ['Normal Killing spec.containers{app}: Stopping container app']);
  assert.equal([...runtime.sandboxes.values()][0]!.state, 'SANDBOX_NOTREADY');
  assert.equal((await worker.observe(deleting)).terminal, true);
  // Gone from the API: its containers and sandbox are removed.
  set(undefined);
  await worker.reconcile('default/p');
  await worker.stopsDone();
  assert.equal(runtime.containers.size + runtime.sandboxes.size, 0);
});

test('a pod’s sandbox runs with its RuntimeClass’s handler; one that cannot be made is a FailedCreatePodSandBox event and no sandbox, and the next sync tries again', async (t) => {
  const handlers: Record<string, string> = { gvisor: 'runsc', kata: 'kata' };
  const lookup = async (pod: Pod) => {
    const name = pod.spec?.runtimeClassName;
    if (!name) return '';
    if (handlers[name] === undefined) throw new Error(`runtimeclass.node.k8s.io "${name}" not found`);
    return handlers[name]!;
  };
  const { runtime, worker, events, set } = await setup(t, basePod({ runtimeClassName: 'gvisor' }), lookup);
  await worker.reconcile('default/p');
  assert.deepEqual([...runtime.sandboxes.values()].map((s) => s.runtimeHandler), ['runsc']);
  assert.equal(runtime.of('app')[0]?.listed.state, 'CONTAINER_RUNNING');

  for (const [uid, className, message] of [
    ['u2', 'nope', 'Failed to create pod sandbox: runtimeclass.node.k8s.io "nope" not found'],
    ['u3', 'kata', 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: no runtime for "kata" is configured'],
  ] as const) {
    set(basePod({ runtimeClassName: className }, { uid }));
    events.length = 0;
    await assert.rejects(worker.reconcile('default/p'), new RegExp(className === 'nope' ? 'not found' : 'no runtime for "kata"'));
    await worker.stopsDone();
    assert.deepEqual(events, [`Warning FailedCreatePodSandBox : ${message}`]);
    assert.equal([...runtime.sandboxes.values()].filter((s) => s.labels['io.kubernetes.pod.uid'] === uid).length, 0);
    // Not a crash: the next sync tries again, and says so again.
    await assert.rejects(worker.reconcile('default/p'));
    assert.equal(events.length, 2);
  }
  // The class made meanwhile: the next sync runs the pod.
  handlers['nope'] = 'runc';
  set(basePod({ runtimeClassName: 'nope' }, { uid: 'u4' }));
  await worker.reconcile('default/p');
  assert.deepEqual([...runtime.sandboxes.values()].filter((s) => s.labels['io.kubernetes.pod.uid'] === 'u4').map((s) => s.runtimeHandler), ['runc']);
});

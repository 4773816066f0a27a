// The CRI client driving a real containerd end to end: images pulled from a
// real registry through containerd's mirror, a pod sandbox on a CNI network,
// containers run, exec'd into, measured, stopped and removed, as the agent
// will run pods.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rmdir } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriError, CriStatus, isNotFound } from '../../agent/cri/connection.js';
import { ImageClient } from '../../agent/cri/image-client.js';
import { RuntimeClient } from '../../agent/cri/runtime-client.js';
import type { ContainerConfig, PodSandboxConfig } from '../../agent/cri/types.js';
import { freePort } from '../helpers/bramble.js';
import { startContainerd } from '../helpers/containerd.js';
import { removeEveryPod } from '../helpers/pod-node.js';
import { startRegistry } from '../helpers/registry.js';
import { publicImage, pushTestImages } from '../helpers/test-images.js';
import { tempDir } from '../helpers/temp.js';

const BUSYBOX = publicImage('busybox:1.36');
const CGROUP_ROOT = '/sys/fs/cgroup';

test('a pod runs end to end on a real containerd through the CRI client', async (t) => {
  const run = randomBytes(4).toString('hex');
  const cgroupParent = `/bramble-cri-test-${run}`;
  const hostPort = await freePort();
  const logDirectory = join(await tempDir(t, 'bramble-pod-logs-'), `default_web_${run}`);
  const clients = await startRuntime(t, cgroupParent);
  const { runtime, images } = clients;
  const { network } = clients.containerd;

  // ---- Images ----
  let started = performance.now();
  const imageRef = await images.pullImage(BUSYBOX);
  t.diagnostic(`PullImage ${BUSYBOX}: ${ms(started)}`);
  assert.match(imageRef, /^sha256:[0-9a-f]{64}$/);
  const image = await images.imageStatus(BUSYBOX);
  assert.equal(image?.id, imageRef);
  assert.ok(image.repoTags.includes(BUSYBOX), image.repoTags.join(', '));
  assert.equal(typeof image.size, 'bigint');
  assert.ok(image.size > 1_000_000n, `size ${image.size}`);
  // The image names no user: the Int64Value wrapper is unset, not 0.
  assert.deepEqual([image.uid, image.username], [undefined, '']);
  assert.ok((await images.listImages()).some((i) => i.id === imageRef));
  assert.deepEqual(
    (await images.listImages(BUSYBOX)).map((i) => i.id),
    [imageRef],
  );
  const [imageFs] = (await images.imageFsInfo()).imageFilesystems;
  t.diagnostic(`ImageFsInfo: ${JSON.stringify(imageFs, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  assert.ok(imageFs?.fsId?.mountpoint.includes(clients.containerd.dir), imageFs?.fsId?.mountpoint);
  // containerd measures the snapshotter's usage in the background (every 10 s or so): maybe 0 yet.
  assert.equal(typeof imageFs.usedBytes, 'bigint');

  // ---- The pod sandbox ----
  const labels = { 'bramble.test/run': run, app: 'web' };
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name: 'web', uid: `uid-${run}`, namespace: 'default', attempt: 0 },
    hostname: 'web',
    logDirectory,
    dnsConfig: { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
    portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort }],
    labels,
    annotations: { 'bramble.test/note': 'kept verbatim' },
    linux: {
      cgroupParent,
      securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
    },
  };
  started = performance.now();
  const podId = await runtime.runPodSandbox(sandboxConfig);
  t.diagnostic(`RunPodSandbox: ${ms(started)}`);
  const { status: pod } = await runtime.podSandboxStatus(podId);
  assert.equal(pod.id, podId);
  assert.equal(pod.state, 'SANDBOX_READY');
  assert.deepEqual(pod.metadata, sandboxConfig.metadata);
  assert.deepEqual(pod.labels, labels);
  assert.deepEqual(pod.annotations, sandboxConfig.annotations);
  assert.ok(nearNow(pod.createdAt), `createdAt ${pod.createdAt}`);
  const podIp = pod.network?.ip ?? '';
  assert.ok(podIp.startsWith(network!.subnet.replace(/0\/24$/, '')), `pod IP ${podIp} in ${network!.subnet}`);
  assert.equal(pod.linux?.namespaces?.options?.network, 'POD');
  assert.equal(pod.linux?.namespaces?.options?.pid, 'CONTAINER');

  // ---- A long-running container ----
  const appConfig: ContainerConfig = {
    metadata: { name: 'app', attempt: 0 },
    image: { image: BUSYBOX },
    command: ['sh', '-c'],
    args: [
      'echo "hello $GREETING"; echo oops >&2; mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www',
    ],
    workingDir: '/tmp',
    // Non-ASCII UTF-8 as a Buffer: KeyValue.value is bytes on the wire.
    envs: [
      { key: 'GREETING', value: Buffer.from('wörld', 'utf8') },
      { key: 'PLAIN', value: 'a string' },
    ],
    labels: { ...labels, container: 'app' },
    annotations: { 'bramble.test/container': 'app' },
    logPath: 'app/0.log',
    linux: {
      resources: { cpuPeriod: 100_000, cpuQuota: 50_000, cpuShares: 512n, memoryLimitInBytes: 64 * 1024 * 1024, oomScoreAdj: 500 },
      securityContext: { noNewPrivs: true, capabilities: { dropCapabilities: ['NET_RAW'] }, namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
  started = performance.now();
  const appId = await runtime.createContainer(podId, appConfig, sandboxConfig);
  t.diagnostic(`CreateContainer: ${ms(started)}`);
  started = performance.now();
  await runtime.startContainer(appId);
  t.diagnostic(`StartContainer: ${ms(started)}`);

  const { status: app } = await runtime.containerStatus(appId);
  assert.equal(app.state, 'CONTAINER_RUNNING');
  // containerd 1.6 gives the repo digest here; PullImage gave the image ID.
  assert.ok(image.repoDigests.includes(app.imageRef), `${app.imageRef} in ${image.repoDigests.join(', ')}`);
  t.diagnostic(`ContainerStatus imageRef ${app.imageRef}, image ${app.image?.image}`);
  assert.equal(app.image?.image, BUSYBOX);
  assert.equal(app.metadata?.name, 'app');
  assert.equal(app.logPath, join(logDirectory, 'app/0.log'));
  assert.ok(app.startedAt >= app.createdAt && nearNow(app.startedAt), `createdAt ${app.createdAt}, startedAt ${app.startedAt}`);
  assert.equal(app.finishedAt, 0n);
  assert.deepEqual(app.annotations, appConfig.annotations);

  // ---- ExecSync ----
  started = performance.now();
  const greeting = await runtime.execSync(appId, ['sh', '-c', 'echo "$GREETING|$PLAIN|$(pwd)"; echo err >&2; exit 7'], 10);
  t.diagnostic(`ExecSync: ${ms(started)}`);
  assert.equal(greeting.exitCode, 7);
  assert.ok(Buffer.isBuffer(greeting.stdout));
  assert.equal(greeting.stdout.toString('utf8'), 'wörld|a string|/tmp\n');
  assert.equal(greeting.stderr.toString('utf8'), 'err\n');
  const version = await runtime.execSync(appId, ['cat', '/etc/bramble-version'], 10);
  assert.deepEqual({ exitCode: version.exitCode, stdout: version.stdout.toString() }, { exitCode: 0, stdout: '1.36\n' });
  // The settings reached the kernel: cgroup limits, DNS, sysctl, hostname.
  const inside = async (script: string) => (await runtime.execSync(appId, ['sh', '-c', script], 10)).stdout.toString().trim();
  assert.equal(await inside('cat /sys/fs/cgroup/memory/memory.limit_in_bytes'), String(64 * 1024 * 1024));
  assert.equal(await inside('cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares | tr "\\n" " "'), '50000 512');
  assert.match(await inside('cat /proc/self/cgroup'), new RegExp(`:memory:${cgroupParent}/`));
  assert.deepEqual((await inside('cat /etc/resolv.conf')).split('\n').sort(), [
    'nameserver 10.43.0.10',
    'options ndots:5',
    'search default.svc.cluster.local svc.cluster.local',
  ]);
  assert.equal(await inside('cat /proc/sys/net/ipv4/ip_unprivileged_port_start'), '0');
  assert.equal(await inside('hostname'), 'web');
  assert.equal(await inside('cat /proc/1/comm'), 'httpd', 'a pid namespace of its own');

  // The pod network: the host reaches the pod's IP, and the hostPort answers on the host's address.
  const get = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
  assert.equal(await get(`http://${podIp}/`), 'ok\n');
  assert.equal(await get(`http://${hostAddress()}:${hostPort}/`), 'ok\n');

  // ---- The log file, in the CRI format ----
  const logLines = await waitFor(async () => {
    const lines = (await readFile(app.logPath, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    return lines.length >= 2 ? lines : undefined;
  }, 'two lines in the log');
  const parsed = logLines.map((line) => /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([FP]) (.*)$/.exec(line)?.slice(2));
  assert.deepEqual(parsed.sort(), [
    ['stderr', 'F', 'oops'],
    ['stdout', 'F', 'hello wörld'],
  ]);
  await runtime.reopenContainerLog(appId);

  // ---- Stats ----
  const stats = await runtime.containerStats(appId);
  assert.equal(stats.attributes?.id, appId);
  assert.equal(typeof stats.cpu?.usageCoreNanoSeconds, 'bigint');
  assert.ok(stats.cpu!.usageCoreNanoSeconds! > 0n, `cpu ${stats.cpu?.usageCoreNanoSeconds}`);
  assert.ok(nearNow(stats.cpu!.timestamp), `cpu timestamp ${stats.cpu!.timestamp}`);
  assert.ok((stats.memory?.workingSetBytes ?? 0n) > 0n, `working set ${stats.memory?.workingSetBytes}`);
  assert.equal(typeof stats.writableLayer?.usedBytes, 'bigint');
  t.diagnostic(
    `ContainerStats: cpu ${stats.cpu?.usageCoreNanoSeconds} ns, working set ${stats.memory?.workingSetBytes} B, writable layer ${stats.writableLayer?.usedBytes} B`,
  );
  assert.deepEqual(
    (await runtime.listContainerStats({ labelSelector: { container: 'app' } })).map((s) => s.attributes?.id),
    [appId],
  );
  const podStats = await runtime.listPodSandboxStats({ labelSelector: labels });
  assert.deepEqual(
    podStats.map((s) => s.attributes?.id),
    [podId],
  );
  const podNetworkUsage = podStats[0]!.linux?.network?.defaultInterface;
  t.diagnostic(`ListPodSandboxStats: eth0 rx ${podNetworkUsage?.rxBytes} B`);
  assert.equal((await runtime.podSandboxStats(podId)).attributes?.id, podId);

  // ---- Resources changed in place ----
  await runtime.updateContainerResources(appId, { memoryLimitInBytes: 96n * 1024n * 1024n, cpuQuota: 50_000, cpuPeriod: 100_000 });
  assert.equal(await inside('cat /sys/fs/cgroup/memory/memory.limit_in_bytes'), String(96 * 1024 * 1024));

  // ---- Stream URLs (the streams themselves are not CRI gRPC) ----
  assert.match(await runtime.exec(appId, ['sh'], { stdin: true, stdout: true, stderr: true }), /^http:\/\/127\.0\.0\.1:\d+\/exec\/\S+$/);
  assert.match(await runtime.attach(appId, { stdout: true, stderr: true }), /^http:\/\/127\.0\.0\.1:\d+\/attach\/\S+$/);
  assert.match(await runtime.portForward(podId, [80]), /^http:\/\/127\.0\.0\.1:\d+\/portforward\/\S+$/);

  // ---- A container that exits with 3 ----
  const failId = await runtime.createContainer(
    podId,
    { metadata: { name: 'fail' }, image: { image: BUSYBOX }, command: ['sh', '-c', 'echo bye; exit 3'], labels: { ...labels, container: 'fail' }, logPath: 'fail/0.log' },
    sandboxConfig,
  );
  await runtime.startContainer(failId);
  const failed = await waitFor(async () => {
    const { status } = await runtime.containerStatus(failId);
    return status.state === 'CONTAINER_EXITED' ? status : undefined;
  }, 'the fail container to exit');
  assert.equal(failed.exitCode, 3);
  assert.equal(failed.reason, 'Error');
  // Not finishedAt >= startedAt: containerd stamps startedAt after runc's start
  // returns, which a command this short can beat.
  assert.ok(nearNow(failed.startedAt) && nearNow(failed.finishedAt), `startedAt ${failed.startedAt}, finishedAt ${failed.finishedAt}`);

  // ---- Lists, filtered ----
  const names = (containers: { metadata?: { name: string } }[]) => containers.map((c) => c.metadata?.name).sort();
  assert.deepEqual(names(await runtime.listContainers({ labelSelector: { container: 'app' } })), ['app']);
  assert.deepEqual(names(await runtime.listContainers({ podSandboxId: podId, state: 'CONTAINER_EXITED' })), ['fail']);
  assert.deepEqual(names(await runtime.listContainers({ labelSelector: labels })), ['app', 'fail']);
  assert.deepEqual(await runtime.listContainers({ labelSelector: { app: 'other' } }), []);
  const listed = await runtime.listPodSandbox({ labelSelector: labels });
  assert.deepEqual(
    listed.map((p) => [p.id, p.state]),
    [[podId, 'SANDBOX_READY']],
  );
  assert.equal(typeof listed[0]!.createdAt, 'bigint');
  assert.deepEqual(await runtime.listPodSandbox({ labelSelector: { app: 'other' } }), []);
  assert.deepEqual(await runtime.listPodSandbox({ state: 'SANDBOX_NOTREADY' }), []);

  // ---- Stop and remove ----
  // httpd is pid 1 of the container and ignores SIGTERM: killed after the 1 s grace period.
  started = performance.now();
  await runtime.stopContainer(appId, 1);
  t.diagnostic(`StopContainer (1 s grace, SIGTERM ignored): ${ms(started)}`);
  const stopped = (await runtime.containerStatus(appId)).status;
  assert.deepEqual([stopped.state, stopped.exitCode], ['CONTAINER_EXITED', 137]);
  await runtime.stopContainer(appId, 1);
  for (const id of [appId, failId]) await runtime.removeContainer(id);
  await runtime.removeContainer(appId);
  await assert.rejects(runtime.containerStatus(appId), (err: Error) => {
    assert.ok(isNotFound(err), err.message);
    assert.ok(err.message.includes(`ContainerStatus ${appId}`), err.message);
    return true;
  });
  assert.deepEqual(await runtime.listContainers(), []);

  started = performance.now();
  await runtime.stopPodSandbox(podId);
  t.diagnostic(`StopPodSandbox: ${ms(started)}`);
  assert.equal((await runtime.podSandboxStatus(podId)).status.state, 'SANDBOX_NOTREADY');
  await runtime.removePodSandbox(podId);
  await runtime.removePodSandbox(podId);
  await assert.rejects(runtime.podSandboxStatus(podId), (err: Error) => isNotFound(err));
  assert.deepEqual(await runtime.listPodSandbox(), []);

  await images.removeImage(BUSYBOX);
  assert.equal(await images.imageStatus(BUSYBOX), undefined);
});

test('pulling a missing image fails with NotFound and the runtime’s message', async (t) => {
  const { images } = await startRuntime(t);
  const started = performance.now();
  await assert.rejects(images.pullImage('docker.io/library/nope:1'), (err: Error) => {
    assert.ok(err instanceof CriError);
    assert.equal(err.code, CriStatus.NOT_FOUND, `${CriStatus[err.code]}: ${err.message}`);
    assert.ok(isNotFound(err));
    assert.equal(err.rpc, 'PullImage');
    assert.match(err.message, /^container runtime at unix:\/\/\S+ failed PullImage docker\.io\/library\/nope:1: NOT_FOUND: .*not found/);
    t.diagnostic(err.message);
    return true;
  });
  t.diagnostic(`missing image refused after ${ms(started)}`);
});

test('calls to a runtime that is not there fail with Unavailable, naming the endpoint', async (t) => {
  const endpoint = `unix://${join(await tempDir(t), 'containerd.sock')}`;
  const runtime = RuntimeClient.connect(endpoint);
  const images = ImageClient.connect(endpoint);
  t.after(() => {
    runtime.close();
    images.close();
  });
  const calls: [string, Promise<unknown>][] = [
    ['RunPodSandbox', runtime.runPodSandbox({ metadata: { name: 'web', uid: 'u', namespace: 'default' } })],
    ['ListContainers', runtime.listContainers()],
    ['StopContainer', runtime.stopContainer('abc', 5)],
    ['PullImage', images.pullImage(BUSYBOX)],
  ];
  for (const [rpc, call] of calls) {
    await assert.rejects(call, (err: Error) => {
      assert.ok(err instanceof CriError);
      assert.equal(err.code, CriStatus.UNAVAILABLE);
      assert.equal(err.rpc, rpc);
      assert.equal(err.message, `container runtime at ${endpoint} is not reachable: connect ENOENT ${endpoint.slice('unix://'.length)}`);
      return true;
    });
  }
});

test('int64 fields take safe numbers or bigints, and unknown fields are refused', async (t) => {
  const { runtime } = await startRuntime(t);
  await assert.rejects(runtime.updateContainerResources('abc', { memoryLimitInBytes: 2 ** 60 }), /memoryLimitInBytes must be an integer below 2\^53 \(or a bigint\)/);
  await assert.rejects(
    runtime.updateContainerResources('abc', { memoryLimit: 1 } as never),
    /runtime\.v1\.LinuxContainerResources has no field memoryLimit/,
  );
  // A bigint beyond 2^53 reaches the runtime intact (which then has no such container).
  await assert.rejects(runtime.updateContainerResources('abc', { memoryLimitInBytes: 2n ** 60n }), (err: Error) => isNotFound(err));
});

/**
 * containerd with the test registry as mirror and sandbox-image source, a pod
 * network, and clients; everything the test runs through CRI is removed at its
 * end, pass or fail (shims and containers outlive containerd).
 */
async function startRuntime(t: TestContext, cgroupParent?: string) {
  let runtime: RuntimeClient | undefined;
  // Registered before startContainerd's teardown, so it runs first.
  t.after(async () => {
    if (runtime === undefined) return;
    try {
      await removeEveryPod(runtime);
      if (cgroupParent !== undefined) await removeCgroups(cgroupParent);
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
  return { containerd, runtime, images };
}

/** containerd leaves the cgroup_parent folders (kubelet removes them); only empty ones can go. */
async function removeCgroups(cgroupParent: string): Promise<void> {
  // Every hierarchy: cgroup v1 controllers, name=systemd and the hybrid "unified" one (or v2's root).
  for (const hierarchy of ['', ...(await readdir(CGROUP_ROOT))]) {
    await rmdir(join(CGROUP_ROOT, hierarchy, cgroupParent)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
    });
  }
}

/** The host's first external IPv4 address (portmap's DNAT does not cover 127.0.0.1). */
function hostAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.99.'));
  assert.ok(address, 'no external IPv4 address on this host');
  return address.address;
}

/** `ns` (nanoseconds since the epoch) lies within the last minute. */
function nearNow(ns: bigint): boolean {
  const now = BigInt(Date.now()) * 1_000_000n;
  return ns > now - 60_000_000_000n && ns <= now + 1_000_000_000n;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function ms(since: number): string {
  return `${Math.round(performance.now() - since)} ms`;
}

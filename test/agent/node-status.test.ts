import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, hostname, networkInterfaces, release } from 'node:os';
import { dirname, join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { NodeCondition, NodeStatus } from '../../common/agent-protocol.js';
import { goArch, KUBERNETES_VERSION } from '../../common/version.js';
import { RuntimeClient } from '../../agent/cri/runtime-client.js';
import { NodeStatusCollector } from '../../agent/status/node-status-collector.js';
import { diskPressure, memoryPressure, pidPressure } from '../../agent/status/pressure.js';
import { defaultRouteInterface } from '../../agent/status/procfs.js';
import { throttledConditions } from '../../agent/status/raspberry-pi.js';
import { runtimeProblem } from '../../agent/status/ready.js';
import { resources } from '../../agent/status/resources.js';
import { startContainerd } from '../helpers/containerd.js';
import { tempDir } from '../helpers/temp.js';

const Mi = 1024 * 1024;

/** A runtime endpoint where nothing listens. */
async function absentRuntime(t: TestContext): Promise<RuntimeClient> {
  const runtime = RuntimeClient.connect(`unix://${join(await tempDir(t), 'containerd.sock')}`);
  t.after(() => runtime.close());
  return runtime;
}

const condition = (status: NodeStatus, type: string): NodeCondition | undefined => status.conditions.find((c) => c.type === type);

test('real collection on this machine, with a real containerd', async (t) => {
  const containerd = await startContainerd(t);
  const runtime = RuntimeClient.connect(containerd.endpoint);
  t.after(() => runtime.close());
  const dataDir = await tempDir(t);
  const status = await new NodeStatusCollector({ dataDir, runtime }).collect();

  // Independent sources: /proc/meminfo read here, df, ip, os.*.
  const meminfo = await readFile('/proc/meminfo', 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(meminfo)![1]);
  const [size, avail, itotal, ifree] = execFileSync('df', ['-k', '--output=size,avail,itotal,iavail', dataDir], { encoding: 'utf8' })
    .trim()
    .split('\n')[1]!
    .trim()
    .split(/\s+/)
    .map(Number) as [number, number, number, number];

  assert.deepEqual(status.capacity, { cpu: String(cpus().length), memory: `${kib('MemTotal')}Ki`, pods: '110', 'ephemeral-storage': `${size}Ki` });
  assert.equal(status.allocatable.cpu, String(cpus().length));
  assert.equal(status.allocatable.memory, `${kib('MemTotal') - 102400}Ki`);
  assert.equal(status.allocatable.pods, '110');
  const allocatableStorage = Number(/^(\d+)Ki$/.exec(status.allocatable['ephemeral-storage']!)![1]);
  assert.ok(Math.abs(allocatableStorage - size * 0.9) <= 1, `${allocatableStorage}Ki is not 90% of ${size}Ki`);

  const osRelease = await readFile('/etc/os-release', 'utf8');
  const dmiUuid = await readFile('/sys/class/dmi/id/product_uuid', 'utf8').catch(() => undefined);
  assert.deepEqual(status.nodeInfo, {
    machineId: (await readFile('/etc/machine-id', 'utf8')).trim(),
    // The firmware's UUID, else the CPU's serial (a Pi), else "".
    systemUuid: dmiUuid?.trim().toLowerCase() ?? /^Serial\s*:\s*(\S+)/m.exec(await readFile('/proc/cpuinfo', 'utf8'))?.[1]?.toLowerCase() ?? '',
    bootId: (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim(),
    kernelVersion: release(),
    osImage: /^PRETTY_NAME="(.*)"$/m.exec(osRelease)![1]!,
    operatingSystem: 'linux',
    architecture: goArch(),
    containerRuntimeVersion: status.nodeInfo.containerRuntimeVersion,
    kubeletVersion: KUBERNETES_VERSION.gitVersion,
    kubeProxyVersion: '',
  });
  assert.match(status.nodeInfo.containerRuntimeVersion, /^containerd:\/\/v?1\.6\.\d+/);
  assert.ok(['amd64', 'arm64', 'arm'].includes(status.nodeInfo.architecture), status.nodeInfo.architecture);

  const routeDev = /\bdev (\S+)/.exec(execFileSync('ip', ['-4', 'route', 'show', 'default'], { encoding: 'utf8' }))?.[1];
  const expectedIp = networkInterfaces()[routeDev ?? '']?.find((a) => a.family === 'IPv4')?.address;
  assert.ok(expectedIp !== undefined, 'this test needs a default IPv4 route');
  assert.deepEqual(status.addresses, [
    { type: 'InternalIP', address: expectedIp },
    { type: 'Hostname', address: hostname() },
  ]);

  assert.deepEqual(
    status.conditions.map((c) => c.type),
    ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'],
  );
  const memoryLow = kib('MemAvailable') < 102400;
  assert.equal(condition(status, 'MemoryPressure')?.status, memoryLow ? 'True' : 'False');
  const diskLow = avail < size * 0.1 || ifree < itotal * 0.05;
  assert.equal(condition(status, 'DiskPressure')?.status, diskLow ? 'True' : 'False');
  assert.deepEqual(condition(status, 'PIDPressure'), {
    type: 'PIDPressure',
    status: 'False',
    reason: 'KubeletHasSufficientPID',
    message: 'kubelet has sufficient PID available',
  });
  assert.deepEqual(condition(status, 'Ready'), { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
  // Not a Pi: no SoC readings, no firmware conditions.
  assert.deepEqual(status.readings, {});
});

test('Ready is False with the runtime\'s cause when no runtime answers; the rest is still reported', async (t) => {
  const runtime = await absentRuntime(t);
  const status = await new NodeStatusCollector({ dataDir: await tempDir(t), runtime, hostname: 'pi-1', nodeIp: '10.1.2.3' }).collect();
  assert.deepEqual(condition(status, 'Ready'), {
    type: 'Ready',
    status: 'False',
    reason: 'KubeletNotReady',
    message: `container runtime is down: container runtime at ${runtime.endpoint} is not reachable: connect ENOENT ${runtime.endpoint.slice('unix://'.length)}`,
  });
  assert.equal(status.nodeInfo.containerRuntimeVersion, '');
  assert.equal(status.capacity.pods, '110');
  assert.deepEqual(status.addresses, [
    { type: 'InternalIP', address: '10.1.2.3' },
    { type: 'Hostname', address: 'pi-1' },
  ]);
});

test('a node IP that is no IP address is refused', async (t) => {
  const runtime = await absentRuntime(t);
  assert.throws(() => new NodeStatusCollector({ dataDir: '/', runtime, nodeIp: 'eth0' }), /node IP "eth0" is not an IP address/);
});

test('the runtime is ready only with RuntimeReady true; NetworkReady is not required yet', () => {
  const cond = (type: string, status: boolean, reason = '', message = '') => ({ type, status, reason, message });
  assert.equal(runtimeProblem({ conditions: [cond('RuntimeReady', true), cond('NetworkReady', false, 'NetworkPluginNotReady', 'cni plugin not initialized')] }), undefined);
  assert.equal(
    runtimeProblem({ conditions: [cond('RuntimeReady', false, 'Broken', 'runc is missing'), cond('NetworkReady', true)] }),
    'RuntimeReady=false reason:Broken message:runc is missing',
  );
  assert.equal(runtimeProblem({ conditions: [] }), 'it reports no RuntimeReady condition');
});

test('the default route\'s interface comes from /proc/net/route: lowest metric, up, 0.0.0.0/0 only', () => {
  const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
  const route = (iface: string, destination: string, flags: string, metric: number, mask: string) =>
    `${iface}\t${destination}\t0101A8C0\t${flags}\t0\t0\t${metric}\t${mask}\t0\t0\t0\n`;
  const table =
    header +
    route('cni0', '0058000A', '0001', 0, '0000FFFF') +
    route('wlan0', '00000000', '0003', 600, '00000000') +
    route('eth1', '00000000', '0002', 10, '00000000') +
    route('eth0', '00000000', '0003', 100, '00000000');
  // eth1 has the lowest metric but is down (flag 0x1 unset).
  assert.equal(defaultRouteInterface(table), 'eth0');
  assert.equal(defaultRouteInterface(header + route('cni0', '0058000A', '0001', 0, '0000FFFF')), undefined);
});

test('MemoryPressure: below 100Mi available', () => {
  assert.deepEqual(memoryPressure({ memoryAvailableBytes: 100 * Mi - 1 }), {
    type: 'MemoryPressure',
    status: 'True',
    reason: 'KubeletHasInsufficientMemory',
    message: 'kubelet has insufficient memory available',
  });
  assert.deepEqual(memoryPressure({ memoryAvailableBytes: 100 * Mi }), {
    type: 'MemoryPressure',
    status: 'False',
    reason: 'KubeletHasSufficientMemory',
    message: 'kubelet has sufficient memory available',
  });
});

test('DiskPressure: below 10% space or 5% inodes available', () => {
  const fs = { fsCapacityBytes: 1000 * Mi, fsAvailableBytes: 100 * Mi, fsInodes: 10_000, fsInodesFree: 500 };
  const noPressure = { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' };
  const pressure = { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' };
  assert.deepEqual(diskPressure(fs), noPressure);
  assert.deepEqual(diskPressure({ ...fs, fsAvailableBytes: 100 * Mi - 1 }), pressure);
  assert.deepEqual(diskPressure({ ...fs, fsInodesFree: 499 }), pressure);
  // A filesystem without an inode table (btrfs reports 0 of 0) has no inode pressure.
  assert.deepEqual(diskPressure({ ...fs, fsInodes: 0, fsInodesFree: 0 }), noPressure);
});

test('PIDPressure: more tasks than 90% of the kernel limit', () => {
  assert.deepEqual(pidPressure({ tasks: 900, taskLimit: 1000 }), {
    type: 'PIDPressure',
    status: 'False',
    reason: 'KubeletHasSufficientPID',
    message: 'kubelet has sufficient PID available',
  });
  assert.deepEqual(pidPressure({ tasks: 901, taskLimit: 1000 }), {
    type: 'PIDPressure',
    status: 'True',
    reason: 'KubeletHasInsufficientPID',
    message: 'kubelet has insufficient PID available',
  });
});

test('allocatable is capacity less the default hard eviction thresholds, in Ki', () => {
  // A Pi 4 with 4 GB and a 32 GB card.
  const r = resources({ cpus: 4, memoryBytes: 3_884_000 * 1024, fsCapacityBytes: 30_000_000 * 1024 });
  assert.deepEqual(r.capacity, { cpu: '4', memory: '3884000Ki', pods: '110', 'ephemeral-storage': '30000000Ki' });
  assert.deepEqual(r.allocatable, { cpu: '4', memory: '3781600Ki', pods: '110', 'ephemeral-storage': '27000000Ki' });
  // Tiny machines never go negative.
  assert.equal(resources({ cpus: 1, memoryBytes: 64 * Mi, fsCapacityBytes: 0 }).allocatable.memory, '0Ki');
});

/** A fake root with what the collector reads, plus `extra` files (path → text). */
async function fakeRoot(t: TestContext, extra: Record<string, string>): Promise<string> {
  const root = await tempDir(t, 'bramble-fake-root-');
  const files: Record<string, string> = {
    '/etc/machine-id': 'f1e2d3c4b5a6978812345678abcdef01\n',
    '/etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n',
    '/proc/sys/kernel/random/boot_id': '0b5c1e0a-1111-4222-8333-944455556666\n',
    '/proc/sys/kernel/osrelease': '6.6.51+rpt-rpi-v8\n',
    '/proc/sys/kernel/pid_max': '4194304\n',
    '/proc/sys/kernel/threads-max': '30000\n',
    '/proc/meminfo': 'MemTotal:        3884000 kB\nMemFree:          100000 kB\nMemAvailable:      50000 kB\n',
    '/proc/loadavg': '0.10 0.20 0.30 2/28000 1234\n',
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const PI_MODEL = {
  '/proc/device-tree/model': 'Raspberry Pi 4 Model B Rev 1.4\0',
  // A Pi has no DMI: its board serial is its system UUID.
  '/proc/cpuinfo': 'processor\t: 0\nBogoMIPS\t: 108.00\n\nHardware\t: BCM2835\nRevision\t: c03114\nSerial\t\t: 10000000A1B2C3D4\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n',
};
const THERMAL = '/sys/class/thermal/thermal_zone0/temp';
const THROTTLED = '/sys/devices/platform/soc/soc:firmware/get_throttled';

test('a Raspberry Pi reports its SoC temperature and firmware flags', async (t) => {
  const root = await fakeRoot(t, { ...PI_MODEL, [THERMAL]: '52078\n', [THROTTLED]: '50005\n' });
  const collector = new NodeStatusCollector({ dataDir: await tempDir(t), runtime: await absentRuntime(t), root, nodeIp: '192.168.1.20' });
  const status = await collector.collect();

  assert.deepEqual(status.readings, { 'bramble.io/soc-temperature-celsius': '52.1' });
  assert.deepEqual(
    status.conditions.filter((c) => c.type !== 'DiskPressure').map((c) => [c.type, c.status, c.reason]),
    [
      // The fake tree's numbers: 50000 KiB available, 28000 tasks of min(4194304, 30000).
      // (DiskPressure is of the real data dir, checked above.)
      ['MemoryPressure', 'True', 'KubeletHasInsufficientMemory'],
      ['PIDPressure', 'True', 'KubeletHasInsufficientPID'],
      ['Ready', 'False', 'KubeletNotReady'],
      ['UnderVoltage', 'True', 'UnderVoltageDetected'],
      ['Throttled', 'True', 'CPUThrottled'],
    ],
  );
  assert.match(condition(status, 'UnderVoltage')!.message, /under-voltage now \(get_throttled=0x50005\)/);
  assert.match(condition(status, 'Throttled')!.message, /throttling the CPU now \(get_throttled=0x50005\)/);
  assert.deepEqual(
    { ...status.nodeInfo, containerRuntimeVersion: undefined, architecture: undefined },
    {
      machineId: 'f1e2d3c4b5a6978812345678abcdef01',
      systemUuid: '10000000a1b2c3d4',
      bootId: '0b5c1e0a-1111-4222-8333-944455556666',
      kernelVersion: '6.6.51+rpt-rpi-v8',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      operatingSystem: 'linux',
      architecture: undefined,
      containerRuntimeVersion: undefined,
      kubeletVersion: KUBERNETES_VERSION.gitVersion,
      kubeProxyVersion: '',
    },
  );
  assert.equal(status.capacity.memory, '3884000Ki');

  // Readings are read on every report; machine facts are not.
  await writeFile(join(root, THERMAL), '48000\n');
  await writeFile(join(root, THROTTLED), '50000\n');
  await writeFile(join(root, '/etc/machine-id'), 'changed\n');
  const next = await collector.collect();
  assert.equal(next.readings['bramble.io/soc-temperature-celsius'], '48.0');
  assert.deepEqual(
    next.conditions.slice(-2).map((c) => [c.type, c.status, c.reason]),
    [
      ['UnderVoltage', 'False', 'UnderVoltageSinceBoot'],
      ['Throttled', 'False', 'ThrottledSinceBoot'],
    ],
  );
  assert.equal(next.nodeInfo.machineId, 'f1e2d3c4b5a6978812345678abcdef01');
});

test('the firmware mask, bit by bit', () => {
  const summary = (text: string) => throttledConditions(text).map((c) => `${c.type}=${c.status}/${c.reason}`);
  assert.deepEqual(summary('0'), ['UnderVoltage=False/VoltageNormal', 'Throttled=False/NotThrottled']);
  assert.deepEqual(summary('0x1'), ['UnderVoltage=True/UnderVoltageDetected', 'Throttled=False/NotThrottled']);
  assert.deepEqual(summary('2'), ['UnderVoltage=False/VoltageNormal', 'Throttled=True/CPUFrequencyCapped']);
  assert.deepEqual(summary('4'), ['UnderVoltage=False/VoltageNormal', 'Throttled=True/CPUThrottled']);
  assert.deepEqual(summary('20000'), ['UnderVoltage=False/VoltageNormal', 'Throttled=False/ThrottledSinceBoot']);
  assert.deepEqual(summary('10000'), ['UnderVoltage=False/UnderVoltageSinceBoot', 'Throttled=False/NotThrottled']);
  assert.deepEqual(summary('garbage'), ['UnderVoltage=Unknown/FirmwareFlagsUnreadable', 'Throttled=Unknown/FirmwareFlagsUnreadable']);
  assert.equal(throttledConditions('0')[0]!.message, 'no under-voltage since boot (get_throttled=0x0)');
});

test('a Pi whose firmware flags cannot be read says so', async (t) => {
  const root = await fakeRoot(t, { ...PI_MODEL, [THERMAL]: '61500\n' });
  const status = await new NodeStatusCollector({ dataDir: await tempDir(t), runtime: await absentRuntime(t), root, nodeIp: '10.0.0.2' }).collect();
  assert.deepEqual(status.readings, { 'bramble.io/soc-temperature-celsius': '61.5' });
  const underVoltage = condition(status, 'UnderVoltage');
  assert.equal(underVoltage?.status, 'Unknown');
  assert.match(underVoltage.message, /cannot read the firmware's flags: ENOENT.*get_throttled/);
  assert.equal(condition(status, 'Throttled')?.status, 'Unknown');
});

test('not a Pi: no SoC readings and no firmware conditions, even where the files exist', async (t) => {
  const models: Record<string, string>[] = [{}, { '/proc/device-tree/model': 'Pine64 RockPro64 v2.1\0' }];
  for (const model of models) {
    const root = await fakeRoot(t, { ...model, [THERMAL]: '52078\n', [THROTTLED]: '50005\n' });
    const status = await new NodeStatusCollector({ dataDir: await tempDir(t), runtime: await absentRuntime(t), root, nodeIp: '10.0.0.2' }).collect();
    assert.deepEqual(status.readings, {});
    assert.deepEqual(
      status.conditions.map((c) => c.type),
      ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'],
    );
  }
});

// The agent's resource usage: rates from two cumulative samples as
// metrics-server computes them, the node's own usage from procfs, and the
// sampler that pairs each running container's samples (fake runtime and /proc).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { busyCpuNs, memoryWorkingSetBytes } from '../../agent/metrics/node-usage.js';
import { usageBetween } from '../../agent/metrics/usage-rate.js';
import { UsageSampler } from '../../agent/metrics/usage-sampler.js';
import type { Container, ContainerStats } from '../../agent/cri/types.js';
import { HostFiles } from '../../agent/status/host-files.js';
import { tempDir } from '../helpers/temp.js';

const SECOND = 1_000_000_000n;

test('the CPU rate is the CPU time between two samples over the time between them, in nanocores', () => {
  const prev = { timestampNs: 100n * SECOND, cpuNs: 5n * SECOND, memoryWorkingSetBytes: 1000n };
  const last = { timestampNs: 115n * SECOND, cpuNs: 20n * SECOND, memoryWorkingSetBytes: 4096n };
  assert.deepEqual(usageBetween(prev, last), {
    time: { timestampMs: 115_000, windowNs: 15_000_000_000 },
    usage: { cpuNanoCores: 1_000_000_000, memoryWorkingSetBytes: 4096 },
  });
  // Truncated, as metrics-server's uint64 conversion: 1 ns over 3 s is 0 nanocores.
  assert.equal(usageBetween(prev, { ...last, timestampNs: 103n * SECOND, cpuNs: 5n * SECOND + 1n })?.usage.cpuNanoCores, 0);
});

test('a counter that went down (a restart) or no time between samples gives no rate', () => {
  const prev = { timestampNs: 100n * SECOND, cpuNs: 5n * SECOND, memoryWorkingSetBytes: 0n };
  assert.equal(usageBetween(prev, { ...prev, timestampNs: 110n * SECOND, cpuNs: SECOND }), undefined);
  assert.equal(usageBetween(prev, { ...prev, cpuNs: 6n * SECOND }), undefined);
});

test("the node's CPU time counts everything but idle and iowait, and its working set leaves the inactive file cache out", () => {
  // user nice system idle iowait irq softirq steal guest guest_nice, in 1/100 s
  assert.equal(busyCpuNs('cpu  100 10 50 9999 77 5 3 2 40 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n'), 170n * 10_000_000n);
  assert.throws(() => busyCpuNs('intr 1 2 3'), /unexpected \/proc\/stat/);
  const meminfo = 'MemTotal:       16000 kB\nMemFree:         4000 kB\nInactive(file):  2000 kB\n';
  assert.equal(memoryWorkingSetBytes(meminfo), 10_000n * 1024n);
});

test("the sampler reports a pod once each of its running containers was sampled twice, and the node from its second sample", async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, 'proc'));
  let busy = 0;
  const writeProc = async () => {
    await writeFile(join(root, 'proc', 'stat'), `cpu  ${busy} 0 0 1000 0 0 0 0 0 0\n`);
    await writeFile(join(root, 'proc', 'meminfo'), 'MemTotal: 2048 kB\nMemFree: 1024 kB\nInactive(file): 512 kB\n');
  };
  const labels = (pod: string, container: string) => ({ 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.name': pod, 'io.kubernetes.pod.uid': `uid-${pod}`, 'io.kubernetes.container.name': container });
  const running: Container[] = [
    { id: 'a1', podSandboxId: 's1', imageRef: '', state: 'CONTAINER_RUNNING', createdAt: 0n, labels: labels('web', 'app'), annotations: {} },
    { id: 'a2', podSandboxId: 's1', imageRef: '', state: 'CONTAINER_RUNNING', createdAt: 0n, labels: labels('web', 'sidecar'), annotations: {} },
    { id: 'b1', podSandboxId: 's2', imageRef: '', state: 'CONTAINER_RUNNING', createdAt: 0n, labels: labels('late', 'app'), annotations: {} },
  ];
  let stats: ContainerStats[] = [];
  const stat = (id: string, atS: bigint, cpuS: bigint): ContainerStats => ({
    attributes: { id, labels: {}, annotations: {} },
    cpu: { timestamp: atS * SECOND, usageCoreNanoSeconds: cpuS * SECOND },
    memory: { timestamp: atS * SECOND, workingSetBytes: 8192n },
  });
  let now = 1_000_000;
  const sampler = new UsageSampler({
    runtime: { listContainers: async () => running, listContainerStats: async () => stats },
    host: new HostFiles(root),
    now: () => now,
  });
  await writeProc();
  stats = [stat('a1', 10n, 1n), stat('a2', 10n, 0n)];
  assert.deepEqual(await sampler.sample(), { pods: [] });

  busy = 150;
  now += 1500;
  await writeProc();
  stats = [stat('a1', 12n, 2n), stat('a2', 11n, 0n), stat('b1', 12n, 5n)];
  const report = await sampler.sample();
  assert.deepEqual(report.node, { timestampMs: 1_001_500, windowNs: 1_500_000_000, usage: { cpuNanoCores: 1_000_000_000, memoryWorkingSetBytes: 512 * 1024 } });
  // "late" has one sample only: not there yet. web's time is its earliest container's.
  assert.deepEqual(report.pods, [
    {
      namespace: 'default',
      name: 'web',
      uid: 'uid-web',
      timestampMs: 11_000,
      windowNs: 1_000_000_000,
      containers: [
        { name: 'app', usage: { cpuNanoCores: 500_000_000, memoryWorkingSetBytes: 8192 } },
        { name: 'sidecar', usage: { cpuNanoCores: 0, memoryWorkingSetBytes: 8192 } },
      ],
    },
  ]);
});

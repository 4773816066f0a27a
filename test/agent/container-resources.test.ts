// Container cgroup settings, OOM scores, QoS classes and the pod's cgroup
// parent, computed as kubelet computes them; the pod's cgroup folders removed.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Container, Pod, ResourceRequirements } from 'kubernetes-types/core/v1.js';
import { linuxContainerResources, milliCpuToQuota, milliCpuToShares, oomScoreAdj, podQos } from '../../agent/pods/container-resources.js';
import { cgroupMounts, podCgroupParent, removePodCgroups } from '../../agent/pods/pod-cgroups.js';
import { tempDir } from '../helpers/temp.js';

const GI = 1024n ** 3n;
const pod = (resources: ResourceRequirements[], extra: Partial<Pod['spec']> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: '1b4c-uid' },
  spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'busybox', resources: r })), ...extra },
});
const first = (p: Pod): Container => p.spec!.containers[0]!;

test('CPU shares and quota follow kubelet’s arithmetic', () => {
  assert.deepEqual([0n, 1n, 2n, 250n, 1000n, 1500n, 300_000n].map(milliCpuToShares), [2, 2, 2, 256, 1024, 1536, 262144]);
  assert.deepEqual([0n, 1n, 5n, 10n, 250n, 1000n, 2500n].map((m) => milliCpuToQuota(m, 100_000)), [0, 1000, 1000, 1000, 25000, 100000, 250000]);
});

test('a container’s resources: shares from the request (the limit when only that is set), quota from the limit, memory limit in bytes', () => {
  const burstable = pod([{ requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } }]);
  assert.deepEqual(linuxContainerResources(burstable, first(burstable), 4n * GI), {
    cpuPeriod: 100000, cpuQuota: 50000, cpuShares: 256, memoryLimitInBytes: 128n * 1024n * 1024n, oomScoreAdj: 985,
  });
  const limitOnly: Pod = pod([{ limits: { cpu: '1.5' } }]);
  assert.deepEqual(linuxContainerResources(limitOnly, first(limitOnly), 4n * GI), { cpuPeriod: 100000, cpuQuota: 150000, cpuShares: 1536, oomScoreAdj: 999 });
  const none = pod([{}]);
  assert.deepEqual(linuxContainerResources(none, first(none), 4n * GI), { cpuPeriod: 100000, cpuQuota: 0, cpuShares: 2, oomScoreAdj: 1000 });
  // Quantities round up to whole millicores and bytes.
  const odd = pod([{ requests: { cpu: '0.1m' }, limits: { memory: '1.5k' } }]);
  assert.deepEqual(linuxContainerResources(odd, first(odd), 4n * GI), { cpuPeriod: 100000, cpuQuota: 0, cpuShares: 2, memoryLimitInBytes: 1500n, oomScoreAdj: 999 });
});

test('QoS class: the one the API set, else computed', () => {
  assert.equal(podQos(pod([{}])), 'BestEffort');
  assert.equal(podQos(pod([{ requests: { memory: '1Mi' } }])), 'Burstable');
  assert.equal(podQos(pod([{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }])), 'Guaranteed');
  assert.equal(podQos(pod([{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }, {}])), 'Burstable');
  assert.equal(podQos({ ...pod([{}]), status: { qosClass: 'Guaranteed' } }), 'Guaranteed');
});

test('OOM score: Guaranteed and node-critical last, BestEffort first, Burstable by its memory request', () => {
  const guaranteed = pod([{ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }]);
  assert.equal(oomScoreAdj(guaranteed, first(guaranteed), 4n * GI), -997);
  const critical = pod([{}], { priorityClassName: 'system-node-critical', priority: 2000001000 });
  assert.equal(oomScoreAdj(critical, first(critical), 4n * GI), -997);
  assert.equal(oomScoreAdj(pod([{}]), first(pod([{}])), 4n * GI), 1000);
  const quarter = pod([{ requests: { memory: '1Gi' } }]);
  assert.equal(oomScoreAdj(quarter, first(quarter), 4n * GI), 750);
  const all = pod([{ requests: { memory: '4Gi' } }]);
  assert.equal(oomScoreAdj(all, first(all), 4n * GI), 3);
  const tiny = pod([{ requests: { cpu: '1' } }]);
  assert.equal(oomScoreAdj(tiny, first(tiny), 4n * GI), 999);
  // A sidecar scores no higher than the pod's smallest regular container.
  const withSidecar = pod([{ requests: { memory: '2Gi' } }], { initContainers: [{ name: 'side', image: 'busybox', restartPolicy: 'Always', resources: { requests: { memory: '1Mi' } } }] });
  assert.equal(oomScoreAdj(withSidecar, withSidecar.spec!.initContainers![0]!, 4n * GI), 500);
});

test('the pod’s cgroup parent is kubelet’s cgroupfs path for its QoS class', () => {
  assert.equal(podCgroupParent(pod([{}])), '/kubepods/besteffort/pod1b4c-uid');
  assert.equal(podCgroupParent(pod([{ requests: { memory: '1Mi' } }])), '/kubepods/burstable/pod1b4c-uid');
  assert.equal(podCgroupParent(pod([{ limits: { cpu: '1', memory: '1Gi' } }], {})), '/kubepods/burstable/pod1b4c-uid');
  assert.equal(podCgroupParent({ ...pod([{ limits: { cpu: '1', memory: '1Gi' } }]), status: { qosClass: 'Guaranteed' } }), '/kubepods/pod1b4c-uid');
});

test('cgroup hierarchies are read from mountinfo: v1 controllers, the v2 tree, nothing else', () => {
  const mountinfo = [
    '25 30 0:23 / /sys/fs/cgroup rw,nosuid - tmpfs tmpfs rw,mode=755',
    '26 25 0:24 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
    '27 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '28 25 0:26 / /sys/fs/cgroup/unified rw,relatime shared:5 - cgroup2 cgroup2 rw',
    '29 30 0:27 / /mnt/with\\040space rw - cgroup2 cgroup2 rw',
    '30 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw',
  ].join('\n');
  assert.deepEqual(cgroupMounts(mountinfo), ['/sys/fs/cgroup/memory', '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/unified', '/mnt/with space']);
});

test('a pod’s cgroup folders go, with the container folders left in them, in every hierarchy; others stay', async (t) => {
  const root = await tempDir(t, 'bramble-cgroups-');
  const mountinfo = join(root, 'mountinfo');
  await writeFile(mountinfo, [`1 0 0:1 / ${root}/memory rw - cgroup cgroup rw,memory`, `2 0 0:2 / ${root}/cpu rw - cgroup cgroup rw,cpu`].join('\n'));
  const pods = ['memory/kubepods/burstable/podgone/c1', 'cpu/kubepods/burstable/podgone', 'memory/kubepods/besteffort/podother/c1'];
  for (const dir of pods) await mkdir(join(root, dir), { recursive: true });
  // Control files in a real cgroupfs go with their folder; a plain folder keeps them, so there are none here.
  await removePodCgroups('gone', mountinfo);
  assert.equal(existsSync(join(root, 'memory/kubepods/burstable/podgone')), false);
  assert.equal(existsSync(join(root, 'cpu/kubepods/burstable/podgone')), false);
  assert.equal(existsSync(join(root, 'memory/kubepods/burstable')), true);
  assert.equal(existsSync(join(root, 'memory/kubepods/besteffort/podother/c1')), true);
  await removePodCgroups('gone', mountinfo);
});

// The server side of node status: heartbeats in memory, Node and Lease
// written only on change or every five minutes, Unknown and unreachable
// taints after the grace period, back to Ready on the next report. Driven
// with a fake clock on a real store and registry.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Hello, NodeStatus } from '../../common/agent-protocol.js';
import { createLogger } from '../../common/log.js';
import { withLiveNodeLeases } from '../../server/agents/live-leases.js';
import { NodeKeeper } from '../../server/agents/node-keeper.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { BUILTIN_RESOURCES, Catalogue } from '../../server/api/catalogue.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });
const GRACE_MS = 40_000;

const hello: Hello = { agentVersion: '0.1.0', labels: { 'kubernetes.io/hostname': 'pi-1', site: 'shed' }, taints: [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }] };

function report(overrides: Partial<NodeStatus> = {}): NodeStatus {
  return {
    capacity: { cpu: '4', memory: '3884Mi', pods: '110', 'ephemeral-storage': '30000000Ki' },
    allocatable: { cpu: '4', memory: '3784Mi', pods: '110', 'ephemeral-storage': '27000000Ki' },
    nodeInfo: {
      machineId: 'm',
      systemUuid: 'u',
      bootId: 'b',
      kernelVersion: '6.1.0',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      operatingSystem: 'linux',
      architecture: 'arm64',
      containerRuntimeVersion: 'containerd://1.6.20',
      kubeletVersion: 'v1.31.0+bramble',
      kubeProxyVersion: '',
    },
    addresses: [
      { type: 'InternalIP', address: '192.168.1.20' },
      { type: 'Hostname', address: 'pi-1' },
    ],
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    ],
    readings: {},
    ...overrides,
  };
}

async function setup(t: TestContext) {
  let keeper: NodeKeeper | undefined;
  const { store, catalogue, registry } = await apiRegistry(t, { rules: () => withLiveNodeLeases(rulesFor, (name) => keeper?.lastSeen(name)) });
  let now = Date.parse('2026-11-22T10:00:00Z');
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  keeper = await NodeKeeper.start({ registry, catalogue, informers, log: quiet, graceMs: GRACE_MS, now: () => now });
  t.after(() => keeper.close());
  const nodes = catalogue.get('', 'v1', 'nodes')!;
  const leases = catalogue.get('coordination.k8s.io', 'v1', 'leases')!;
  return {
    store,
    keeper,
    advance: (ms: number) => (now += ms),
    node: async () => (await registry.get(nodes, undefined, 'pi-1')) as unknown as Node,
    lease: async () => (await registry.get(leases, 'kube-node-lease', 'pi-1')) as unknown as Lease,
    nodes,
    registry,
  };
}

test('register creates the Node with the agent labels and taints, and its Lease', async (t) => {
  const { keeper, node, lease } = await setup(t);
  await keeper.register('pi-1', hello);
  const created = await node();
  assert.equal(created.metadata?.labels?.['site'], 'shed');
  assert.deepEqual(created.spec?.taints, [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }]);
  const l = await lease();
  assert.equal(l.spec?.holderIdentity, 'pi-1');
  assert.equal(l.metadata?.ownerReferences?.[0]?.uid, created.metadata?.uid);
  // A reconnect with a changed label merges it; the registration taints are not applied again.
  await keeper.register('pi-1', { ...hello, labels: { ...hello.labels, site: 'attic' }, taints: [] });
  const again = await node();
  assert.equal(again.metadata?.labels?.['site'], 'attic');
  assert.deepEqual(again.spec?.taints, [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }]);
});

test('unchanged reports are not written; a change or five minutes is; the Lease reads current anyway', async (t) => {
  const { keeper, node, lease, store, advance } = await setup(t);
  await keeper.register('pi-1', hello);
  keeper.report('pi-1', report());
  await until(async () => (await node()).status?.conditions?.[0]?.status === 'True', 'the first status');
  await keeper.resync('pi-1'); // the Lease renewal that follows the status write
  const first = await node();
  assert.equal(first.status?.nodeInfo?.containerRuntimeVersion, 'containerd://1.6.20');
  assert.equal(first.status?.capacity?.['pods'], '110');
  const ready = first.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.lastHeartbeatTime, '2026-11-22T10:00:00Z');
  const revision = store.revision;

  // 29 reports 10 s apart, nothing new: not one write, but the Lease reads the latest heartbeat.
  for (let i = 0; i < 29; i++) {
    advance(10_000);
    keeper.report('pi-1', report());
  }
  await keeper.resync('pi-1');
  assert.equal(store.revision, revision, 'no write for unchanged reports');
  assert.equal((await lease()).spec?.renewTime, '2026-11-22T10:04:50.000000Z');

  // A changed address is written at once, and the Ready transition time stays.
  advance(10_000); // 10:05:00 — also the five minutes
  keeper.report('pi-1', report({ addresses: [{ type: 'InternalIP', address: '192.168.1.21' }, { type: 'Hostname', address: 'pi-1' }] }));
  await until(async () => (await node()).status?.addresses?.[0]?.address === '192.168.1.21', 'the new address');
  await keeper.resync('pi-1');
  const moved = (await node()).status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(moved?.lastTransitionTime, '2026-11-22T10:00:00Z');
  assert.equal(moved?.lastHeartbeatTime, '2026-11-22T10:05:00Z');
  const afterChange = store.revision;

  // Nothing changes for five minutes: one refresh (Node status + Lease), then quiet again.
  for (let i = 0; i < 29; i++) {
    advance(10_000);
    keeper.report('pi-1', report({ addresses: [{ type: 'InternalIP', address: '192.168.1.21' }, { type: 'Hostname', address: 'pi-1' }] }));
  }
  await keeper.resync('pi-1');
  assert.equal(store.revision, afterChange);
  advance(10_000);
  keeper.report('pi-1', report({ addresses: [{ type: 'InternalIP', address: '192.168.1.21' }, { type: 'Hostname', address: 'pi-1' }] }));
  await until(async () => (await node()).status?.conditions?.[0]?.lastHeartbeatTime === '2026-11-22T10:10:00Z', 'the five-minute refresh');
  await keeper.resync('pi-1');
  assert.equal(store.revision, afterChange + 2, 'the refresh writes the Node status and the Lease');
});

test('a silent agent makes its node Unknown with the unreachable taints; its next report brings it back', async (t) => {
  const { keeper, node, advance } = await setup(t);
  await keeper.register('pi-1', hello);
  keeper.report('pi-1', report());
  await until(async () => (await node()).status?.conditions?.[0]?.status === 'True', 'Ready');
  advance(GRACE_MS - 1000);
  await keeper.resync('pi-1');
  assert.equal((await node()).status?.conditions?.[0]?.status, 'True', 'still within the grace period');

  advance(2000);
  await keeper.resync('pi-1');
  const lost = await node();
  for (const c of lost.status?.conditions ?? []) {
    assert.equal(c.status, 'Unknown');
    assert.equal(c.reason, 'NodeStatusUnknown');
    assert.equal(c.message, 'Kubelet stopped posting node status.');
  }
  assert.equal(lost.status?.conditions?.[0]?.lastHeartbeatTime, '2026-11-22T10:00:00Z', 'the last heartbeat is kept');
  const taints = lost.spec?.taints ?? [];
  assert.deepEqual(
    taints.map((t) => `${t.key}:${t.effect}`),
    ['dedicated:NoSchedule', 'node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute'],
  );
  assert.ok(taints.find((t) => t.effect === 'NoExecute')?.timeAdded, 'NoExecute taints carry timeAdded');

  keeper.report('pi-1', report());
  await until(async () => (await node()).status?.conditions?.[0]?.status === 'True', 'Ready again');
  await until(async () => ((await node()).spec?.taints ?? []).length === 1, 'the unreachable taints removed');
  assert.deepEqual((await node()).spec?.taints, [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }]);
});

test('Ready=False and pressure conditions bring their taints; cordon brings unschedulable', async (t) => {
  const { keeper, node, registry, nodes } = await setup(t);
  await keeper.register('pi-1', { ...hello, taints: [] });
  keeper.report('pi-1', report({
    conditions: [
      { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down' },
      { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' },
    ],
  }));
  await until(async () => ((await node()).spec?.taints ?? []).length === 3, 'condition taints');
  assert.deepEqual(
    ((await node()).spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`),
    ['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule'],
  );
  await registry.patch(nodes, undefined, 'pi-1', (n) => ({ ...n, spec: { ...(n['spec'] as object), unschedulable: true } }), {});
  keeper.report('pi-1', report());
  await until(
    async () => ((await node()).spec?.taints ?? []).map((t) => t.key).join() === 'node.kubernetes.io/unschedulable',
    'only the unschedulable taint',
  );
});

test('a node stored before a restart gets a full grace period from the start, then goes Unknown', async (t) => {
  const { keeper, node, registry } = await setup(t);
  await keeper.register('pi-1', hello);
  keeper.report('pi-1', report());
  await until(async () => (await node()).status?.conditions?.[0]?.status === 'True', 'Ready');
  await keeper.close();
  // The same store, a new keeper an hour later: no heartbeat yet.
  let now = Date.parse('2026-11-22T11:00:00Z');
  const catalogue = new Catalogue(BUILTIN_RESOURCES);
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  // As in the server, another controller has the Node cache running already: the keeper gets every Node at once.
  await informers.of('', 'v1', 'nodes').start();
  const restarted = await NodeKeeper.start({ registry, catalogue, informers, log: quiet, graceMs: GRACE_MS, now: () => now });
  t.after(() => restarted.close());
  await restarted.resync('pi-1');
  assert.equal((await node()).status?.conditions?.[0]?.status, 'True', 'within the grace period after a restart');
  now += GRACE_MS + 1;
  await restarted.resync('pi-1');
  assert.equal((await node()).status?.conditions?.[0]?.status, 'Unknown');
});

test("a Pi's readings ride along with status writes as annotations, never causing one themselves", async (t) => {
  const { keeper, node, store, advance } = await setup(t);
  await keeper.register('pi-1', hello);
  keeper.report('pi-1', report({ readings: { 'bramble.io/soc-temperature-celsius': '51.2' } }));
  await until(async () => (await node()).metadata?.annotations?.['bramble.io/soc-temperature-celsius'] === '51.2', 'the first reading');
  await keeper.resync('pi-1');
  const revision = store.revision;
  advance(10_000);
  keeper.report('pi-1', report({ readings: { 'bramble.io/soc-temperature-celsius': '53.0' } }));
  await keeper.resync('pi-1');
  assert.equal(store.revision, revision, 'a new temperature alone writes nothing');
  advance(5 * 60_000);
  keeper.report('pi-1', report({ readings: { 'bramble.io/soc-temperature-celsius': '49.9' } }));
  await until(async () => (await node()).metadata?.annotations?.['bramble.io/soc-temperature-celsius'] === '49.9', 'the reading at the refresh');
});

test('quantities an agent reports in another form than the API stores them are written once, not on every report', async (t) => {
  const { keeper, node, store, advance } = await setup(t);
  await keeper.register('pi-1', hello);
  // 4 GiB of memory and disk in Ki, a fraction of a CPU: the API keeps them as "4Gi" and "1500m".
  const odd = () => report({ capacity: { cpu: '1.5', memory: '4194304Ki', pods: '110', 'ephemeral-storage': '4194304Ki' }, allocatable: { cpu: '1.5', memory: '4091904Ki', pods: '110', 'ephemeral-storage': '3774874Ki' } });
  keeper.report('pi-1', odd());
  await until(async () => (await node()).status?.capacity?.['memory'] === '4Gi', 'the first status');
  await keeper.resync('pi-1');
  assert.deepEqual((await node()).status?.capacity, { cpu: '1500m', memory: '4Gi', pods: '110', 'ephemeral-storage': '4Gi' });
  const revision = store.revision;
  for (let i = 0; i < 5; i++) {
    advance(10_000);
    keeper.report('pi-1', odd());
  }
  await keeper.resync('pi-1');
  assert.equal(store.revision, revision, 'no write for reports that differ from the stored status only in form');
});

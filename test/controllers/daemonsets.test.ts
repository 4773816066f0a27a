// The DaemonSet controller in-process, on a real store and registry with the
// real scheduler binding its pods and a stand-in kubelet making them Ready:
// one pod per eligible node, pods following nodes, rolling updates
// (maxUnavailable and maxSurge), OnDelete, revisions and status.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../server/api/objects.js';
import { type Revision } from '../../server/controllers/controller-revisions.js';
import { DaemonSetController, daemonTolerations, nodeShouldRunDaemonPod } from '../../server/controllers/daemonset-controller.js';
import { until } from '../helpers/store.js';
import { type PodObject, workloadCluster } from '../helpers/workload-sim.js';

type DS = KubeObject & DaemonSet;

const daemonSet = (name: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }], ...podSpec } },
    ...spec,
  },
});

async function setup(t: TestContext, nodes = ['n1', 'n2', 'n3']) {
  const c = await workloadCluster(t, (d) => DaemonSetController.start(d), { scheduler: true });
  for (const name of nodes) await c.addNode(name);
  const pods = async (app: string) => (await c.list<PodObject>('pods')).filter((p) => p.metadata.labels?.['app'] === app);
  const boundTo = async (app: string) => (await pods(app)).map((p) => p.spec?.nodeName ?? '<none>').sort();
  const ds = (name: string) => c.get<DS>('daemonSets', name);
  const ready = async (app: string, n: number) => (await pods(app)).filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length === n;
  return { ...c, pods, boundTo, ds, ready };
}

test('a DaemonSet runs one pod per node, pinned by a metadata.name node affinity and bound by the scheduler', async (t) => {
  const c = await setup(t);
  await c.apply('daemonSets', daemonSet('agent'));
  await until(async () => (await c.boundTo('agent')).join() === 'n1,n2,n3', 'a pod bound on each node');
  const [pod] = await c.pods('agent');
  assert.deepEqual(pod!.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod!.spec!.nodeName!] }] }],
  });
  assert.equal(pod!.metadata.ownerReferences?.[0]?.kind, 'DaemonSet');
  assert.equal(pod!.metadata.labels?.['pod-template-generation'], '1');
  assert.match(pod!.metadata.generateName ?? '', /^agent-$/);
  // The daemon tolerations, without a time: the 300 s default of admission does not apply.
  const notReady = pod!.spec?.tolerations?.filter((x) => x.key === 'node.kubernetes.io/not-ready');
  assert.deepEqual(notReady, [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }]);
  const revisions = await c.list<Revision>('revisions');
  assert.equal(revisions.length, 1);
  assert.equal(revisions[0]!.revision, 1);
  assert.equal(revisions[0]!.metadata.name, `agent-${pod!.metadata.labels?.['controller-revision-hash']}`);
  assert.deepEqual((revisions[0]!.data as { spec: { template: { $patch: string } } }).spec.template.$patch, 'replace');
  await until(async () => (await c.ds('agent')).status?.numberAvailable === 3, 'all available');
  assert.deepEqual((await c.ds('agent')).status, {
    currentNumberScheduled: 3,
    desiredNumberScheduled: 3,
    numberMisscheduled: 0,
    numberReady: 3,
    numberAvailable: 3,
    updatedNumberScheduled: 3,
    observedGeneration: 1,
  });
});

test('pods follow the nodes: a new node gets one, a node whose labels stop matching loses it, a NoExecute taint evicts, a NoSchedule taint only keeps new ones away', async (t) => {
  const c = await setup(t, ['n1', 'n2']);
  await c.patchNode('n1', (n) => (n.metadata.labels = { ...n.metadata.labels, disk: 'ssd' }));
  await c.apply('daemonSets', daemonSet('ssd', {}, { nodeSelector: { disk: 'ssd' } }));
  await until(async () => (await c.boundTo('ssd')).join() === 'n1', 'a pod on the labelled node only');
  await c.addNode('n3', { disk: 'ssd' });
  await until(async () => (await c.boundTo('ssd')).join() === 'n1,n3', 'a pod on the new labelled node');
  await c.patchNode('n1', (n) => delete n.metadata.labels!['disk']);
  await until(async () => (await c.boundTo('ssd')).join() === 'n3', 'the pod gone from the unlabelled node');

  await c.patchNode('n3', (n) => (n.spec = { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }));
  await c.addNode('n4', { disk: 'ssd' }, [{ key: 'maintenance', effect: 'NoSchedule' }]);
  await until(async () => (await c.ds('ssd')).status?.numberMisscheduled === 1, 'the tainted node counted misscheduled');
  assert.deepEqual(await c.boundTo('ssd'), ['n3'], 'the pod stays; none is made for the new tainted node');
  await c.patchNode('n3', (n) => (n.spec = { taints: [{ key: 'maintenance', effect: 'NoExecute' }] }));
  await until(async () => (await c.pods('ssd')).length === 0, 'the pod gone from the NoExecute node');
  assert.equal((await c.ds('ssd')).status?.desiredNumberScheduled, 0);
});

test('a rolling update replaces at most maxUnavailable (1) pods at a time and ends with every pod on the new revision', async (t) => {
  const c = await setup(t);
  await c.apply('daemonSets', daemonSet('agent'));
  await until(() => c.ready('agent', 3), 'three ready pods');
  const oldHash = (await c.pods('agent'))[0]!.metadata.labels?.['controller-revision-hash'];
  c.kubelet.holdNotReady((p) => p.spec?.containers[0]?.image === 'busybox:2');
  await c.update('daemonSets', 'agent', (ds: DS) => (ds.spec!.template.spec!.containers[0]!.image = 'busybox:2'));
  await until(async () => (await c.pods('agent')).some((p) => p.spec?.containers[0]?.image === 'busybox:2' && p.status?.phase === 'Running'), 'one new pod running');
  await new Promise((r) => setTimeout(r, 300));
  const during = await c.pods('agent');
  assert.equal(during.filter((p) => p.spec?.containers[0]?.image === 'busybox:2').length, 1, 'only one new pod while it is not ready');
  assert.equal(during.filter((p) => p.spec?.containers[0]?.image === 'busybox:1').length, 2, 'two old pods still there');
  const status = (await c.ds('agent')).status!;
  assert.equal(status.updatedNumberScheduled, 1);
  assert.equal(status.numberUnavailable, 1);
  assert.equal(status.observedGeneration, 2);

  c.kubelet.holdNotReady(() => false);
  await until(async () => (await c.ds('agent')).status?.updatedNumberScheduled === 3 && (await c.ds('agent')).status?.numberAvailable === 3, 'the update done');
  const after = await c.pods('agent');
  assert.deepEqual(after.map((p) => p.spec?.containers[0]?.image), ['busybox:2', 'busybox:2', 'busybox:2']);
  assert.ok(after.every((p) => p.metadata.labels?.['pod-template-generation'] === '2' && p.metadata.labels?.['controller-revision-hash'] !== oldHash));
  assert.deepEqual((await c.list<Revision>('revisions')).map((r) => r.revision).sort(), [1, 2]);
});

test('maxSurge starts the new pod beside the old one and deletes the old one once the new one is ready', async (t) => {
  const c = await setup(t, ['n1', 'n2']);
  await c.apply('daemonSets', daemonSet('agent', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
  await until(() => c.ready('agent', 2), 'two ready pods');
  c.kubelet.holdNotReady((p) => p.spec?.containers[0]?.image === 'busybox:2');
  await c.update('daemonSets', 'agent', (ds: DS) => (ds.spec!.template.spec!.containers[0]!.image = 'busybox:2'));
  await until(async () => (await c.pods('agent')).length === 3, 'a surge pod');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await c.pods('agent')).length, 3, 'only maxSurge (1) extra pod while it is not ready');
  assert.equal(await c.ready('agent', 2), true, 'both old pods still ready');
  c.kubelet.holdNotReady(() => false);
  await until(async () => {
    const pods = await c.pods('agent');
    return pods.length === 2 && pods.every((p) => p.spec?.containers[0]?.image === 'busybox:2');
  }, 'both nodes on the new image');
});

test('OnDelete keeps old pods until they are deleted; a deleted pod comes back on the new template', async (t) => {
  const c = await setup(t, ['n1', 'n2']);
  await c.apply('daemonSets', daemonSet('agent', { updateStrategy: { type: 'OnDelete' } }));
  await until(() => c.ready('agent', 2), 'two ready pods');
  await c.update('daemonSets', 'agent', (ds: DS) => (ds.spec!.template.spec!.containers[0]!.image = 'busybox:2'));
  await until(async () => (await c.ds('agent')).status?.observedGeneration === 2, 'the change seen');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual((await c.pods('agent')).map((p) => p.spec?.containers[0]?.image), ['busybox:1', 'busybox:1']);
  assert.equal((await c.ds('agent')).status?.updatedNumberScheduled, undefined);
  const victim = (await c.pods('agent')).find((p) => p.spec?.nodeName === 'n1')!;
  await c.deletePod(victim.metadata.name!);
  await until(async () => (await c.pods('agent')).some((p) => p.spec?.nodeName === 'n1' && p.spec.containers[0]?.image === 'busybox:2'), 'n1 on the new image');
  assert.equal((await c.pods('agent')).find((p) => p.spec?.nodeName === 'n2')?.spec?.containers[0]?.image, 'busybox:1');
});

test('a failed daemon pod is deleted and replaced, with a FailedDaemonPod event', async (t) => {
  const c = await setup(t, ['n1']);
  await c.apply('daemonSets', daemonSet('agent'));
  await until(() => c.ready('agent', 1), 'a ready pod');
  const first = (await c.pods('agent'))[0]!;
  await c.kubelet.fail(first.metadata.name!);
  await until(async () => {
    const pods = await c.pods('agent');
    return pods.length === 1 && pods[0]!.metadata.uid !== first.metadata.uid;
  }, 'a new pod');
  const events = (await c.list<KubeObject & { reason: string }>('events')).map((e) => e.reason);
  assert.ok(events.includes('FailedDaemonPod'), events.join());
});

test('revisions beyond revisionHistoryLimit are deleted, oldest first; a rollback renumbers the old revision', async (t) => {
  const c = await setup(t, ['n1']);
  await c.apply('daemonSets', daemonSet('agent', { revisionHistoryLimit: 1 }));
  const image = async (tag: string) => {
    await c.update('daemonSets', 'agent', (ds: DS) => (ds.spec!.template.spec!.containers[0]!.image = tag));
    await until(async () => (await c.ds('agent')).status?.updatedNumberScheduled === 1 && (await c.pods('agent')).every((p) => p.spec?.containers[0]?.image === tag), `${tag} rolled out`);
  };
  await until(() => c.ready('agent', 1), 'a ready pod');
  await image('busybox:2');
  await image('busybox:3');
  const revisions = async () => (await c.list<Revision>('revisions')).map((r) => [r.revision, (r.data as any).spec.template.spec.containers[0].image]).sort();
  await until(async () => (await revisions()).length === 2, 'one old revision kept');
  assert.deepEqual(await revisions(), [[2, 'busybox:2'], [3, 'busybox:3']]);
  await image('busybox:2');
  await until(async () => (await revisions()).length === 2, 'still two');
  assert.deepEqual(await revisions(), [[3, 'busybox:3'], [4, 'busybox:2']]);
});

test('daemon tolerations replace a timed one and add network-unavailable for host networking; eligibility follows taints and affinity', () => {
  const tolerations = daemonTolerations({ hostNetwork: true, containers: [], tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }] });
  assert.equal(tolerations.length, 7);
  assert.equal(tolerations.find((x) => x.key === 'node.kubernetes.io/unreachable')?.tolerationSeconds, undefined);
  assert.ok(tolerations.some((x) => x.key === 'node.kubernetes.io/network-unavailable'));
  assert.equal(daemonTolerations({ containers: [] }).length, 6);
  const node = (taints: NonNullable<Node['spec']>['taints'], labels: Record<string, string> = {}): Node => ({ metadata: { name: 'n', labels }, spec: { taints } });
  const template = { spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } } };
  assert.deepEqual(nodeShouldRunDaemonPod(node([], { zone: 'a' }), template), { shouldRun: true, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node([], { zone: 'b' }), template), { shouldRun: false, shouldContinueRunning: false });
  // Cordoned and under memory pressure: daemon pods tolerate both.
  const tolerated = [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' as const }, { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' as const }];
  assert.deepEqual(nodeShouldRunDaemonPod(node(tolerated, { zone: 'a' }), template), { shouldRun: true, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node([{ key: 'gpu', effect: 'NoSchedule' }], { zone: 'a' }), template), { shouldRun: false, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node([{ key: 'gpu', effect: 'NoExecute' }], { zone: 'a' }), template), { shouldRun: false, shouldContinueRunning: false });
  // Network-unavailable only for host networking pods.
  const noNetwork = [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' as const }];
  assert.equal(nodeShouldRunDaemonPod(node(noNetwork), { spec: { containers: [] } }).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node(noNetwork), { spec: { containers: [], hostNetwork: true } }).shouldRun, true);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Container, Node, NodeSelectorTerm, Pod, PodSpec, Taint, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { ClusterCache } from '../../server/scheduler/cluster-cache.js';
import type { NodeInfo, Plugin } from '../../server/scheduler/framework.js';
import { podInfoOf } from '../../server/scheduler/pod-info.js';
import { DEFAULT_PLUGINS } from '../../server/scheduler/plugins/index.js';
import { interPodAffinity } from '../../server/scheduler/plugins/inter-pod-affinity.js';
import { nodeAffinity } from '../../server/scheduler/plugins/node-affinity.js';
import { nodePorts } from '../../server/scheduler/plugins/node-ports.js';
import { nodeResourcesFit } from '../../server/scheduler/plugins/node-resources-fit.js';
import { nodeUnschedulable } from '../../server/scheduler/plugins/node-unschedulable.js';
import { podTopologySpread } from '../../server/scheduler/plugins/pod-topology-spread.js';
import { taintToleration } from '../../server/scheduler/plugins/taint-toleration.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOSTNAME = 'kubernetes.io/hostname';

interface NodeOptions {
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  allocatable?: Record<string, string>;
}

function makeNode(name: string, options: NodeOptions = {}): Node {
  return {
    metadata: { name, labels: { [HOSTNAME]: name, ...options.labels } },
    spec: { taints: options.taints, unschedulable: options.unschedulable },
    status: { allocatable: options.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110' } },
  };
}

function makePod(name: string, spec: Partial<PodSpec> = {}, metadata: ObjectMeta = {}): Pod {
  return { metadata: { name, namespace: 'default', ...metadata }, spec: { containers: [{ name: 'main', image: 'busybox' }], ...spec } };
}

function requesting(requests: Record<string, string>): Container[] {
  return [{ name: 'main', image: 'busybox', resources: { requests } }];
}

/** A NodeInfo as the scheduler's cache builds it: the node and its pods (bound to it; the same pod twice counts twice). */
function nodeInfo(node: Node, pods: Pod[] = []): NodeInfo {
  const cache = new ClusterCache();
  const name = node.metadata!.name!;
  cache.setNode(name, node);
  pods.forEach((pod, i) => {
    const bound: Pod = { ...pod, spec: { ...pod.spec!, nodeName: name } };
    cache.setPod(`${i}/${pod.metadata?.name ?? ''}`, bound, () => ({ ...podInfoOf(bound), key: `${i}/${pod.metadata?.name ?? ''}` }));
  });
  return cache.nodes[0]!;
}

interface Attempt {
  /** Filter reasons per node name. */
  reasons: Record<string, readonly string[]>;
  /** Normalized scores of the nodes that passed the filter. */
  scores: Record<string, number>;
}

/** One scheduling attempt as the scheduler runs it, for a single plugin. */
function attempt<S>(plugin: Plugin<S>, pod: Pod, nodes: NodeInfo[]): Attempt {
  const info = podInfoOf(pod);
  const state = plugin.prepare?.(info, { nodes }) as S;
  const reasons = Object.fromEntries(nodes.map((n) => [n.name, plugin.filter?.(info, n, state) ?? []]));
  const feasible = nodes.filter((n) => reasons[n.name]!.length === 0);
  const raw = feasible.map((n) => plugin.score?.(info, n, state) ?? 0);
  plugin.normalize?.(raw, state);
  return { reasons, scores: Object.fromEntries(feasible.map((n, i) => [n.name, raw[i]!])) };
}

const reasonsOf = <S>(plugin: Plugin<S>, pod: Pod, nodes: NodeInfo[]) => attempt(plugin, pod, nodes).reasons;
const scoresOf = <S>(plugin: Plugin<S>, pod: Pod, nodes: NodeInfo[]) => attempt(plugin, pod, nodes).scores;

describe('NodeUnschedulable', () => {
  test('a cordoned node turns away pods that do not tolerate the unschedulable taint', () => {
    const nodes = [nodeInfo(makeNode('cordoned', { unschedulable: true })), nodeInfo(makeNode('open'))];
    assert.deepEqual(reasonsOf(nodeUnschedulable, makePod('plain'), nodes), { cordoned: ['node(s) were unschedulable'], open: [] });

    const tolerating = makePod('ds', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    assert.deepEqual(reasonsOf(nodeUnschedulable, tolerating, nodes), { cordoned: [], open: [] });

    const wrongEffect = makePod('ne', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] });
    assert.deepEqual(reasonsOf(nodeUnschedulable, wrongEffect, nodes).cordoned, ['node(s) were unschedulable']);
  });
});

describe('TaintToleration', () => {
  const gpu = nodeInfo(makeNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));

  test('a pod that tolerates nothing does not fit a node tainted NoSchedule or NoExecute', () => {
    const nodes = [
      gpu,
      nodeInfo(makeNode('draining', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] })),
      nodeInfo(makeNode('soft', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] })),
      nodeInfo(makeNode('plain')),
    ];
    assert.deepEqual(reasonsOf(taintToleration, makePod('p'), nodes), {
      gpu: ['node(s) had untolerated taint {dedicated: gpu}'],
      draining: ['node(s) had untolerated taint {maintenance: }'],
      soft: [],
      plain: [],
    });
  });

  test('tolerations match as upstream: Equal compares values, Exists ignores them, an empty key or effect matches any', () => {
    const fits = (toleration: NonNullable<PodSpec['tolerations']>[number]) =>
      reasonsOf(taintToleration, makePod('p', { tolerations: [toleration] }), [gpu]).gpu!.length === 0;
    assert.equal(fits({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }), true);
    assert.equal(fits({ key: 'dedicated', value: 'gpu' }), true, 'no operator means Equal, no effect means every effect');
    assert.equal(fits({ key: 'dedicated', operator: 'Equal', value: 'tpu' }), false);
    assert.equal(fits({ key: 'dedicated', operator: 'Exists' }), true);
    assert.equal(fits({ operator: 'Exists' }), true, 'an empty key with Exists tolerates everything');
    assert.equal(fits({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }), false);
    assert.equal(fits({ key: 'other', operator: 'Exists' }), false);
  });

  test('the first taint the pod does not tolerate is the one reported', () => {
    const node = nodeInfo(
      makeNode('n', {
        taints: [
          { key: 'a', value: '1', effect: 'NoSchedule' },
          { key: 'b', value: '2', effect: 'NoExecute' },
        ],
      }),
    );
    assert.deepEqual(reasonsOf(taintToleration, makePod('none'), [node]).n, ['node(s) had untolerated taint {a: 1}']);
    const toleratesA = makePod('a', { tolerations: [{ key: 'a', operator: 'Exists' }] });
    assert.deepEqual(reasonsOf(taintToleration, toleratesA, [node]).n, ['node(s) had untolerated taint {b: 2}']);
  });

  test('nodes with fewer untolerated PreferNoSchedule taints score higher', () => {
    const prefer = (key: string): Taint => ({ key, effect: 'PreferNoSchedule' });
    const nodes = [
      nodeInfo(makeNode('clean')),
      nodeInfo(makeNode('one', { taints: [prefer('x')] })),
      nodeInfo(makeNode('two', { taints: [prefer('x'), prefer('y')] })),
      nodeInfo(makeNode('tolerated', { taints: [prefer('ok')] })),
    ];
    const pod = makePod('p', { tolerations: [{ key: 'ok', operator: 'Exists', effect: 'PreferNoSchedule' }] });
    assert.deepEqual(scoresOf(taintToleration, pod, nodes), { clean: 100, one: 50, two: 0, tolerated: 100 });
    assert.deepEqual(scoresOf(taintToleration, pod, [nodes[0]!, nodes[3]!]), { clean: 100, tolerated: 100 });
  });
});

describe('NodeAffinity', () => {
  const reason = "node(s) didn't match Pod's node affinity/selector";
  const requiring = (...nodeSelectorTerms: NodeSelectorTerm[]) =>
    makePod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } });

  test('a nodeSelector requires every one of its labels', () => {
    const nodes = [
      nodeInfo(makeNode('both', { labels: { disk: 'ssd', [ZONE]: 'z1' } })),
      nodeInfo(makeNode('disk', { labels: { disk: 'ssd' } })),
      nodeInfo(makeNode('bare')),
    ];
    const pod = makePod('p', { nodeSelector: { disk: 'ssd', [ZONE]: 'z1' } });
    assert.deepEqual(reasonsOf(nodeAffinity, pod, nodes), { both: [], disk: [reason], bare: [reason] });
  });

  test("required node affinity ORs its terms and ANDs each term's expressions, with upstream's operators", () => {
    const node = nodeInfo(makeNode('n', { labels: { tier: 'gold', cores: '8', arch: 'arm64' } }));
    const fits = (...terms: NodeSelectorTerm[]) => reasonsOf(nodeAffinity, requiring(...terms), [node]).n!.length === 0;
    const expr = (key: string, operator: string, values?: string[]): NodeSelectorTerm => ({ matchExpressions: [{ key, operator, values }] });
    assert.equal(fits(expr('tier', 'In', ['silver', 'gold'])), true);
    assert.equal(fits(expr('tier', 'In', ['silver'])), false);
    assert.equal(fits(expr('tier', 'NotIn', ['silver'])), true);
    assert.equal(fits(expr('gpu', 'NotIn', ['a100'])), true, 'NotIn matches a node without the label');
    assert.equal(fits(expr('tier', 'NotIn', ['gold'])), false);
    assert.equal(fits(expr('tier', 'Exists')), true);
    assert.equal(fits(expr('gpu', 'Exists')), false);
    assert.equal(fits(expr('gpu', 'DoesNotExist')), true);
    assert.equal(fits(expr('tier', 'DoesNotExist')), false);
    assert.equal(fits(expr('cores', 'Gt', ['4'])), true);
    assert.equal(fits(expr('cores', 'Gt', ['8'])), false);
    assert.equal(fits(expr('cores', 'Lt', ['16'])), true);
    assert.equal(fits(expr('cores', 'Lt', ['8'])), false);
    assert.equal(fits(expr('tier', 'Gt', ['1'])), false, 'a label that is not an integer is neither greater nor less');
    const goldAndAmd64 = [
      { key: 'tier', operator: 'In', values: ['gold'] },
      { key: 'arch', operator: 'In', values: ['amd64'] },
    ];
    assert.equal(fits({ matchExpressions: goldAndAmd64 }), false);
    assert.equal(fits(expr('arch', 'In', ['amd64']), expr('tier', 'In', ['gold'])), true);
  });

  test("matchFields selects nodes by metadata.name, ANDed with the same term's expressions", () => {
    const nodes = [nodeInfo(makeNode('a', { labels: { tier: 'gold' } })), nodeInfo(makeNode('b', { labels: { tier: 'gold' } }))];
    const byName = (operator: string, name: string): NodeSelectorTerm => ({ matchFields: [{ key: 'metadata.name', operator, values: [name] }] });
    assert.deepEqual(reasonsOf(nodeAffinity, requiring(byName('In', 'a')), nodes), { a: [], b: [reason] });
    assert.deepEqual(reasonsOf(nodeAffinity, requiring(byName('NotIn', 'a')), nodes), { a: [reason], b: [] });
    const both = requiring({ ...byName('In', 'b'), matchExpressions: [{ key: 'tier', operator: 'In', values: ['silver'] }] });
    assert.deepEqual(reasonsOf(nodeAffinity, both, nodes), { a: [reason], b: [reason] });
  });

  test('an empty node selector term matches no node', () => {
    const nodes = [nodeInfo(makeNode('gold', { labels: { tier: 'gold' } })), nodeInfo(makeNode('bare'))];
    assert.deepEqual(reasonsOf(nodeAffinity, requiring({}), nodes), { gold: [reason], bare: [reason] });
    assert.deepEqual(reasonsOf(nodeAffinity, requiring({}, { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }), nodes), {
      gold: [],
      bare: [reason],
    });
    assert.deepEqual(reasonsOf(nodeAffinity, requiring(), nodes), { gold: [reason], bare: [reason] });
  });

  test('preferred node affinity scores the weights of matching terms, scaled so the best node gets 100', () => {
    const nodes = [
      nodeInfo(makeNode('both', { labels: { [ZONE]: 'z1', disk: 'ssd' } })),
      nodeInfo(makeNode('zone', { labels: { [ZONE]: 'z1' } })),
      nodeInfo(makeNode('disk', { labels: { disk: 'ssd' } })),
      nodeInfo(makeNode('neither')),
    ];
    const pod = makePod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 60, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: ['z1'] }] } },
            { weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
          ],
        },
      },
    });
    assert.deepEqual(scoresOf(nodeAffinity, pod, nodes), { both: 100, zone: 75, disk: 25, neither: 0 });
    assert.deepEqual(scoresOf(nodeAffinity, makePod('none'), nodes), { both: 0, zone: 0, disk: 0, neither: 0 });
  });
});

describe('NodePorts', () => {
  test('a host port already bound on the node, same protocol and an overlapping host IP, does not fit', () => {
    const withPort = (name: string, hostPort: number, protocol?: string, hostIP?: string) =>
      makePod(name, { containers: [{ name: 'main', image: 'busybox', ports: [{ containerPort: 80, hostPort, protocol, hostIP }] }] });
    const node = nodeInfo(makeNode('n'), [withPort('web', 8080), withPort('dns', 53, 'UDP', '10.0.0.1')]);
    const conflicts = (pod: Pod) => reasonsOf(nodePorts, pod, [node]).n!;
    const reason = ["node(s) didn't have free ports for the requested pod ports"];
    assert.deepEqual(conflicts(withPort('p', 8080)), reason);
    assert.deepEqual(conflicts(withPort('p', 8080, 'TCP', '10.0.0.9')), reason, '0.0.0.0 overlaps every IP');
    assert.deepEqual(conflicts(withPort('p', 8080, 'UDP')), []);
    assert.deepEqual(conflicts(withPort('p', 53, 'UDP')), reason);
    assert.deepEqual(conflicts(withPort('p', 53, 'UDP', '10.0.0.1')), reason);
    assert.deepEqual(conflicts(withPort('p', 53, 'UDP', '10.0.0.2')), []);
    assert.deepEqual(conflicts(withPort('p', 53, 'TCP')), []);
    assert.deepEqual(conflicts(withPort('p', 9090)), []);
    assert.deepEqual(conflicts(makePod('noports')), []);
  });
});

describe('NodeResourcesFit', () => {
  test('a node already running its allocatable number of pods reports Too many pods, and the resources short as well', () => {
    const half = makePod('half', { containers: requesting({ cpu: '500m' }) });
    const node = nodeInfo(makeNode('n', { allocatable: { cpu: '1', memory: '1Gi', pods: '2' } }), [half, half]);
    assert.deepEqual(reasonsOf(nodeResourcesFit, makePod('p', { containers: requesting({ cpu: '100m' }) }), [node]).n, [
      'Too many pods',
      'Insufficient cpu',
    ]);
    assert.deepEqual(reasonsOf(nodeResourcesFit, makePod('p'), [node]).n, ['Too many pods']);
  });

  test('every resource the pod needs more of than the node has free is reported, including one the node lacks', () => {
    const allocatable = { cpu: '2', memory: '4Gi', 'ephemeral-storage': '10Gi', pods: '110', 'example.com/gpu': '1' };
    const used = makePod('used', { containers: requesting({ cpu: '1500m', memory: '3Gi', 'example.com/gpu': '1' }) });
    const node = nodeInfo(makeNode('n', { allocatable }), [used]);
    const greedy = makePod('greedy', {
      containers: requesting({ cpu: '600m', memory: '2Gi', 'ephemeral-storage': '20Gi', 'example.com/gpu': '1', 'example.com/fpga': '1' }),
    });
    assert.deepEqual(reasonsOf(nodeResourcesFit, greedy, [node]).n, [
      'Insufficient cpu',
      'Insufficient memory',
      'Insufficient ephemeral-storage',
      'Insufficient example.com/fpga',
      'Insufficient example.com/gpu',
    ]);
    const exact = makePod('exact', { containers: requesting({ cpu: '500m', memory: '1Gi', 'ephemeral-storage': '10Gi' }) });
    assert.deepEqual(reasonsOf(nodeResourcesFit, exact, [node]).n, [], 'a request equal to what is free fits');
  });

  test('the least allocated node scores highest, counting 100m cpu and 200Mi memory for a container that requests none', () => {
    const allocatable = { cpu: '2', memory: '4Gi', pods: '110' };
    const nodes = [
      nodeInfo(makeNode('empty', { allocatable })),
      nodeInfo(makeNode('half', { allocatable }), [makePod('h', { containers: requesting({ cpu: '1', memory: '1Gi' }) })]),
      nodeInfo(makeNode('cpu-full', { allocatable }), [makePod('f', { containers: requesting({ cpu: '2' }) })]),
    ];
    // empty: cpu (2000−100)/2000 → 95, memory (4096−200)/4096 Mi → 95.
    // half: cpu (2000−1100)/2000 → 45, memory (4096−1224)/4096 → 70; (45 + 70) / 2 = 57.
    // cpu-full: cpu 2100 > 2000 → 0, memory (4096−400)/4096 → 90 (both pods count 200Mi); (0 + 90) / 2 = 45.
    assert.deepEqual(scoresOf(nodeResourcesFit, makePod('p'), nodes), { empty: 95, half: 57, 'cpu-full': 45 });
  });
});

describe('InterPodAffinity', () => {
  const AFFINITY = "node(s) didn't match pod affinity rules";
  const ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
  const EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules";
  const term = (app: string, topologyKey: string, extra: object = {}) => ({ labelSelector: { matchLabels: { app } }, topologyKey, ...extra });
  const labelled = (name: string, app: string, spec: Partial<PodSpec> = {}, metadata: ObjectMeta = {}) =>
    makePod(name, spec, { labels: { app }, ...metadata });
  /** a1 and a2 in zone a, b1 in zone b, bare without a zone; a web pod on a1 unless told otherwise. */
  const cluster = (pods: Record<string, Pod[]> = { a1: [labelled('web', 'web')] }) =>
    [
      makeNode('a1', { labels: { [ZONE]: 'a' } }),
      makeNode('a2', { labels: { [ZONE]: 'a' } }),
      makeNode('b1', { labels: { [ZONE]: 'b' } }),
      makeNode('bare'),
    ].map((n) => nodeInfo(n, pods[n.metadata!.name!] ?? []));

  test('a pod with required affinity goes only to the domains of matching pods', () => {
    const pod = makePod('p', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', ZONE)] } } });
    assert.deepEqual(reasonsOf(interPodAffinity, pod, cluster()), { a1: [], a2: [], b1: [AFFINITY], bare: [AFFINITY] });
  });

  test('the first pod of a group, matching its own affinity, may go to any node with the topology label', () => {
    const affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('cache', ZONE)] } };
    assert.deepEqual(reasonsOf(interPodAffinity, labelled('c', 'cache', { affinity }), cluster()), { a1: [], a2: [], b1: [], bare: [AFFINITY] });
    assert.deepEqual(reasonsOf(interPodAffinity, labelled('o', 'other', { affinity }), cluster()), {
      a1: [AFFINITY],
      a2: [AFFINITY],
      b1: [AFFINITY],
      bare: [AFFINITY],
    });
  });

  test('required anti-affinity keeps the pod out of every domain holding a matching pod', () => {
    const avoiding = (topologyKey: string) =>
      makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', topologyKey)] } } });
    assert.deepEqual(reasonsOf(interPodAffinity, avoiding(ZONE), cluster()), { a1: [ANTI_AFFINITY], a2: [ANTI_AFFINITY], b1: [], bare: [] });
    assert.deepEqual(reasonsOf(interPodAffinity, avoiding(HOSTNAME), cluster()), { a1: [ANTI_AFFINITY], a2: [], b1: [], bare: [] });
  });

  test("an existing pod's required anti-affinity keeps the pods it matches out of its domain", () => {
    const db = labelled('db', 'db', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', ZONE)] } } });
    const nodes = cluster({ b1: [db] });
    assert.deepEqual(reasonsOf(interPodAffinity, labelled('w', 'web'), nodes), { a1: [], a2: [], b1: [EXISTING], bare: [] });
    assert.deepEqual(reasonsOf(interPodAffinity, labelled('x', 'api'), nodes), { a1: [], a2: [], b1: [], bare: [] });
  });

  test("affinity terms look in the pod's own namespace unless namespaces lists others; an empty namespaceSelector looks everywhere", () => {
    const nodes = cluster({ a1: [labelled('web', 'web', {}, { namespace: 'shop' })] });
    const needing = (extra: object) =>
      makePod('p', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', ZONE, extra)] } } });
    const nowhere = { a1: [AFFINITY], a2: [AFFINITY], b1: [AFFINITY], bare: [AFFINITY] };
    const zoneA = { a1: [], a2: [], b1: [AFFINITY], bare: [AFFINITY] };
    assert.deepEqual(reasonsOf(interPodAffinity, needing({}), nodes), nowhere);
    assert.deepEqual(reasonsOf(interPodAffinity, needing({ namespaces: ['shop'] }), nodes), zoneA);
    assert.deepEqual(reasonsOf(interPodAffinity, needing({ namespaceSelector: {} }), nodes), zoneA);
  });

  test("preferred affinity and anti-affinity score nodes by the matching pods in their domains", () => {
    const nodes = cluster({ a1: [labelled('web', 'web')], b1: [labelled('cache', 'cache')] });
    const pod = makePod('p', {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('web', ZONE) }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 4, podAffinityTerm: term('cache', HOSTNAME) }] },
      },
    });
    // Raw: zone a +10, node b1 −4, bare 0; min-max over −4..10.
    assert.deepEqual(scoresOf(interPodAffinity, pod, nodes), { a1: 100, a2: 100, b1: 0, bare: 28 });
    assert.deepEqual(scoresOf(interPodAffinity, makePod('plain'), nodes), { a1: 0, a2: 0, b1: 0, bare: 0 });
  });

  test("existing pods' required affinity and preferred terms pull and push the pods they match", () => {
    const follower = labelled('f', 'f', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', ZONE)] } } });
    const shy = labelled('s', 's', {
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term('web', HOSTNAME) }] } },
    });
    // Raw: zone b +1 (required affinity counts 1), node a1 −5.
    assert.deepEqual(scoresOf(interPodAffinity, labelled('w', 'web'), cluster({ a1: [shy], b1: [follower] })), { a1: 0, a2: 83, b1: 100, bare: 83 });
  });
});

describe('PodTopologySpread', () => {
  const NOT_MATCH = "node(s) didn't match pod topology spread constraints";
  const MISSING = "node(s) didn't match pod topology spread constraints (missing required label)";
  const web = (name: string, metadata: ObjectMeta = {}) => makePod(name, {}, { labels: { app: 'web' }, ...metadata });
  const many = (n: number, make: (name: string) => Pod) => Array.from({ length: n }, (_, i) => make(`p${i}`));
  const spreading = (constraint: Partial<TopologySpreadConstraint>, spec: Partial<PodSpec> = {}, labels: Record<string, string> = { app: 'web' }) =>
    makePod('new', {
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...constraint },
      ],
      ...spec,
    }, { labels });
  /** z1a and z1b in zone z1, z2a in zone z2, bare without a zone. */
  const cluster = (pods: Record<string, Pod[]>) =>
    [
      makeNode('z1a', { labels: { [ZONE]: 'z1' } }),
      makeNode('z1b', { labels: { [ZONE]: 'z1' } }),
      makeNode('z2a', { labels: { [ZONE]: 'z2' } }),
      makeNode('bare'),
    ].map((n) => nodeInfo(n, pods[n.metadata!.name!] ?? []));

  test("DoNotSchedule turns away nodes whose domain would go more than maxSkew above the emptiest domain", () => {
    const nodes = cluster({ z1a: many(2, web), z2a: many(1, web) });
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({}), nodes), { z1a: [NOT_MATCH], z1b: [NOT_MATCH], z2a: [], bare: [MISSING] });
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({ maxSkew: 2 }), nodes), { z1a: [], z1b: [], z2a: [], bare: [MISSING] });
  });

  test("only live pods of the pod's namespace that match the selector are counted", () => {
    const nodes = cluster({
      z1a: many(1, web),
      z2a: [
        ...many(3, (name) => web(name, { namespace: 'other' })),
        ...many(2, (name) => makePod(name, {}, { labels: { app: 'api' } })),
        ...many(2, (name) => web(name, { deletionTimestamp: '2024-01-01T00:00:00Z' })),
      ],
    });
    // z1 has 1 counted pod, z2 none: only z2 can take the pod.
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({}), nodes), { z1a: [NOT_MATCH], z1b: [NOT_MATCH], z2a: [], bare: [MISSING] });
  });

  test("domains of nodes the pod's node affinity excludes do not lower the global minimum, unless nodeAffinityPolicy is Ignore", () => {
    const nodes = cluster({ z1a: many(1, web) });
    const onlyZ1 = { nodeSelector: { [ZONE]: 'z1' } };
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({}, onlyZ1), nodes).z1a, []);
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({ nodeAffinityPolicy: 'Ignore' }, onlyZ1), nodes).z1a, [NOT_MATCH]);
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({}), nodes).z1a, [NOT_MATCH]);
  });

  test('nodeTaintsPolicy Honor leaves out the domains of nodes whose taints the pod does not tolerate', () => {
    const nodes = [
      nodeInfo(makeNode('z1a', { labels: { [ZONE]: 'z1' } }), many(1, web)),
      nodeInfo(makeNode('z2a', { labels: { [ZONE]: 'z2' }, taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] })),
    ];
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({}), nodes).z1a, [NOT_MATCH]);
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({ nodeTaintsPolicy: 'Honor' }), nodes).z1a, []);
  });

  test('fewer eligible domains than minDomains make the global minimum 0', () => {
    const nodes = cluster({ z1a: many(1, web), z2a: many(1, web) });
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({}), nodes), { z1a: [], z1b: [], z2a: [], bare: [MISSING] });
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({ minDomains: 3 }), nodes), {
      z1a: [NOT_MATCH],
      z1b: [NOT_MATCH],
      z2a: [NOT_MATCH],
      bare: [MISSING],
    });
  });

  test("matchLabelKeys counts only the pods sharing the pod's values of those keys", () => {
    const version = (v: string) => (name: string) => makePod(name, {}, { labels: { app: 'web', 'pod-template-hash': v } });
    const nodes = cluster({ z1a: many(2, version('v1')), z2a: many(2, version('v2')) });
    const v2 = { app: 'web', 'pod-template-hash': 'v2' };
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({}, {}, v2), nodes), { z1a: [], z1b: [], z2a: [], bare: [MISSING] });
    assert.deepEqual(reasonsOf(podTopologySpread, spreading({ matchLabelKeys: ['pod-template-hash'] }, {}, v2), nodes), {
      z1a: [],
      z1b: [],
      z2a: [NOT_MATCH],
      bare: [MISSING],
    });
  });

  test('ScheduleAnyway prefers the domains with fewer matching pods; a node without the key scores 0', () => {
    const nodes = cluster({ z1a: many(2, web), z2a: many(1, web) });
    // Weight ln(2 zones + 2); raw z1 round(2 × 1.386) = 3, z2 round(1.386) = 1; normalized 100 × (3 + 1 − raw) / 3.
    assert.deepEqual(scoresOf(podTopologySpread, spreading({ whenUnsatisfiable: 'ScheduleAnyway' }), nodes), { z1a: 33, z1b: 33, z2a: 100, bare: 0 });
  });

  test("a ReplicaSet's pods spread across nodes by default; pods of other owners are not spread", () => {
    const ownedBy = (uid: string, kind = 'ReplicaSet', apiVersion = 'apps/v1') => (name: string) =>
      makePod(name, {}, { ownerReferences: [{ apiVersion, kind, name: uid, uid, controller: true }] });
    const nodes = [
      nodeInfo(makeNode('n1'), many(2, ownedBy('rs-1'))),
      nodeInfo(makeNode('n2'), many(1, ownedBy('rs-1'))),
      nodeInfo(makeNode('n3'), many(3, ownedBy('rs-2'))),
    ];
    // Hostname constraint, maxSkew 3, weight ln(3 nodes + 2): raw round(count × 1.609 + 2) = 5, 4, 2; normalized 100 × (5 + 2 − raw) / 5.
    assert.deepEqual(scoresOf(podTopologySpread, ownedBy('rs-1')('new'), nodes), { n1: 40, n2: 60, n3: 100 });
    assert.deepEqual(scoresOf(podTopologySpread, ownedBy('job-1', 'Job', 'batch/v1')('new'), nodes), { n1: 0, n2: 0, n3: 0 });
    assert.deepEqual(scoresOf(podTopologySpread, makePod('new'), nodes), { n1: 0, n2: 0, n3: 0 });
  });
});

test("DEFAULT_PLUGINS run in upstream's filter order, with upstream's score weights", () => {
  assert.deepEqual(
    DEFAULT_PLUGINS.map((p) => [p.name, p.weight]),
    [
      ['NodeUnschedulable', undefined],
      ['TaintToleration', 3],
      ['NodeAffinity', 2],
      ['NodePorts', undefined],
      ['NodeResourcesFit', 1],
      ['VolumeBinding', undefined],
      ['PodTopologySpread', 2],
      ['InterPodAffinity', 2],
    ],
  );
});

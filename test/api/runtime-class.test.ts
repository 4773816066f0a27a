// RuntimeClasses as upstream 1.31 has them: their validation (create, and the
// handler immutable on update), the RuntimeClass admission plugin over a real
// registry and store (a missing class, the overhead set or refused, the
// nodeSelector and tolerations merged), a pod's spec.overhead validated and
// decoded, and the overhead counted where upstream counts it: the
// scheduler's resource fit and ResourceQuota, not the LimitRanger.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { RuntimeClass } from 'kubernetes-types/node/v1.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { withLimitRanger } from '../../server/api/kinds/limit-ranger.js';
import { withRuntimeClassAdmission } from '../../server/api/kinds/runtime-class-admission.js';
import type { KubeObject } from '../../server/api/objects.js';
import { withResourceQuota } from '../../server/api/quota/quota-admission.js';
import type { Registry } from '../../server/api/registry/registry.js';
import { toTable } from '../../server/api/table/table.js';
import type { Store } from '../../server/store/types.js';
import { ClusterCache } from '../../server/scheduler/cluster-cache.js';
import { podInfoOf } from '../../server/scheduler/pod-info.js';
import { nodeResourcesFit } from '../../server/scheduler/plugins/node-resources-fit.js';
import { apiRegistry, forbidden } from '../helpers/api-registry.js';
import { causes, create, refusal, update } from '../helpers/kind-rules.js';

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const runtimeClass = (name: string, rest: Partial<RuntimeClass> = {}) => ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler: 'runc', ...rest });
const pod = (name: string, spec: Partial<PodSpec> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx' }], ...spec } });

test('a RuntimeClass: the handler a DNS label, the overhead as a container’s limits, scheduling as labels and tolerations; quantities kept as Go prints them, not rounded', () => {
  const made = create(runtimeClass('gvisor', { handler: 'runsc', overhead: { podFixed: { cpu: '0.25', memory: '128Mi', 'ephemeral-storage': '100u' } } }));
  assert.deepEqual(made['overhead'], { podFixed: { cpu: '250m', memory: '128Mi', 'ephemeral-storage': '100u' } });
  assert.equal(made['metadata'].generation, undefined, 'upstream counts no generation for RuntimeClasses');

  // No handler is "", which is no label: upstream reports it as an invalid value, not a required one.
  assert.deepEqual(causes(() => create(runtimeClass('none', { handler: undefined as unknown as string }))), [`handler: Invalid value: "": ${LABEL_MSG}`]);
  assert.deepEqual(causes(() => create(runtimeClass('dots', { handler: 'kata.fc' }))), ['handler: Invalid value: "kata.fc": must not contain dots']);
  assert.deepEqual(causes(() => create(runtimeClass('long', { handler: 'h'.repeat(64) }))), [`handler: Invalid value: "${'h'.repeat(64)}": must be no more than 63 characters`]);

  assert.deepEqual(causes(() => create(runtimeClass('over', { overhead: { podFixed: { cpu: '-1', pods: '1' } } }))), [
    'overhead.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    'overhead.limits[pods]: Invalid value: "pods": must be a standard resource for containers',
  ]);
  const bad = refusal(() => create(runtimeClass('q', { overhead: { podFixed: { cpu: 'lots' } } })), 400);
  assert.equal(bad.message, "RuntimeClass in version \"v1\" cannot be handled as a RuntimeClass: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");

  assert.deepEqual(
    causes(() =>
      create(
        runtimeClass('sched', {
          scheduling: {
            nodeSelector: { 'bad key': 'v', sandbox: 'bad value!' },
            tolerations: [{ operator: 'Equal', value: 'x' }, { key: 'k', operator: 'Exists', tolerationSeconds: 5 }],
          },
        }),
      ),
    ),
    [
      "scheduling.nodeSelector: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      "scheduling.nodeSelector: Invalid value: \"bad value!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      'scheduling.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      "scheduling.tolerations[1].effect: Invalid value: \"\": effect must be 'NoExecute' when `tolerationSeconds` is set",
    ],
  );
});

test('a RuntimeClass’s handler cannot change; its overhead and scheduling can', () => {
  const current = create(runtimeClass('gvisor', { handler: 'runsc' }));
  assert.deepEqual(causes(() => update(current, { ...current, handler: 'kata' })), ['handler: Invalid value: "kata": field is immutable']);
  // Every rule of a create holds on update too, before the immutability.
  assert.deepEqual(causes(() => update(current, { ...current, handler: 'Kata' })), [`handler: Invalid value: "Kata": ${LABEL_MSG}`, 'handler: Invalid value: "Kata": field is immutable']);
  const changed = update(current, { ...current, overhead: { podFixed: { memory: '64Mi' } }, scheduling: { nodeSelector: { sandbox: 'gvisor' } } });
  assert.deepEqual(changed['overhead'], { podFixed: { memory: '64Mi' } });
});

test('kubectl get runtimeclass prints NAME, HANDLER and AGE, as upstream’s printer', () => {
  const table = toTable({ group: 'node.k8s.io', kind: 'RuntimeClass' }, [{ ...runtimeClass('gvisor', { handler: 'runsc' }), metadata: { name: 'gvisor', creationTimestamp: '2026-11-22T10:00:00Z' } } as KubeObject], {
    includeObject: 'None',
    now: new Date('2026-11-22T10:05:00Z'),
  });
  assert.deepEqual(
    table.columnDefinitions.map((c) => [c.name, c.type, c.format, c.description === '' ? '' : 'doc', c.priority]),
    [
      ['Name', 'string', 'name', 'doc', 0],
      ['Handler', 'string', '', '', 0],
      ['Age', 'string', '', 'doc', 0],
    ],
  );
  assert.deepEqual(table.rows, [{ cells: ['gvisor', 'runsc', '5m'] }]);
});

test('a pod’s spec.overhead: validated as a container’s limits after preemptionPolicy and before os, decoded and rounded as pods’ quantities are', () => {
  assert.deepEqual(causes(() => create(pod('p', { overhead: { memory: '-1Mi', gpu: '1' } }))), [
    'spec.overhead.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
    'spec.overhead.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    'spec.overhead.limits[memory]: Invalid value: "-1Mi": must be greater than or equal to 0',
  ]);
  // A template's spec is checked alike (pods' own preemptionPolicy goes through the Priority plugin first).
  const template = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'web', image: 'nginx' }], preemptionPolicy: 'Sometimes', overhead: { cpu: '-2' }, os: { name: 'plan9' } } },
    },
  };
  assert.deepEqual(causes(() => create(template)), [
    'spec.template.spec.preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
    'spec.template.spec.overhead.limits[cpu]: Invalid value: "-2": must be greater than or equal to 0',
    'spec.template.spec.os: Unsupported value: "plan9": supported values: "linux", "windows"',
  ]);
  assert.deepEqual((create(pod('p', { overhead: { cpu: '0.0001', memory: '1Gi' } }))['spec'] as PodSpec).overhead, { cpu: '1m', memory: '1Gi' });
  assert.equal(refusal(() => create(pod('p', { overhead: { cpu: 'x' } })), 400).code, 400);
});

async function setup(t: TestContext) {
  let bound: Registry | undefined;
  const reads: string[] = [];
  const { catalogue, registry } = await apiRegistry(t, {
    rules: (store, catalogue) => {
      // Every read the admission makes, to show that pods naming no class cost none.
      const counted = { get: (key: string) => (reads.push(key), store.get(key)) } as unknown as Store;
      const admitted = withRuntimeClassAdmission(withLimitRanger(rulesFor, store, catalogue.get('', 'v1', 'limitranges')!), counted, catalogue.get('node.k8s.io', 'v1', 'runtimeclasses')!);
      return withResourceQuota(admitted, { store, quotas: catalogue.get('', 'v1', 'resourcequotas')!, registry: () => bound! });
    },
  });
  bound = registry;
  const type = (group: string, plural: string) => catalogue.get(group, 'v1', plural)!;
  const addClass = (name: string, rest: Partial<RuntimeClass> = {}) => registry.create(type('node.k8s.io', 'runtimeclasses'), undefined, runtimeClass(name, rest) as KubeObject, {});
  const createPod = async (name: string, spec: Partial<PodSpec> = {}) => (await registry.create(type('', 'pods'), 'default', pod(name, spec) as KubeObject, {})) as KubeObject & Pod;
  return { registry, type, reads, addClass, createPod };
}

test('admission: a pod naming a RuntimeClass that does not exist is refused; one without a class is not looked up', async (t) => {
  const { reads, addClass, createPod, registry, type } = await setup(t);
  assert.equal(await forbidden(createPod('p', { runtimeClassName: 'nope' })), 'pods "p" is forbidden: pod rejected: RuntimeClass "nope" not found');
  // A dry run is refused alike.
  assert.equal(
    await forbidden(registry.create(type('', 'pods'), 'default', pod('dry', { runtimeClassName: 'nope' }) as KubeObject, { dryRun: true })),
    'pods "dry" is forbidden: pod rejected: RuntimeClass "nope" not found',
  );
  reads.length = 0;
  const plain = await createPod('plain');
  assert.deepEqual(reads, []);
  assert.equal(plain.spec!.overhead, undefined);
  await addClass('runc');
  const ran = await createPod('ran', { runtimeClassName: 'runc' });
  assert.equal(ran.spec!.runtimeClassName, 'runc');
  assert.deepEqual(reads, ['/registry/node.k8s.io/runtimeclasses/runc', '/registry/node.k8s.io/runtimeclasses/runc'], 'read by the mutating and the validating step, as upstream reads its cache twice');
});

test('admission: the class’s overhead becomes the pod’s; a pod that sets another, or sets one without a class that has one, is refused', async (t) => {
  const { addClass, createPod } = await setup(t);
  await addClass('gvisor', { handler: 'runsc', overhead: { podFixed: { cpu: '250m', memory: '120Mi' } } });
  await addClass('plain');

  assert.deepEqual((await createPod('a', { runtimeClassName: 'gvisor' })).spec!.overhead, { cpu: '250m', memory: '120Mi' });
  // The same amounts written otherwise are the same overhead (quantities compare by value).
  assert.deepEqual((await createPod('b', { runtimeClassName: 'gvisor', overhead: { cpu: '0.25', memory: '125829120' } })).spec!.overhead, { cpu: '250m', memory: '120Mi' });

  const mismatch = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";
  assert.equal(await forbidden(createPod('c', { runtimeClassName: 'gvisor', overhead: { cpu: '100m' } })), `pods "c" is forbidden: ${mismatch}`);
  assert.equal(await forbidden(createPod('d', { runtimeClassName: 'gvisor', overhead: { cpu: '250m', memory: '120Mi', 'ephemeral-storage': '1Gi' } })), `pods "d" is forbidden: ${mismatch}`);

  const without = 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead';
  assert.equal(await forbidden(createPod('e', { overhead: { cpu: '100m' } })), `pods "e" is forbidden: ${without}`);
  assert.equal(await forbidden(createPod('f', { runtimeClassName: 'plain', overhead: { cpu: '100m' } })), `pods "f" is forbidden: ${without}`);
  // An empty overhead is still one set.
  assert.equal(await forbidden(createPod('g', { overhead: {} })), `pods "g" is forbidden: ${without}`);
});

test('admission: the class’s nodeSelector is merged into the pod’s, a key set differently refuses the pod; its tolerations are merged as MergeTolerations does', async (t) => {
  const { addClass, createPod } = await setup(t);
  await addClass('gpu', {
    handler: 'nvidia',
    scheduling: {
      nodeSelector: { accelerator: 'nvidia' },
      tolerations: [
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
        // Tolerates the not-ready taint for good: it covers the pod's default 300 s one, which goes.
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      ],
    },
  });

  const alone = await createPod('alone', { runtimeClassName: 'gpu' });
  assert.deepEqual(alone.spec!.nodeSelector, { accelerator: 'nvidia' });
  assert.deepEqual(alone.spec!.tolerations, [
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  ]);

  const merged = await createPod('merged', {
    runtimeClassName: 'gpu',
    nodeSelector: { 'kubernetes.io/arch': 'arm64', accelerator: 'nvidia' },
    // The pod's own toleration, equal to the class's, stays once and first; a broader one of its own covers the class's.
    tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute' }],
  });
  assert.deepEqual(merged.spec!.nodeSelector, { 'kubernetes.io/arch': 'arm64', accelerator: 'nvidia' });
  assert.deepEqual(merged.spec!.tolerations, [
    { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    { operator: 'Exists', effect: 'NoExecute' },
  ]);

  assert.equal(
    await forbidden(createPod('clash', { runtimeClassName: 'gpu', nodeSelector: { accelerator: 'amd' } })),
    'pods "clash" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[accelerator] = nvidia; pod.spec.nodeSelector[accelerator] = amd',
  );
});

test('the scheduler’s resource fit counts the pod’s overhead', async (t) => {
  const { addClass, createPod } = await setup(t);
  await addClass('kata', { handler: 'kata', overhead: { podFixed: { cpu: '600m', memory: '160Mi' } } });
  const requests: Container[] = [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '500m', memory: '256Mi' } } }];
  const plain = await createPod('plain', { containers: requests });
  const heavy = await createPod('heavy', { containers: requests, runtimeClassName: 'kata' });
  assert.deepEqual(Object.fromEntries(podInfoOf(heavy).requests), { cpu: 1100, memory: (256 + 160) * 1024 * 1024 });

  const cache = new ClusterCache();
  cache.setNode('n', { metadata: { name: 'n' }, status: { allocatable: { cpu: '1', memory: '1Gi', pods: '110' } } });
  const [node] = cache.nodes;
  assert.deepEqual(nodeResourcesFit.filter!(podInfoOf(plain), node!, undefined), []);
  assert.deepEqual(nodeResourcesFit.filter!(podInfoOf(heavy), node!, undefined), ['Insufficient cpu']);
});

test('ResourceQuota counts the pod’s overhead (limits only for what a container limits); the LimitRanger does not', async (t) => {
  const { addClass, createPod, registry, type } = await setup(t);
  await addClass('kata', { handler: 'kata', overhead: { podFixed: { cpu: '250m', memory: '64Mi' } } });
  const quotas = type('', 'resourcequotas');
  await registry.create(quotas, 'default', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute' }, spec: { hard: { 'requests.cpu': '4', 'limits.cpu': '4', 'requests.memory': '4Gi' } } } as KubeObject, {});
  const hard = { 'requests.cpu': '4', 'limits.cpu': '4', 'requests.memory': '4Gi' };
  await registry.patch(quotas, 'default', 'compute', (q) => ({ ...q, status: { hard, used: { 'requests.cpu': '0', 'limits.cpu': '0', 'requests.memory': '0' } } }), { subresource: 'status' });
  // A Pod item's max: the pod's limits without the overhead are at it, with it past it.
  await registry.create(type('', 'limitranges'), 'default', { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'pods' }, spec: { limits: [{ type: 'Pod', max: { cpu: '1' } }] } } as KubeObject, {});

  await createPod('web', { runtimeClassName: 'kata', containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: '1' } } }] });
  const used = ((await registry.get(quotas, 'default', 'compute'))['status'] as { used: Record<string, string> }).used;
  assert.deepEqual(used, { 'limits.cpu': '1250m', 'requests.cpu': '750m', 'requests.memory': '192Mi' });
});

// Nodes through the registry, as upstream's node strategy and
// ValidateNode/ValidateNodeUpdate treat them (Kubernetes 1.31): what agents
// and kubectl write passes, quantities and pod CIDRs are decoded as
// upstream decodes them, and every rule answers with upstream's field and
// message (some twice on a main update, as there).
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { KubeObject } from '../../server/api/objects.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry } from '../helpers/api-registry.js';

type Json = Record<string, any>;

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t);
  const nodes = catalogue.get('', 'v1', 'nodes')!;
  const create = async (node: Json): Promise<Json> => (await registry.create(nodes, undefined, node as KubeObject, {})) as Json;
  const update = async (node: Json): Promise<Json> => (await registry.update(nodes, undefined, node['metadata'].name, node as KubeObject, {})) as Json;
  const updateStatus = async (node: Json): Promise<Json> => (await registry.update(nodes, undefined, node['metadata'].name, node as KubeObject, { subresource: 'status' })) as Json;
  return { create, update, updateStatus };
}

const node = (spec: Json = {}, metadata: Json = {}, status?: Json): Json => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'pi-1', ...metadata },
  spec,
  ...(status === undefined ? {} : { status }),
});

async function refusal(write: Promise<unknown>, code = 422): Promise<ApiError> {
  const err = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError && err.code === code, `expected a ${code}, got ${String(err)}`);
  return err;
}

const causes = async (write: Promise<unknown>): Promise<string[]> => ((await refusal(write)).details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);

const QUALIFIED =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const VALID_CIDR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/** A status as kubelet (and Bramble's agents) report it. */
const STATUS = {
  capacity: { cpu: '4', memory: '3884Mi', pods: '110', 'ephemeral-storage': '30000000Ki' },
  allocatable: { cpu: '4', memory: '3784Mi', pods: '110', 'ephemeral-storage': '27000000Ki' },
  conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2026-11-22T10:00:00Z', lastTransitionTime: '2026-11-22T10:00:00Z' }],
  addresses: [
    { type: 'InternalIP', address: '192.168.1.20' },
    { type: 'Hostname', address: 'pi-1' },
  ],
  nodeInfo: { machineID: 'm', systemUUID: 'u', bootID: 'b', kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.6.20', kubeletVersion: 'v1.31.0+bramble', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'arm64' },
};

describe('what agents, controllers and kubectl write', () => {
  test('a registered Node, its status reports, condition taints, cordon and kubectl taint all pass', async (t) => {
    const { create, update, updateStatus } = await setup(t);
    const registered = await create(node({ taints: [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }] }, { labels: { 'kubernetes.io/hostname': 'pi-1', 'kubernetes.io/arch': 'arm64' } }));
    const reported = await updateStatus({ ...registered, status: STATUS });
    assert.deepEqual(reported['status'].capacity, STATUS.capacity);
    // The node lifecycle's taints (NoExecute ones with their time), a reading annotation, then cordon.
    const tainted = await update({
      ...reported,
      metadata: { ...reported['metadata'], annotations: { 'bramble.io/soc-temperature-celsius': '48.3' } },
      spec: {
        taints: [
          { key: 'dedicated', value: 'edge', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-11-22T10:01:00Z' },
        ],
      },
    });
    const cordoned = await update({ ...tainted, spec: { ...tainted['spec'], unschedulable: true } });
    assert.equal(cordoned['spec'].unschedulable, true);
    // One key may carry several effects (kubectl taint k=v:NoSchedule k=v:NoExecute).
    await update({ ...cordoned, spec: { ...cordoned['spec'], taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }, { key: 'gpu', value: 'true', effect: 'NoExecute' }] } });
  });

  test('quantities are decoded as resource.Quantity: canonical, milli units, allocatable defaulting to capacity; a bad one is a 400', async (t) => {
    const { create, updateStatus } = await setup(t);
    const created = await create(node({}, {}, { capacity: { cpu: '1.5', memory: '1048576Ki', 'example.com/dongle': 2, 'ephemeral-storage': '0.0001' } }));
    const canonical = { cpu: '1500m', memory: '1Gi', 'example.com/dongle': '2', 'ephemeral-storage': '1m' };
    assert.deepEqual(created['status'].capacity, canonical);
    assert.deepEqual(created['status'].allocatable, canonical);
    const written = await updateStatus({ ...created, status: { capacity: { memory: '2048Mi' }, allocatable: {} } });
    assert.deepEqual(written['status'], { capacity: { memory: '2Gi' }, allocatable: {} });
    const bad = await refusal(updateStatus({ ...written, status: { capacity: { memory: '2 GiB' } } }), 400);
    assert.match(bad.message, /^Node in version "v1" cannot be handled as a Node: quantities must match the regular expression/);
  });

  test('podCIDR and podCIDRs agree as upstream converts them; the removed configSource and status.config are dropped', async (t) => {
    const { create } = await setup(t);
    assert.deepEqual((await create(node({ podCIDR: '10.42.0.0/24' }, { name: 'a' })))['spec'], { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] });
    assert.deepEqual((await create(node({ podCIDRs: ['10.42.1.0/24', 'fd00:42::/64'] }, { name: 'b' })))['spec'], { podCIDRs: ['10.42.1.0/24', 'fd00:42::/64'], podCIDR: '10.42.1.0/24' });
    // podCIDR wins over podCIDRs that disagree.
    assert.deepEqual((await create(node({ podCIDR: '10.42.2.0/24', podCIDRs: ['10.42.9.0/24', 'fd00:42::/64'] }, { name: 'c' })))['spec'], { podCIDR: '10.42.2.0/24', podCIDRs: ['10.42.2.0/24'] });
    const dropped = await create(node({ configSource: { configMap: { name: 'x' } } }, { name: 'd' }, { config: { active: {} } }));
    assert.deepEqual(dropped['spec'], {});
    assert.deepEqual(dropped['status'], {});
  });
});

describe('ValidateNode', () => {
  test('taints: a qualified key, a label value, an effect, no two alike; reported under metadata.taints', async (t) => {
    const { create } = await setup(t);
    assert.deepEqual(
      await causes(
        create(
          node({
            taints: [
              { key: 'bad key!', value: 'x y', effect: 'NoSchedule' },
              { key: 'a', effect: '' },
              { key: 'a', value: 'v', effect: 'Sometimes' },
              { key: 'a', value: 'other', effect: 'Sometimes' },
              { key: 'b', effect: 'NoExecute', timeAdded: '2026-11-22T10:00:00Z' },
              { key: 'b', effect: 'NoExecute' },
            ],
          }),
        ),
      ),
      [
        `metadata.taints[0].key: Invalid value: "bad key!": ${QUALIFIED}`,
        `metadata.taints[0].value: Invalid value: "x y": ${LABEL_VALUE}`,
        'metadata.taints[1].effect: Required value',
        'metadata.taints[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
        'metadata.taints[3].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
        'metadata.taints[3]: Duplicate value: core.Taint{Key:"a", Value:"other", Effect:"Sometimes", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair',
        'metadata.taints[5]: Duplicate value: core.Taint{Key:"b", Value:"", Effect:"NoExecute", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair',
      ],
    );
    // A value's problems are one cause, joined with ";".
    assert.deepEqual(await causes(create(node({ taints: [{ key: 'k', value: `-${'v'.repeat(63)}`, effect: 'NoSchedule' }] }))), [
      `metadata.taints[0].value: Invalid value: "-${'v'.repeat(63)}": must be no more than 63 characters;${LABEL_VALUE}`,
    ]);
  });

  test('the old taints annotation is decoded as Go decodes []core.Taint, then checked as spec taints are', async (t) => {
    const { create } = await setup(t);
    const annotated = (value: string) => create(node({}, { annotations: { 'scheduler.alpha.kubernetes.io/taints': value } }));
    assert.deepEqual(await causes(annotated('[{"key":"a"')), ['metadata.annotations: Invalid value: "scheduler.alpha.kubernetes.io/taints": unexpected end of JSON input']);
    assert.deepEqual(await causes(annotated('[{key: "a"}]')), [`metadata.annotations: Invalid value: "scheduler.alpha.kubernetes.io/taints": invalid character 'k' looking for beginning of object key string`]);
    assert.deepEqual(await causes(annotated('{"key":"a"}')), ['metadata.annotations: Invalid value: "scheduler.alpha.kubernetes.io/taints": json: cannot unmarshal object into Go value of type []core.Taint']);
    // core.Taint has no JSON tags: its fields go by their Go names, in any case.
    assert.deepEqual(await causes(annotated('[{"key":"a","effect":5}]')), [
      'metadata.annotations: Invalid value: "scheduler.alpha.kubernetes.io/taints": json: cannot unmarshal number into Go struct field Taint.Effect of type core.TaintEffect',
    ]);
    assert.deepEqual(await causes(annotated('[{"key":"a","effect":"NoSchedule","timeAdded":"yesterday"}]')), [
      'metadata.annotations: Invalid value: "scheduler.alpha.kubernetes.io/taints": parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    ]);
    assert.deepEqual(await causes(annotated('[{"KEY":"a","Effect":"NoSchedule"},{"key":"a","effect":"NoSchedule"},{"effect":"Never"}]')), [
      'metadata.annotations.scheduler.alpha.kubernetes.io/taints[1]: Duplicate value: core.Taint{Key:"a", Value:"", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair',
      `metadata.annotations.scheduler.alpha.kubernetes.io/taints[2].key: Invalid value: "": name part must be non-empty`,
      `metadata.annotations.scheduler.alpha.kubernetes.io/taints[2].key: Invalid value: "": ${QUALIFIED}`,
      'metadata.annotations.scheduler.alpha.kubernetes.io/taints[2].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
    await create(node({}, { name: 'ok', annotations: { 'scheduler.alpha.kubernetes.io/taints': '[{"key":"a","value":"b","effect":"NoSchedule","timeAdded":"2026-11-22T10:00:00+01:00"}]' } }));
  });

  test('the preferAvoidPods annotation needs each entry to name its controller', async (t) => {
    const { create } = await setup(t);
    const annotated = (value: string, name = 'pi-1') => create(node({}, { name, annotations: { 'scheduler.alpha.kubernetes.io/preferAvoidPods': value } }));
    const entry = (controller: unknown) => ({ podSignature: { podController: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u', controller } }, reason: 'some', message: 'thing' });
    await annotated(JSON.stringify({ preferAvoidPods: [entry(true)] }), 'ok');
    assert.deepEqual(await causes(annotated(JSON.stringify({ preferAvoidPods: [entry(false), { reason: 'none' }] }))), [
      'metadata.annotations.scheduler.alpha.kubernetes.io/preferAvoidPods[0].PodSignature.PodController.Controller: Invalid value: false: must point to a controller',
      'metadata.annotations.scheduler.alpha.kubernetes.io/preferAvoidPods[1].PodSignature: Required value',
    ]);
    assert.deepEqual(await causes(annotated('{"preferAvoidPods":[{"podSignature":{"podController":{"controller":"yes"}}}]}')), [
      'metadata.annotations.AvoidPods: Invalid value: "scheduler.alpha.kubernetes.io/preferAvoidPods": json: cannot unmarshal string into Go struct field OwnerReference.preferAvoidPods.podSignature.podController.controller of type bool',
    ]);
    assert.deepEqual(await causes(annotated('{"preferAvoidPods":[{"evictionTime":"2026-02-30T00:00:00Z"}]}')), [
      'metadata.annotations.AvoidPods: Invalid value: "scheduler.alpha.kubernetes.io/preferAvoidPods": parsing time "2026-02-30T00:00:00Z": day out of range',
    ]);
    // A controller reference without `controller`: upstream dereferences the nil pointer and the request panics.
    const panic = await refusal(annotated(JSON.stringify({ preferAvoidPods: [entry(undefined)] })), 500);
    assert.equal(panic.message, 'This request caused apiserver to panic. Look in the logs for details.');
  });

  test('capacity and allocatable: nothing negative, countable resources whole', async (t) => {
    const { create } = await setup(t);
    assert.deepEqual(await causes(create(node({}, {}, { capacity: { memory: '-1Gi', pods: '1.5', 'example.com/gpu': '500m', 'kubernetes.io/batteries': '0.5', cpu: '0.5' }, allocatable: { pods: '-1' } }))), [
      'status.capacity.example.com/gpu: Invalid value: resource.Quantity{i:resource.int64Amount{value:500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"500m", Format:"DecimalSI"}: must be an integer',
      'status.capacity.memory: Invalid value: "-1Gi": must be greater than or equal to 0',
      'status.capacity.pods: Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1500m", Format:"DecimalSI"}: must be an integer',
      'status.allocatable.pods: Invalid value: "-1": must be greater than or equal to 0',
    ]);
  });

  test('pod CIDRs: each valid, at most one per family, none twice', async (t) => {
    const { create } = await setup(t);
    const cidrs = (podCIDRs: string[]) => causes(create(node({ podCIDRs })));
    assert.deepEqual(await cidrs(['10.42.0.0/33']), [`spec.podCIDRs[0]: Invalid value: "10.42.0.0/33": ${VALID_CIDR}`]);
    assert.deepEqual(await cidrs(['10.42.0.0/24', '10.43.0.0/24']), ['spec.podCIDRs: Invalid value: []string{"10.42.0.0/24", "10.43.0.0/24"}: may specify no more than one CIDR for each IP family']);
    assert.deepEqual(await cidrs(['10.42.0.0/24', 'fd00::/64', '10.42.0.0/24']), [
      'spec.podCIDRs: Invalid value: []string{"10.42.0.0/24", "fd00::/64", "10.42.0.0/24"}: may specify no more than one CIDR for each IP family',
      'spec.podCIDRs[2]: Duplicate value: "10.42.0.0/24"',
    ]);
    assert.deepEqual(await cidrs(['10.42.0.0/24', 'x']), [
      `spec.podCIDRs[1]: Invalid value: "x": ${VALID_CIDR}`,
      'spec.podCIDRs: Internal error: invalid PodCIDRs. failed to check with dual stack with error:invalid CIDR[1]: <nil> (invalid CIDR address: x)',
      'spec.podCIDRs: Invalid value: []string{"10.42.0.0/24", "x"}: may specify no more than one CIDR for each IP family',
    ]);
  });
});

describe('ValidateNodeUpdate', () => {
  test('podCIDRs and providerID are set once, externalID never changes; a main update reports ValidateNode’s causes too', async (t) => {
    const { create, update } = await setup(t);
    const empty = await create(node());
    // From nothing to a value is how they are assigned.
    const assigned = await update({ ...empty, spec: { podCIDR: '10.42.0.0/24', providerID: 'bramble://pi-1' } });
    assert.deepEqual(
      await causes(update({ ...assigned, spec: { podCIDRs: ['10.42.1.0/24', 'fd00::/64'], providerID: 'other://pi-1', externalID: 'pi-1', taints: [{ key: 'k', effect: 'Soon' }] } })),
      [
        'metadata.taints[0].effect: Unsupported value: "Soon": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
        'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
        'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
        'metadata.taints[0].effect: Unsupported value: "Soon": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
        'spec.externalID: Forbidden: may not be updated',
      ],
    );
    // Each changed CIDR counts once.
    const dual = await create(node({ podCIDRs: ['10.42.0.0/24', 'fd00::/64'] }, { name: 'dual' }));
    assert.deepEqual(await causes(update({ ...dual, spec: { podCIDRs: ['10.42.1.0/24', 'fd01::/64'] } })), [
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
  });

  test('a status write: no address twice, quantities as on create', async (t) => {
    const { create, updateStatus } = await setup(t);
    const created = await create(node());
    assert.deepEqual(
      await causes(
        updateStatus({
          ...created,
          status: { ...STATUS, capacity: { pods: '-3' }, allocatable: { pods: '3' }, addresses: [...STATUS.addresses, { type: 'InternalIP', address: '192.168.1.20' }, { type: 'ExternalIP', address: '192.168.1.20' }] },
        }),
      ),
      [
        'status.capacity.pods: Invalid value: "-3": must be greater than or equal to 0',
        'status.addresses[2]: Duplicate value: core.NodeAddress{Type:"InternalIP", Address:"192.168.1.20"}',
      ],
    );
  });
});

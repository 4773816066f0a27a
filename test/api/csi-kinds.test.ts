// storage.k8s.io/v1 CSIDrivers, CSINodes, VolumeAttachments and
// CSIStorageCapacities (server/api/kinds/csi.ts, server/api/table/csi.ts):
// upstream 1.31's defaults, each rule with the exact field and message
// kubectl prints, what may not change, kubectl's columns, and the CSIDriver
// objects real drivers install passing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BUILTIN_RESOURCES } from '../../server/api/catalogue.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import type { KubeObject } from '../../server/api/objects.js';
import { toTable } from '../../server/api/table/table.js';
import { causes, create, type Json, refusal, typeOf, update } from '../helpers/kind-rules.js';

const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

const driver = (spec: Json = {}, name = 'nfs.csi.k8s.io'): Json => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name }, spec });
const csiNode = (drivers: Json[]): Json => ({ apiVersion: 'storage.k8s.io/v1', kind: 'CSINode', metadata: { name: 'node-1' }, spec: { drivers } });
const nodeDriver = (extra: Json = {}): Json => ({ name: 'nfs.csi.k8s.io', nodeID: 'node-1', topologyKeys: ['topology.kubernetes.io/zone'], ...extra });
const attachment = (spec: Json = {}): Json => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'VolumeAttachment',
  metadata: { name: 'csi-123' },
  spec: { attacher: 'driver.longhorn.io', nodeName: 'node-1', source: { persistentVolumeName: 'pvc-1' }, ...spec },
});
const capacity = (extra: Json = {}): Json => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'CSIStorageCapacity',
  metadata: { name: 'csisc-abc', namespace: 'kube-system' },
  storageClassName: 'fast',
  nodeTopology: { matchLabels: { 'topology.kubernetes.io/zone': 'a' } },
  capacity: '100Gi',
  ...extra,
});

describe('CSIDriver', () => {
  test('defaults as SetDefaults_CSIDriver with 1.31 gates, no generation at creation', () => {
    const created = create(driver());
    assert.deepEqual(created['spec'], {
      attachRequired: true,
      podInfoOnMount: false,
      storageCapacity: false,
      fsGroupPolicy: 'ReadWriteOnceWithFSType',
      volumeLifecycleModes: ['Persistent'],
      requiresRepublish: false,
      seLinuxMount: false,
    });
    assert.equal(created['metadata'].generation, undefined);
    assert.deepEqual(create(driver({ volumeLifecycleModes: [] }))['spec'].volumeLifecycleModes, ['Persistent']);
  });

  test("real drivers' objects pass: csi-driver-nfs's chart, Longhorn's, cert-manager csi-driver's", () => {
    // csi-driver-nfs chart (templates/csi-nfs-driverinfo.yaml).
    const nfs = create(driver({ attachRequired: false, volumeLifecycleModes: ['Persistent'], fsGroupPolicy: 'File' }));
    assert.equal(nfs['spec'].attachRequired, false);
    assert.equal(nfs['spec'].fsGroupPolicy, 'File');
    // Longhorn's, as its driver deployer creates it.
    create(driver({ attachRequired: true, podInfoOnMount: true, fsGroupPolicy: 'ReadWriteOnceWithFSType', volumeLifecycleModes: ['Persistent', 'Ephemeral'] }, 'driver.longhorn.io'));
    create(driver({ podInfoOnMount: true, volumeLifecycleModes: ['Ephemeral'], tokenRequests: [{ audience: '', expirationSeconds: 3600 }], requiresRepublish: true }, 'csi.cert-manager.io'));
  });

  test('spec rules, each with upstream message', () => {
    assert.deepEqual(
      causes(() =>
        create(
          driver({
            fsGroupPolicy: 'Sometimes',
            tokenRequests: [{ audience: 'vault', expirationSeconds: 60 }, { audience: 'vault' }, { audience: '', expirationSeconds: 2 ** 32 + 1 }],
            volumeLifecycleModes: ['Persistent', 'Forever'],
          }),
        ),
      ),
      [
        'spec.fsGroupPolicy: Unsupported value: "Sometimes": supported values: "File", "None", "ReadWriteOnceWithFSType"',
        'spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
        'spec.tokenRequests[1].audience: Duplicate value: "vault"',
        'spec.tokenRequests[2].expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds',
        'spec.volumeLifecycleModes: Unsupported value: "Forever": supported values: "Persistent", "Ephemeral"',
      ],
    );
  });

  test('attachRequired and volumeLifecycleModes are immutable; the rest may change and counts a generation', () => {
    const current = create(driver());
    current['metadata'].resourceVersion = '1';
    assert.deepEqual(
      causes(() => update(current, driver({ attachRequired: false, volumeLifecycleModes: ['Persistent', 'Ephemeral'] }))),
      [
        'spec.attachedRequired: Invalid value: false: field is immutable',
        'spec.volumeLifecycleModes: Invalid value: []storage.VolumeLifecycleMode{"Persistent", "Ephemeral"}: field is immutable',
      ],
    );
    const changed = update(current, driver({ podInfoOnMount: true, fsGroupPolicy: 'None', storageCapacity: true }));
    assert.equal(changed['metadata'].generation, 1);
    assert.equal(update(changed, driver({ podInfoOnMount: true, fsGroupPolicy: 'None', storageCapacity: true, seLinuxMount: true }))['metadata'].generation, 2);
    assert.equal(update(changed, driver({ podInfoOnMount: true, fsGroupPolicy: 'None', storageCapacity: true }))['metadata'].generation, 1);
  });
});

describe('CSINode', () => {
  test('a node plugin registration passes, long node IDs too', () => {
    create(csiNode([nodeDriver({ allocatable: { count: 16 } }), nodeDriver({ name: 'driver.longhorn.io', nodeID: 'n'.repeat(256), topologyKeys: null })]));
  });

  test('drivers: name, nodeID, allocatable count, duplicates, topology keys', () => {
    assert.deepEqual(
      causes(() =>
        create(
          csiNode([
            nodeDriver({ name: 'Bad_Driver', nodeID: '', allocatable: { count: -1 } }),
            nodeDriver({ nodeID: 'n'.repeat(257), topologyKeys: ['', 'zone', 'zone'] }),
            nodeDriver(),
          ]),
        ),
      ),
      [
        `spec.drivers[0].name: Invalid value: "Bad_Driver": ${SUBDOMAIN}`,
        'spec.drivers[0].nodeID: Required value',
        'spec.drivers[0].allocatable.count: Invalid value: -1: must be greater than or equal to 0',
        'spec.drivers[1].nodeID: Invalid value: "' + 'n'.repeat(257) + '": must be 256 characters or less',
        'spec.drivers[1]: Required value',
        'spec.drivers[1]: Invalid value: "": name part must be non-empty',
        `spec.drivers[1]: Invalid value: "": ${QUALIFIED_NAME}`,
        'spec.drivers[1]: Duplicate value: "zone"',
        'spec.drivers[2].name: Duplicate value: "nfs.csi.k8s.io"',
      ],
    );
  });

  test("a registered driver's entry is immutable; drivers may come and go", () => {
    const current = create(csiNode([nodeDriver()]));
    update(current, csiNode([nodeDriver(), nodeDriver({ name: 'driver.longhorn.io' })]));
    update(current, csiNode([]));
    assert.deepEqual(causes(() => update(current, csiNode([nodeDriver({ nodeID: 'node-2', allocatable: { count: 3 } })]))), [
      'spec.drivers: Invalid value: storage.CSINodeDriver{Name:"nfs.csi.k8s.io", NodeID:"node-2", TopologyKeys:[]string{"topology.kubernetes.io/zone"}, Allocatable:(*storage.VolumeNodeResources)(0xc000000000)}: field is immutable',
    ]);
  });
});

describe('VolumeAttachment', () => {
  test('created with an empty status, whatever was sent; the main resource keeps the status', () => {
    const created = create({ ...attachment(), status: { attached: true } });
    assert.deepEqual(created['status'], { attached: false });
    assert.deepEqual(update({ ...created, status: { attached: true } }, attachment())['status'], { attached: true });
  });

  test('spec rules, v1 ones on create', () => {
    assert.deepEqual(causes(() => create(attachment({ attacher: '', nodeName: 'Node_1', source: {} }))), [
      'spec.attacher: Required value',
      'spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
      `spec.nodeName: Invalid value: "Node_1": ${SUBDOMAIN}`,
      'spec.attacher: Required value',
      `spec.attacher: Invalid value: "": ${SUBDOMAIN}`,
    ]);
    assert.deepEqual(causes(() => create(attachment({ source: { persistentVolumeName: 'pv', inlineVolumeSpec: { csi: { driver: 'x', volumeHandle: 'h' } } } }))), [
      'spec.source: Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName',
    ]);
    assert.deepEqual(causes(() => create(attachment({ source: { persistentVolumeName: '' } }))), [
      'spec.source.persistentVolumeName: Required value: must specify non empty persistentVolumeName',
      `spec.source.persistentVolumeName: Invalid value: "": ${SUBDOMAIN}`,
    ]);
  });

  test('the spec is immutable', () => {
    const current = create(attachment());
    assert.deepEqual(causes(() => update(current, attachment({ nodeName: 'node-2' }))), [
      'spec: Invalid value: storage.VolumeAttachmentSpec{Attacher:"driver.longhorn.io", Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(0xc000000000), InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}, NodeName:"node-2"}: field is immutable',
    ]);
  });

  test("status writes: the attacher's metadata and errors have sizes", () => {
    const rules = rulesFor(typeOf(attachment() as KubeObject));
    const current = create(attachment()) as KubeObject;
    const next = structuredClone(current);
    next['status'] = { attachmentMetadata: { k: 'v'.repeat(256 * 1024) }, attachError: { message: 'x'.repeat(1025) }, detachError: { message: 'ok' } };
    rules.prepareStatus!(next, current);
    assert.equal((next['status'] as Json)['attached'], false);
    const found = rules.validateStatus!(next, current).map((c) => `${c.field}: ${c.message}`);
    const once = ['status.attachmentMetadata: Too long: must have at most 262144 bytes', 'status.attachError.message: Too long: must have at most 262144 bytes'];
    assert.deepEqual(found, [...once, ...once]);
  });
});

describe('CSIStorageCapacity', () => {
  test('as external-provisioner publishes it; quantities kept as Go prints them', () => {
    const created = create(capacity({ capacity: '1024Mi', maximumVolumeSize: '0.5Gi' }));
    assert.equal(created['capacity'], '1Gi');
    assert.equal(created['maximumVolumeSize'], '512Mi');
    assert.equal(create(capacity({ capacity: null }))['capacity'], undefined);
    assert.match(refusal(() => create(capacity({ capacity: 'lots' })), 400).message, /^CSIStorageCapacity in version "v1" cannot be handled as a CSIStorageCapacity: /);
  });

  test('storage class name, topology selector, capacity not negative', () => {
    assert.deepEqual(
      causes(() => create(capacity({ storageClassName: '', capacity: '-1Gi', nodeTopology: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a b'] }] } }))),
      [
        'nodeTopology.matchExpressions[0].values[0]: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')',
        `storageClassName: Invalid value: "": ${SUBDOMAIN}`,
        'capacity: Invalid value: "-1Gi": must be greater than or equal to 0',
      ],
    );
  });

  test('nodeTopology and storageClassName are immutable; capacity may change', () => {
    const current = create(capacity());
    assert.equal(update(current, capacity({ capacity: '50Gi' }))['capacity'], '50Gi');
    assert.deepEqual(causes(() => update(current, capacity({ storageClassName: 'slow', nodeTopology: null }))), [
      'nodeTopology: Invalid value: "null": field is immutable',
      'storageClassName: Invalid value: "slow": field is immutable',
    ]);
  });

  test('deprecated node labels in the topology are warned of', () => {
    const rules = rulesFor(typeOf(capacity() as KubeObject));
    const obj = create(capacity({ nodeTopology: { matchLabels: { 'failure-domain.beta.kubernetes.io/zone': 'a' }, matchExpressions: [{ key: 'beta.kubernetes.io/os', operator: 'Exists' }] } }));
    assert.deepEqual(rules.warnings!(obj as KubeObject, undefined), [
      'nodeTopology.matchExpressions[0].key: beta.kubernetes.io/os is deprecated since v1.14; use "kubernetes.io/os" instead',
      'nodeTopology.matchLabels.failure-domain.beta.kubernetes.io/zone: deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
    ]);
  });
});

describe("kubectl's columns", () => {
  const table = (obj: Json) => {
    const type = BUILTIN_RESOURCES.find((r) => r.kind === obj['kind'] && r.group === 'storage.k8s.io')!;
    const now = new Date('2026-01-01T00:01:30Z');
    obj['metadata'].creationTimestamp = '2026-01-01T00:00:00Z';
    return toTable(type, [obj as KubeObject], { includeObject: 'None', now });
  };
  const names = (t: ReturnType<typeof table>) => t.columnDefinitions.map((c) => c.name);

  test('CSIDriver, CSINode, VolumeAttachment, CSIStorageCapacity', () => {
    const d = table(create(driver({ tokenRequests: [{ audience: 'a' }, { audience: 'b' }], volumeLifecycleModes: ['Persistent', 'Ephemeral'] })));
    assert.deepEqual(names(d), ['Name', 'AttachRequired', 'PodInfoOnMount', 'StorageCapacity', 'TokenRequests', 'RequiresRepublish', 'Modes', 'Age']);
    assert.deepEqual(d.rows[0]!.cells, ['nfs.csi.k8s.io', true, false, false, 'a,b', false, 'Persistent,Ephemeral', '90s']);
    assert.equal(table(create(driver())).rows[0]!.cells[4], '<unset>');
    const n = table(create(csiNode([nodeDriver()])));
    assert.deepEqual(names(n), ['Name', 'Drivers', 'Age']);
    assert.deepEqual(n.rows[0]!.cells, ['node-1', 1, '90s']);
    const a = table(create(attachment()));
    assert.deepEqual(names(a), ['Name', 'Attacher', 'PV', 'Node', 'Attached', 'Age']);
    assert.deepEqual(a.rows[0]!.cells, ['csi-123', 'driver.longhorn.io', 'pvc-1', 'node-1', false, '90s']);
    const c = table(create(capacity()));
    assert.deepEqual(names(c), ['Name', 'StorageClassName', 'Capacity']);
    assert.deepEqual(c.rows[0]!.cells, ['csisc-abc', 'fast', '100Gi']);
    assert.equal(table(create(capacity({ capacity: undefined }))).rows[0]!.cells[2], '<unset>');
  });
});

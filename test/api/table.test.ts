import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import type { KubeObject, ObjectMeta } from '../../server/api/objects.js';
import { humanDuration, since } from '../../server/api/table/duration.js';
import { type IncludeObject, type Table, toTable } from '../../server/api/table/table.js';
import { tempDir } from '../helpers/temp.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

/** An RFC 3339 timestamp (whole seconds, as metav1.Time writes them) that long before NOW. */
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
/** The same as a metav1.MicroTime. */
const agoMicro = (ms: number): string => new Date(NOW.getTime() - ms).toISOString().replace(/Z$/, '000Z');

function object(apiVersion: string, kind: string, metadata: ObjectMeta, fields: Record<string, unknown> = {}): KubeObject {
  return { apiVersion, kind, metadata: { creationTimestamp: ago(10 * m), ...metadata }, ...fields };
}

function groupOf(o: KubeObject): string {
  return o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
}

/** Every cell of the object's row, wide ones included. */
function cells(o: KubeObject): unknown[] {
  return toTable({ group: groupOf(o), kind: o.kind }, [o], { includeObject: 'None', now: NOW }).rows[0]!.cells;
}

function columnsOf(group: string, kind: string): string[] {
  return toTable({ group, kind }, [], { includeObject: 'None', now: NOW }).columnDefinitions.map((c) =>
    c.priority === 0 ? c.name : `${c.name} (wide)`,
  );
}

test('HumanDuration: upstream apimachinery test table', () => {
  const cases: [number, string][] = [
    [1 * s, '1s'],
    [70 * s, '70s'],
    [190 * s, '3m10s'],
    [70 * m, '70m'],
    [47 * h, '47h'],
    [49 * h, '2d1h'],
    [(8 * 24 + 2) * h, '8d'],
    [367 * d, '367d'],
    [(365 * 2 * 24 + 25) * h, '2y1d'],
    [(365 * 8 * 24 + 2) * h, '8y'],
    [-2 * s, '<invalid>'],
    [-2 * s + 1, '0s'],
    [0, '0s'],
    [1 * s - 1, '0s'],
    [2 * m - 1, '119s'],
    [2 * m, '2m'],
    [2 * m + s, '2m1s'],
    [10 * m - 1, '9m59s'],
    [10 * m, '10m'],
    [10 * m + s, '10m'],
    [3 * h - 1, '179m'],
    [3 * h, '3h'],
    [3 * h + m, '3h1m'],
    [8 * h - 1, '7h59m'],
    [8 * h, '8h'],
    [8 * h + 59 * m, '8h'],
    [2 * d - 1, '47h'],
    [2 * d, '2d'],
    [2 * d + h, '2d1h'],
    [8 * d - 1, '7d23h'],
    [8 * d, '8d'],
    [8 * d + 23 * h, '8d'],
    [2 * 365 * d - 1, '729d'],
    [2 * 365 * d, '2y'],
    [2 * 365 * d + 23 * h, '2y'],
    [2 * 365 * d + 23 * h + 59 * m, '2y'],
    [2 * 365 * d + d - 1, '2y'],
    [2 * 365 * d + d, '2y1d'],
    [3 * 365 * d, '3y'],
    [7 * 365 * d, '7y'],
    [8 * 365 * d - 1, '7y364d'],
    [8 * 365 * d, '8y'],
    [8 * 365 * d + 364 * d, '8y'],
    [9 * 365 * d, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('ages: "<unknown>" without a timestamp, "0s" for a little clock skew', () => {
  assert.equal(since(undefined, NOW), '<unknown>');
  assert.equal(since('', NOW), '<unknown>');
  assert.equal(since(ago(-1500), NOW), '0s');
  assert.equal(since(ago(-3 * s), NOW), '<invalid>');
  assert.equal(since(ago(5 * m), NOW), '5m');
  assert.equal(since(agoMicro(90 * s), NOW), '90s');
});

test('column sets, orders and priorities are upstream printers.go', () => {
  const expected: [string, string, string[]][] = [
    ['', 'Pod', ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP (wide)', 'Node (wide)', 'Nominated Node (wide)', 'Readiness Gates (wide)']],
    ['apps', 'Deployment', ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers (wide)', 'Images (wide)', 'Selector (wide)']],
    ['apps', 'ReplicaSet', ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers (wide)', 'Images (wide)', 'Selector (wide)']],
    ['apps', 'StatefulSet', ['Name', 'Ready', 'Age', 'Containers (wide)', 'Images (wide)']],
    [
      'apps',
      'DaemonSet',
      ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers (wide)', 'Images (wide)', 'Selector (wide)'],
    ],
    ['batch', 'Job', ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers (wide)', 'Images (wide)', 'Selector (wide)']],
    [
      'batch',
      'CronJob',
      ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers (wide)', 'Images (wide)', 'Selector (wide)'],
    ],
    ['', 'Service', ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector (wide)']],
    [
      '',
      'Node',
      ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP (wide)', 'External-IP (wide)', 'OS-Image (wide)', 'Kernel-Version (wide)', 'Container-Runtime (wide)'],
    ],
    ['', 'Namespace', ['Name', 'Status', 'Age']],
    ['', 'ConfigMap', ['Name', 'Data', 'Age']],
    ['', 'Secret', ['Name', 'Type', 'Data', 'Age']],
    [
      '',
      'Event',
      ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject (wide)', 'Source (wide)', 'Message', 'First Seen (wide)', 'Count (wide)', 'Name (wide)'],
    ],
    ['', 'Endpoints', ['Name', 'Endpoints', 'Age']],
    ['', 'ServiceAccount', ['Name', 'Secrets', 'Age']],
    ['', 'ResourceQuota', ['Name', 'Age', 'Request', 'Limit']],
    ['', 'LimitRange', ['Name', 'Created At']],
    [
      '',
      'PersistentVolume',
      ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode (wide)'],
    ],
    [
      '',
      'PersistentVolumeClaim',
      ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode (wide)'],
    ],
    ['coordination.k8s.io', 'Lease', ['Name', 'Holder', 'Age']],
    ['policy', 'PodDisruptionBudget', ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age']],
    ['networking.k8s.io', 'Ingress', ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']],
    ['rbac.authorization.k8s.io', 'ClusterRole', ['Name', 'Created At']],
    ['rbac.authorization.k8s.io', 'RoleBinding', ['Name', 'Role', 'Age', 'Users (wide)', 'Groups (wide)', 'ServiceAccounts (wide)']],
    ['rbac.authorization.k8s.io', 'ClusterRoleBinding', ['Name', 'Role', 'Age', 'Users (wide)', 'Groups (wide)', 'ServiceAccounts (wide)']],
    ['example.com', 'Widget', ['Name', 'Created At']],
  ];
  for (const [group, kind, columns] of expected) assert.deepEqual(columnsOf(group, kind), columns, `${group}/${kind}`);

  // The same kind in another group is another printer: a CRD's "Pod" gets the default.
  assert.deepEqual(columnsOf('example.com', 'Pod'), ['Name', 'Created At']);

  const pod = toTable({ group: '', kind: 'Pod' }, [], { includeObject: 'None', now: NOW }).columnDefinitions;
  assert.deepEqual(pod[0], {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: pod[0]!.description,
    priority: 0,
  });
  assert.match(pod[0]!.description, /^Name must be unique within a namespace\./);
  assert.deepEqual(
    pod.map((c) => [c.type, c.format]),
    [['string', 'name'], ...Array.from({ length: 8 }, () => ['string', ''])],
  );
  assert.equal(pod[3]!.description, 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.');
  const replicaSet = toTable({ group: 'apps', kind: 'ReplicaSet' }, [], { includeObject: 'None', now: NOW }).columnDefinitions;
  assert.deepEqual(replicaSet.slice(1, 4).map((c) => c.type), ['integer', 'integer', 'integer']);
  const event = toTable({ group: '', kind: 'Event' }, [], { includeObject: 'None', now: NOW }).columnDefinitions;
  assert.equal(event[9]!.format, 'name');
});

// --- Pods -----------------------------------------------------------------

const running = { running: { startedAt: ago(9 * m) } };

function pod(name: string, spec: Record<string, unknown>, status: Record<string, unknown>, metadata: ObjectMeta = {}): KubeObject {
  return object('v1', 'Pod', { name, namespace: 'default', ...metadata }, { spec, status });
}

const webPod = pod(
  'web-1',
  {
    nodeName: 'node-1',
    containers: [
      { name: 'app', image: 'nginx:1.27' },
      { name: 'metrics', image: 'prom/exporter:1' },
    ],
  },
  {
    phase: 'Running',
    podIP: '10.42.0.5',
    podIPs: [{ ip: '10.42.0.5' }],
    conditions: [
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
    ],
    containerStatuses: [
      {
        name: 'app',
        ready: true,
        restartCount: 3,
        state: running,
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * m) } },
      },
      { name: 'metrics', ready: true, restartCount: 0, state: running },
    ],
  },
  { labels: { app: 'web' } },
);

const creatingPod = pod(
  'web-2',
  { nodeName: 'node-1', containers: [{ name: 'app', image: 'nginx:1.27' }] },
  {
    phase: 'Pending',
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
  },
  { creationTimestamp: ago(30 * s) },
);

const completedPod = pod(
  'job-1',
  { nodeName: 'node-2', containers: [{ name: 'backup', image: 'restic:0.17' }] },
  {
    phase: 'Succeeded',
    podIP: '10.42.1.9',
    containerStatuses: [
      { name: 'backup', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(2 * d) } } },
    ],
  },
  { creationTimestamp: ago(2 * d + 5 * m), labels: { 'batch.kubernetes.io/job-name': 'job' } },
);

test('pod: Running with 2/2 ready and 3 restarts, the last 5 minutes ago', () => {
  assert.deepEqual(cells(webPod), ['web-1', '2/2', 'Running', '3 (5m ago)', '10m', '10.42.0.5', 'node-1', '<none>', '<none>']);
});

test('pod: Pending, ContainerCreating, scheduled nowhere yet', () => {
  assert.deepEqual(cells(creatingPod), ['web-2', '0/1', 'ContainerCreating', '0', '30s', '<none>', 'node-1', '<none>', '<none>']);
  const unscheduled = pod('web-3', { containers: [{ name: 'app', image: 'nginx' }] }, { phase: 'Pending' });
  assert.deepEqual(cells(unscheduled).slice(0, 4), ['web-3', '0/1', 'Pending', '0']);
  assert.deepEqual(cells(unscheduled).slice(5), ['<none>', '<none>', '<none>', '<none>']);
  const gated = pod('web-4', { containers: [{ name: 'app' }] }, {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
  });
  assert.equal(cells(gated)[2], 'SchedulingGated');
  const evicted = pod('web-5', { containers: [{ name: 'app' }] }, { phase: 'Failed', reason: 'Evicted' });
  assert.equal(cells(evicted)[2], 'Evicted');
});

test('pod: deletionTimestamp shows Terminating, or Unknown on a lost node; a finished pod keeps its status', () => {
  const deleting = { ...webPod, metadata: { ...webPod.metadata, deletionTimestamp: ago(-30 * s) } };
  assert.equal(cells(deleting)[2], 'Terminating');
  const lost = { ...deleting, status: { ...(webPod['status'] as object), reason: 'NodeLost' } };
  assert.equal(cells(lost)[2], 'Unknown');
  const finished = { ...completedPod, metadata: { ...completedPod.metadata, deletionTimestamp: ago(0) } };
  assert.equal(cells(finished)[2], 'Completed');
});

test('pod: a completed job pod, with the Completed row condition upstream adds', () => {
  assert.deepEqual(cells(completedPod), ['job-1', '0/1', 'Completed', '0', '2d', '10.42.1.9', 'node-2', '<none>', '<none>']);
  const table = toTable({ group: '', kind: 'Pod' }, [completedPod, webPod], { includeObject: 'None', now: NOW });
  assert.deepEqual(table.rows[0]!.conditions, [
    { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
  ]);
  assert.equal('conditions' in table.rows[1]!, false);
  const failed = pod('job-2', { containers: [{ name: 'backup' }] }, {
    phase: 'Failed',
    containerStatuses: [{ name: 'backup', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }],
  });
  assert.equal(cells(failed)[2], 'Error');
  assert.deepEqual(toTable({ group: '', kind: 'Pod' }, [failed], { includeObject: 'None', now: NOW }).rows[0]!.conditions, [
    { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
  ]);
});

test('pod: CrashLoopBackOff and containers that exited without a reason', () => {
  const crashing = pod('api-1', { containers: [{ name: 'api' }] }, {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'api',
        ready: false,
        restartCount: 7,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(90 * s) } },
      },
    ],
  });
  assert.deepEqual(cells(crashing).slice(0, 4), ['api-1', '0/1', 'CrashLoopBackOff', '7 (90s ago)']);
  const signalled = pod('api-2', { containers: [{ name: 'api' }] }, {
    phase: 'Running',
    containerStatuses: [{ name: 'api', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }],
  });
  assert.equal(cells(signalled)[2], 'Signal:9');
  const exited = pod('api-3', { containers: [{ name: 'api' }] }, {
    phase: 'Running',
    containerStatuses: [{ name: 'api', ready: false, restartCount: 0, state: { terminated: { exitCode: 3 } } }],
  });
  assert.equal(cells(exited)[2], 'ExitCode:3');
  // Restarts without a recorded finish time print the bare count.
  const noFinish = pod('api-4', { containers: [{ name: 'api' }] }, {
    phase: 'Running',
    containerStatuses: [{ name: 'api', ready: true, restartCount: 2, state: running }],
  });
  assert.equal(cells(noFinish)[3], '2');
});

test('pod: one completed container beside a running one is Running, or NotReady', () => {
  const statuses = [
    { name: 'setup', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    { name: 'app', ready: true, restartCount: 0, state: running },
  ];
  const spec = { containers: [{ name: 'setup' }, { name: 'app' }] };
  const ready = pod('mixed-1', spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses });
  assert.deepEqual(cells(ready).slice(1, 3), ['1/2', 'Running']);
  const notReady = pod('mixed-2', spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses });
  assert.deepEqual(cells(notReady).slice(1, 3), ['1/2', 'NotReady']);
});

test('pod: init containers show Init:N/M, Init:<reason>, Init:ExitCode', () => {
  const spec = {
    initContainers: [{ name: 'init-db' }, { name: 'init-cache' }],
    containers: [{ name: 'app' }],
  };
  const statuses = (second: Record<string, unknown>): Record<string, unknown> => ({
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'init-db', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'init-cache', ready: false, restartCount: 2, ...second },
    ],
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  });
  assert.deepEqual(cells(pod('i-1', spec, statuses({ state: running }))).slice(1, 4), ['0/1', 'Init:1/2', '2']);
  assert.equal(cells(pod('i-2', spec, statuses({ state: { waiting: { reason: 'PodInitializing' } } })))[2], 'Init:1/2');
  assert.equal(cells(pod('i-3', spec, statuses({ state: { waiting: { reason: 'CrashLoopBackOff' } } })))[2], 'Init:CrashLoopBackOff');
  assert.equal(cells(pod('i-4', spec, statuses({ state: { terminated: { exitCode: 1 } } })))[2], 'Init:ExitCode:1');
  assert.equal(cells(pod('i-5', spec, statuses({ state: { terminated: { exitCode: 1, reason: 'OOMKilled' } } })))[2], 'Init:OOMKilled');
  assert.equal(cells(pod('i-6', spec, statuses({ state: { terminated: { exitCode: 143, signal: 15 } } })))[2], 'Init:Signal:15');
});

test('pod: a sidecar counts as a container and its restarts still show once initialized', () => {
  const sidecar = pod(
    'mesh-1',
    { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }], containers: [{ name: 'app' }] },
    {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      initContainerStatuses: [
        {
          name: 'proxy',
          ready: true,
          started: true,
          restartCount: 1,
          state: running,
          lastState: { terminated: { exitCode: 1, finishedAt: ago(1 * h) } },
        },
      ],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
    },
  );
  assert.deepEqual(cells(sidecar).slice(1, 4), ['2/2', 'Running', '1 (60m ago)']);
});

test('pod wide cells: IP from podIPs, nominated node, readiness gates', () => {
  const gated = pod(
    'lb-1',
    { containers: [{ name: 'app' }], readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
    {
      phase: 'Pending',
      nominatedNodeName: 'node-2',
      podIPs: [{ ip: 'fd00::7' }, { ip: '10.42.0.7' }],
      conditions: [
        { type: 'example.com/lb', status: 'True' },
        { type: 'example.com/dns', status: 'False' },
      ],
    },
  );
  assert.deepEqual(cells(gated).slice(5), ['fd00::7', '<none>', 'node-2', '1/2']);
});

// --- Workloads --------------------------------------------------------------

const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'web', image: 'nginx:1.27' },
      { name: 'log', image: 'fluent-bit:3' },
    ],
  },
};

test('deployment: 2/3 ready, wide containers, images and selector', () => {
  const deployment = object(
    'apps/v1',
    'Deployment',
    { name: 'web', namespace: 'default', creationTimestamp: ago(2 * d + 3 * h) },
    {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
      status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    },
  );
  assert.deepEqual(cells(deployment), ['web', '2/3', 3, 2, '2d3h', 'web,log', 'nginx:1.27,fluent-bit:3', 'app=web']);

  const selector = {
    matchLabels: { tier: 'fe' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'dev'] },
      { key: 'canary', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'NotIn', values: ['b'] },
      { key: 'arch', operator: 'Exists' },
    ],
  };
  const fancy = object('apps/v1', 'Deployment', { name: 'fe' }, { spec: { selector, template } });
  assert.deepEqual(cells(fancy).slice(1, 4), ['0/1', 0, 0]);
  assert.equal(cells(fancy)[7], 'arch,!canary,env in (dev,prod),tier=fe,zone notin (b)');
  const invalid = object('apps/v1', 'Deployment', { name: 'bad' }, { spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } } });
  assert.deepEqual(cells(invalid).slice(5), ['', '', '<invalid>']);
  const empty = object('apps/v1', 'Deployment', { name: 'empty' }, { spec: { selector: {} } });
  assert.equal(cells(empty)[7], '');
});

test('replicaset, statefulset, daemonset', () => {
  const rs = object(
    'apps/v1',
    'ReplicaSet',
    { name: 'web-5d9c', namespace: 'default' },
    {
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d9c' } }, template },
      status: { replicas: 3, readyReplicas: 1 },
    },
  );
  assert.deepEqual(cells(rs), ['web-5d9c', 3, 3, 1, '10m', 'web,log', 'nginx:1.27,fluent-bit:3', 'app=web,pod-template-hash=5d9c']);
  const noSelector = object('apps/v1', 'ReplicaSet', { name: 'bare' }, { spec: { replicas: 0 } });
  assert.deepEqual(cells(noSelector), ['bare', 0, 0, 0, '10m', '', '', '<none>']);
  const badSelector = object('apps/v1', 'ReplicaSet', { name: 'bad' }, { spec: { selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } } });
  assert.equal(cells(badSelector)[7], '<error>');

  const sts = object(
    'apps/v1',
    'StatefulSet',
    { name: 'db' },
    { spec: { replicas: 3, template: { spec: { containers: [{ name: 'postgres', image: 'postgres:16' }] } } }, status: { readyReplicas: 3 } },
  );
  assert.deepEqual(cells(sts), ['db', '3/3', '10m', 'postgres', 'postgres:16']);

  const ds = object(
    'apps/v1',
    'DaemonSet',
    { name: 'agent', namespace: 'kube-system' },
    {
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'agent', image: 'agent:2' }] } },
      },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    },
  );
  assert.deepEqual(cells(ds), ['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '10m', 'agent', 'agent:2', 'app=agent']);
  const anyNode = object('apps/v1', 'DaemonSet', { name: 'all' }, { spec: { template: { spec: { containers: [] } } } });
  assert.deepEqual(cells(anyNode).slice(6), ['<none>', '10m', '', '', '<none>']);
});

test('job: status, completions and duration', () => {
  const jobTemplate = { spec: { containers: [{ name: 'backup', image: 'restic:0.17' }] } };
  const job = (name: string, spec: Record<string, unknown>, status: Record<string, unknown>, metadata: ObjectMeta = {}): KubeObject =>
    object('batch/v1', 'Job', { name, namespace: 'default', ...metadata }, { spec: { template: jobTemplate, ...spec }, status });

  const complete = job(
    'backup-1',
    { completions: 1, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } } },
    {
      succeeded: 1,
      startTime: ago(10 * m),
      completionTime: ago(10 * m - 45 * s),
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True' },
        { type: 'Complete', status: 'True' },
      ],
    },
  );
  assert.deepEqual(cells(complete), ['backup-1', 'Complete', '1/1', '45s', '10m', 'backup', 'restic:0.17', 'batch.kubernetes.io/controller-uid=abc']);

  const runningJob = job('batch-2', { completions: 5, parallelism: 2 }, { succeeded: 2, startTime: ago(200 * s) });
  assert.deepEqual(cells(runningJob).slice(1, 4), ['Running', '2/5', '3m20s']);
  assert.deepEqual(cells(job('queue', { parallelism: 3 }, { succeeded: 0 })).slice(1, 4), ['Running', '0/1 of 3', '']);
  assert.equal(cells(job('single', {}, {}))[2], '0/1');
  assert.equal(cells(job('f', {}, { conditions: [{ type: 'Failed', status: 'True' }] }))[1], 'Failed');
  assert.equal(cells(job('s', {}, { conditions: [{ type: 'Suspended', status: 'True' }] }))[1], 'Suspended');
  assert.equal(cells(job('t', {}, { conditions: [{ type: 'FailureTarget', status: 'True' }] }))[1], 'FailureTarget');
  assert.equal(cells(job('d', {}, { conditions: [{ type: 'Suspended', status: 'True' }] }, { deletionTimestamp: ago(0) }))[1], 'Terminating');
  assert.equal(cells(job('c', {}, { conditions: [{ type: 'Complete', status: 'False' }] }))[1], 'Running');
});

test('cronjob', () => {
  const cron = object(
    'batch/v1',
    'CronJob',
    { name: 'nightly', namespace: 'default', creationTimestamp: ago(9 * d) },
    {
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'backup', image: 'restic:0.17' }] } } } },
      },
      status: { active: [{ kind: 'Job', name: 'nightly-29000' }], lastScheduleTime: ago(4 * m) },
    },
  );
  assert.deepEqual(cells(cron), ['nightly', '*/5 * * * *', '<none>', 'False', 1, '4m', '9d', 'backup', 'restic:0.17', '<none>']);
  const suspended = object('batch/v1', 'CronJob', { name: 'paused' }, { spec: { schedule: '@daily', timeZone: 'Europe/Berlin', suspend: true } });
  assert.deepEqual(cells(suspended).slice(1, 6), ['@daily', 'Europe/Berlin', 'True', 0, '<none>']);
});

// --- Services and friends ---------------------------------------------------

function service(name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return object('v1', 'Service', { name, namespace: 'default' }, { spec, status });
}

test('service: ClusterIP with two ports, NodePort, LoadBalancer, ExternalName, headless', () => {
  const clusterIP = service('web', {
    type: 'ClusterIP',
    clusterIP: '10.43.0.10',
    clusterIPs: ['10.43.0.10'],
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
    ],
  });
  assert.deepEqual(cells(clusterIP), ['web', 'ClusterIP', '10.43.0.10', '<none>', '80/TCP,443/TCP', '10m', 'app=web']);

  const nodePort = service('web-np', {
    type: 'NodePort',
    clusterIPs: ['10.43.0.11'],
    externalIPs: ['192.168.1.50'],
    ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }],
  });
  assert.deepEqual(cells(nodePort).slice(1, 5), ['NodePort', '10.43.0.11', '192.168.1.50', '80:30080/TCP']);

  const pending = service('lb', { type: 'LoadBalancer', clusterIPs: ['10.43.0.12'], ports: [{ port: 53, nodePort: 31053, protocol: 'UDP' }] });
  assert.deepEqual(cells(pending).slice(3, 5), ['<pending>', '53:31053/UDP']);
  const balanced = service(
    'lb2',
    { type: 'LoadBalancer', clusterIPs: ['10.43.0.13'], ports: [{ port: 443, protocol: 'TCP' }] },
    { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }, { ip: '203.0.113.7' }, { ip: '203.0.113.7' }] } },
  );
  assert.equal(cells(balanced)[3], '203.0.113.7,lb.example.com');
  const both = service('lb3', { type: 'LoadBalancer', externalIPs: ['192.168.1.60'] }, { loadBalancer: { ingress: [{ ip: '203.0.113.8' }] } });
  assert.equal(cells(both)[3], '203.0.113.8,192.168.1.60');

  const external = service('db', { type: 'ExternalName', externalName: 'db.example.com' });
  assert.deepEqual(cells(external), ['db', 'ExternalName', '<none>', 'db.example.com', '<none>', '10m', '<none>']);
  const headless = service('db-headless', { clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'db' }, ports: [{ port: 5432 }] });
  assert.deepEqual(cells(headless).slice(1, 5), ['ClusterIP', 'None', '<none>', '5432/TCP']);
});

test('endpoints: ip:port, three at most, IPv6 in brackets', () => {
  const endpoints = (name: string, subsets: unknown[]): KubeObject => object('v1', 'Endpoints', { name, namespace: 'default' }, { subsets });
  const two = endpoints('web', [{ addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }], ports: [{ port: 8080, protocol: 'TCP' }] }]);
  assert.deepEqual(cells(two), ['web', '10.42.0.5:8080,10.42.0.6:8080', '10m']);
  const many = endpoints('many', [
    { addresses: ['1', '2', '3', '4', '5'].map((n) => ({ ip: `10.42.0.${n}` })), ports: [{ port: 80 }] },
  ]);
  assert.equal(cells(many)[1], '10.42.0.1:80,10.42.0.2:80,10.42.0.3:80 + 2 more...');
  const ports = endpoints('ports', [{ addresses: [{ ip: 'fd00::5' }, { ip: '10.42.0.9' }], ports: [{ port: 80 }, { port: 443 }] }]);
  assert.equal(cells(ports)[1], '[fd00::5]:80,10.42.0.9:80,[fd00::5]:443 + 1 more...');
  assert.equal(cells(endpoints('headless', [{ addresses: [{ ip: '10.42.0.5' }] }]))[1], '10.42.0.5');
  assert.equal(cells(endpoints('none', []))[1], '<none>');
  assert.equal(cells(endpoints('unready', [{ notReadyAddresses: [{ ip: '10.42.0.5' }], ports: [{ port: 80 }] }]))[1], '');
});

test('ingress: class, hosts, address, ports', () => {
  const ingress = object(
    'networking.k8s.io/v1',
    'Ingress',
    { name: 'web', namespace: 'default' },
    {
      spec: { ingressClassName: 'traefik', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'] }] },
      status: { loadBalancer: { ingress: [{ ip: '192.168.1.10' }] } },
    },
  );
  assert.deepEqual(cells(ingress), ['web', 'traefik', 'a.example.com,b.example.com', '192.168.1.10', '80, 443', '10m']);
  const bare = object('networking.k8s.io/v1', 'Ingress', { name: 'bare' }, { spec: { defaultBackend: { service: { name: 'web' } } } });
  assert.deepEqual(cells(bare), ['bare', '<none>', '*', '', '80', '10m']);
  const rules = (...hosts: string[]): KubeObject =>
    object('networking.k8s.io/v1', 'Ingress', { name: 'r' }, { spec: { rules: hosts.map((host) => (host ? { host } : {})) } });
  assert.equal(cells(rules('h1', 'h2', 'h3', 'h4', 'h5'))[2], 'h1,h2,h3 + 2 more...');
  assert.equal(cells(rules('h1', 'h2', 'h3'))[2], 'h1,h2,h3');
  assert.equal(cells(rules('', 'h1', 'h2', 'h3', ''))[2], 'h1,h2,h3 + 2 more...');
  assert.equal(cells(rules('h1', '', '', '', ''))[2], 'h1');
});

// --- Cluster objects ----------------------------------------------------------

test('node: Ready control-plane, wide system info; NotReady and cordoned; unknown', () => {
  const node = object(
    'v1',
    'Node',
    { name: 'pi-1', creationTimestamp: ago(40 * d), labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'pi-1' } },
    {
      spec: {},
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [
          { type: 'Hostname', address: 'pi-1' },
          { type: 'InternalIP', address: '192.168.1.10' },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.33.1+bramble',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          kernelVersion: '6.6.31+rpt-rpi-v8',
          containerRuntimeVersion: 'containerd://1.7.24',
        },
      },
    },
  );
  assert.deepEqual(cells(node), [
    'pi-1',
    'Ready',
    'control-plane',
    '40d',
    'v1.33.1+bramble',
    '192.168.1.10',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.6.31+rpt-rpi-v8',
    'containerd://1.7.24',
  ]);

  const cordoned = object(
    'v1',
    'Node',
    { name: 'pi-2', labels: { 'node-role.kubernetes.io/worker': 'true', 'kubernetes.io/role': 'edge', 'node-role.kubernetes.io/': 'x' } },
    {
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'Unknown' }], addresses: [{ type: 'ExternalIP', address: '203.0.113.9' }] },
    },
  );
  assert.deepEqual(cells(cordoned).slice(1, 3), ['NotReady,SchedulingDisabled', 'edge,worker']);
  assert.deepEqual(cells(cordoned).slice(5), ['<none>', '203.0.113.9', '<unknown>', '<unknown>', '<unknown>']);
  const fresh = object('v1', 'Node', { name: 'pi-3' }, {});
  assert.deepEqual(cells(fresh).slice(1, 5), ['Unknown', '<none>', '10m', '']);
});

test('namespace, configmap, secret, serviceaccount, resourcequota, lease', () => {
  assert.deepEqual(cells(object('v1', 'Namespace', { name: 'default' }, { status: { phase: 'Active' } })), ['default', 'Active', '10m']);
  assert.deepEqual(cells(object('v1', 'Namespace', { name: 'old' }, { status: { phase: 'Terminating' } })), ['old', 'Terminating', '10m']);
  assert.deepEqual(cells(object('v1', 'Namespace', { name: 'new' }, {})), ['new', 'Active', '10m']);

  const configMap = object('v1', 'ConfigMap', { name: 'settings' }, { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } });
  assert.deepEqual(cells(configMap), ['settings', 3, '10m']);
  assert.deepEqual(cells(object('v1', 'ConfigMap', { name: 'empty' })), ['empty', 0, '10m']);

  const secret = object('v1', 'Secret', { name: 'creds' }, { type: 'Opaque', data: { username: 'YWRtaW4=', password: 'aHVudGVyMg==' } });
  assert.deepEqual(cells(secret), ['creds', 'Opaque', 2, '10m']);
  const tls = object('v1', 'Secret', { name: 'tls' }, { type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '', 'ca.crt': '' } });
  assert.deepEqual(cells(tls), ['tls', 'kubernetes.io/tls', 3, '10m']);

  assert.deepEqual(cells(object('v1', 'ServiceAccount', { name: 'default' })), ['default', 0, '10m']);

  // Quotas print status.hard against status.used, limits.* apart; nothing counts usage yet, so a new quota's cells are empty.
  const quota = object('v1', 'ResourceQuota', { name: 'compute' }, {
    spec: { hard: { pods: '10', 'requests.cpu': '2', 'limits.memory': '4Gi', 'limits.cpu': '4' } },
    status: { hard: { pods: '10', 'requests.cpu': '2', 'limits.memory': '4Gi', 'limits.cpu': '4' }, used: { pods: '3', 'limits.cpu': '1500m' } },
  });
  assert.deepEqual(cells(quota), ['compute', '10m', 'pods: 3/10, requests.cpu: 0/2', 'limits.cpu: 1500m/4, limits.memory: 0/4Gi']);
  assert.deepEqual(cells(object('v1', 'ResourceQuota', { name: 'new' }, { spec: { hard: { pods: '10' } } })), ['new', '10m', '', '']);
  assert.deepEqual(cells(object('v1', 'ServiceAccount', { name: 'ci' }, { secrets: [{ name: 'ci-token' }] })), ['ci', 1, '10m']);

  const lease = object('coordination.k8s.io/v1', 'Lease', { name: 'pi-1', namespace: 'kube-node-lease' }, { spec: { holderIdentity: 'pi-1' } });
  assert.deepEqual(cells(lease), ['pi-1', 'pi-1', '10m']);
  assert.deepEqual(cells(object('coordination.k8s.io/v1', 'Lease', { name: 'free' }, { spec: {} })), ['free', '', '10m']);

  const pdb = (name: string, spec: Record<string, unknown>, status?: Record<string, unknown>) =>
    object('policy/v1', 'PodDisruptionBudget', { name }, { spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, ...(status ? { status } : {}) });
  assert.deepEqual(cells(pdb('web', { minAvailable: 2 }, { disruptionsAllowed: 1 })), ['web', '2', 'N/A', 1, '10m']);
  assert.deepEqual(cells(pdb('web', { maxUnavailable: '25%' })), ['web', 'N/A', '25%', 0, '10m']);

  const binding = object('rbac.authorization.k8s.io/v1', 'RoleBinding', { name: 'read', namespace: 'team-a' }, {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [
      { kind: 'User', name: 'ann', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'team-a' },
      { kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io' },
    ],
  });
  assert.deepEqual(cells(binding), ['read', 'ClusterRole/view', '10m', 'ann, bob', 'devs', 'team-a/ci']);
  assert.deepEqual(cells(object('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', { name: 'admins' }, { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } })), [
    'admins',
    'ClusterRole/cluster-admin',
    '10m',
    '',
    '',
    '',
  ]);
});

test('events: core/v1 with timestamps and count; eventTime and series; events.k8s.io/v1', () => {
  const backOff = object(
    'v1',
    'Event',
    { name: 'web-1.17f2a', namespace: 'default' },
    {
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', fieldPath: 'spec.containers{app}' },
      reason: 'BackOff',
      type: 'Warning',
      message: ' Back-off restarting failed container app\n',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: ago(1 * h),
      lastTimestamp: ago(2 * m),
      count: 12,
    },
  );
  assert.deepEqual(cells(backOff), [
    '2m',
    'Warning',
    'BackOff',
    'pod/web-1',
    'spec.containers{app}',
    'kubelet, node-1',
    'Back-off restarting failed container app',
    '60m',
    12,
    'web-1.17f2a',
  ]);

  const scheduled = object(
    'v1',
    'Event',
    { name: 'web-2.1', namespace: 'default' },
    {
      involvedObject: { kind: 'Pod', name: 'web-2' },
      reason: 'FailedScheduling',
      type: 'Warning',
      message: '0/1 nodes are available',
      reportingComponent: 'default-scheduler',
      eventTime: agoMicro(20 * m),
      series: { count: 4, lastObservedTime: agoMicro(30 * s) },
    },
  );
  assert.deepEqual(cells(scheduled), ['30s', 'Warning', 'FailedScheduling', 'pod/web-2', '', 'default-scheduler', '0/1 nodes are available', '20m', 4, 'web-2.1']);

  const singleton = object('v1', 'Event', { name: 'ns.1' }, { involvedObject: { kind: 'Namespace' }, eventTime: agoMicro(3 * m), reason: 'Created' });
  assert.deepEqual(cells(singleton), ['3m', '', 'Created', 'namespace', '', '', '', '3m', 1, 'ns.1']);
  const timeless = object('v1', 'Event', { name: 'x' }, { involvedObject: { kind: 'Pod', name: 'p' } });
  assert.deepEqual(cells(timeless).slice(0, 1).concat(cells(timeless).slice(7, 9)), ['<unknown>', '<unknown>', 1]);

  const newer = object(
    'events.k8s.io/v1',
    'Event',
    { name: 'pi-1.1', namespace: 'default' },
    {
      regarding: { kind: 'Node', name: 'pi-1' },
      note: 'Starting kubelet.',
      reason: 'Starting',
      type: 'Normal',
      reportingController: 'kubelet',
      reportingInstance: 'pi-1',
      eventTime: agoMicro(5 * m),
      action: 'Start',
    },
  );
  assert.deepEqual(cells(newer), ['5m', 'Normal', 'Starting', 'node/pi-1', '', 'kubelet, pi-1', 'Starting kubelet.', '5m', 1, 'pi-1.1']);
});

test('persistentvolume and persistentvolumeclaim', () => {
  const pv = object(
    'v1',
    'PersistentVolume',
    { name: 'pv-1', creationTimestamp: ago(3 * d) },
    {
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data' },
        storageClassName: 'local-path',
        hostPath: { path: '/srv/pv-1' },
      },
      status: { phase: 'Bound' },
    },
  );
  assert.deepEqual(cells(pv), ['pv-1', '10Gi', 'RWO,RWX', 'Delete', 'Bound', 'default/data', 'local-path', '<unset>', '', '3d', 'Filesystem']);
  const released = object(
    'v1',
    'PersistentVolume',
    { name: 'pv-2', annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' } },
    {
      spec: { accessModes: ['ReadWriteOncePod', 'ReadOnlyMany'], volumeMode: 'Block', storageClassName: 'fast', volumeAttributesClassName: 'gold' },
      status: { phase: 'Failed', reason: 'Recycle failed' },
    },
  );
  assert.deepEqual(cells(released), ['pv-2', '0', 'ROX,RWOP', 'Retain', 'Failed', '', 'slow', 'gold', 'Recycle failed', '10m', 'Block']);

  const bound = object(
    'v1',
    'PersistentVolumeClaim',
    { name: 'data', namespace: 'default' },
    {
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'local-path', volumeName: 'pv-1' },
      status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
    },
  );
  assert.deepEqual(cells(bound), ['data', 'Bound', 'pv-1', '10Gi', 'RWO', 'local-path', '<unset>', '10m', 'Filesystem']);
  const waiting = object(
    'v1',
    'PersistentVolumeClaim',
    { name: 'cache', namespace: 'default', deletionTimestamp: ago(0) },
    { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path' }, status: {} },
  );
  assert.deepEqual(cells(waiting), ['cache', 'Terminating', '', '', '', 'local-path', '<unset>', '10m', 'Filesystem']);
  const pending = object('v1', 'PersistentVolumeClaim', { name: 'p' }, { spec: {} });
  assert.deepEqual(cells(pending).slice(1, 3), ['Pending', '']);
});

test('every other kind: Name and Created At, as upstream prints kinds without their own columns', () => {
  const created = ago(90 * s);
  const role = object('rbac.authorization.k8s.io/v1', 'ClusterRole', { name: 'admin', creationTimestamp: created }, { rules: [] });
  assert.deepEqual(cells(role), ['admin', created]);
  const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
  assert.deepEqual(cells(widget), ['w', '']);
});

test('includeObject: PartialObjectMetadata, the whole object, or none; list metadata carried over', () => {
  const objects = [webPod, creatingPod];
  const meta = toTable({ group: '', kind: 'Pod' }, objects, { includeObject: 'Metadata', now: NOW, listMeta: { resourceVersion: '42', continue: 'next', remainingItemCount: 3 } });
  assert.deepEqual(Object.keys(meta), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
  assert.equal(meta.kind, 'Table');
  assert.equal(meta.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(meta.metadata, { resourceVersion: '42', continue: 'next', remainingItemCount: 3 });
  assert.deepEqual(meta.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: webPod.metadata });
  assert.deepEqual(Object.keys(meta.rows[0]!), ['cells', 'object']);

  const whole = toTable({ group: '', kind: 'Pod' }, objects, { includeObject: 'Object', now: NOW, listMeta: { resourceVersion: '42' } });
  assert.deepEqual(whole.metadata, { resourceVersion: '42' });
  assert.deepEqual(whole.rows.map((r) => r.object), objects);

  const none = toTable({ group: '', kind: 'Pod' }, objects, { includeObject: 'None', now: NOW });
  assert.deepEqual(none.metadata, {});
  assert.ok(none.rows.every((r) => !('object' in r)));
  assert.equal(JSON.stringify(none.rows[0]), JSON.stringify({ cells: cells(webPod) }));
});

// --- kubectl ------------------------------------------------------------------

const kubectlDir = '/usr/lib/google-cloud-sdk/bin';
const kubectl133 = join(kubectlDir, 'kubectl.1.33');
const kubectl127 = join(kubectlDir, 'kubectl.1.27');
const run = promisify(execFile);

interface FakeApiServer {
  readonly kubeconfig: string;
  readonly cacheDir: string;
  readonly home: string;
  readonly tableRequests: { accept: string; url: string }[];
}

/** Just enough discovery for `kubectl get pods`, and the pods as a Table. */
async function fakeApiServer(t: TestContext, pods: readonly KubeObject[]): Promise<FakeApiServer> {
  const tableRequests: { accept: string; url: string }[] = [];
  const json = (res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void => {
    res.writeHead(status, { 'Content-Type': contentType });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') return json(res, 405, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 405 });
    switch (url.pathname) {
      case '/api':
        return json(res, 200, { kind: 'APIVersions', versions: ['v1'] });
      case '/apis':
        return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      case '/api/v1':
        return json(res, 200, {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] }],
        });
      case '/api/v1/namespaces/default/pods': {
        const accept = req.headers.accept ?? '';
        tableRequests.push({ accept, url: req.url ?? '' });
        if (!accept.includes('as=Table')) return json(res, 406, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 406 });
        const includeObject = (url.searchParams.get('includeObject') ?? 'Metadata') as IncludeObject;
        const table: Table = toTable({ group: '', kind: 'Pod' }, pods, { includeObject, now: NOW, listMeta: { resourceVersion: '7' } });
        return json(res, 200, table, 'application/json;as=Table;v=v1;g=meta.k8s.io');
      }
      default:
        return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;

  const home = await tempDir(t, 'bramble-kubectl-');
  const kubeconfig = join(home, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: http://127.0.0.1:${port}`,
      'users:',
      '- name: fake',
      '  user: {}',
      'contexts:',
      '- name: fake',
      '  context: {cluster: fake, user: fake, namespace: default}',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return { kubeconfig, cacheDir: join(home, 'cache'), home, tableRequests };
}

async function kubectl(binary: string, server: FakeApiServer, ...args: string[]): Promise<string[]> {
  const { stdout } = await run(binary, ['--kubeconfig', server.kubeconfig, '--cache-dir', server.cacheDir, ...args], {
    env: { HOME: server.home, PATH: process.env['PATH'] ?? '' },
    timeout: 30_000,
  });
  return stdout.split('\n').filter((line) => line !== '');
}

const kubectlPods = [webPod, creatingPod, completedPod];

test('kubectl 1.33 prints the table: get pods and -o wide', { skip: existsSync(kubectl133) ? false : 'kubectl 1.33 not installed' }, async (t) => {
  const server = await fakeApiServer(t, kubectlPods);
  assert.deepEqual(await kubectl(kubectl133, server, 'get', 'pods'), [
    'NAME    READY   STATUS              RESTARTS     AGE',
    'web-1   2/2     Running             3 (5m ago)   10m',
    'web-2   0/1     ContainerCreating   0            30s',
    'job-1   0/1     Completed           0            2d',
  ]);
  assert.deepEqual(await kubectl(kubectl133, server, 'get', 'pods', '-o', 'wide'), [
    'NAME    READY   STATUS              RESTARTS     AGE   IP          NODE     NOMINATED NODE   READINESS GATES',
    'web-1   2/2     Running             3 (5m ago)   10m   10.42.0.5   node-1   <none>           <none>',
    'web-2   0/1     ContainerCreating   0            30s   <none>      node-1   <none>           <none>',
    'job-1   0/1     Completed           0            2d    10.42.1.9   node-2   <none>           <none>',
  ]);
  // kubectl takes the labels from each row's PartialObjectMetadata.
  assert.deepEqual(await kubectl(kubectl133, server, 'get', 'pods', '--show-labels'), [
    'NAME    READY   STATUS              RESTARTS     AGE   LABELS',
    'web-1   2/2     Running             3 (5m ago)   10m   app=web',
    'web-2   0/1     ContainerCreating   0            30s   <none>',
    'job-1   0/1     Completed           0            2d    batch.kubernetes.io/job-name=job',
  ]);
  assert.ok(server.tableRequests.length >= 3);
  for (const { accept } of server.tableRequests) assert.match(accept, /^application\/json;as=Table;v=v1;g=meta\.k8s\.io/);
});

test('kubectl 1.27 prints the table too', { skip: existsSync(kubectl127) ? false : 'kubectl 1.27 not installed' }, async (t) => {
  const server = await fakeApiServer(t, kubectlPods);
  assert.deepEqual(await kubectl(kubectl127, server, 'get', 'pods'), [
    'NAME    READY   STATUS              RESTARTS     AGE',
    'web-1   2/2     Running             3 (5m ago)   10m',
    'web-2   0/1     ContainerCreating   0            30s',
    'job-1   0/1     Completed           0            2d',
  ]);
});

// Upstream's warnings for built-in kinds and custom resources (Kubernetes
// 1.31's WarningsOnCreate / WarningsOnUpdate): their exact texts, order and
// field paths, when the registry asks for them (create, update, dry run,
// never a status write or an invalid object), and how the Warning headers
// go out over HTTP after field validation's, deduplicated and cut as
// upstream's recorder does.
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { createLogger } from '../../common/log.js';
import { ALLOW, type Authorizer } from '../../server/api/auth/authorizer.js';
import type { UserInfo } from '../../server/api/auth/user.js';
import { CrdCatalogue } from '../../server/api/crd/crd-catalogue.js';
import { withCustomResourceRules } from '../../server/api/crd/rules.js';
import { addWarning } from '../../server/api/http/warnings.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { appArmorSyncWarnings, applyAppArmorVersionSkew } from '../../server/api/kinds/apparmor.js';
import { podTemplateWarnings, podWarnings } from '../../server/api/kinds/pod-warnings.js';
import { cronJobWarnings, daemonSetWarnings, jobWarnings, statefulSetWarnings } from '../../server/api/kinds/workload-warnings.js';
import { serviceWarnings } from '../../server/api/kinds/service-warnings.js';
import { volumeWarnings } from '../../server/api/kinds/storage-warnings.js';
import type { KubeObject } from '../../server/api/objects.js';
import type { Registry, UpdateOptions } from '../../server/api/registry/registry.js';
import type { ResourceType } from '../../server/api/resources.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { widgetsDefinition } from '../helpers/crd-objects.js';
import { handlerApi } from '../helpers/handler-api.js';
import { until } from '../helpers/store.js';

const OS = 'deprecated since v1.14; use "kubernetes.io/os" instead';
const DOTS = 'metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]';

function deployment(name: string, podSpec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }], ...podSpec } },
      ...extra,
    },
  };
}

/** An object for the warning functions alone, which read no apiVersion or kind. */
function bare(fields: { metadata: KubeObject['metadata'] } & Record<string, unknown>): KubeObject {
  return { apiVersion: 'test/v1', kind: 'Test', ...fields };
}

/** The warnings a registry write gives, and what it returned (or threw). */
async function warned<T>(write: (opts: { warn: (w: string) => void }) => Promise<T>): Promise<{ warnings: string[]; result: T | ApiError }> {
  const warnings: string[] = [];
  try {
    return { warnings, result: await write({ warn: (w) => warnings.push(w) }) };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { warnings, result: err };
  }
}

async function registryOf(t: TestContext): Promise<{ registry: Registry; type: (group: string, version: string, plural: string) => ResourceType }> {
  const { registry, catalogue } = await apiRegistry(t);
  return { registry, type: (group, version, plural) => catalogue.get(group, version, plural)! };
}

describe('pod and pod template warnings', () => {
  /** A template every one of warnings.go's checks finds something in (already defaulted: protocols, decoded quantities). */
  const template = {
    metadata: {
      annotations: {
        'scheduler.alpha.kubernetes.io/critical-pod': '',
        'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default',
        'container.seccomp.security.alpha.kubernetes.io/web': 'runtime/default',
        'container.apparmor.security.beta.kubernetes.io/init': 'runtime/default',
      },
    },
    spec: {
      nodeSelector: { 'beta.kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux', 'failure-domain.beta.kubernetes.io/zone': 'a' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
                  { key: 'beta.kubernetes.io/os', operator: 'In', values: ['linux'] },
                ],
              },
            ],
          },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'beta.kubernetes.io/instance-type', operator: 'Exists' }] } }],
        },
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone' }],
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'zone', labelSelector: {} } }],
        },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'zone' } }] },
      },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'failure-domain.beta.kubernetes.io/region', whenUnsatisfiable: 'DoNotSchedule' }],
      volumes: [
        { name: 'repo', gitRepo: { repository: 'https://example.com/r.git' } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1.5' } } } } } },
        { name: 'ceph', cephfs: { monitors: ['m:6789'] } },
      ],
      hostAliases: [
        { ip: '10.0.0.1', hostnames: ['a'] },
        { ip: '10.0.0.1', hostnames: ['b'] },
      ],
      imagePullSecrets: [{ name: 'reg' }, { name: 'reg' }, { name: '' }],
      overhead: { memory: '0.5' },
      securityContext: {},
      terminationGracePeriodSeconds: -1,
      initContainers: [{ name: 'init', image: 'busybox', ports: [{ containerPort: 80, protocol: 'TCP' }] }],
      containers: [
        {
          name: 'web',
          image: 'nginx:1',
          env: [
            { name: 'A', value: '1' },
            { name: 'A', value: '$(A):2' },
            { name: 'A', value: '3' },
          ],
          resources: { limits: { memory: '1500m' }, requests: { 'ephemeral-storage': '2.5' } },
          ports: [
            { containerPort: 80, protocol: 'TCP' },
            { containerPort: 8080, protocol: 'TCP', hostIP: '10.0.0.1' },
          ],
        },
      ],
    },
  };

  test("every check of warnings.go, in upstream's order, with the template's paths", () => {
    const s = 'spec.template.spec';
    const a = 'spec.template.metadata.annotations';
    assert.deepEqual(podTemplateWarnings('spec.template', template), [
      `${s}.nodeSelector[beta.kubernetes.io/arch]: deprecated since v1.14; use "kubernetes.io/arch" instead`,
      `${s}.nodeSelector[failure-domain.beta.kubernetes.io/zone]: deprecated since v1.17; use "topology.kubernetes.io/zone" instead`,
      `${s}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].key: beta.kubernetes.io/os is ${OS}`,
      `${s}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].key: beta.kubernetes.io/instance-type is deprecated since v1.17; use "node.kubernetes.io/instance-type" instead`,
      `${s}.topologySpreadConstraints[0].topologyKey: failure-domain.beta.kubernetes.io/region is deprecated since v1.17; use "topology.kubernetes.io/region" instead`,
      `${s}.topologySpreadConstraints[0].labelSelector: a null labelSelector results in matching no pod`,
      `${a}[scheduler.alpha.kubernetes.io/critical-pod]: non-functional in v1.16+; use the "priorityClassName" field instead`,
      `${s}.volumes[0].gitRepo: deprecated in v1.11`,
      `${s}.volumes[1].ephemeral.volumeClaimTemplate.spec.resources.requests[storage]: fractional byte value "1500m" is invalid, must be an integer`,
      `${s}.volumes[2].cephfs: deprecated in v1.28, non-functional in v1.31+`,
      `${s}.hostAliases[1].ip: duplicate ip "10.0.0.1"`,
      `${s}.imagePullSecrets[1].name: duplicate name "reg"`,
      `${s}.imagePullSecrets[2].name: invalid empty name ""`,
      `${s}.overhead[memory]: fractional byte value "500m" is invalid, must be an integer`,
      `${a}[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the "seccompProfile" field instead`,
      `${a}[container.apparmor.security.beta.kubernetes.io/init]: deprecated since v1.30; use the "appArmorProfile" field instead`,
      `${a}[container.seccomp.security.alpha.kubernetes.io/web]: non-functional in v1.27+; use the "seccompProfile" field instead`,
      `${s}.containers[0].resources.limits[memory]: fractional byte value "1500m" is invalid, must be an integer`,
      `${s}.containers[0].resources.requests[ephemeral-storage]: fractional byte value "2500m" is invalid, must be an integer`,
      `${s}.containers[0].env[2]: hides previous definition of "A", which may be dropped when using apply`,
      `${s}.containers[0].ports[0]: duplicate port definition with ${s}.initContainers[0].ports[0]`,
      `${s}.containers[0].ports[1]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:8080 Protocol:TCP HostIP:10.0.0.1}`,
      `${s}.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1`,
      `${s}.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector: a null labelSelector results in matching no pod`,
      `${s}.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector: a null labelSelector results in matching no pod`,
    ]);
  });

  test('a pod has no prefix, and its AppArmor annotations are warned about apart (as upstream syncs them), unless they are the pod-level profile', () => {
    const pod = bare({
      metadata: {
        name: 'p',
        annotations: {
          'container.apparmor.security.beta.kubernetes.io/a': 'runtime/default',
          'container.apparmor.security.beta.kubernetes.io/b': 'localhost/ ',
          'container.apparmor.security.beta.kubernetes.io/c': 'unconfined',
          'container.apparmor.security.beta.kubernetes.io/d': 'runtime/default',
        },
      },
      spec: {
        nodeSelector: { 'beta.kubernetes.io/os': 'linux' },
        securityContext: { appArmorProfile: { type: 'Unconfined' } },
        containers: ['a', 'b', 'c', 'd'].map((name) => ({ name, image: 'x', ...(name === 'd' ? { securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } } : {}) })),
      },
    });
    assert.deepEqual(podWarnings(pod), [`spec.nodeSelector[beta.kubernetes.io/os]: ${OS}`]);
    const deprecated = 'deprecated since v1.30; use the "appArmorProfile" field instead';
    applyAppArmorVersionSkew(pod);
    assert.deepEqual(appArmorSyncWarnings(pod), [
      `metadata.annotations[container.apparmor.security.beta.kubernetes.io/a]: ${deprecated}`,
      `metadata.annotations[container.apparmor.security.beta.kubernetes.io/b]: ${deprecated}`,
    ]);
    // a's annotation was copied into its field; b's names no valid profile, c's is the pod's own.
    assert.deepEqual(
      (pod['spec'] as PodSpec).containers.map((c) => c.securityContext?.appArmorProfile),
      [{ type: 'RuntimeDefault' }, undefined, undefined, { type: 'RuntimeDefault' }],
    );
  });

  test("ports: overlapping when one has no host port, dangerously ambiguous when one host port is bound to every address and to one; env entries that build on the earlier one are fine", () => {
    const warnings = podTemplateWarnings('spec.template', {
      spec: {
        containers: [
          {
            name: 'a',
            image: 'x',
            env: [
              { name: 'P', value: '/bin' },
              { name: 'P', value: '$(P):/usr/bin' },
              { name: 'Q', value: 'x' },
              { name: 'Q', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            ],
            ports: [
              { containerPort: 53, protocol: 'UDP', hostPort: 53 },
              { containerPort: 53, protocol: 'UDP' },
              { containerPort: 53, protocol: 'UDP', hostPort: 53, hostIP: '10.0.0.1' },
              { containerPort: 53, protocol: 'TCP', hostPort: 53 },
            ],
          },
        ],
      },
    });
    const c = 'spec.template.spec.containers[0]';
    assert.deepEqual(warnings, [
      `${c}.env[3]: hides previous definition of "Q", which may be dropped when using apply`,
      `${c}.ports[1]: overlapping port definition with ${c}.ports[0]`,
      `${c}.ports[2]: dangerously ambiguous port definition with ${c}.ports[0]`,
      `${c}.ports[2]: overlapping port definition with ${c}.ports[1]`,
    ]);
  });
});

describe('workloads', () => {
  test('a Deployment: its name and template on create, dry run too; on update only when the spec changed; a scale moves the generation too', async (t) => {
    const { registry, type } = await registryOf(t);
    const deployments = type('apps', 'v1', 'deployments');
    const selector = { nodeSelector: { 'beta.kubernetes.io/os': 'linux' } };
    const template = [`spec.template.spec.nodeSelector[beta.kubernetes.io/os]: ${OS}`];

    const dry = await warned((o) => registry.create(deployments, 'default', deployment('web.v1', selector), { ...o, dryRun: true }));
    assert.deepEqual(dry.warnings, [DOTS, ...template]);
    await assert.rejects(registry.get(deployments, 'default', 'web.v1'), /not found/);
    assert.deepEqual((await warned((o) => registry.create(deployments, 'default', deployment('web.v1', selector), o))).warnings, [DOTS, ...template]);

    const labelsOnly = await warned((o) => registry.patch(deployments, 'default', 'web.v1', (d) => ({ ...d, metadata: { ...d.metadata, labels: { a: 'b' } } }), o));
    assert.deepEqual(labelsOnly.warnings, [], 'no spec change: no warnings');
    const scaled = await warned((o) =>
      registry.patch(deployments, 'default', 'web.v1', (d) => ({ ...d, spec: { ...(d['spec'] as object), replicas: 3 } }), o),
    );
    assert.deepEqual(scaled.warnings, template, 'the name is warned about on create only');
    const status = await warned((o: UpdateOptions) =>
      registry.patch(deployments, 'default', 'web.v1', (d) => ({ ...d, status: { replicas: 1 } }), { ...o, subresource: 'status' }),
    );
    assert.deepEqual(status.warnings, [], 'a status write warns of nothing');
  });

  test('an invalid object gets its 422 and no warnings; a write without a sink is not warned about', async (t) => {
    const { registry, type } = await registryOf(t);
    const deployments = type('apps', 'v1', 'deployments');
    const invalid = await warned((o) => registry.create(deployments, 'default', deployment('web', { nodeSelector: { 'beta.kubernetes.io/os': 'linux' } }, { replicas: -1 }), o));
    assert.ok(invalid.result instanceof ApiError && invalid.result.code === 422);
    assert.deepEqual(invalid.warnings, []);
    await registry.create(deployments, 'default', deployment('web', { nodeSelector: { 'beta.kubernetes.io/os': 'linux' } }), {});
  });

  test('a Pod: on create only, its AppArmor annotations first, then its name (its hostname), then its spec', async (t) => {
    const { registry, type } = await registryOf(t);
    const pods = type('', 'v1', 'pods');
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p.1', annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'runtime/default' } },
      spec: { nodeSelector: { 'beta.kubernetes.io/os': 'linux' }, containers: [{ name: 'c', image: 'busybox' }] },
    };
    assert.deepEqual((await warned((o) => registry.create(pods, 'default', pod, o))).warnings, [
      'metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: deprecated since v1.30; use the "appArmorProfile" field instead',
      "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
      `spec.nodeSelector[beta.kubernetes.io/os]: ${OS}`,
    ]);
    const updated = await warned((o) => registry.patch(pods, 'default', 'p.1', (p) => ({ ...p, metadata: { ...p.metadata, labels: { a: 'b' } } }), o));
    assert.deepEqual(updated.warnings, []);
  });

  test("a CronJob's template sits at spec.jobTemplate.spec.template; an update keeping a TZ schedule is told to use timeZone", async (t) => {
    const { registry, type } = await registryOf(t);
    const cronJobs = type('batch', 'v1', 'cronjobs');
    const cronJob: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', nodeSelector: { 'beta.kubernetes.io/os': 'linux' }, containers: [{ name: 'c', image: 'busybox' }] } } } },
      },
    };
    const path = `spec.jobTemplate.spec.template.spec.nodeSelector[beta.kubernetes.io/os]: ${OS}`;
    assert.deepEqual((await warned((o) => registry.create(cronJobs, 'default', cronJob, o))).warnings, [path]);
    const stored = await registry.get(cronJobs, 'default', 'nightly');
    const withTZ = { ...stored, spec: { ...(stored['spec'] as object), schedule: 'TZ=UTC 0 3 * * *' } };
    const tz =
      'cannot use TZ or CRON_TZ in spec.spec.schedule, use timeZone instead, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details';
    assert.deepEqual(cronJobWarnings({ ...withTZ, metadata: { ...stored.metadata, generation: 2 } }, stored), [path, tz]);
    assert.deepEqual(cronJobWarnings(withTZ, stored), [tz], 'no generation change: only the schedule');
  });

  test('a Job: an Indexed one past the soft limits of completions and parallelism', () => {
    const job = (completions: number, parallelism: number): KubeObject =>
      bare({ metadata: { name: 'j', generation: 1 }, spec: { completionMode: 'Indexed', completions, parallelism, template: { spec: { containers: [] } } } });
    assert.deepEqual(jobWarnings(job(100_001, 10_001), undefined), [
      'spec: In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than 10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail',
    ]);
    assert.deepEqual(jobWarnings(job(100_000, 10_001), undefined), []);
  });

  test("a StatefulSet: its claim templates on every update, with upstream's paths (none below the index on create, \"Spec\" on update); no name warning", () => {
    const set = (generation: number, image: string): KubeObject =>
      bare({
        metadata: { name: 'db.v1', generation },
        spec: {
          template: { spec: { nodeSelector: { 'beta.kubernetes.io/os': 'linux' }, containers: [{ name: 'c', image }] } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: '0.5' }, limits: { storage: '1.5' } } } }],
        },
      });
    const fraction = (path: string, value: string) => `${path}: fractional byte value "${value}" is invalid, must be an integer`;
    assert.deepEqual(statefulSetWarnings(set(1, 'a'), undefined), [
      `spec.template.spec.nodeSelector[beta.kubernetes.io/os]: ${OS}`,
      fraction('spec.volumeClaimTemplates[0].resources.requests[storage]', '500m'),
      fraction('spec.volumeClaimTemplates[0].resources.limits[storage]', '1500m'),
    ]);
    assert.deepEqual(statefulSetWarnings(set(1, 'a'), set(1, 'a')), [
      fraction('spec.volumeClaimTemplates[0].Spec.resources.requests[storage]', '500m'),
      fraction('spec.volumeClaimTemplates[0].Spec.resources.limits[storage]', '1500m'),
    ]);
  });

  test("a DaemonSet: on update only when its template changed (its template generation moved)", () => {
    const set = (image: string, minReadySeconds: number): KubeObject =>
      bare({ metadata: { name: 'agent' }, spec: { minReadySeconds, template: { spec: { nodeSelector: { 'beta.kubernetes.io/os': 'linux' }, containers: [{ name: 'c', image }] } } } });
    const warning = [`spec.template.spec.nodeSelector[beta.kubernetes.io/os]: ${OS}`];
    assert.deepEqual(daemonSetWarnings(set('a', 0), undefined), warning);
    assert.deepEqual(daemonSetWarnings(set('a', 5), set('a', 0)), []);
    assert.deepEqual(daemonSetWarnings(set('b', 0), set('a', 0)), warning);
  });
});

describe('other kinds', () => {
  test('PersistentVolumes and claims: the beta storage-class annotation, Recycle, deprecated node labels, removed plugins, fractional bytes', async (t) => {
    const { registry, type } = await registryOf(t);
    const annotation = 'metadata.annotations[volume.beta.kubernetes.io/storage-class]: deprecated since v1.8; use "storageClassName" attribute instead';
    const pv: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv1', annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Recycle',
        hostPath: { path: '/data' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'beta.kubernetes.io/os', operator: 'In', values: ['linux'] }] }] } },
      },
    };
    const pvWarnings = [
      annotation,
      'spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is deprecated. Instead, the recommended approach is to use dynamic provisioning.',
      `spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].key: beta.kubernetes.io/os is ${OS}`,
    ];
    const pvs = type('', 'v1', 'persistentvolumes');
    assert.deepEqual((await warned((o) => registry.create(pvs, undefined, pv, o))).warnings, pvWarnings);
    const relabelled = await warned((o) => registry.patch(pvs, undefined, 'pv1', (v) => ({ ...v, metadata: { ...v.metadata, labels: { a: 'b' } } }), o));
    assert.deepEqual(relabelled.warnings, pvWarnings, 'every update');
    assert.deepEqual(volumeWarnings(bare({ metadata: {}, spec: { rbd: { monitors: ['m'] }, scaleIO: {} } })), [
      'spec.scaleIO: deprecated in v1.16, non-functional in v1.22+',
      'spec.rbd: deprecated in v1.28, non-functional in v1.31+',
    ]);

    const pvc: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'c', annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1.5' } } },
    };
    assert.deepEqual((await warned((o) => registry.create(type('', 'v1', 'persistentvolumeclaims'), 'default', pvc, o))).warnings, [
      annotation,
      'spec.resources.requests[storage]: fractional byte value "1500m" is invalid, must be an integer',
    ]);
  });

  test('StorageClasses, FQDN EndpointSlices (on create), Ingresses with the class annotation (on create), Nodes', async (t) => {
    const { registry, type } = await registryOf(t);
    const sc: KubeObject = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'zonal' },
      provisioner: 'example.com/disk',
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'failure-domain.beta.kubernetes.io/zone', values: ['a'] }] }],
    };
    assert.deepEqual((await warned((o) => registry.create(type('storage.k8s.io', 'v1', 'storageclasses'), undefined, sc, o))).warnings, [
      'allowedTopologies[0].matchLabelExpressions[0].key: deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
    ]);

    const slices = type('discovery.k8s.io', 'v1', 'endpointslices');
    const slice: KubeObject = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'ext' }, addressType: 'FQDN', endpoints: [{ addresses: ['example.com'] }] };
    assert.deepEqual((await warned((o) => registry.create(slices, 'default', slice, o))).warnings, ['spec.addressType: FQDN endpoints are deprecated']);
    assert.deepEqual((await warned((o) => registry.patch(slices, 'default', 'ext', (s) => ({ ...s, metadata: { ...s.metadata, labels: { a: 'b' } } }), o))).warnings, []);

    const ingresses = type('networking.k8s.io', 'v1', 'ingresses');
    const ingress = (name: string, className?: string): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, annotations: { 'kubernetes.io/ingress.class': 'nginx' } },
      spec: { ...(className === undefined ? {} : { ingressClassName: className }), defaultBackend: { service: { name: 's', port: { number: 80 } } } },
    });
    assert.deepEqual((await warned((o) => registry.create(ingresses, 'default', ingress('a'), o))).warnings, [
      `annotation "kubernetes.io/ingress.class" is deprecated, please use 'spec.ingressClassName' instead`,
    ]);
    assert.deepEqual((await warned((o) => registry.create(ingresses, 'default', ingress('b', 'nginx'), o))).warnings, []);

    const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { externalID: 'i-123' } };
    assert.deepEqual((await warned((o) => registry.create(type('', 'v1', 'nodes'), undefined, node, o))).warnings, [
      'spec.externalID: this field is deprecated, and is unused by Kubernetes',
    ]);
  });

  test("Services: the deprecated hints annotation, addresses netip refuses or prints otherwise, and what the type ignores", async (t) => {
    const { registry, type } = await registryOf(t);
    const service: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', annotations: { 'service.kubernetes.io/topology-aware-hints': 'auto' } },
      spec: { ports: [{ port: 80 }], externalIPs: ['2001:DB8::1', '10.0.0.1'], externalName: 'example.com' },
    };
    assert.deepEqual((await warned((o) => registry.create(type('', 'v1', 'services'), 'default', service, o))).warnings, [
      'annotation service.kubernetes.io/topology-aware-hints is deprecated, please use service.kubernetes.io/topology-mode instead',
      'spec.externalIPs[0]: IPv6 address "2001:DB8::1" is not in RFC 5952 canonical format ("2001:db8::1"), which may cause controller apply-loops',
      'spec.externalName is ignored when spec.type is not "ExternalName"',
    ]);
    const spec = {
      type: 'ExternalName',
      externalName: 'example.com',
      clusterIP: '10.96.0.10',
      clusterIPs: ['010.96.0.10', '::ffff:a60:a'],
      externalIPs: ['::ffff:10.0.0.1'],
      loadBalancerIP: '2001:db8:0:0::1',
      loadBalancerSourceRanges: ['10.0.0.0/08', '2001:DB8::/32', '10.0.0.0/8', '010.0.0.0/8'],
    };
    assert.deepEqual(serviceWarnings(bare({ metadata: {}, spec })), [
      'spec.clusterIPs[0]: IP address was accepted, but will be invalid in a future Kubernetes release: ParseAddr("010.96.0.10"): IPv4 field has octet with leading zero',
      'spec.clusterIPs[1]: IPv6 address "::ffff:a60:a" is not in RFC 5952 canonical format ("::ffff:10.96.0.10"), which may cause controller apply-loops',
      'spec.loadBalancerIP: IPv6 address "2001:db8:0:0::1" is not in RFC 5952 canonical format ("2001:db8::1"), which may cause controller apply-loops',
      'spec.loadBalancerSourceRanges[0]: IP prefix was accepted, but will be invalid in a future Kubernetes release: netip.ParsePrefix("10.0.0.0/08"): bad bits after slash: "08"',
      'spec.loadBalancerSourceRanges[1]: IPv6 prefix "2001:DB8::/32" is not in RFC 5952 canonical format ("2001:db8::/32"), which may cause controller apply-loops',
      'spec.loadBalancerSourceRanges[3]: IP prefix was accepted, but will be invalid in a future Kubernetes release: netip.ParsePrefix("010.0.0.0/8"): ParseAddr("010.0.0.0"): IPv4 field has octet with leading zero',
      'spec.externalIPs is ignored when spec.type is "ExternalName"',
    ]);
  });

  test("custom resources: each finalizer a write adds, sorted, that is no qualified name or has no domain", async (t) => {
    const quiet = createLogger({ level: 'error' });
    const { catalogue, registry } = await apiRegistry(t, { rules: () => withCustomResourceRules(rulesFor, quiet) });
    const crds = await CrdCatalogue.start({ registry, catalogue, log: quiet });
    t.after(() => crds.close());
    const schema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
    await registry.create(catalogue.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!, undefined, widgetsDefinition({ schema }), {});
    await until(() => catalogue.get('example.com', 'v1', 'widgets') !== undefined, 'widgets served');
    const widgets = catalogue.get('example.com', 'v1', 'widgets')!;
    const prefer = 'prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers';
    const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', finalizers: ['zeta', 'example.com/ok', 'orphan', 'alpha'] } };
    assert.deepEqual((await warned((o) => registry.create(widgets, 'default', widget, o))).warnings, [
      `metadata.finalizers: "alpha": ${prefer}`,
      `metadata.finalizers: "zeta": ${prefer}`,
    ]);
    const added = await warned((o) =>
      registry.patch(widgets, 'default', 'w', (w) => ({ ...w, metadata: { ...w.metadata, finalizers: [...(w.metadata.finalizers ?? []), 'bad name!'] } }), o),
    );
    assert.deepEqual(added.warnings, [
      `metadata.finalizers: "bad name!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      `metadata.finalizers: "bad name!": ${prefer}`,
    ]);
  });
});

describe('Warning headers', () => {
  const ADMIN: UserInfo = { name: 'admin', groups: ['system:masters'] };
  const allow: Authorizer = { authorize: async () => ALLOW };
  const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

  test("field validation's warnings come first, then the kind's; a dry run has them; an error after validation carries them too", async (t) => {
    const api = await handlerApi(t, allow);
    const body = { ...deployment('web.v1', { nodeSelector: { 'beta.kubernetes.io/os': 'linux' } }), bogus: 1 };
    const expected = ['unknown field "bogus"', DOTS, `spec.template.spec.nodeSelector[beta.kubernetes.io/os]: ${OS}`];
    const dry = await api.send(ADMIN, 'POST', `${DEPLOYMENTS}?dryRun=All`, body);
    assert.equal(dry.status, 201);
    assert.deepEqual(dry.warnings, expected);
    const created = await api.send(ADMIN, 'POST', DEPLOYMENTS, body);
    assert.equal(created.status, 201);
    assert.deepEqual(created.warnings, expected);
    const again = await api.send(ADMIN, 'POST', DEPLOYMENTS, body);
    assert.equal(again.status, 409, 'upstream warns before storage refuses the name');
    assert.deepEqual(again.warnings, expected);
    const invalid = await api.send(ADMIN, 'POST', DEPLOYMENTS, { ...deployment('bad', {}, { replicas: -1 }), bogus: 1 });
    assert.equal(invalid.status, 422);
    assert.deepEqual(invalid.warnings, ['unknown field "bogus"'], "the decoder's warning, none of the kind's");
  });

  test('patches and server-side apply: the patched object is checked, then the kind warns; scale too', async (t) => {
    const api = await handlerApi(t, allow);
    const template = `spec.template.spec.nodeSelector[beta.kubernetes.io/os]: ${OS}`;
    const applied = await api.send(ADMIN, 'PATCH', `${DEPLOYMENTS}/web?fieldManager=t`, deployment('web', { nodeSelector: { 'beta.kubernetes.io/os': 'linux' } }), 'application/apply-patch+yaml');
    assert.equal(applied.status, 201);
    assert.deepEqual(applied.warnings, [template]);
    const scaled = await api.send(ADMIN, 'PATCH', `${DEPLOYMENTS}/web/scale`, { spec: { replicas: 3 } }, 'application/merge-patch+json');
    assert.equal(scaled.status, 200);
    assert.deepEqual(scaled.warnings, [template], "the scale goes through the Deployment's own strategy, whose generation moved");
    const status = await api.send(ADMIN, 'PATCH', `${DEPLOYMENTS}/web/status`, { status: { replicas: 1 } }, 'application/merge-patch+json');
    assert.equal(status.status, 200);
    assert.deepEqual(status.warnings, []);
    const patched = await api.send(ADMIN, 'PATCH', `${DEPLOYMENTS}/web`, { spec: { replicas: 2, bogus: true } }, 'application/merge-patch+json');
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.warnings, ['unknown field "spec.bogus"', template]);
  });

  test("the recorder: each text once, none with control characters, UTF-8 bytes, and past 4096 characters each cut to 256, then later ones dropped", () => {
    const res = new ServerResponse(new IncomingMessage(new Socket()));
    const header = () => ((res.getHeader('warning') as string[] | undefined) ?? []).map((h) => Buffer.from(h, 'latin1').toString('utf8'));
    addWarning(res, 'a "quoted" \\ text');
    addWarning(res, 'a "quoted" \\ text');
    addWarning(res, 'line\nbreak');
    addWarning(res, '');
    addWarning(res, 'ünïcode');
    assert.deepEqual(header(), ['299 - "a \\"quoted\\" \\\\ text"', '299 - "ünïcode"']);
    addWarning(res, 'x'.repeat(4000));
    assert.equal(header().length, 3, 'still within 4096 characters');
    addWarning(res, 'y'.repeat(300));
    assert.deepEqual(
      header().map((h) => h.length),
      [28, 15, 8 + 256, 8 + 256],
      'over the limit: every text cut to 256 characters',
    );
    for (let i = 0; i < 20; i++) addWarning(res, `${i}`.repeat(300));
    const cut = header();
    assert.equal(cut.length, 18, 'texts are dropped once the cut ones fill 4096 characters');
    assert.ok(cut.every((h) => h.length <= 8 + 256));
  });
});

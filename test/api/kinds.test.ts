// Defaults and validation of the common kinds (server/api/kinds): minimal
// manifests against what a Kubernetes 1.31 cluster returns for them, and each
// validation rule with the exact field and message kubectl would print.
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { BUILTIN_RESOURCES } from '../../server/api/catalogue.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import type { KubeObject } from '../../server/api/objects.js';
import { ApiError } from '../../server/api/status.js';
import { causes, create, invalid, type Json, refusal, typeOf, UID, update } from '../helpers/kind-rules.js';
import { apiRegistry } from '../helpers/api-registry.js';

// --- manifests ----------------------------------------------------------------

const nginx = (extra: Json = {}): Json => ({ name: 'web', image: 'nginx', ...extra });
const pod = (spec: Json, name = 'web'): Json => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec });
const template = (spec: Json = {}, labels: Json = { app: 'web' }): Json => ({ metadata: { labels }, spec: { containers: [nginx()], ...spec } });
const deployment = (spec: Json = {}): Json => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { selector: { matchLabels: { app: 'web' } }, template: template(), ...spec },
});
const workload = (kind: string, spec: Json = {}): Json => ({ ...deployment(spec), kind });
const job = (spec: Json = {}, name = 'pi'): Json => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }], restartPolicy: 'Never' } }, ...spec },
});
const cronJob = (spec: Json = {}, name = 'hello'): Json => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name },
  spec: {
    schedule: '*/5 * * * *',
    jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox' }], restartPolicy: 'OnFailure' } } } },
    ...spec,
  },
});
const service = (spec: Json = {}): Json => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec } });
const configMap = (extra: Json): Json => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, ...extra });
const secret = (extra: Json): Json => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, ...extra });

/** A container as the API returns it for `image` with nothing else set. */
const defaultedContainer = (name: string, image: string, pullPolicy = 'Always'): Json => ({
  name,
  image,
  imagePullPolicy: pullPolicy,
  resources: {},
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
});

/** The pod-spec defaults every template gets. */
const templateSpecDefaults = {
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};

const NODE_TOLERATIONS = [
  { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
  { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
];

const UPDATABLE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

// --- pods -----------------------------------------------------------------------

describe('pods', () => {
  // The kind's rules alone: priority and preemptionPolicy come from the Priority admission plugin (test/api/priority-classes.test.ts).
  test('a one-container pod comes back as a cluster returns it', () => {
    const p = create(pod({ containers: [nginx()] }));
    assert.deepEqual(p['spec'], {
      containers: [defaultedContainer('web', 'nginx')],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: NODE_TOLERATIONS,
    });
    assert.deepEqual(p['status'], { phase: 'Pending', qosClass: 'BestEffort' });
  });

  test('the pull policy follows the image tag', () => {
    const policies = Object.fromEntries(
      [
        'nginx',
        'nginx:latest',
        'nginx:1.25',
        `nginx@sha256:${'a'.repeat(64)}`,
        `nginx:1.25@sha256:${'a'.repeat(64)}`,
        'registry.local:5000/team/app',
        'registry.local:5000/team/app:v2',
        'Nginx',
      ].map((image) => [image, create(pod({ containers: [nginx({ image })] }))['spec'].containers[0].imagePullPolicy]),
    );
    assert.deepEqual(policies, {
      nginx: 'Always',
      'nginx:latest': 'Always',
      'nginx:1.25': 'IfNotPresent',
      [`nginx@sha256:${'a'.repeat(64)}`]: 'IfNotPresent',
      [`nginx:1.25@sha256:${'a'.repeat(64)}`]: 'IfNotPresent',
      'registry.local:5000/team/app': 'Always',
      'registry.local:5000/team/app:v2': 'IfNotPresent',
      // Not a reference the parser accepts: no tag found, so not "latest".
      Nginx: 'IfNotPresent',
    });
    assert.equal(create(pod({ containers: [nginx({ imagePullPolicy: 'Never' })] }))['spec'].containers[0].imagePullPolicy, 'Never');
  });

  test('ports, probes, env and volumes get their defaults', () => {
    const p = create(
      pod({
        containers: [
          nginx({
            ports: [{ containerPort: 80, name: 'http' }],
            env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            livenessProbe: { httpGet: { port: 80 } },
            readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 5 },
            volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
          }),
        ],
        volumes: [
          { name: 'cache' },
          { name: 'settings', configMap: { name: 'settings' } },
          { name: 'creds', secret: { secretName: 'creds' } },
          { name: 'data', hostPath: { path: '/srv/data' } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
      }),
    );
    const c = p['spec'].containers[0];
    assert.deepEqual(c.ports, [{ containerPort: 80, name: 'http', protocol: 'TCP' }]);
    assert.deepEqual(c.env, [{ name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }]);
    assert.deepEqual(c.livenessProbe, { httpGet: { path: '/', port: 80, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(c.readinessProbe, { tcpSocket: { port: 'http' }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(p['spec'].volumes, [
      { name: 'cache', emptyDir: {} },
      { name: 'settings', configMap: { name: 'settings', defaultMode: 420 } },
      { name: 'creds', secret: { secretName: 'creds', defaultMode: 420 } },
      { name: 'data', hostPath: { path: '/srv/data', type: '' } },
      { name: 'info', downwardAPI: { defaultMode: 420, items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
    ]);
  });

  test('quantities come back canonical, rounded up to milli units', () => {
    const requests = { cpu: '0.5', memory: '1024Mi', 'ephemeral-storage': '128974848' };
    const limits = { cpu: 1000, memory: '1.5Gi', 'ephemeral-storage': '129e6' };
    const c = create(pod({ containers: [nginx({ resources: { requests, limits } })] }))['spec'].containers[0];
    assert.deepEqual(c.resources, {
      requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '128974848' },
      limits: { cpu: '1k', memory: '1536Mi', 'ephemeral-storage': '129e6' },
    });
    const tiny = create(pod({ containers: [nginx({ resources: { requests: { cpu: '0.0001', memory: '0.5Gi' } } })] }))['spec'].containers[0];
    assert.deepEqual(tiny.resources.requests, { cpu: '1m', memory: '512Mi' });
    // A JSON null is the zero Quantity Go's UnmarshalJSON makes of it, served as "0".
    const nulls = create(pod({ containers: [nginx({ resources: { requests: { cpu: null, memory: '1Gi' }, limits: { cpu: null } } })] }))['spec'].containers[0];
    assert.deepEqual(nulls.resources, { requests: { cpu: '0', memory: '1Gi' }, limits: { cpu: '0' } });
  });

  test('a quantity that does not parse fails decoding, with a 400', () => {
    const err = refusal(() => create(pod({ containers: [nginx({ resources: { limits: { memory: '1 GB' } } })] })), 400);
    assert.equal(err.message, `Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    const suffix = refusal(() => create(pod({ containers: [nginx({ resources: { limits: { memory: '100mi' } } })] })), 400);
    assert.equal(suffix.message, `Pod in version "v1" cannot be handled as a Pod: unable to parse quantity's suffix`);
  });

  test('the QoS class is computed from cpu and memory as upstream does', () => {
    const qos = (resources: Json, init?: Json): string =>
      create(pod({ containers: [nginx({ resources })], ...(init ? { initContainers: [{ name: 'init', image: 'busybox', resources: init }] } : {}) }))['status'].qosClass;
    assert.equal(qos({}), 'BestEffort');
    assert.equal(qos({ requests: { cpu: '100m' } }), 'Burstable');
    // Requests default to limits: both cpu and memory limited is Guaranteed.
    assert.equal(qos({ limits: { cpu: '1', memory: '1Gi' } }), 'Guaranteed');
    assert.equal(qos({ limits: { cpu: '1' } }), 'Burstable');
    assert.equal(qos({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }), 'Burstable');
    assert.equal(qos({ limits: { cpu: '1', memory: '1Gi' } }, { requests: { cpu: '100m' } }), 'Burstable');
    assert.equal(qos({ requests: { cpu: '0' } }), 'BestEffort');
  });

  test('limits without requests give the requests, in pods only', () => {
    const c = create(pod({ containers: [nginx({ resources: { limits: { cpu: '1' }, requests: { memory: '64Mi' } } })] }))['spec'].containers[0];
    assert.deepEqual(c.resources, { limits: { cpu: '1' }, requests: { cpu: '1', memory: '64Mi' } });
    const t = create(deployment({ template: template({ containers: [nginx({ resources: { limits: { cpu: '1' } } })] }) }))['spec'].template.spec.containers[0];
    assert.deepEqual(t.resources, { limits: { cpu: '1' } });
  });

  test('admission: a service account and node tolerations the pod did not ask for', () => {
    const p = create(
      pod({
        containers: [nginx()],
        serviceAccount: 'builder',
        tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
      }),
    );
    assert.equal(p['spec'].serviceAccountName, 'builder');
    assert.equal(p['spec'].serviceAccount, 'builder');
    assert.deepEqual(p['spec'].tolerations, [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
      NODE_TOLERATIONS[0],
    ]);
    // A toleration of everything tolerates both taints.
    assert.deepEqual(create(pod({ containers: [nginx()], tolerations: [{ operator: 'Exists' }] }))['spec'].tolerations, [{ operator: 'Exists' }]);
  });

  test('tolerations are checked as upstream checks them, the whole toleration shown where upstream passes it', () => {
    const tolerations = [
      { operator: 'Equal', value: 'x' },
      { key: 'dedicated', value: 'web', effect: 'NoSchedule', tolerationSeconds: 30 },
      { key: 'bad key!', value: 'bad value!' },
      { key: 'k', operator: 'Exists', value: 'v', effect: 'NoExecute', tolerationSeconds: 60 },
      { key: 'k', operator: 'Gt', value: '1' },
      { key: 'k', operator: 'Exists', effect: 'Sometimes' },
    ];
    assert.deepEqual(causes(() => create(pod({ containers: [nginx()], tolerations }))), [
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      `spec.tolerations[1].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when \`tolerationSeconds\` is set`,
      `spec.tolerations[2].key: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      `spec.tolerations[2].operator: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      'spec.tolerations[3].operator: Invalid value: core.Toleration{Key:"k", Operator:"Exists", Value:"v", Effect:"NoExecute", TolerationSeconds:(*int64)(0xc000000000)}: value must be empty when `operator` is \'Exists\'',
      'spec.tolerations[4].operator: Unsupported value: "Gt": supported values: "Equal", "Exists"',
      'spec.tolerations[5].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
  });

  test('host networking makes container ports host ports', () => {
    const p = create(pod({ hostNetwork: true, containers: [nginx({ ports: [{ containerPort: 8080 }] })] }));
    assert.deepEqual(p['spec'].containers[0].ports, [{ containerPort: 8080, hostPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(causes(() => create(pod({ hostNetwork: true, containers: [nginx({ ports: [{ containerPort: 8080, hostPort: 9090 }] })] }))), [
      'spec.containers[0].ports[0].hostPort: Invalid value: 9090: must match `containerPort` when `hostNetwork` is true',
    ]);
  });

  test('a pod needs a container', () => {
    assert.equal(invalid(() => create(pod({ containers: [] }))), 'Pod "web" is invalid: spec.containers: Required value');
  });

  test('container names are DNS labels, unique across init and regular containers', () => {
    assert.equal(
      invalid(() => create(pod({ containers: [nginx({ name: 'Web_1' })] }))),
      `Pod "web" is invalid: spec.containers[0].name: Invalid value: "Web_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    );
    assert.equal(invalid(() => create(pod({ containers: [nginx(), nginx()] }))), 'Pod "web" is invalid: spec.containers[1].name: Duplicate value: "web"');
    assert.equal(
      invalid(() => create(pod({ initContainers: [{ name: 'web', image: 'busybox' }], containers: [nginx()] }))),
      'Pod "web" is invalid: spec.initContainers[0].name: Duplicate value: "web"',
    );
    assert.equal(invalid(() => create(pod({ containers: [{ image: 'nginx' }] }))), 'Pod "web" is invalid: spec.containers[0].name: Required value');
  });

  test('an image is required, without surrounding spaces', () => {
    assert.equal(invalid(() => create(pod({ containers: [{ name: 'web' }] }))), 'Pod "web" is invalid: spec.containers[0].image: Required value');
    assert.equal(
      invalid(() => create(pod({ containers: [nginx({ image: 'nginx ' })] }))),
      'Pod "web" is invalid: spec.containers[0].image: Invalid value: "nginx ": must not have leading or trailing whitespace',
    );
  });

  test('container ports: numbers 1-65535, IANA service names, unique names, known protocols', () => {
    const portCauses = (ports: Json[]): string[] => causes(() => create(pod({ containers: [nginx({ ports })] })));
    assert.deepEqual(portCauses([{ containerPort: 70000 }]), ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']);
    assert.deepEqual(portCauses([{ name: 'http' }]), ['spec.containers[0].ports[0].containerPort: Required value']);
    assert.deepEqual(portCauses([{ containerPort: 80, name: 'metrics-endpoint' }]), [
      'spec.containers[0].ports[0].name: Invalid value: "metrics-endpoint": must be no more than 15 characters',
    ]);
    assert.deepEqual(portCauses([{ containerPort: 80, name: '8080' }]), ['spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)']);
    assert.deepEqual(portCauses([{ containerPort: 80, name: 'Web--' }]), [
      'spec.containers[0].ports[0].name: Invalid value: "Web--": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.containers[0].ports[0].name: Invalid value: "Web--": must not contain consecutive hyphens',
      'spec.containers[0].ports[0].name: Invalid value: "Web--": must not begin or end with a hyphen',
    ]);
    assert.deepEqual(portCauses([{ containerPort: 80, name: 'http' }, { containerPort: 81, name: 'http' }]), ['spec.containers[0].ports[1].name: Duplicate value: "http"']);
    assert.deepEqual(portCauses([{ containerPort: 80, protocol: 'ICMP' }]), [
      'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    ]);
  });

  test('restart and DNS policies are among the known values', () => {
    assert.equal(
      invalid(() => create(pod({ containers: [nginx()], restartPolicy: 'Sometimes' }))),
      'Pod "web" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
    assert.equal(
      invalid(() => create(pod({ containers: [nginx()], dnsPolicy: 'Cluster' }))),
      'Pod "web" is invalid: spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    );
  });

  test('mounts name a volume of the pod, and probes have exactly one handler', () => {
    assert.equal(
      invalid(() => create(pod({ containers: [nginx({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })] }))),
      'Pod "web" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "data"',
    );
    assert.equal(
      invalid(() => create(pod({ containers: [nginx({ livenessProbe: { initialDelaySeconds: 5 } })] }))),
      'Pod "web" is invalid: spec.containers[0].livenessProbe: Required value: must specify a handler type',
    );
    assert.deepEqual(causes(() => create(pod({ containers: [nginx({ readinessProbe: { httpGet: { port: 0 }, exec: { command: ['true'] } } })] }))), [
      'spec.containers[0].readinessProbe.httpGet: Forbidden: may not specify more than 1 handler type',
    ]);
    assert.deepEqual(causes(() => create(pod({ initContainers: [{ name: 'init', image: 'busybox', readinessProbe: { exec: { command: ['true'] } } }], containers: [nginx()] }))), [
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ]);
  });

  test('requests may not exceed limits', () => {
    assert.equal(
      invalid(() => create(pod({ containers: [nginx({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })] }))),
      'Pod "web" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    );
    assert.equal(
      invalid(() => create(pod({ containers: [nginx({ resources: { requests: { gpu: '1' } } })] }))),
      'Pod "web" is invalid: [spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified, spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers]',
    );
  });

  test('an update may change images, the deadline downwards and add tolerations', () => {
    const current = create(pod({ containers: [nginx()], activeDeadlineSeconds: 600 }));
    const next = structuredClone(current);
    next['spec'].containers[0].image = 'nginx:1.27';
    next['spec'].activeDeadlineSeconds = 300;
    next['spec'].tolerations.push({ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' });
    const updated = update(current, next);
    assert.equal(updated['spec'].containers[0].image, 'nginx:1.27');
    assert.deepEqual(updated['status'], current['status']);
  });

  test('an update may not change anything else in the spec', () => {
    const current = create(pod({ containers: [nginx()] }));
    const ports = structuredClone(current);
    ports['spec'].containers[0].ports = [{ containerPort: 8080, protocol: 'TCP' }];
    assert.equal(invalid(() => update(current, ports)), `Pod "web" is invalid: spec: Forbidden: ${UPDATABLE}`);

    const more = structuredClone(current);
    more['spec'].containers.push(defaultedContainer('sidecar', 'busybox'));
    assert.deepEqual(causes(() => update(current, more)), ['spec.containers: Forbidden: pod updates may not add or remove containers']);

    const deadline = create(pod({ containers: [nginx()], activeDeadlineSeconds: 60 }));
    assert.deepEqual(causes(() => update(deadline, { ...deadline, spec: { ...deadline['spec'], activeDeadlineSeconds: 120 } })), [
      'spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value',
    ]);

    const dedicated = create(pod({ containers: [nginx()], tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }] }));
    const retolerated = structuredClone(dedicated);
    retolerated['spec'].tolerations[0].value = 'api';
    assert.deepEqual(causes(() => update(dedicated, retolerated)), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
    // The node tolerations admission added come back if an update drops them.
    const dropped = structuredClone(current);
    dropped['spec'].tolerations = [];
    assert.deepEqual(update(current, dropped)['spec'].tolerations, NODE_TOLERATIONS);
  });

  test('ephemeral containers never come with a new pod', () => {
    assert.equal(
      invalid(() => create(pod({ containers: [nginx()], ephemeralContainers: [{ name: 'debug', image: 'busybox' }] }))),
      'Pod "web" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create',
    );
  });
});

// --- deployments and other apps/v1 workloads ----------------------------------

describe('deployments', () => {
  test('a one-container Deployment comes back as a cluster returns it', () => {
    const d = create(deployment());
    assert.deepEqual(d['spec'], {
      progressDeadlineSeconds: 600,
      replicas: 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: { containers: [defaultedContainer('web', 'nginx')], ...templateSpecDefaults },
      },
    });
    assert.deepEqual(d['status'], {});
  });

  test('Recreate gets no rolling update, and a given one is kept', () => {
    assert.deepEqual(create(deployment({ strategy: { type: 'Recreate' } }))['spec'].strategy, { type: 'Recreate' });
    assert.deepEqual(create(deployment({ strategy: { rollingUpdate: { maxSurge: 1 } } }))['spec'].strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' },
    });
  });

  test('replicas may not be negative', () => {
    assert.equal(invalid(() => create(deployment({ replicas: -1 }))), 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });

  test('the selector must select the template', () => {
    assert.equal(
      invalid(() => create(deployment({ template: template({}, { app: 'other', tier: 'front' }) }))),
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"front"}: `selector` does not match template `labels`',
    );
    assert.deepEqual(causes(() => create(deployment({ selector: undefined }))), [
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
    assert.deepEqual(causes(() => create(deployment({ selector: {} }))), [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ]);
    assert.deepEqual(
      create(deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] } }))['spec'].selector.matchExpressions[0].values,
      ['web', 'api'],
    );
    assert.deepEqual(causes(() => create(deployment({ selector: { matchExpressions: [{ key: 'app', operator: 'Near', values: ['web'] }] } }))), [
      'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Near", Values:[]string{"web"}}}}: invalid label selector',
    ]);
  });

  test('template pods restart Always and have no deadline', () => {
    assert.equal(
      invalid(() => create(deployment({ template: template({ restartPolicy: 'Never' }) }))),
      'Deployment.apps "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    );
    assert.equal(
      invalid(() => create(deployment({ template: template({ activeDeadlineSeconds: 30 }) }))),
      'Deployment.apps "web" is invalid: spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
    );
  });

  test('the template is validated as a pod spec, with template paths', () => {
    assert.deepEqual(causes(() => create(deployment({ template: template({ containers: [{ name: 'web' }] }) }))), ['spec.template.spec.containers[0].image: Required value']);
    assert.deepEqual(causes(() => create(deployment({ template: template({}, { app: 'web', 'bad key': 'x' }) }))), [
      `spec.template.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ]);
  });

  test('label values in templates and selectors are label values', () => {
    const LABEL_VALUE =
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    assert.deepEqual(causes(() => create(deployment({ template: template({}, { app: 'web', tier: '-front' }) }))), [
      `spec.template.labels: Invalid value: "-front": ${LABEL_VALUE}`,
    ]);
    const long = 'x'.repeat(64);
    assert.deepEqual(causes(() => create(deployment({ selector: { matchLabels: { app: long } }, template: template({}, { app: long }) }))), [
      `spec.selector.matchLabels: Invalid value: "${long}": must be no more than 63 characters`,
      `spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"${long}"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: invalid label selector`,
    ]);
  });

  test('the rolling update is validated', () => {
    assert.deepEqual(causes(() => create(deployment({ strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }))), [
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
    ]);
    assert.deepEqual(causes(() => create(deployment({ strategy: { rollingUpdate: { maxSurge: '30', maxUnavailable: 0 } } }))), [
      `spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"30"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
    ]);
    assert.deepEqual(causes(() => create(deployment({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } }))), [
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0',
    ]);
    assert.deepEqual(causes(() => create(deployment({ strategy: { type: 'Rolling' } }))), [
      'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"Rolling", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
    ]);
    assert.deepEqual(causes(() => create(deployment({ minReadySeconds: 600 }))), ['spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds']);
  });

  test('the selector cannot change once set', () => {
    const current = create(deployment());
    const next = deployment({ selector: { matchLabels: { app: 'web2' } }, template: template({}, { app: 'web2' }) });
    assert.equal(
      invalid(() => update(current, next)),
      'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
    // Everything else may change; the status stays the server's.
    const scaled = update({ ...current, status: { replicas: 1 } }, deployment({ replicas: 3 }));
    assert.equal(scaled['spec'].replicas, 3);
    assert.deepEqual(scaled['status'], { replicas: 1 });
  });
});

describe('replica sets, stateful sets, daemon sets', () => {
  test('a ReplicaSet gets one replica and an empty status', () => {
    const rs = create(workload('ReplicaSet'));
    assert.equal(rs['spec'].replicas, 1);
    assert.deepEqual(rs['spec'].template.spec, { containers: [defaultedContainer('web', 'nginx')], ...templateSpecDefaults });
    assert.deepEqual(rs['status'], { replicas: 0 });
    assert.deepEqual(causes(() => create(workload('ReplicaSet', { selector: { matchLabels: { app: 'api' } } }))), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
  });

  test('a StatefulSet comes back as a cluster returns it, claim templates included', () => {
    const sts = create(
      workload('StatefulSet', {
        serviceName: 'web',
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      }),
    );
    assert.deepEqual(sts['spec'], {
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      podManagementPolicy: 'OrderedReady',
      replicas: 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' } },
      serviceName: 'web',
      template: { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [defaultedContainer('web', 'nginx')], ...templateSpecDefaults } },
      updateStrategy: { rollingUpdate: { partition: 0 }, type: 'RollingUpdate' },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { creationTimestamp: null, name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
          status: { phase: 'Pending' },
        },
      ],
    });
    assert.deepEqual(sts['status'], { availableReplicas: 0, replicas: 0 });
  });

  test('a StatefulSet needs no serviceName, and OnDelete gets no rolling update', () => {
    assert.equal(create(workload('StatefulSet'))['spec'].serviceName, undefined);
    assert.deepEqual(create(workload('StatefulSet', { updateStrategy: { type: 'OnDelete' } }))['spec'].updateStrategy, { type: 'OnDelete' });
  });

  test('a StatefulSet is validated as upstream validates it', () => {
    assert.deepEqual(causes(() => create(workload('StatefulSet', { podManagementPolicy: 'Random' }))), [
      "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
    ]);
    assert.deepEqual(causes(() => create(workload('StatefulSet', { selector: { matchLabels: { app: 'db' } }, template: template({ restartPolicy: 'OnFailure' }) }))), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    ]);
    assert.deepEqual(causes(() => create(workload('StatefulSet', { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' } }))), [
      'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"',
    ]);
  });

  test('a StatefulSet update may change replicas, template and strategy only', () => {
    const current = create(workload('StatefulSet', { serviceName: 'web' }));
    assert.equal(update(current, workload('StatefulSet', { serviceName: 'web', replicas: 3 }))['spec'].replicas, 3);
    assert.equal(
      invalid(() => update(current, workload('StatefulSet', { serviceName: 'web-headless' }))),
      "StatefulSet.apps \"web\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
  });

  test('a DaemonSet gets its update strategy and a template generation', () => {
    const ds = create(workload('DaemonSet'));
    assert.deepEqual(ds['spec'].updateStrategy, { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' });
    assert.equal(ds['spec'].revisionHistoryLimit, 10);
    assert.equal(ds['spec'].replicas, undefined);
    assert.deepEqual(ds['metadata'].annotations, { 'deprecated.daemonset.template.generation': '1' });
    assert.deepEqual(ds['status'], { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 });
    const same = update(ds, workload('DaemonSet', { revisionHistoryLimit: 5 }));
    assert.equal(same['metadata'].annotations['deprecated.daemonset.template.generation'], '1');
    const changed = update(same, workload('DaemonSet', { template: template({ containers: [nginx({ image: 'nginx:1.27' })] }) }));
    assert.equal(changed['metadata'].annotations['deprecated.daemonset.template.generation'], '2');
  });

  test('a DaemonSet without a selector selects no pods', () => {
    assert.deepEqual(causes(() => create(workload('DaemonSet', { selector: undefined }))), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
    assert.deepEqual(causes(() => create(workload('DaemonSet', { updateStrategy: { rollingUpdate: { maxSurge: 1 } } }))), [
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
    ]);
  });

  test('ReplicaSet and DaemonSet selectors are immutable too', () => {
    for (const kind of ['ReplicaSet', 'DaemonSet']) {
      const current = create(workload(kind));
      assert.deepEqual(causes(() => update(current, workload(kind, { selector: { matchLabels: { app: 'web', tier: 'front' } }, template: template({}, { app: 'web', tier: 'front' }) }))), [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"front"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      ]);
    }
  });
});

// --- jobs and cron jobs ---------------------------------------------------------

describe('jobs', () => {
  test('a Job gets its defaults, a generated selector and its pods labels', () => {
    const j = create(job());
    const generated = { 'batch.kubernetes.io/controller-uid': UID, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': UID, 'job-name': 'pi' };
    assert.deepEqual(j['spec'], {
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      completions: 1,
      parallelism: 1,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } },
      suspend: false,
      template: {
        metadata: { creationTimestamp: null, labels: generated },
        spec: { containers: [defaultedContainer('pi', 'perl:5.34', 'IfNotPresent')], ...templateSpecDefaults, restartPolicy: 'Never' },
      },
    });
    assert.deepEqual(j['metadata'].labels, generated);
    assert.deepEqual(j['status'], {});
  });

  test('completions and parallelism default together, and a labelled Job keeps its labels', () => {
    const parallel = create({ ...job({ parallelism: 3 }), metadata: { name: 'pi', labels: { team: 'math' } } });
    assert.equal(parallel['spec'].parallelism, 3);
    assert.equal(parallel['spec'].completions, undefined);
    assert.deepEqual(parallel['metadata'].labels, { team: 'math' });
    assert.equal(create(job({ backoffLimitPerIndex: 1, completionMode: 'Indexed', completions: 3 }))['spec'].backoffLimit, 2147483647);
    assert.equal(create(job({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }))['spec'].podReplacementPolicy, 'Failed');
  });

  test('a podFailurePolicy is validated as upstream: an action, exactly one of exit codes or pod conditions, ordered distinct codes, known containers', () => {
    const policy = (rules: Json[]) => job({ podFailurePolicy: { rules } });
    assert.deepEqual(
      causes(() =>
        create(
          policy([
            { action: 'Retry', onExitCodes: { operator: 'Is', values: [3, 1, 1] } },
            { action: 'FailJob', onExitCodes: { containerName: 'nope', operator: 'In', values: [0] }, onPodConditions: [{ type: 'DisruptionTarget' }] },
            { action: 'FailIndex' },
            { action: 'Ignore', onExitCodes: { operator: 'NotIn', values: [] } },
          ]),
        ),
      ),
      [
        'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
        'spec.podFailurePolicy.rules[0].onExitCodes.operator: Unsupported value: "Is": supported values: "In", "NotIn"',
        'spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 1',
        'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{3, 1, 1}: must be ordered',
        'spec.podFailurePolicy.rules[1].onExitCodes.containerName: Invalid value: "nope": must be one of the container or initContainer names in the pod template',
        'spec.podFailurePolicy.rules[1].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
        'spec.podFailurePolicy.rules[1]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported',
        'spec.podFailurePolicy.rules[2].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set',
        'spec.podFailurePolicy.rules[2]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
        'spec.podFailurePolicy.rules[3].onExitCodes.values: Invalid value: []int32{}: at least one value is required',
      ],
    );
    assert.doesNotThrow(() => create(policy([{ action: 'FailJob', onExitCodes: { containerName: 'pi', operator: 'In', values: [1, 42] } }, { action: 'Count', onPodConditions: [{ type: 'DisruptionTarget', status: 'False' }] }])));
  });

  test('a successPolicy is validated as upstream: Indexed only, rules naming indexes or a count within completions', () => {
    const indexed = (rules: Json[]) => job({ completionMode: 'Indexed', completions: 5, successPolicy: { rules } });
    assert.deepEqual(
      causes(() => create(indexed([{}, { succeededIndexes: '1,0' }, { succeededIndexes: '0-2', succeededCount: 4 }, { succeededIndexes: '1-7' }, { succeededCount: 6 }, { succeededIndexes: '1-2-3' }, { succeededIndexes: 'a' }]))),
      [
        'spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified',
        'spec.successPolicy.rules[1].succeededIndexes: Invalid value: "1,0": error parsing succeededIndexes: non-increasing order, previous: 1, current: 0',
        'spec.successPolicy.rules[2].succeededCount: Invalid value: 4: must be less than or equal to 3 (the number of indexes in the specified succeededIndexes field)',
        'spec.successPolicy.rules[3].succeededIndexes: Invalid value: "1-7": error parsing succeededIndexes: too large index: "7"',
        'spec.successPolicy.rules[4].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)',
        `spec.successPolicy.rules[5].succeededIndexes: Invalid value: "1-2-3": error parsing succeededIndexes: the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by '-'`,
        'spec.successPolicy.rules[6].succeededIndexes: Invalid value: "a": error parsing succeededIndexes: cannot convert string to integer for index: "a"',
      ],
    );
    assert.deepEqual(causes(() => create(indexed([]))), ['spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified']);
    assert.deepEqual(causes(() => create(job({ successPolicy: { rules: [{ succeededCount: 1 }] } }))), ['spec.successPolicy: Invalid value: requires indexed completion mode']);
    assert.doesNotThrow(() => create(indexed([{ succeededIndexes: '0,2-4', succeededCount: 2 }, { succeededCount: 5 }])));
  });

  test('a manual selector is the user’s own', () => {
    const j = create(job({ manualSelector: true, selector: { matchLabels: { app: 'pi' } }, template: { metadata: { labels: { app: 'pi' } }, spec: job()['spec'].template.spec } }));
    assert.deepEqual(j['spec'].selector, { matchLabels: { app: 'pi' } });
    assert.deepEqual(j['spec'].template.metadata.labels, { app: 'pi' });
  });

  test('a Job must choose OnFailure or Never', () => {
    assert.equal(
      invalid(() => create(job({ template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } }))),
      'Job.batch "pi" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    );
    assert.deepEqual(causes(() => create(job({ template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Sometimes' } } }))), [
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ]);
  });

  test('counts are not negative, and generated labels must be right', () => {
    assert.deepEqual(causes(() => create(job({ parallelism: -1, backoffLimit: -2 }))), [
      'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
      'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0',
    ]);
    const mislabelled = job({ template: { metadata: { labels: { 'job-name': 'other' } }, spec: job()['spec'].template.spec } });
    assert.deepEqual(causes(() => create(mislabelled)), [
      `spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"${UID}", "batch.kubernetes.io/job-name":"pi", "controller-uid":"${UID}", "job-name":"other"}: must be 'pi'`,
    ]);
  });

  test('completions, selector and template cannot change', () => {
    const current = create(job());
    const completions = structuredClone(current);
    completions['spec'].completions = 2;
    assert.deepEqual(causes(() => update(current, completions)), ['spec.completions: Invalid value: 2: field is immutable']);
    // A nil pointer prints as the quoted string "null", as field.Error renders it.
    const unset = structuredClone(current);
    delete unset['spec'].completions;
    assert.deepEqual(causes(() => update(current, unset)), ['spec.completions: Invalid value: "null": field is immutable']);
    const image = structuredClone(current);
    image['spec'].template.spec.containers[0].image = 'perl:5.36';
    const [cause] = causes(() => update(current, image));
    assert.match(cause!, /^spec\.template: Invalid value: \{.*"image":"perl:5\.36".*\}: field is immutable$/);
    // A suspended Job that never ran may still move its pods.
    const suspended = create(job({ suspend: true }));
    const moved = structuredClone(suspended);
    moved['spec'].template.spec.nodeSelector = { disk: 'ssd' };
    assert.deepEqual(update(suspended, moved)['spec'].template.spec.nodeSelector, { disk: 'ssd' });
  });
});

describe('cron jobs', () => {
  test('a CronJob comes back as a cluster returns it', () => {
    const cj = create(cronJob());
    assert.deepEqual(cj['spec'], {
      concurrencyPolicy: 'Allow',
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { creationTimestamp: null },
        spec: {
          template: {
            metadata: { creationTimestamp: null },
            spec: { containers: [defaultedContainer('hello', 'busybox')], ...templateSpecDefaults, restartPolicy: 'OnFailure' },
          },
        },
      },
      schedule: '*/5 * * * *',
      successfulJobsHistoryLimit: 3,
      suspend: false,
    });
    assert.deepEqual(cj['status'], {});
  });

  test('schedules are five cron fields or a descriptor', () => {
    for (const schedule of ['0 0 * * *', '*/15 9-17 * * mon-fri', '0 0 1 jan,jul ?', '@hourly', '@every 1h30m', '30 2 29 2 0']) {
      assert.doesNotThrow(() => create(cronJob({ schedule })), schedule);
    }
    const scheduleError = (schedule: string): string => invalid(() => create(cronJob({ schedule })));
    assert.equal(scheduleError('61 * * * *'), 'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61');
    assert.equal(scheduleError('* * * *'), 'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]');
    assert.equal(scheduleError('0 0 * * * *'), 'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "0 0 * * * *": expected exactly 5 fields, found 6: [0 0 * * * *]');
    assert.equal(scheduleError('@fortnightly'), 'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "@fortnightly": unrecognized descriptor: @fortnightly');
    assert.equal(
      scheduleError('0 x * * *'),
      'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "0 x * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax',
    );
    assert.equal(scheduleError('0 0 * * 7'), 'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "0 0 * * 7": end of range (7) above maximum (6): 7');
    assert.equal(scheduleError('5-1 * * * *'), 'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "5-1 * * * *": beginning of range (5) beyond end of range (1): 5-1');
    assert.equal(scheduleError('*/0 * * * *'), 'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "*/0 * * * *": step of range should be a positive number: */0');
    assert.equal(
      scheduleError('CRON_TZ=UTC 0 * * * *'),
      'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    );
    assert.equal(
      scheduleError('@every 5d'),
      'CronJob.batch "hello" is invalid: spec.schedule: Invalid value: "@every 5d": failed to parse duration @every 5d: time: unknown unit "d" in duration "5d"',
    );
    assert.equal(invalid(() => create(cronJob({ schedule: '' }))), 'CronJob.batch "hello" is invalid: spec.schedule: Required value');
  });

  test('time zones, the job template and the name length', () => {
    assert.doesNotThrow(() => create(cronJob({ timeZone: 'Europe/Berlin' })));
    assert.equal(invalid(() => create(cronJob({ timeZone: 'Mars/Olympus' }))), 'CronJob.batch "hello" is invalid: spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus');
    assert.deepEqual(causes(() => create(cronJob({ jobTemplate: { spec: { template: { spec: { containers: [{ name: 'hello', image: 'busybox' }] } } } } }))), [
      'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
    assert.deepEqual(causes(() => create(cronJob({ concurrencyPolicy: 'Sometimes' }))), [
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    ]);
    const long = 'a'.repeat(53);
    assert.deepEqual(causes(() => create(cronJob({}, long))), [`metadata.name: Invalid value: "${long}": must be no more than 52 characters`]);
  });
});

// --- services -------------------------------------------------------------------

describe('services', () => {
  test('a ClusterIP Service comes back as a cluster returns it (before its IP is allocated)', () => {
    const svc = create(service());
    assert.deepEqual(svc['spec'], {
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      selector: { app: 'web' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    });
    assert.deepEqual(svc['status'], { loadBalancer: {} });
  });

  test('node ports and load balancers get their traffic policies', () => {
    const nodePort = create(service({ type: 'NodePort', ports: [{ port: 80, targetPort: 'http', nodePort: 30080 }] }))['spec'];
    assert.equal(nodePort.externalTrafficPolicy, 'Cluster');
    assert.deepEqual(nodePort.ports, [{ port: 80, protocol: 'TCP', targetPort: 'http', nodePort: 30080 }]);
    const lb = create(service({ type: 'LoadBalancer' }))['spec'];
    assert.equal(lb.allocateLoadBalancerNodePorts, true);
    assert.equal(lb.externalTrafficPolicy, 'Cluster');
    const affinity = create(service({ sessionAffinity: 'ClientIP' }))['spec'];
    assert.deepEqual(affinity.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  });

  test('headless and ExternalName services', () => {
    const headless = create(service({ clusterIP: 'None' }))['spec'];
    assert.deepEqual([headless.clusterIPs, headless.ipFamilyPolicy, headless.ipFamilies], [['None'], 'SingleStack', ['IPv4']]);
    const selectorless = create(service({ clusterIP: 'None', selector: undefined }))['spec'];
    assert.deepEqual([selectorless.ipFamilyPolicy, selectorless.ipFamilies], ['RequireDualStack', ['IPv4', 'IPv6']]);
    const external = create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { type: 'ExternalName', externalName: 'db.example.com.' } })['spec'];
    assert.deepEqual(external, { externalName: 'db.example.com.', sessionAffinity: 'None', type: 'ExternalName' });
    assert.equal(
      invalid(() => create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { type: 'ExternalName' } })),
      'Service "db" is invalid: spec.externalName: Required value',
    );
  });

  test('a given cluster IP is mirrored in clusterIPs and must be an address', () => {
    const svc = create(service({ clusterIP: '10.96.0.10' }))['spec'];
    assert.deepEqual([svc.clusterIP, svc.clusterIPs, svc.ipFamilies], ['10.96.0.10', ['10.96.0.10'], ['IPv4']]);
    assert.equal(
      invalid(() => create(service({ clusterIP: '10.96.0.300' }))),
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    );
    assert.equal(invalid(() => create(service({ clusterIP: 'fd00::10' }))), 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"fd00::10"}: IPv6 is not configured on this cluster');
    assert.equal(
      invalid(() => create(service({ ipFamilyPolicy: 'RequireDualStack' }))),
      'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    );
  });

  test('ports: numbers, names when there are several, protocols', () => {
    // The target port defaults to the port, and is as wrong.
    assert.deepEqual(causes(() => create(service({ ports: [{ port: 0 }] }))), [
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    assert.deepEqual(causes(() => create(service({ ports: [{ port: 80 }, { port: 443 }] }))), ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']);
    assert.deepEqual(causes(() => create(service({ ports: [{ port: 80, name: 'web' }, { port: 443, name: 'web' }] }))), ['spec.ports[1].name: Duplicate value: "web"']);
    assert.deepEqual(causes(() => create(service({ ports: [{ port: 80, name: 'http' }, { port: 80, name: 'alt' }] }))), [
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ]);
    assert.deepEqual(causes(() => create(service({ ports: [{ port: 53, protocol: 'DNS' }] }))), ['spec.ports[0].protocol: Unsupported value: "DNS": supported values: "SCTP", "TCP", "UDP"']);
    assert.deepEqual(causes(() => create(service({ ports: [] }))), ['spec.ports: Required value']);
  });

  test('types, node ports and traffic policies', () => {
    assert.equal(
      invalid(() => create(service({ type: 'Internal' }))),
      'Service "web" is invalid: spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    );
    assert.equal(
      invalid(() => create(service({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }))),
      'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    assert.equal(
      invalid(() => create(service({ ports: [{ port: 80, nodePort: 30080 }] }))),
      "Service \"web\" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    );
    assert.equal(
      invalid(() => create(service({ externalTrafficPolicy: 'Local' }))),
      'Service "web" is invalid: spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
    );
    assert.equal(
      invalid(() => create(service({ type: 'NodePort', clusterIP: 'None' }))),
      "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services",
    );
  });

  test('an update keeps the allocated IP and ports, and may not change the IP', () => {
    const current = create(service({ clusterIP: '10.96.0.10', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }));
    // kubectl replace with the manifest as first written: nothing allocated in it.
    const replaced = update(current, service({ type: 'NodePort', ports: [{ name: 'http', port: 80 }] }));
    assert.deepEqual([replaced['spec'].clusterIP, replaced['spec'].clusterIPs, replaced['spec'].ports[0].nodePort], ['10.96.0.10', ['10.96.0.10'], 30080]);
    assert.equal(
      invalid(() => update(current, service({ type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] }))),
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.20"}: may not change once set',
    );
  });

  test('leaving NodePort drops the node ports and external policy the server set', () => {
    const current = create(service({ clusterIP: '10.96.0.10', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    // What kubectl apply sends: the live object with the type changed.
    const next = structuredClone(current);
    next['spec'].type = 'ClusterIP';
    const updated = update(current, next);
    assert.equal(updated['spec'].ports[0].nodePort, undefined);
    assert.equal(updated['spec'].externalTrafficPolicy, undefined);
  });
});

// --- config maps and secrets -------------------------------------------------------

describe('config maps and secrets', () => {
  const KEY_MESSAGE =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

  test('keys are config keys', () => {
    assert.doesNotThrow(() => create(configMap({ data: { 'app.properties': 'a=1', KEY_NAME: 'x', 'key-name': '' } })));
    assert.equal(invalid(() => create(configMap({ data: { 'a/b': 'x' } }))), `ConfigMap "settings" is invalid: data[a/b]: Invalid value: "a/b": ${KEY_MESSAGE}`);
    assert.deepEqual(causes(() => create(configMap({ data: { '..hidden': 'x' }, binaryData: { 'bad key': '' } }))), [
      `data[..hidden]: Invalid value: "..hidden": must not start with '..'`,
      `binaryData[bad key]: Invalid value: "bad key": ${KEY_MESSAGE}`,
    ]);
    assert.deepEqual(causes(() => create(configMap({ data: { k: 'x' }, binaryData: { k: 'eA==' } }))), ['data[k]: Invalid value: "k": duplicate of key present in binaryData']);
    assert.deepEqual(causes(() => create(secret({ data: { 'a:b': 'eA==' } }))), [`data[a:b]: Invalid value: "a:b": ${KEY_MESSAGE}`]);
  });

  test('values together stay within 1 MiB', () => {
    assert.deepEqual(causes(() => create(configMap({ data: { big: 'x'.repeat(1024 * 1024 + 1) } }))), ['[]: Too long: must have at most 1048576 bytes']);
    assert.deepEqual(causes(() => create(secret({ data: { big: Buffer.alloc(1024 * 1024 + 1).toString('base64') } }))), ['data: Too long: must have at most 1048576 bytes']);
  });

  test('a Secret is Opaque by default, and stringData is folded into data', () => {
    const s = create(secret({ data: { user: 'YWRtaW4=' }, stringData: { password: 's3cr3t', user: 'root' } }));
    assert.equal(s['type'], 'Opaque');
    assert.deepEqual(s['data'], { user: 'cm9vdA==', password: 'czNjcjN0' });
    assert.equal('stringData' in s, false);
  });

  test('binary values are base64, written back canonically', () => {
    assert.deepEqual(create(secret({ data: { a: 'YWRt\naW4=\r\n', b: '' } }))['data'], { a: 'YWRtaW4=', b: '' });
    assert.deepEqual(create(configMap({ binaryData: { blob: 'AAEC' } }))['binaryData'], { blob: 'AAEC' });
    const decode = (value: string): string => refusal(() => create(secret({ data: { a: value } })), 400).message;
    assert.equal(decode('admin'), 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4');
    assert.equal(decode('YWR!'), 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3');
    assert.equal(decode('YWRtaW4'), 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4');
    assert.equal(decode('YQ='), 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3');
    assert.equal(decode('YQ==YQ=='), 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4');
    const cm = refusal(() => create(configMap({ binaryData: { blob: '!' } })), 400);
    assert.equal(cm.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 0');
  });

  test('values are strings: an unquoted YAML number fails decoding', () => {
    const port = refusal(() => create(configMap({ data: { port: 8080 } })), 400);
    assert.equal(port.message, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
    const flag = refusal(() => create(secret({ stringData: { debug: true } })), 400);
    assert.equal(flag.message, 'Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal bool into Go struct field Secret.stringData of type string');
    const bytes = refusal(() => create(secret({ data: { n: 1 } })), 400);
    assert.equal(bytes.message, 'Secret in version "v1" cannot be handled as a Secret: json: cannot unmarshal number into Go struct field Secret.data of type []uint8');
  });

  test('built-in Secret types need their keys', () => {
    assert.deepEqual(causes(() => create(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }))), ['data[tls.key]: Required value']);
    assert.deepEqual(causes(() => create(secret({ type: 'kubernetes.io/dockerconfigjson' }))), ['data[.dockerconfigjson]: Required value']);
    assert.deepEqual(causes(() => create(secret({ type: 'kubernetes.io/basic-auth' }))), ['data[username]: Required value', 'data[password]: Required value']);
    assert.deepEqual(causes(() => create(secret({ type: 'kubernetes.io/service-account-token' }))), [
      'metadata.annotations[kubernetes.io/service-account.name]: Required value',
    ]);
  });

  test('immutable objects keep their data, and a Secret its type', () => {
    const cm = create(configMap({ data: { a: '1' }, immutable: true }));
    assert.equal(invalid(() => update(cm, configMap({ data: { a: '2' }, immutable: true }))), 'ConfigMap "settings" is invalid: data: Forbidden: field is immutable when `immutable` is set');
    assert.deepEqual(causes(() => update(cm, configMap({ data: { a: '1' } }))), ['immutable: Forbidden: field is immutable when `immutable` is set']);
    assert.doesNotThrow(() => update(cm, { ...configMap({ data: { a: '1' }, immutable: true }), metadata: { name: 'settings', labels: { x: 'y' } } }));
    const s = create(secret({ data: { a: 'eA==' }, immutable: true }));
    assert.deepEqual(causes(() => update(s, secret({ stringData: { a: 'y' }, immutable: true }))), ['data: Forbidden: field is immutable when `immutable` is set']);
    const opaque = create(secret({ data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }));
    assert.deepEqual(causes(() => update(opaque, secret({ type: 'kubernetes.io/tls', data: opaque['data'] }))), ['type: Invalid value: "kubernetes.io/tls": field is immutable']);
  });
});

// --- events and leases -------------------------------------------------------------

describe('events and leases', () => {
  const event = (extra: Json = {}): Json => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.17a2', namespace: 'apps' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'apps' },
    reason: 'Started',
    message: 'Started container web',
    type: 'Normal',
    ...extra,
  });

  test('an event lives in the namespace of its object', () => {
    assert.doesNotThrow(() => create(event()));
    assert.equal(
      invalid(() => create(event({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } }))),
      'Event "web.17a2" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    );
    assert.equal(
      invalid(() => create(event({ involvedObject: { kind: 'Node', name: 'n1' } }))),
      'Event "web.17a2" is invalid: involvedObject.namespace: Invalid value: "": does not match event.namespace',
    );
    // Events about cluster-scoped objects may sit in "default".
    assert.doesNotThrow(() => create({ ...event({ involvedObject: { kind: 'Node', name: 'n1' } }), metadata: { name: 'n1.1', namespace: 'default' } }));
  });

  test('a new-style event says who reported it, what happened and why', () => {
    assert.deepEqual(causes(() => create(event({ eventTime: '2024-05-01T10:00:00.000000Z', reason: '' }))), [
      'reportingController: Required value',
      'reportingController: Invalid value: "": name part must be non-empty',
      `reportingController: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      'reportingInstance: Required value',
      'action: Required value',
      'reason: Required value',
    ]);
  });

  // What client-go's events.k8s.io recorder sends (k8s.io/client-go/tools/events).
  const newEvent = (extra: Json = {}): Json => ({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'web.17a3', namespace: 'apps' },
    eventTime: '2024-05-01T10:00:00.123000Z',
    reportingController: 'example.com/operator',
    reportingInstance: 'operator-7d9f-x2',
    action: 'Reconcile',
    reason: 'Synced',
    regarding: { kind: 'Pod', name: 'web', namespace: 'apps', apiVersion: 'v1' },
    note: 'synced web',
    type: 'Normal',
    ...extra,
  });

  test('an events.k8s.io event is stored as the core one it is, with the fields renamed', () => {
    const stored = create(newEvent({ deprecatedSource: {}, series: undefined }));
    assert.equal(stored['apiVersion'], 'v1');
    assert.deepEqual(stored['involvedObject'], { kind: 'Pod', name: 'web', namespace: 'apps', apiVersion: 'v1' });
    assert.equal(stored['message'], 'synced web');
    assert.equal(stored['reportingComponent'], 'example.com/operator');
    assert.deepEqual(stored['source'], {});
    for (const gone of ['regarding', 'note', 'reportingController', 'deprecatedSource']) assert.ok(!(gone in stored), gone);
    const back = rulesFor(BUILTIN_RESOURCES.find((r) => r.group === 'events.k8s.io')!).conversions!['v1']!.fromStored(stored as KubeObject);
    assert.deepEqual(back, { ...newEvent({ deprecatedSource: {} }), series: undefined, metadata: stored['metadata'] });
  });

  test('one written through events.k8s.io/v1 is held to its strict rules, a core one is not', () => {
    assert.deepEqual(
      causes(() => create(newEvent({ eventTime: undefined, type: 'Info', deprecatedCount: 3, deprecatedFirstTimestamp: '2024-05-01T10:00:00Z', deprecatedSource: { component: 'kubelet' } }))),
      [
        // Without eventTime it is an old-style event to the legacy checks: the namespaces agree, so those pass.
        'eventTime: Required value',
        'type: Invalid value: "": has invalid value: Info',
        'firstTimestamp: Invalid value: "": needs to be unset',
        'count: Invalid value: "": needs to be unset',
        'source: Invalid value: "": needs to be unset',
      ],
    );
    assert.deepEqual(causes(() => create(newEvent({ series: { count: 1 } }))), [
      'series.count: Invalid value: "": should be at least 2',
      'series.lastObservedTime: Required value',
    ]);
    // The same event through core/v1 passes: upstream keeps the old API lenient.
    assert.doesNotThrow(() => create(event({ eventTime: '2024-05-01T10:00:00.123000Z', reportingComponent: 'x', reportingInstance: 'y', action: 'A', type: 'Info', count: 3 })));
  });

  test('an update through events.k8s.io/v1 may change the series and nothing it reported', () => {
    const current = create(newEvent());
    const later = { count: 2, lastObservedTime: '2024-05-01T10:05:00.000000Z' };
    assert.doesNotThrow(() => update(current, newEvent({ series: later })));
    // Absent and zero are one value in Go's structs: an update that leaves out what client-go sends empty changes nothing.
    const written = create(newEvent({ deprecatedSource: {}, deprecatedCount: 0, action: 'Reconcile' }));
    assert.doesNotThrow(() => update(written, newEvent({ deprecatedSource: undefined, deprecatedCount: undefined, series: later })));
    assert.deepEqual(
      causes(() => update(current, newEvent({ series: later, note: 'other', regarding: { kind: 'Pod', name: 'db', namespace: 'apps' }, eventTime: '2024-05-01T10:00:01.5Z', deprecatedCount: 4 }))),
      [
        'involvedObject: Invalid value: core.ObjectReference{Kind:"Pod", Namespace:"apps", Name:"db", UID:"", APIVersion:"", ResourceVersion:"", FieldPath:""}: field is immutable',
        'message: Invalid value: "other": field is immutable',
        'count: Invalid value: 4: field is immutable',
        'eventTime: Invalid value: 2024-05-01 10:00:01.5 +0000 UTC: field is immutable',
      ],
    );
    // A changed reason is reported twice, as upstream lists it twice.
    assert.deepEqual(causes(() => update(current, newEvent({ reason: 'Failed' }))), [
      'reason: Invalid value: "Failed": field is immutable',
      'reason: Invalid value: "Failed": field is immutable',
    ]);
    // Through core/v1 the same changes are allowed.
    const core = create(event());
    assert.doesNotThrow(() => update(core, event({ message: 'other', count: 4 })));
  });

  test('a lease lasts a positive time', () => {
    const lease = (spec: Json): Json => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1' }, spec });
    assert.doesNotThrow(() => create(lease({ holderIdentity: 'node-1', leaseDurationSeconds: 40 })));
    assert.equal(invalid(() => create(lease({ leaseDurationSeconds: 0 }))), 'Lease.coordination.k8s.io "node-1" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0');
    assert.equal(invalid(() => create(lease({ leaseTransitions: -1 }))), 'Lease.coordination.k8s.io "node-1" is invalid: spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0');
  });
});

// --- policy --------------------------------------------------------------------------

test('a PodDisruptionBudget sets minAvailable or maxUnavailable, each a non-negative integer or a percentage up to 100 %', () => {
  const pdb = (spec: Json): Json => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });
  assert.doesNotThrow(() => create(pdb({ minAvailable: 2 })));
  assert.doesNotThrow(() => create(pdb({ maxUnavailable: '25%', unhealthyPodEvictionPolicy: 'AlwaysAllow' })));
  assert.equal(
    invalid(() => create(pdb({ minAvailable: 1, maxUnavailable: 1 }))),
    'PodDisruptionBudget.policy "web" is invalid: spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:(*intstr.IntOrString)(0xc000000000), Selector:(*v1.LabelSelector)(0xc000000000), MaxUnavailable:(*intstr.IntOrString)(0xc000000000), UnhealthyPodEvictionPolicy:(*policy.UnhealthyPodEvictionPolicyType)(nil)}: minAvailable and maxUnavailable cannot be both set',
  );
  assert.equal(invalid(() => create(pdb({ minAvailable: -1 }))), 'PodDisruptionBudget.policy "web" is invalid: spec.minAvailable: Invalid value: -1: must be greater than or equal to 0');
  assert.equal(
    invalid(() => create(pdb({ maxUnavailable: '120%' }))),
    'PodDisruptionBudget.policy "web" is invalid: spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
  );
  assert.equal(
    invalid(() => create(pdb({ minAvailable: 1, unhealthyPodEvictionPolicy: 'Sometimes' }))),
    'PodDisruptionBudget.policy "web" is invalid: spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
  );
});

describe('rbac', () => {
  const RBAC = 'rbac.authorization.k8s.io/v1';
  const binding = (extra: Json = {}): Json => ({
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: 'read' },
    roleRef: { kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'ann' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'ci' }],
    ...extra,
  });

  test("a binding's roleRef and its users' and groups' apiGroup default to RBAC's; a ServiceAccount's stays the core group", () => {
    const created = create(binding());
    assert.deepEqual(created['roleRef'], { kind: 'ClusterRole', name: 'view', apiGroup: 'rbac.authorization.k8s.io' });
    assert.deepEqual(
      created['subjects'].map((s: Json) => s['apiGroup']),
      ['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', undefined],
    );
  });

  test('a roleRef cannot change, as upstream words it', () => {
    const current = create(binding());
    assert.equal(
      invalid(() => update(current, binding({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' } }))),
      'RoleBinding.rbac.authorization.k8s.io "read" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef',
    );
    assert.deepEqual(update(current, binding({ subjects: [] }))['subjects'], [], 'the subjects may change');
  });

  test("bindings: the roleRef's kind and name, and each subject's kind, name, group and (cluster-wide) namespace", () => {
    assert.deepEqual(
      causes(() => create(binding({ roleRef: { kind: 'Robot', name: '' }, subjects: [{ kind: 'Team', name: 'x' }, { kind: 'ServiceAccount', name: 'Bad_Name', apiGroup: 'v1' }] }))),
      [
        'roleRef.kind: Unsupported value: "Robot": supported values: "Role", "ClusterRole"',
        'roleRef.name: Required value',
        'subjects[0].kind: Unsupported value: "Team": supported values: "ServiceAccount", "User", "Group"',
        'subjects[1].name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
        'subjects[1].apiGroup: Unsupported value: "v1": supported values: ""',
      ],
    );
    assert.deepEqual(causes(() => create(binding({ kind: 'ClusterRoleBinding', roleRef: { kind: 'Role', name: 'x' } }))), [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[2].namespace: Required value',
    ]);
  });

  test('rules: verbs always; resources with groups, or non-resource URLs alone and only in ClusterRoles', () => {
    const role = (kind: string, rules: Json[]): Json => ({ apiVersion: RBAC, kind, metadata: { name: 'r' }, rules });
    assert.deepEqual(causes(() => create(role('Role', [{ resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'], resources: ['pods'] }, { verbs: ['get'], apiGroups: [''], resources: ['pods', 'secrets'], resourceNames: ['a'] }]))), [
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
      'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
      'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: rules cannot apply to both regular resources and non-resource URLs',
      'rules[2].resourceNames: Required value: resource names cannot apply to multiple resources',
    ]);
    assert.doesNotThrow(() => create(role('ClusterRole', [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz/*'] }, { verbs: ['*'], apiGroups: ['*'], resources: ['*'] }])));
    assert.deepEqual(causes(() => create({ ...role('ClusterRole', []), aggregationRule: { clusterRoleSelectors: [] } })), [
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
  });
});

// --- through the registry ------------------------------------------------------------

test('the registry applies the rules registered for each kind', async (t: TestContext) => {
  const { catalogue, registry } = await apiRegistry(t);
  const deployments = catalogue.get('apps', 'v1', 'deployments')!;
  await registry.create(deployments, 'default', deployment() as KubeObject, {});
  const stored = await registry.get(deployments, 'default', 'web');
  assert.deepEqual(stored['spec'], create(deployment())['spec']);
  assert.deepEqual(stored['status'], {});
  await assert.rejects(
    registry.create(deployments, 'default', { ...deployment({ replicas: -1 }), metadata: { name: 'bad' } } as KubeObject, {}),
    (err: unknown) => err instanceof ApiError && err.code === 422 && err.message === 'Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
  );
  const pods = catalogue.get('', 'v1', 'pods')!;
  const created = await registry.create(pods, 'default', pod({ containers: [nginx()] }) as KubeObject, {});
  assert.deepEqual(created['status'], { phase: 'Pending', qosClass: 'BestEffort' });
});

describe('ingresses', () => {
  const backend = (port: Json = { number: 80 }): Json => ({ service: { name: 'web', port } });
  const ingress = (spec: Json, metadata: Json = {}): Json => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', ...metadata },
    spec,
  });
  const rule = (host: string | undefined, paths: Json[]): Json => ({ ...(host === undefined ? {} : { host }), http: { paths } });
  const path = (extra: Json = {}): Json => ({ path: '/', pathType: 'Prefix', backend: backend(), ...extra });

  test('a rule with hosts, paths and Service backends as users write them passes; a wildcard host, a default backend alone, TLS too', () => {
    assert.doesNotThrow(() => create(ingress({ ingressClassName: 'traefik', rules: [rule('web.example.com', [path(), path({ path: '/api', pathType: 'Exact', backend: backend({ name: 'http' }) })])] })));
    assert.doesNotThrow(() => create(ingress({ rules: [rule('*.example.com', [path({ path: undefined, pathType: 'ImplementationSpecific' })])], tls: [{ hosts: ['*.example.com'], secretName: 'web-tls' }] })));
    assert.doesNotThrow(() => create(ingress({ defaultBackend: backend() })));
  });

  test('hosts, paths, path types, backends, TLS and the class are checked with upstream’s messages', () => {
    assert.equal(invalid(() => create(ingress({}))), 'Ingress.networking.k8s.io "web" is invalid: spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified');
    assert.deepEqual(
      causes(() =>
        create(
          ingress({
            ingressClassName: 'Traefik',
            rules: [
              rule('Bad_Host', [path({ path: 'api' })]),
              rule('10.0.0.1', [path({ pathType: undefined })]),
              rule('a.*.example.com', [path({ path: '/a//b/..', pathType: 'Exact' }), path({ pathType: 'Regex' })]),
              rule('ok.example.com', []),
            ],
            tls: [{ hosts: ['Bad.Host'], secretName: 'Bad_Secret' }],
          }),
        ),
      ),
      [
        `spec.rules[0].host: Invalid value: "Bad_Host": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        'spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path',
        'spec.rules[1].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
        'spec.rules[1].http.paths[0].pathType: Required value: pathType must be specified',
        `spec.rules[2].host: Invalid value: "a.*.example.com": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        `spec.rules[2].http.paths[0].path: Invalid value: "/a//b/..": must not contain '//'`,
        `spec.rules[2].http.paths[0].path: Invalid value: "/a//b/..": cannot end with '/..'`,
        'spec.rules[2].http.paths[1].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
        'spec.rules[3].http.paths: Required value',
        `spec.tls[0].hosts[0]: Invalid value: "Bad.Host": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        `spec.tls[0].secretName: Invalid value: "Bad_Secret": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        `spec.ingressClassName: Invalid value: "Traefik": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    );
    const backendCauses = (b: Json) => causes(() => create(ingress({ defaultBackend: b })));
    assert.deepEqual(backendCauses({ service: { name: 'web', port: { name: 'http', number: 80 } } }), ['spec.defaultBackend: Invalid value: "": cannot set both port name & port number']);
    assert.deepEqual(backendCauses({ service: { name: 'web', port: {} } }), ['spec.defaultBackend: Required value: port name or number is required']);
    assert.deepEqual(backendCauses({ service: { name: '1web', port: { number: 70000 } } }), [
      `spec.defaultBackend.service.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      'spec.defaultBackend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ]);
    assert.deepEqual(backendCauses({}), ['spec.defaultBackend: Invalid value: "": resource or service backend is required']);
    assert.deepEqual(backendCauses({ service: { name: 'web', port: { number: 80 } }, resource: { kind: 'Bucket', name: 'b' } }), ['spec.defaultBackend: Invalid value: "": cannot set both resource and service backends']);
    assert.deepEqual(backendCauses({ resource: { apiGroup: 'example.com', kind: '', name: 'a/b' } }), [
      'spec.defaultBackend.resource.kind: Required value',
      `spec.defaultBackend.resource.name: Invalid value: "a/b": may not contain '/'`,
    ]);
  });

  test('the class annotation must agree with ingressClassName on create; an update keeps what upstream once accepted', () => {
    assert.equal(
      invalid(() => create(ingress({ ingressClassName: 'traefik', defaultBackend: backend() }, { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }))),
      'Ingress.networking.k8s.io "web" is invalid: annotations.kubernetes.io/ingress.class: Invalid value: "nginx": must match `ingressClassName` when both are specified',
    );
    // Stored before the checks (as upstream's older versions let through): an update that keeps them is accepted.
    const stored = { ...ingress({ rules: [rule('*.example.com', [path({ path: 'relative' })])], tls: [{ secretName: 'Old_Name' }] }), metadata: { name: 'web', namespace: 'default', uid: UID } };
    assert.doesNotThrow(() => update(stored, { ...stored, metadata: { ...stored.metadata, labels: { app: 'web' } } }));
    // A fresh object is held to them.
    assert.equal(causes(() => create({ ...stored, metadata: { name: 'other' } })).length, 2);
  });
});

describe('claims and storage classes', () => {
  const claim = (spec: Json): Json => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec });
  const storageClass = (extra: Json = {}): Json => ({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'rancher.io/local-path', ...extra });

  test('a claim needs an access mode and a positive size, and keeps its quantities in canonical form', () => {
    const ok = create(claim({ accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '1.5Gi' } } }));
    assert.equal(ok['spec'].resources.requests.storage, '1536Mi');
    assert.equal(ok['spec'].volumeMode, 'Filesystem');
    assert.deepEqual(
      causes(() => create(claim({ resources: {} }))),
      ['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value'],
    );
    assert.deepEqual(
      // Only a supported mode beside ReadWriteOncePod counts against it.
      causes(() => create(claim({ accessModes: ['ReadWriteOncePod', 'Everyone', 'ReadOnlyMany'], storageClassName: 'Fast_SSD', volumeMode: 'Raw', resources: { requests: { storage: '-1Gi' } } }))),
      [
        'spec.accessModes: Unsupported value: "Everyone": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
        'spec.resources[storage]: Invalid value: "-1Gi": must be greater than or equal to 0',
        'spec.resources[storage]: Invalid value: "-1Gi": must be greater than zero',
        `spec.storageClassName: Invalid value: "Fast_SSD": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        'spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"',
      ],
    );
    assert.deepEqual(causes(() => create(claim({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '0' } } }))), ['spec.resources[storage]: Invalid value: "0": must be greater than zero']);
    const bad = refusal(() => create(claim({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gx' } } })), 400);
    assert.match(bad.message, /^PersistentVolumeClaim in version "v1" cannot be handled as a PersistentVolumeClaim: quantities must match the regular expression/);
  });

  test('a storage class needs a provisioner; its provisioner, parameters, reclaim policy and binding mode never change', () => {
    const stored = create(storageClass({ parameters: { nodePath: '/data' } }));
    assert.equal(stored['reclaimPolicy'], 'Delete');
    assert.deepEqual(causes(() => create(storageClass({ provisioner: '', reclaimPolicy: 'Recycle', volumeBindingMode: 'Later' }))), [
      'provisioner: Required value',
      'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
      'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
    ]);
    assert.equal(
      invalid(() => update(stored, storageClass({ provisioner: 'driver.longhorn.io', parameters: { nodePath: '/mnt' }, reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' }))),
      'StorageClass.storage.k8s.io "fast" is invalid: [parameters: Forbidden: updates to parameters are forbidden., provisioner: Forbidden: updates to provisioner are forbidden., reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden., volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable]',
    );
    // Its labels and annotations may change (marking it the default class, say).
    assert.doesNotThrow(() => update(stored, { ...storageClass({ parameters: { nodePath: '/data' } }), metadata: { name: 'fast', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } }));
  });
});

describe('network policies', () => {
  const policy = (spec: Json): Json => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'db' }, spec: { podSelector: { matchLabels: { app: 'db' } }, ...spec } });

  test('selectors, ports and peers as users write them pass', () => {
    assert.doesNotThrow(() =>
      create(
        policy({
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } }, namespaceSelector: {} }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 5432 }, { port: 'metrics' }, { port: 30000, endPort: 32767 }] }],
          egress: [{ to: [{ ipBlock: { cidr: '2001:db8::/32' } }] }],
        }),
      ),
    );
  });

  test('ports, peers, CIDRs and policy types are checked with upstream’s messages', () => {
    assert.deepEqual(
      causes(() =>
        create(
          policy({
            podSelector: { matchLabels: { 'bad key!': 'x' } },
            ingress: [
              {
                ports: [{ protocol: 'ICMP', port: 70000 }, { port: 'http', endPort: 90 }, { endPort: 90 }, { port: 100, endPort: 99 }],
                from: [{}, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }, { ipBlock: { cidr: '10.0.0.0/33', except: ['10.0.0.0/8'] } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8', '11.0.0.0/16', 'x'] } }],
              },
            ],
            policyTypes: ['Ingress', 'Sideways'],
          }),
        ),
      ),
      [
        `spec.podSelector.matchLabels: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
        'spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
        'spec.ingress[0].ports[2].endPort: Invalid value: 90: may not be specified when `port` is not specified',
        'spec.ingress[0].ports[3].endPort: Invalid value: 99: must be greater than or equal to `port`',
        'spec.ingress[0].from[0]: Required value: must specify a peer',
        'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
        'spec.ingress[0].from[2].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
        'spec.ingress[0].from[3].ipBlock.except[0]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
        'spec.ingress[0].from[3].ipBlock.except[1]: Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`',
        'spec.ingress[0].from[3].ipBlock.except[2]: Invalid value: "x": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
        'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
      ],
    );
  });
});

describe('limit ranges', () => {
  const limitRange = (...limits: Json[]): Json => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits' }, spec: { limits } });
  const quantity = (value: number, scale: number, s: string, format = 'DecimalSI'): string =>
    `resource.Quantity{i:resource.int64Amount{value:${value}, scale:${scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${JSON.stringify(s)}, Format:"${format}"}`;

  test('the documentation’s limit ranges pass, a Container item’s defaults filled in from max and min as upstream does', () => {
    // "Configure Default Memory Requests and Limits for a Namespace": as written.
    const memDefaults = limitRange({ default: { memory: '512Mi' }, defaultRequest: { memory: '256Mi' }, type: 'Container' });
    assert.deepEqual(create(memDefaults)['spec'], memDefaults['spec']);
    // "Configure Default CPU Requests and Limits": quantities come back as Go prints them.
    assert.deepEqual(create(limitRange({ default: { cpu: 1 }, defaultRequest: { cpu: 0.5 }, type: 'Container' }))['spec'].limits, [{ default: { cpu: '1' }, defaultRequest: { cpu: '500m' }, type: 'Container' }]);
    // "Configure Minimum and Maximum Memory Constraints": the default limit is max, the default request the default limit.
    assert.deepEqual(create(limitRange({ max: { memory: '1Gi' }, min: { memory: '500Mi' }, type: 'Container' }))['spec'].limits, [
      { max: { memory: '1Gi' }, min: { memory: '500Mi' }, default: { memory: '1Gi' }, defaultRequest: { memory: '1Gi' }, type: 'Container' },
    ]);
    // "Configure Minimum and Maximum CPU Constraints".
    assert.deepEqual(create(limitRange({ max: { cpu: '800m' }, min: { cpu: '200m' }, type: 'Container' }))['spec'].limits[0], {
      max: { cpu: '800m' },
      min: { cpu: '200m' },
      default: { cpu: '800m' },
      defaultRequest: { cpu: '800m' },
      type: 'Container',
    });
    // A default request falls back to min when there is no default limit; Pod and claim items get no defaults.
    const mixed = create(
      limitRange(
        { type: 'Pod', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '200m', memory: '6Mi' }, maxLimitRequestRatio: { cpu: '10' } },
        { type: 'Container', min: { cpu: '100m' }, default: { memory: '200Mi' }, maxLimitRequestRatio: { cpu: '10' } },
        { type: 'PersistentVolumeClaim', max: { storage: '2Gi' }, min: { storage: '1Gi' } },
        { type: 'example.com/Widget', max: { 'example.com/size': '3' } },
      ),
    )['spec'].limits;
    assert.deepEqual(mixed[0], { type: 'Pod', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '200m', memory: '6Mi' }, maxLimitRequestRatio: { cpu: '10' } });
    assert.deepEqual(mixed[1], { type: 'Container', min: { cpu: '100m' }, default: { memory: '200Mi' }, defaultRequest: { memory: '200Mi', cpu: '100m' }, maxLimitRequestRatio: { cpu: '10' } });
    assert.deepEqual(mixed[2], { type: 'PersistentVolumeClaim', max: { storage: '2Gi' }, min: { storage: '1Gi' } });
  });

  test('a JSON null is the zero Quantity, with no format, as Go decodes it', () => {
    assert.deepEqual(causes(() => create(limitRange({ type: 'Container', maxLimitRequestRatio: { cpu: null } }))), [
      `spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: ${quantity(0, 0, '', '')}: ratio 0 is less than 1`,
    ]);
  });

  test('a quantity that does not parse fails decoding, with a 400', () => {
    const err = refusal(() => create(limitRange({ type: 'Container', maxLimitRequestRatio: { cpu: 'ten' } })), 400);
    assert.equal(err.message, `LimitRange in version "v1" cannot be handled as a LimitRange: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  });

  test('types are required, standard or fully qualified, and each appears once', () => {
    assert.deepEqual(causes(() => create(limitRange({ max: { cpu: '1' } }, { type: 'Node' }, { type: 'Container' }, { type: 'Container' }))), [
      'spec.limits[0].type: Invalid value: "": name part must be non-empty',
      `spec.limits[0].type: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      'spec.limits[1].type: Invalid value: "Node": must be a standard limit type or fully qualified',
      'spec.limits[3].type: Duplicate value: "Container"',
    ]);
  });

  test('resource names suit the type; a Pod item has no defaults; a claim item bounds storage', () => {
    assert.deepEqual(
      causes(() =>
        create(
          limitRange(
            { type: 'Pod', max: { storage: '1Gi' }, default: { cpu: '1' }, defaultRequest: { cpu: '1' } },
            { type: 'Container', min: { 'requests.example.com/gpu': '1', gpu: '1' } },
            { type: 'PersistentVolumeClaim', max: { gpu: '1' } },
          ),
        ),
      ),
      [
        'spec.limits[0].max[storage]: Invalid value: "storage": must be a standard resource for containers',
        "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
        "spec.limits[0].defaultRequest: Forbidden: may not be specified when `type` is 'Pod'",
        'spec.limits[1].min[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        'spec.limits[1].min[gpu]: Invalid value: "gpu": must be a standard resource for containers',
        `spec.limits[1].min[requests.example.com/gpu]: Invalid value: "requests.example.com/gpu": doesn't follow extended resource name standard`,
        // The default requests a Container item gets from min are checked too.
        'spec.limits[1].defaultRequest[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        'spec.limits[1].defaultRequest[gpu]: Invalid value: "gpu": must be a standard resource for containers',
        `spec.limits[1].defaultRequest[requests.example.com/gpu]: Invalid value: "requests.example.com/gpu": doesn't follow extended resource name standard`,
        'spec.limits[2].max[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        'spec.limits[2].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
      ],
    );
  });

  test('min ≤ default request ≤ default ≤ max, with upstream’s messages and Go’s %#v of the quantity', () => {
    // The default limit and request both come from max here, so min exceeds them too.
    assert.deepEqual(causes(() => create(limitRange({ type: 'Container', max: { cpu: '50m' }, min: { cpu: '100m' } }))), [
      `spec.limits[0].min[cpu]: Invalid value: ${quantity(100, -3, '100m')}: min value 100m is greater than max value 50m`,
      `spec.limits[0].defaultRequest[cpu]: Invalid value: ${quantity(50, -3, '50m')}: min value 100m is greater than default request value 50m`,
      `spec.limits[0].default[cpu]: Invalid value: ${quantity(100, -3, '100m')}: min value 100m is greater than default value 50m`,
    ]);
    assert.deepEqual(
      causes(() =>
        create(
          limitRange(
            { type: 'Container', max: { cpu: '800m' }, default: { cpu: '0.5' }, defaultRequest: { cpu: '1' } },
            { type: 'PersistentVolumeClaim', max: { storage: '1Gi' }, default: { storage: '2Gi' } },
          ),
        ),
      ),
      [
        `spec.limits[0].defaultRequest[cpu]: Invalid value: ${quantity(1, 0, '1')}: default request value 1 is greater than max value 800m`,
        `spec.limits[0].defaultRequest[cpu]: Invalid value: ${quantity(1, 0, '1')}: default request value 1 is greater than default limit value 500m`,
        `spec.limits[1].default[storage]: Invalid value: ${quantity(1073741824, 0, '1Gi', 'BinarySI')}: default value 2Gi is greater than max value 1Gi`,
      ],
    );
  });

  test('a limit/request ratio is at least 1 and at most max/min; hugepages defaults equal their requests', () => {
    assert.deepEqual(
      causes(() =>
        create(
          limitRange(
            { type: 'Pod', max: { cpu: '1' }, min: { cpu: '100m' }, maxLimitRequestRatio: { cpu: '20' } },
            { type: 'Container', maxLimitRequestRatio: { memory: '0.5' }, default: { 'hugepages-2Mi': '4Mi' }, defaultRequest: { 'hugepages-2Mi': '2Mi' } },
          ),
        ),
      ),
      [
        `spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: ${quantity(20, 0, '20')}: ratio 20 is greater than max/min = 10.000000`,
        `spec.limits[1].defaultRequest[hugepages-2Mi]: Invalid value: ${quantity(2097152, 0, '2Mi', 'BinarySI')}: default value 4Mi must equal to defaultRequest value 2Mi in hugepages-2Mi`,
        `spec.limits[1].maxLimitRequestRatio[memory]: Invalid value: ${quantity(5, -1, '')}: ratio 500m is less than 1`,
      ],
    );
    assert.doesNotThrow(() => create(limitRange({ type: 'Pod', max: { cpu: '1' }, min: { cpu: '100m' }, maxLimitRequestRatio: { cpu: '10' } })));
  });

  test('an update is held to the same rules, nothing more', () => {
    const stored = create(limitRange({ type: 'Container', max: { memory: '1Gi' } }));
    assert.equal(update(stored, limitRange({ type: 'Pod', max: { memory: '2Gi' } }))['spec'].limits[0].max.memory, '2Gi');
    assert.deepEqual(causes(() => update(stored, limitRange({ type: 'Pod', default: { memory: '1Gi' } }))), ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"]);
  });
});

describe('resource quotas', () => {
  const quota = (spec: Json, status?: Json): Json => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'quota' }, spec, ...(status ? { status } : {}) });
  const quantity = (value: number, scale: number, s: string, format = 'DecimalSI'): string =>
    `resource.Quantity{i:resource.int64Amount{value:${value}, scale:${scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${JSON.stringify(s)}, Format:"${format}"}`;

  test('the documentation’s quotas pass as written, with an empty status until something counts usage', () => {
    const specs: Json[] = [
      // "Configure Memory and CPU Quotas for a Namespace", "Configure a Pod Quota for a Namespace".
      { hard: { 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '2', 'limits.memory': '2Gi' } },
      { hard: { pods: '2' } },
      // Object counts, storage by class, extended resources and hugepages ("Resource Quotas").
      { hard: { 'count/deployments.apps': '5', 'count/pods': '10', configmaps: '10', persistentvolumeclaims: '4', 'services.loadbalancers': '2', 'services.nodeports': '0', secrets: '10' } },
      { hard: { 'requests.storage': '5Gi', persistentvolumeclaims: '5', 'gold.storageclass.storage.k8s.io/requests.storage': '500Gi', 'requests.ephemeral-storage': '10Gi' } },
      { hard: { 'requests.nvidia.com/gpu': '4', 'requests.hugepages-2Mi': '1Gi', 'hugepages-1Gi': '2Gi' } },
      // Quota by priority class, and against cross-namespace pod affinity.
      { hard: { cpu: '10', memory: '20Gi', pods: '10' }, scopeSelector: { matchExpressions: [{ operator: 'In', scopeName: 'PriorityClass', values: ['high'] }] } },
      { hard: { pods: '0' }, scopeSelector: { matchExpressions: [{ scopeName: 'CrossNamespacePodAffinity', operator: 'Exists' }] } },
      { hard: { 'requests.cpu': '2', pods: '4' }, scopes: ['NotTerminating', 'NotBestEffort'] },
    ];
    for (const spec of specs) {
      const stored = create(quota(spec));
      assert.deepEqual(stored['spec'], spec);
      assert.deepEqual(stored['status'], {});
    }
    // Whatever status a create carries is dropped.
    assert.deepEqual(create(quota({ hard: { pods: '2' } }, { hard: { pods: '2' }, used: { pods: '1' } }))['status'], {});
    // Quantities come back as Go prints them: the documentation's "1000" cpus as "1k".
    assert.deepEqual(create(quota({ hard: { cpu: '1000', memory: '1024Mi', 'requests.cpu': 0.5 } }))['spec'].hard, { cpu: '1k', memory: '1Gi', 'requests.cpu': '500m' });
  });

  test('what kubectl create quota sends: the documented shapes pass; compute resources cannot be scoped to BestEffort', () => {
    const hard = { cpu: '1', memory: '1G', pods: '2', services: '3', replicationcontrollers: '2', resourcequotas: '1', secrets: '5', persistentvolumeclaims: '10' };
    assert.deepEqual(create(quota({ hard }))['spec'].hard, hard);
    assert.deepEqual(create(quota({ hard: { pods: '100' }, scopes: ['BestEffort'] }))['spec'].scopes, ['BestEffort']);
    assert.deepEqual(causes(() => create(quota({ hard: { cpu: '1', memory: '1G', pods: '2' }, scopes: ['BestEffort'] }))), [
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource',
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource',
    ]);
  });

  test('resource names are ones quota tracks or fully qualified; amounts are not negative, and counts are whole', () => {
    const err = refusal(() => create(quota({ hard: { pods: 'two' } })), 400);
    assert.equal(err.message, `ResourceQuota in version "v1" cannot be handled as a ResourceQuota: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
    assert.deepEqual(
      causes(() => create(quota({ hard: { widgets: '1', storage: '1Gi', 'limits.storage': '1Gi', cpu: '-1', pods: '1.5', 'count/jobs.batch': '500m', 'example.com/dongles': '2.5', 'requests.example.com/gpu': '0.5' } }))),
      [
        'spec.hard[count/jobs.batch]: Invalid value: ' + quantity(500, -3, '500m') + ': must be an integer',
        'spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        'spec.hard[example.com/dongles]: Invalid value: ' + quantity(25, -1, '') + ': must be an integer',
        'spec.hard[limits.storage]: Invalid value: "limits.storage": must be a standard resource type or fully qualified',
        'spec.hard[limits.storage]: Invalid value: "limits.storage": must be a standard resource for quota',
        'spec.hard[pods]: Invalid value: ' + quantity(15, -1, '') + ': must be an integer',
        'spec.hard[storage]: Invalid value: "storage": must be a standard resource for quota',
        'spec.hard[widgets]: Invalid value: "widgets": must be a standard resource type or fully qualified',
        'spec.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota',
      ],
    );
  });

  test('scopes are known, apply to every resource limited, and do not conflict', () => {
    assert.deepEqual(causes(() => create(quota({ hard: { 'requests.storage': '1Gi', pods: '1' }, scopes: ['Terminating', 'NotTerminating', 'Forever'] }))), [
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating", "NotTerminating", "Forever"}: unsupported scope applied to resource',
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating", "NotTerminating", "Forever"}: unsupported scope applied to resource',
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating", "NotTerminating", "Forever"}: unsupported scope',
      'spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating", "NotTerminating", "Forever"}: conflicting scopes',
    ]);
  });

  test('a scope selector’s operators and values suit its scopes, with upstream’s (index-less) paths', () => {
    const selector = (...matchExpressions: Json[]): Json => ({ matchExpressions });
    assert.deepEqual(
      causes(() =>
        create(
          quota({
            hard: { pods: '1' },
            scopeSelector: selector(
              { scopeName: 'PriorityClass', operator: 'In' },
              { scopeName: 'PriorityClass', operator: 'Exists', values: ['high'] },
              { scopeName: 'BestEffort', operator: 'In', values: ['x'] },
              { scopeName: 'Nightly', operator: 'Matches' },
              { scopeName: 'Terminating', operator: 'Exists' },
              { scopeName: 'NotTerminating', operator: 'Exists' },
            ),
          }),
        ),
      ),
      [
        "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
        `spec.scopeSelector.matchExpressions.values: Invalid value: []string{"high"}: must be no value when \`operator\` is 'Exist' or 'DoesNotExist' for scope selector`,
        "spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        'spec.scopeSelector.matchExpressions.scopeName: Invalid value: "Nightly": unsupported scope',
        'spec.scopeSelector.matchExpressions.operator: Invalid value: "Matches": not a valid selector operator',
        'spec.scopeSelector.matchExpressions: Invalid value: []core.ResourceQuotaScope(nil): conflicting scopes',
      ],
    );
    assert.deepEqual(causes(() => create(quota({ hard: { memory: '1Gi' }, scopeSelector: selector({ scopeName: 'BestEffort', operator: 'Exists' }) }))), [
      'spec.scopeSelector.matchExpressions: Invalid value: core.ScopeSelector{MatchExpressions:[]core.ScopedResourceSelectorRequirement{core.ScopedResourceSelectorRequirement{ScopeName:"BestEffort", Operator:"Exists", Values:[]string(nil)}}}: unsupported scope applied to resource',
    ]);
  });

  test('an update may change the limits but not the scopes, and keeps the status', () => {
    const stored = { ...create(quota({ hard: { pods: '10' }, scopes: ['NotBestEffort', 'NotTerminating'] })), status: { hard: { pods: '10' }, used: { pods: '3' } } };
    const next = update(stored, quota({ hard: { pods: '20' }, scopes: ['NotTerminating', 'NotBestEffort'] }, { used: { pods: '0' } }));
    assert.equal(next['spec'].hard.pods, '20');
    assert.deepEqual(next['status'], { hard: { pods: '10' }, used: { pods: '3' } });
    assert.deepEqual(causes(() => update(stored, quota({ hard: { pods: '10' }, scopes: ['NotBestEffort'] }))), ['spec.scopes: Invalid value: []core.ResourceQuotaScope{"NotBestEffort"}: field is immutable']);
  });

  test('a status write is checked as ValidateResourceQuotaStatusUpdate checks it', () => {
    const type = typeOf({ apiVersion: 'v1', kind: 'ResourceQuota' });
    const rules = rulesFor(type);
    const stored = create(quota({ hard: { pods: '10' } })) as KubeObject;
    // As the registry's status writes: the stored object with the status sent.
    const status = (s: Json): string[] => {
      const next = { ...structuredClone(stored), status: s } as KubeObject;
      rules.decodeInput?.(next);
      return (rules.validateStatus?.(next, stored) ?? []).map((c) => `${c.field}: ${c.message}`);
    };
    assert.deepEqual(status({ hard: { pods: '10' }, used: { pods: '3', 'count/pods': '3' } }), []);
    assert.deepEqual(
      status({ hard: { pods: '10', widgets: '1' }, used: { pods: '0.5', cpu: '-1' } }),
      [
        'status.hard[widgets]: Invalid value: "widgets": must be a standard resource type or fully qualified',
        'status.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota',
        'status.used[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        `status.used[pods]: Invalid value: ${quantity(5, -1, '')}: must be an integer`,
      ],
    );
    assert.throws(() => status({ used: { pods: 'lots' } }), (err: unknown) => err instanceof ApiError && err.code === 400);
  });
});

describe('container resources, by the rules quota and limit ranges share', () => {
  test('extended resources are whole and well named; a bad name does not hide a negative amount; Go’s String() is kept', () => {
    assert.deepEqual(causes(() => create(pod({ containers: [nginx({ resources: { limits: { 'example.com/gpu': '0.5', 'requests.example.com/gpu': '1', gpu: '-1' } } })] }))), [
      'spec.containers[0].resources.limits[example.com/gpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:5, scale:-1}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}: must be an integer',
      'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
      'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      'spec.containers[0].resources.limits[gpu]: Invalid value: "-1": must be greater than or equal to 0',
      `spec.containers[0].resources.limits[requests.example.com/gpu]: Invalid value: "requests.example.com/gpu": doesn't follow extended resource name standard`,
      // The requests defaulted from the limits say the same.
      'spec.containers[0].resources.requests[example.com/gpu]: Invalid value: resource.Quantity{i:resource.int64Amount{value:5, scale:-1}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}: must be an integer',
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
      'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
      'spec.containers[0].resources.requests[gpu]: Invalid value: "-1": must be greater than or equal to 0',
      `spec.containers[0].resources.requests[requests.example.com/gpu]: Invalid value: "requests.example.com/gpu": doesn't follow extended resource name standard`,
    ]);
    // Go serves the text it was sent when it parsed as canonical, "+1" included.
    assert.deepEqual(create(pod({ containers: [nginx({ resources: { limits: { cpu: '+1', 'example.com/gpu': '2' } } })] }))['spec'].containers[0].resources.limits, { cpu: '+1', 'example.com/gpu': '2' });
  });
});

describe('endpoints and endpoint slices', () => {
  const LABEL_MSG =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  const SUBDOMAIN_MSG =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  const QUALIFIED_MSG =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const VALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
  const LOOPBACK = 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
  const LINK_LOCAL = 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
  const LINK_LOCAL_MULTICAST = 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  const endpoints = (subsets: Json[]): Json => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web' }, subsets });
  const slice = (extra: Json): Json => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-x7k2p' }, addressType: 'IPv4', ...extra });

  test('Endpoints as the controller and users write them pass; ports default to TCP; addresses parse as Go’s lenient ParseIP', () => {
    const created = create(
      endpoints([
        {
          addresses: [{ ip: '10.42.0.5', hostname: 'web-0', nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0' } }, { ip: '010.042.000.006' }, { ip: '::ffff:10.42.0.7' }],
          notReadyAddresses: [{ ip: '2001:db8::5' }],
          ports: [
            { name: 'http', port: 80 },
            { name: 'metrics', port: 9090, protocol: 'UDP', appProtocol: 'kubernetes.io/h2c' },
          ],
        },
        { notReadyAddresses: [{ ip: '192.168.1.50' }] },
      ]),
    );
    assert.deepEqual(created['subsets'][0].ports, [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'UDP', appProtocol: 'kubernetes.io/h2c' },
    ]);
    assert.doesNotThrow(() => create(endpoints([])));
  });

  test('Endpoints’ addresses and ports are checked with upstream’s fields and messages, on create and update', () => {
    assert.deepEqual(
      causes(() =>
        create(
          endpoints([
            {},
            {
              addresses: [{ ip: 'x', hostname: 'Web_0', nodeName: 'Node A' }, { ip: '127.0.0.1' }, { ip: '::1' }, { ip: '0.0.0.0' }, { ip: '::' }],
              notReadyAddresses: [{ ip: '169.254.169.254' }, { ip: 'fe80::1' }, { ip: '224.0.0.251' }, { ip: 'ff02::fb' }, { ip: 'fe80::1%eth0' }, { ip: '::ffff:127.0.0.1' }],
              ports: [
                { port: 0, protocol: 'ICMP' },
                { name: 'http.alt', port: 70000, appProtocol: 'a/b/c' },
              ],
            },
          ]),
        ),
      ),
      [
        'subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`',
        `subsets[1].addresses[0].ip: Invalid value: "x": ${VALID_IP}`,
        `subsets[1].addresses[0].hostname: Invalid value: "Web_0": ${LABEL_MSG}`,
        `subsets[1].addresses[0].nodeName: Invalid value: "Node A": ${SUBDOMAIN_MSG}`,
        'subsets[1].addresses[0].ip: Invalid value: "x": must be a valid IP address',
        `subsets[1].addresses[1].ip: Invalid value: "127.0.0.1": ${LOOPBACK}`,
        `subsets[1].addresses[2].ip: Invalid value: "::1": ${LOOPBACK}`,
        'subsets[1].addresses[3].ip: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'subsets[1].addresses[4].ip: Invalid value: "::": may not be unspecified (::)',
        `subsets[1].notReadyAddresses[0].ip: Invalid value: "169.254.169.254": ${LINK_LOCAL}`,
        `subsets[1].notReadyAddresses[1].ip: Invalid value: "fe80::1": ${LINK_LOCAL}`,
        `subsets[1].notReadyAddresses[2].ip: Invalid value: "224.0.0.251": ${LINK_LOCAL_MULTICAST}`,
        `subsets[1].notReadyAddresses[3].ip: Invalid value: "ff02::fb": ${LINK_LOCAL_MULTICAST}`,
        `subsets[1].notReadyAddresses[4].ip: Invalid value: "fe80::1%eth0": ${VALID_IP}`,
        'subsets[1].notReadyAddresses[4].ip: Invalid value: "fe80::1%eth0": must be a valid IP address',
        `subsets[1].notReadyAddresses[5].ip: Invalid value: "::ffff:127.0.0.1": ${LOOPBACK}`,
        'subsets[1].ports[0].name: Required value',
        'subsets[1].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'subsets[1].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        'subsets[1].ports[1].name: Invalid value: "http.alt": must not contain dots',
        'subsets[1].ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
        `subsets[1].ports[1].appProtocol: Invalid value: "a/b/c": a qualified name ${QUALIFIED_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
    );
    const current = create(endpoints([{ addresses: [{ ip: '10.42.0.5' }] }]));
    assert.equal(
      invalid(() => update(current, endpoints([{ addresses: [{ ip: '127.0.0.1' }] }]))),
      `Endpoints "web" is invalid: subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": ${LOOPBACK}`,
    );
  });

  test('an EndpointSlice as the controller writes it passes; ports default to name "" and TCP; v1 writes drop deprecatedTopology', () => {
    const created = create(
      slice({
        endpoints: [
          {
            addresses: ['10.42.0.5'],
            conditions: { ready: true, serving: true, terminating: false },
            hostname: 'web-0',
            nodeName: 'node-a',
            zone: 'zone-1',
            hints: { forZones: [{ name: 'zone-1' }] },
            targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0' },
            deprecatedTopology: { 'kubernetes.io/hostname': 'node-a' },
          },
          { addresses: ['::ffff:10.42.0.6', '010.42.0.7'] },
        ],
        ports: [{ port: 8080 }, { name: 'metrics', port: 9090, protocol: 'UDP', appProtocol: 'http' }],
      }),
    );
    assert.deepEqual(created['ports'], [
      { name: '', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'UDP', appProtocol: 'http' },
    ]);
    assert.equal(created['endpoints'][0].deprecatedTopology, undefined);
    assert.doesNotThrow(() => create(slice({ endpoints: null, ports: null })));
    assert.doesNotThrow(() => create(slice({ addressType: 'IPv6', endpoints: [{ addresses: ['2001:db8::5'] }] })));
    assert.doesNotThrow(() => create(slice({ addressType: 'FQDN', endpoints: [{ addresses: ['db.example.com', 'db.example.com.'] }] })));

    // An update that changes the endpoints keeps, as nodeName, the node a slice stored before this named in its topology.
    const stored = { ...slice({ endpoints: [{ addresses: ['10.42.0.5'], deprecatedTopology: { 'kubernetes.io/hostname': 'node-a' } }] }), metadata: { name: 'web-x7k2p', namespace: 'default', uid: UID } };
    const unchanged = update(stored, slice({ endpoints: [{ addresses: ['10.42.0.5'], deprecatedTopology: { 'kubernetes.io/hostname': 'node-a' } }] }));
    assert.deepEqual(unchanged['endpoints'], [{ addresses: ['10.42.0.5'], deprecatedTopology: { 'kubernetes.io/hostname': 'node-a' } }]);
    const changed = update(stored, slice({ endpoints: [{ addresses: ['10.42.0.6'], deprecatedTopology: { 'kubernetes.io/hostname': 'node-a' } }, { addresses: ['10.42.0.7'], deprecatedTopology: { 'kubernetes.io/hostname': 'node-b' } }] }));
    assert.deepEqual(changed['endpoints'], [{ addresses: ['10.42.0.6'], nodeName: 'node-a' }, { addresses: ['10.42.0.7'] }]);
  });

  test('an EndpointSlice’s address type is required, supported and immutable', () => {
    assert.deepEqual(causes(() => create(slice({ addressType: undefined }))), ['addressType: Required value']);
    assert.deepEqual(causes(() => create(slice({ addressType: 'IP', endpoints: [{ addresses: ['127.0.0.1'] }] }))), [
      'addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"',
    ]);
    const current = create(slice({}));
    assert.equal(
      invalid(() => update(current, slice({ addressType: 'IPv6' }))),
      'EndpointSlice.discovery.k8s.io "web-x7k2p" is invalid: addressType: Invalid value: "IPv6": field is immutable',
    );
  });

  test('an EndpointSlice’s endpoints and ports are checked with upstream’s fields and messages', () => {
    assert.deepEqual(
      causes(() =>
        create(
          slice({
            endpoints: [
              { addresses: [] },
              {
                addresses: ['10.0.0.1', '2001:db8::1', '127.0.0.1', 'x', '::ffff:10.0.0.2', '169.254.1.1'],
                nodeName: 'Node_A',
                hostname: 'a.b',
                hints: { forZones: [{ name: 'z1' }, { name: 'z1' }, { name: 'bad zone' }] },
              },
            ],
            ports: [{ name: 'http', port: 80 }, { name: 'http', protocol: 'ICMP' }, { name: 'Bad', protocol: 'TCP', appProtocol: '' }, { protocol: '' }],
          }),
        ),
      ),
      [
        'endpoints[0].addresses: Required value: must contain at least 1 address',
        'endpoints[1].addresses[1]: Invalid value: "2001:db8::1": must be a valid IPv4 address',
        `endpoints[1].addresses[2]: Invalid value: "127.0.0.1": ${LOOPBACK}`,
        'endpoints[1].addresses[3]: Invalid value: "x": must be a valid IPv4 address',
        'endpoints[1].addresses[3]: Invalid value: "x": must be a valid IP address',
        `endpoints[1].addresses[5]: Invalid value: "169.254.1.1": ${LINK_LOCAL}`,
        `endpoints[1].nodeName: Invalid value: "Node_A": ${SUBDOMAIN_MSG}`,
        'endpoints[1].hostname: Invalid value: "a.b": must not contain dots',
        'endpoints[1].hints.forZones[1].name: Duplicate value: "z1"',
        `endpoints[1].hints.forZones[2].name: Invalid value: "bad zone": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
        'ports[1].name: Duplicate value: "http"',
        'ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
        `ports[2].name: Invalid value: "Bad": ${LABEL_MSG}`,
        'ports[2].appProtocol: Invalid value: "": name part must be non-empty',
        `ports[2].appProtocol: Invalid value: "": name part ${QUALIFIED_MSG}`,
        'ports[3].protocol: Unsupported value: "": supported values: "SCTP", "TCP", "UDP"',
      ],
    );
    assert.deepEqual(causes(() => create(slice({ addressType: 'IPv6', endpoints: [{ addresses: ['10.0.0.1', '::ffff:10.0.0.1', 'fe80::1', '::1'] }] }))), [
      'endpoints[0].addresses[0]: Invalid value: "10.0.0.1": must be a valid IPv6 address',
      'endpoints[0].addresses[1]: Invalid value: "::ffff:10.0.0.1": must be a valid IPv6 address',
      `endpoints[0].addresses[2]: Invalid value: "fe80::1": ${LINK_LOCAL}`,
      `endpoints[0].addresses[3]: Invalid value: "::1": ${LOOPBACK}`,
    ]);
    const long = 'x'.repeat(64);
    assert.deepEqual(causes(() => create(slice({ addressType: 'FQDN', endpoints: [{ addresses: ['', 'example', 'Example.com.', `${long}.com`] }] }))), [
      'endpoints[0].addresses[0]: Required value',
      'endpoints[0].addresses[1]: Invalid value: "example": should be a domain with at least two segments separated by dots',
      `endpoints[0].addresses[2]: Invalid value: "Example.com": ${SUBDOMAIN_MSG}`,
      `endpoints[0].addresses[3]: Invalid value: "${long}": must be no more than 63 characters`,
    ]);
  });

  test('an EndpointSlice holds at most 1000 endpoints of at most 100 addresses, 8 zone hints and 20000 ports', () => {
    const endpoint = { addresses: ['10.0.0.1'] };
    assert.deepEqual(causes(() => create(slice({ endpoints: new Array(1001).fill(endpoint) }))), ['endpoints: Too many: 1001: must have at most 1000 items']);
    assert.deepEqual(causes(() => create(slice({ endpoints: [{ addresses: new Array(101).fill('10.0.0.1') }] }))), ['endpoints[0].addresses: Too many: 101: must have at most 100 items']);
    const zones = Array.from({ length: 9 }, (_, i) => ({ name: `zone-${i}` }));
    assert.deepEqual(causes(() => create(slice({ endpoints: [{ ...endpoint, hints: { forZones: zones } }] }))), ['endpoints[0].hints.forZones: Too many: 9: must have at most 8 items']);
    assert.doesNotThrow(() => create(slice({ ports: Array.from({ length: 101 }, (_, i) => ({ name: `p${i}`, port: 1000 + i })) })));
    assert.deepEqual(causes(() => create(slice({ ports: Array.from({ length: 20001 }, (_, i) => ({ name: `p${i}` })) }))), ['ports: Too many: 20001: must have at most 20000 items']);
  });

  test('a Service’s external IPs are checked as upstream checks them: an IP first, then no special one', () => {
    assert.doesNotThrow(() => create(service({ externalIPs: ['192.0.2.10', '010.0.0.1'] })));
    assert.deepEqual(causes(() => create(service({ externalIPs: ['x', '127.0.0.1', '::ffff:169.254.0.1'] }))), [
      `spec.externalIPs[0]: Invalid value: "x": ${VALID_IP}`,
      `spec.externalIPs[1]: Invalid value: "127.0.0.1": ${LOOPBACK}`,
      `spec.externalIPs[2]: Invalid value: "::ffff:169.254.0.1": ${LINK_LOCAL}`,
    ]);
  });
});

describe('persistent volumes', () => {
  const SUBDOMAIN = (value: string) =>
    `Invalid value: "${value}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
  const onNode = (node = 'pi-1'): Json => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } });
  const volume = (spec: Json, metadata: Json = {}): Json => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-data', ...metadata }, spec });
  const basic = (source: Json, extra: Json = {}): Json => volume({ capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], ...source, ...extra });

  test('volumes as users write them pass, defaulted as upstream (status Pending since now, the sources’ defaults, canonical capacity)', () => {
    const hostPath = create(basic({ hostPath: { path: '/mnt/data' } }, { capacity: { storage: '1.5Gi' } }));
    assert.deepEqual(hostPath['spec'], {
      capacity: { storage: '1536Mi' },
      accessModes: ['ReadWriteOnce'],
      hostPath: { path: '/mnt/data', type: '' },
      persistentVolumeReclaimPolicy: 'Retain',
      volumeMode: 'Filesystem',
    });
    assert.equal(hostPath['status'].phase, 'Pending');
    assert.match(hostPath['status'].lastPhaseTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.doesNotThrow(() =>
      create(
        basic(
          { nfs: { server: 'nas.lan', path: '/exports/media', readOnly: false } },
          { accessModes: ['ReadWriteMany', 'ReadOnlyMany'], persistentVolumeReclaimPolicy: 'Recycle', storageClassName: 'nfs', mountOptions: ['nfsvers=4.1', 'hard'], claimRef: { namespace: 'media', name: 'library' } },
        ),
      ),
    );
    // A local disk: a relative path is upstream's business too, and node affinity label values are not checked in 1.31.
    assert.doesNotThrow(() => create(basic({ local: { path: '/mnt/disks/ssd1', fsType: 'ext4' } }, { nodeAffinity: onNode('pi-1'), storageClassName: 'local-storage', volumeMode: 'Block' })));
    assert.doesNotThrow(() => create(basic({ local: { path: 'disks/ssd1' } }, { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['not a label value!'] }] }] } } })));
    assert.doesNotThrow(() =>
      create(
        basic({ csi: { driver: 'driver.longhorn.io', volumeHandle: 'pvc-1', fsType: 'ext4', volumeAttributes: { numberOfReplicas: '2' }, nodePublishSecretRef: { name: 'longhorn-creds', namespace: 'longhorn-system' } } }),
      ),
    );
    const iscsi = create(basic({ iscsi: { targetPortal: '10.0.0.5:3260', iqn: 'iqn.2001-04.com.example:storage.disk1', lun: 0, initiatorName: 'iqn.1994-05.com.redhat:pi1' } }));
    assert.equal(iscsi['spec'].iscsi.iscsiInterface, 'default');
    const rbd = create(basic({ rbd: { monitors: ['10.0.0.1:6789'], image: 'disk' } }));
    assert.deepEqual([rbd['spec'].rbd.pool, rbd['spec'].rbd.user, rbd['spec'].rbd.keyring], ['rbd', 'admin', '/etc/ceph/keyring']);
    // VolumeAttributesClass is off in 1.31: the field is dropped.
    assert.equal(create(basic({ hostPath: { path: '/mnt/a' } }, { volumeAttributesClassName: 'gold' }))['spec'].volumeAttributesClassName, undefined);
  });

  test('access modes, capacity, reclaim policy, class and volume mode are checked with upstream’s messages', () => {
    assert.deepEqual(causes(() => create(volume({}))), [
      'spec.accessModes: Required value',
      'spec.capacity: Required value',
      'spec.capacity: Unsupported value: core.ResourceList(nil): supported values: "storage"',
      'spec: Required value: must specify a volume type',
    ]);
    assert.deepEqual(
      causes(() =>
        create(
          volume({
            accessModes: ['ReadWriteOncePod', 'ReadWriteOnce', 'Everyone'],
            capacity: { storage: '-1Gi', cpu: '1' },
            persistentVolumeReclaimPolicy: 'Recycle',
            hostPath: { path: '/', type: 'Folder' },
            nfs: { server: 'nas', path: 'exports' },
            storageClassName: 'Fast_SSD',
            volumeMode: 'Raw',
          }),
        ),
      ),
      [
        'spec.accessModes: Unsupported value: "Everyone": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes',
        'spec.capacity: Unsupported value: core.ResourceList{"cpu":resource.Quantity{i:resource.int64Amount{value:1, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1", Format:"DecimalSI"}, "storage":resource.Quantity{i:resource.int64Amount{value:-1073741824, scale:0}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"-1Gi", Format:"BinarySI"}}: supported values: "storage"',
        'spec.capacity[storage]: Invalid value: -1073741824: must be a valid resource quantity',
        'spec.capacity[storage]: Invalid value: "-1Gi": must be greater than zero',
        'spec.hostPath.type: Unsupported value: "Folder": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
        'spec.nfs: Forbidden: may not specify more than 1 volume type',
        "spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'",
        `spec.storageClassName: ${SUBDOMAIN('Fast_SSD')}`,
        'spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"',
      ],
    );
    assert.deepEqual(causes(() => create(basic({ hostPath: { path: '/mnt/a' } }, { accessModes: ['ReadWriteOncePod', 'Everyone'], capacity: { storage: '0' }, persistentVolumeReclaimPolicy: 'Keep' }))), [
      // An unsupported mode beside ReadWriteOncePod is not "another mode".
      'spec.accessModes: Unsupported value: "Everyone": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
      'spec.capacity[storage]: Invalid value: "0": must be greater than zero',
      'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"',
    ]);
    assert.deepEqual(causes(() => create(basic({ hostPath: { path: '/mnt/a' } }, { capacity: {} }))), [
      'spec.capacity: Required value',
      'spec.capacity: Unsupported value: core.ResourceList{}: supported values: "storage"',
    ]);
    const bad = refusal(() => create(basic({ hostPath: { path: '/mnt/a' } }, { capacity: { storage: '10GB' } })), 400);
    assert.match(bad.message, /^PersistentVolume in version "v1" cannot be handled as a PersistentVolume: quantities must match the regular expression/);
  });

  test('each volume source is checked as upstream checks it; flexVolume is never a second source', () => {
    const sourceCauses = (source: Json, extra: Json = {}) => causes(() => create(basic(source, extra)));
    assert.deepEqual(sourceCauses({ hostPath: { path: '' } }), ['spec.hostPath.path: Required value']);
    assert.deepEqual(sourceCauses({ hostPath: { path: '/data/../etc' } }), ['spec.hostPath.path: Invalid value: "/data/../etc": must not contain \'..\'']);
    assert.deepEqual(sourceCauses({ nfs: { server: '', path: 'exports' } }), ['spec.nfs.server: Required value', 'spec.nfs.path: Invalid value: "exports": must be an absolute path']);
    assert.deepEqual(sourceCauses({ local: { path: '' } }), ['spec.local.path: Required value', 'spec.nodeAffinity: Required value: Local volume requires node affinity']);
    assert.deepEqual(sourceCauses({ local: { path: '/mnt/../x' } }, { nodeAffinity: onNode() }), ['spec.local.path: Invalid value: "/mnt/../x": must not contain \'..\'']);
    assert.deepEqual(sourceCauses({ csi: { driver: 'Bad_Driver', volumeHandle: '' } }), [`spec.csi.driver: ${SUBDOMAIN('Bad_Driver')}`, 'spec.csi.volumeHandle: Required value']);
    assert.deepEqual(sourceCauses({ csi: { driver: `${'d'.repeat(61)}.io`, volumeHandle: 'v', controllerPublishSecretRef: { name: 'creds' }, nodeExpandSecretRef: { namespace: 'Kube_System' } } }), [
      'spec.csi.driver: Too long: must have at most 63 bytes',
      'spec.csi.controllerPublishSecretRef.namespace: Required value',
      'spec.csi.nodeExpandSecretRef.name: Required value',
      `spec.csi.nodeExpandSecretRef.namespace: Invalid value: "Kube_System": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    ]);
    assert.deepEqual(sourceCauses({ csi: { driver: '', volumeHandle: 'v' } }), ['spec.csi.driver: Required value', `spec.csi.driver: ${SUBDOMAIN('')}`]);
    assert.deepEqual(sourceCauses({ iscsi: { targetPortal: '', iqn: 'disk1', lun: 300, chapAuthSession: true } }), [
      'spec.iscsi.targetPortal: Required value',
      'spec.iscsi.iqn: Invalid value: "disk1": must be valid format',
      'spec.iscsi.lun: Invalid value: 300: must be between 0 and 255, inclusive',
      'spec.iscsi.secretRef: Required value',
    ]);
    assert.deepEqual(sourceCauses({ iscsi: { targetPortal: `${'10.0.0.5'.repeat(7)}:3260`, iqn: 'iqn.2001-04', initiatorName: 'eui.123' } }), [
      'spec.iscsi.targetportal: Invalid value: "10.0.0.510.0.0.510.0.0.510.0.0.510.0.0.510.0.0.510.0.0.5:3260": Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.',
      'spec.iscsi.iqn: Invalid value: "iqn.2001-04": must be valid format',
      'spec.iscsi.initiatorname: Invalid value: "eui.123": must be valid format',
    ]);
    assert.deepEqual(sourceCauses({ rbd: { image: 'disk' } }), ['spec.rbd.monitors: Required value']);
    assert.deepEqual(sourceCauses({ cephfs: {} }), ['spec.cephfs.monitors: Required value']);
    assert.deepEqual(sourceCauses({ gcePersistentDisk: { pdName: '', partition: 300 } }), ['spec.persistentDisk.pdName: Required value', 'spec.persistentDisk.partition: Invalid value: 300: must be between 1 and 255, inclusive']);
    assert.deepEqual(sourceCauses({ fc: { targetWWNs: ['500a0982991b8dc5'], wwids: ['3600508b400105e210000900000490000'] } }), [
      'spec.fc.targetWWNs: Invalid value: []string{"500a0982991b8dc5"}: targetWWNs and wwids can not be specified simultaneously',
      'spec.fc.lun: Required value: lun is required if targetWWNs is specified',
    ]);
    assert.deepEqual(sourceCauses({ glusterfs: { endpoints: 'glusterfs-cluster', path: 'vol', endpointsNamespace: '' } }), [
      'spec.glusterfs.endpointsNamespace: Invalid value: "": if the endpointnamespace is set, it must be a valid namespace name',
    ]);
    assert.deepEqual(sourceCauses({ quobyte: { registry: 'registry:7861,nohost', volume: 'v' } }), ['spec.quobyte.registry: Invalid value: "registry:7861,nohost": must be a host:port pair or multiple pairs separated by commas']);
    assert.deepEqual(sourceCauses({ azureDisk: { diskName: 'd', diskURI: 'disk.vhd' } }), ['spec.azureDisk.diskURI: Unsupported value: "disk.vhd": supported values: "https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"']);
    assert.deepEqual(sourceCauses({ storageos: { volumeName: 'Data', secretRef: { name: 's' } } }), [
      `spec.storageos.volumeName: Invalid value: "Data": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      'spec.storageos.secretRef.namespace: Required value',
    ]);
    assert.deepEqual(sourceCauses({ flexVolume: { driver: '', options: { 'kubernetes.io/secret': 'x', 'example.com/size': '1' } } }), [
      'spec.flexVolume.driver: Required value',
      'spec.flexVolume.options[kubernetes.io/secret]: Invalid value: "kubernetes.io/secret": kubernetes.io and k8s.io namespaces are reserved',
    ]);
    // Upstream counts flexVolume without asking whether a source came before it; a source after it is one too many.
    assert.doesNotThrow(() => create(basic({ hostPath: { path: '/mnt/a' }, flexVolume: { driver: 'example/lvm' } })));
    assert.deepEqual(sourceCauses({ flexVolume: { driver: 'example/lvm' }, azureFile: { secretName: 's', shareName: 'share' } }), ['spec.azureFile: Forbidden: may not specify more than 1 volume type']);
    // A second cephfs is reported at upstream's spelling of it.
    assert.deepEqual(sourceCauses({ hostPath: { path: '/mnt/a' }, cephfs: { monitors: ['m'] } }), ['spec.cephFS: Forbidden: may not specify more than 1 volume type']);
  });

  test('node affinity is checked as upstream’s ValidateNodeSelector (1.31: label values are not)', () => {
    const affinityCauses = (nodeAffinity: Json) => causes(() => create(basic({ local: { path: '/mnt/disk' } }, { nodeAffinity })));
    const at = 'spec.nodeAffinity.required.nodeSelectorTerms[0]';
    assert.deepEqual(affinityCauses({}), ['spec.nodeAffinity.required: Required value: must specify required node constraints']);
    assert.deepEqual(affinityCauses({ required: { nodeSelectorTerms: [] } }), ['spec.nodeAffinity.required.nodeSelectorTerms: Required value: must have at least one node selector term']);
    assert.deepEqual(
      affinityCauses({
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'kubernetes.io/hostname', operator: 'Is', values: ['pi-1'] },
                { key: 'zone', operator: 'Exists', values: ['a'] },
                { key: 'bad key!', operator: 'In' },
                { key: 'disks', operator: 'Gt', values: ['1', '2'] },
              ],
              matchFields: [
                { key: 'metadata.uid', operator: 'Exists' },
                { key: 'metadata.name', operator: 'In', values: ['Pi_1'] },
              ],
            },
          ],
        },
      }),
      [
        `${at}.matchExpressions[0].operator: Invalid value: "Is": not a valid selector operator`,
        `${at}.matchExpressions[1].values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`,
        `${at}.matchExpressions[2].values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`,
        `${at}.matchExpressions[2].key: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        `${at}.matchExpressions[3].values: Required value: must be specified single value when \`operator\` is 'Lt' or 'Gt'`,
        `${at}.matchFields[0].operator: Invalid value: "Exists": not a valid selector operator`,
        `${at}.matchFields[0].key: Invalid value: "metadata.uid": not a valid field selector key`,
        `${at}.matchFields[1].values[0]: ${SUBDOMAIN('Pi_1')}`,
      ],
    );
  });

  test('the beta mount-options annotation is refused on volumes that take no mount options; spec.mountOptions is not checked', () => {
    const annotated = { annotations: { 'volume.beta.kubernetes.io/mount-options': 'ro' } };
    assert.deepEqual(causes(() => create(volume({ capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/mnt/a' } }, annotated))), [
      'metadata.annotations.volume.beta.kubernetes.io/mount-options: Forbidden: may not specify mount options for this volume type',
    ]);
    assert.doesNotThrow(() => create(volume({ capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], nfs: { server: 'nas', path: '/x' } }, annotated)));
    assert.doesNotThrow(() => create(basic({ hostPath: { path: '/mnt/a' } }, { mountOptions: ['ro'] })));
  });

  test('after creation the source and volume mode are fixed; node affinity may only move from beta labels to GA; the rest may change', () => {
    const zone = (key: string, values = ['a']) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: 'In', values }] }] } });
    const stored = create(basic({ nfs: { server: 'nas', path: '/exports/a' } }, { nodeAffinity: zone('failure-domain.beta.kubernetes.io/zone') }));
    // Capacity, modes, policy, class, claim and mount options may change; a zero value spelt out is no change to the source.
    assert.doesNotThrow(() =>
      update(
        stored,
        basic(
          { nfs: { server: 'nas', path: '/exports/a', readOnly: false } },
          { capacity: { storage: '20Gi' }, accessModes: ['ReadWriteMany'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'nfs', mountOptions: ['hard'], claimRef: { namespace: 'a', name: 'b' }, nodeAffinity: zone('topology.kubernetes.io/zone') },
        ),
      ),
    );
    assert.deepEqual(causes(() => update(stored, basic({ nfs: { server: 'nas', path: '/exports/b' } }, { volumeMode: 'Block', nodeAffinity: zone('failure-domain.beta.kubernetes.io/zone', ['b']) }))), [
      'spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation',
      'volumeMode: Invalid value: "Block": field is immutable',
      'nodeAffinity: Invalid value: core.VolumeNodeAffinity{Required:(*core.NodeSelector)(0xc000000000)}: field is immutable, except for updating from beta label to GA',
    ]);
    assert.deepEqual(causes(() => update(stored, basic({ nfs: { server: 'nas', path: '/exports/a' } }))), [
      'nodeAffinity: Invalid value: "null": field is immutable, except for updating from beta label to GA',
    ]);
    // Node affinity may be set where there was none; a CSI volume may gain a controllerExpandSecretRef.
    const plain = create(basic({ hostPath: { path: '/mnt/a' } }));
    assert.doesNotThrow(() => update(plain, basic({ hostPath: { path: '/mnt/a' } }, { nodeAffinity: zone('kubernetes.io/hostname') })));
    const csi = create(basic({ csi: { driver: 'driver.longhorn.io', volumeHandle: 'v' } }));
    assert.doesNotThrow(() => update(csi, basic({ csi: { driver: 'driver.longhorn.io', volumeHandle: 'v', controllerExpandSecretRef: { name: 's', namespace: 'n' } } })));
    // An invalid update is refused with the spec's causes twice, as upstream's strategy validates the volume twice; the message has them once.
    const refused = refusal(() => update(plain, basic({ hostPath: { path: '/mnt/a' } }, { accessModes: [] })));
    assert.deepEqual(
      refused.details?.causes?.map((c) => c.field),
      ['spec.accessModes', 'spec.accessModes'],
    );
    assert.equal(refused.message, 'PersistentVolume "pv-data" is invalid: spec.accessModes: Required value');
  });

  test('a status write keeps lastPhaseTransitionTime as upstream: moved when the phase moves, kept when it does not', async (t) => {
    const { catalogue, registry } = await apiRegistry(t);
    const volumes = catalogue.get('', 'v1', 'persistentvolumes')!;
    const created = await registry.create(volumes, undefined, basic({ hostPath: { path: '/mnt/a' } }) as KubeObject, {});
    assert.equal((created['status'] as Json)['phase'], 'Pending');
    const writeStatus = async (status: Json): Promise<Json> => (await registry.update(volumes, undefined, 'pv-data', { ...(await registry.get(volumes, undefined, 'pv-data')), status } as KubeObject, { subresource: 'status' }))['status'] as Json;
    const long = '2020-01-01T00:00:00Z';
    // Same phase, a time given: the client's.
    assert.equal((await writeStatus({ phase: 'Pending', lastPhaseTransitionTime: long })).lastPhaseTransitionTime, long);
    // Same phase, no time: the old one.
    assert.equal((await writeStatus({ phase: 'Pending' })).lastPhaseTransitionTime, long);
    // A new phase with the old time: now.
    const moved = await writeStatus({ phase: 'Available', lastPhaseTransitionTime: long });
    assert.notEqual(moved.lastPhaseTransitionTime, long);
    assert.ok(Date.now() - Date.parse(moved.lastPhaseTransitionTime) < 60_000);
    // A new phase with a time of the client's own: that one.
    assert.equal((await writeStatus({ phase: 'Bound', lastPhaseTransitionTime: '2021-01-01T00:00:00Z' })).lastPhaseTransitionTime, '2021-01-01T00:00:00Z');
  });
});

describe('claim updates', () => {
  const claim = (spec: Json, metadata: Json = {}): Json => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', ...metadata },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
  });
  const withStatus = (obj: Json, status: Json): Json => ({ ...obj, status });
  const IMMUTABLE_SPEC = 'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

  test('a claim’s spec is fixed once created: but for volumeName set once and a class where there was none', () => {
    const stored = create(claim({}));
    assert.doesNotThrow(() => update(stored, claim({ volumeName: 'pv-1', storageClassName: 'local-path' })));
    // The same size in another notation is no change.
    assert.doesNotThrow(() => update(stored, claim({ resources: { requests: { storage: '1073741824' }, limits: {} } })));
    assert.deepEqual(causes(() => update(stored, claim({ resources: { requests: { storage: '2Gi' } } }))), [IMMUTABLE_SPEC]);
    assert.deepEqual(causes(() => update(stored, claim({ accessModes: ['ReadWriteMany'] }))), [IMMUTABLE_SPEC]);
    assert.deepEqual(causes(() => update(stored, claim({ volumeMode: 'Block' }))), [IMMUTABLE_SPEC, 'volumeMode: Invalid value: "Block": field is immutable']);
    const bound = create(claim({ volumeName: 'pv-1', storageClassName: 'local-path' }));
    assert.deepEqual(causes(() => update(bound, claim({ volumeName: 'pv-2', storageClassName: 'local-path' }))), [IMMUTABLE_SPEC]);
    assert.deepEqual(causes(() => update(bound, claim({ volumeName: 'pv-1', storageClassName: 'fast' }))), [IMMUTABLE_SPEC]);
    // "" is no class, and not nothing: it stays.
    const classless = create(claim({ storageClassName: '' }));
    assert.deepEqual(causes(() => update(classless, claim({}))), [IMMUTABLE_SPEC]);
    // An invalid update has the spec's causes twice, as upstream's strategy validates the claim twice.
    assert.deepEqual(causes(() => update(stored, claim({ accessModes: [] }))), [
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.accessModes: Required value: at least 1 access mode is required',
      IMMUTABLE_SPEC,
    ]);
  });

  test('a bound claim may grow, never shrink (RecoverVolumeExpansionFailure is alpha in 1.31)', () => {
    const bound = withStatus(create(claim({ volumeName: 'pv-1' })), { phase: 'Bound', capacity: { storage: '1Gi' } });
    assert.doesNotThrow(() => update(bound, claim({ volumeName: 'pv-1', resources: { requests: { storage: '5Gi' } } })));
    assert.deepEqual(causes(() => update(bound, claim({ volumeName: 'pv-1', resources: { requests: { storage: '512Mi' } } }))), [
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    ]);
    assert.deepEqual(causes(() => update(bound, claim({ volumeName: 'pv-1', resources: { requests: { storage: '5Gi' }, limits: { storage: '5Gi' } } }))), [IMMUTABLE_SPEC]);
    // A claim whose status has allocated resources (written before the gate was off) may go back down to its capacity, not below.
    const recovering = withStatus(create(claim({ volumeName: 'pv-1', resources: { requests: { storage: '4Gi' } } })), { phase: 'Bound', capacity: { storage: '1Gi' }, allocatedResources: { storage: '4Gi' } });
    assert.doesNotThrow(() => update(recovering, claim({ volumeName: 'pv-1', resources: { requests: { storage: '2Gi' } } })));
    assert.deepEqual(causes(() => update(recovering, claim({ volumeName: 'pv-1', resources: { requests: { storage: '1Gi' } } }))), [
      'spec.resources.requests.storage: Forbidden: field can not be less than status.capacity',
    ]);
  });

  test('the beta class annotation is fixed, and may give way to the same storageClassName', () => {
    const annotated = create(claim({}, { annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' } }));
    assert.doesNotThrow(() => update(annotated, claim({ storageClassName: 'slow' }, { annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' } })));
    assert.doesNotThrow(() => update(annotated, claim({ storageClassName: 'slow' })));
    assert.deepEqual(causes(() => update(annotated, claim({ storageClassName: 'fast' }, { annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' } }))), [IMMUTABLE_SPEC]);
    assert.deepEqual(causes(() => update(annotated, claim({}, { annotations: { 'volume.beta.kubernetes.io/storage-class': 'fast' } }))), [
      'metadata.annotations.volume.beta.kubernetes.io/storage-class: Invalid value: "fast": field is immutable',
    ]);
  });

  test('quantities are decoded as upstream: rounded up to milli units, canonical', () => {
    assert.equal(create(claim({ resources: { requests: { storage: '0.0001' } } }))['spec'].resources.requests.storage, '1m');
  });

  test('a status write: capacity a valid quantity; what the gates that are off bring is dropped', async (t) => {
    const { catalogue, registry } = await apiRegistry(t);
    const claims = catalogue.get('', 'v1', 'persistentvolumeclaims')!;
    await registry.create(claims, 'default', claim({}) as KubeObject, {});
    const writeStatus = async (status: Json): Promise<Json> => (await registry.update(claims, 'default', 'data', { ...(await registry.get(claims, 'default', 'data')), status } as KubeObject, { subresource: 'status' }))['status'] as Json;
    assert.deepEqual(await writeStatus({ phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], allocatedResources: { storage: '1Gi' }, currentVolumeAttributesClassName: 'gold' }), {
      phase: 'Bound',
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
    });
    await assert.rejects(
      writeStatus({ phase: 'Bound', capacity: { storage: '-0.5' } }),
      (err: unknown) => err instanceof ApiError && err.message === 'PersistentVolumeClaim "data" is invalid: status.capacity[storage]: Invalid value: -1: must be a valid resource quantity',
    );
  });
});

describe('ingress classes', () => {
  const ingressClass = (spec: Json): Json => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'traefik' }, spec });

  test('a class as charts write it passes; parameters default to cluster scope', () => {
    assert.doesNotThrow(() => create(ingressClass({ controller: 'traefik.io/ingress-controller' })));
    const withParams = create(ingressClass({ controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } }));
    assert.equal(withParams['spec'].parameters.scope, 'Cluster');
    assert.doesNotThrow(() => create(ingressClass({ controller: 'example.com/ingress', parameters: { kind: 'ConfigMap', name: 'lb', scope: 'Namespace', namespace: 'ingress' } })));
  });

  test('the controller is a domain-prefixed path of at most 250 bytes; parameters name a kind, an object and where it lives', () => {
    const controllerCauses = (controller: string) => causes(() => create(ingressClass({ controller })));
    assert.deepEqual(controllerCauses(''), ['spec.controller: Required value']);
    assert.deepEqual(controllerCauses('traefik'), ['spec.controller: Invalid value: "traefik": must be a domain-prefixed path (such as "acme.io/foo")']);
    assert.deepEqual(controllerCauses('traefik.io/'), ['spec.controller: Invalid value: "traefik.io/": must be a domain-prefixed path (such as "acme.io/foo")']);
    assert.deepEqual(controllerCauses('Traefik.io/a b'), [
      `spec.controller: Invalid value: "Traefik.io": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      `spec.controller: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')`,
    ]);
    assert.deepEqual(controllerCauses(`example.com/${'x'.repeat(239)}`), ['spec.controller: Too long: must have at most 250 bytes']);
    const paramCauses = (parameters: Json) => causes(() => create(ingressClass({ controller: 'example.com/ingress', parameters })));
    assert.deepEqual(paramCauses({ apiGroup: 'Example.com', kind: '', name: 'a/b%' }), [
      `spec.parameters.apiGroup: Invalid value: "Example.com": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      'spec.parameters.kind: Required value: kind is required',
      `spec.parameters.name: Invalid value: "a/b%": may not contain '/'`,
      `spec.parameters.name: Invalid value: "a/b%": may not contain '%'`,
    ]);
    assert.deepEqual(paramCauses({ kind: '..', name: 'lb', scope: 'Global' }), [`spec.parameters.kind: Invalid value: "..": may not be '..'`, 'spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"']);
    assert.deepEqual(paramCauses({ kind: 'ConfigMap', scope: 'Namespace' }), ['spec.parameters.name: Required value: name is required', "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"]);
    assert.deepEqual(paramCauses({ kind: 'ConfigMap', name: 'lb', scope: 'Namespace', namespace: 'Ingress' }), [
      `spec.parameters.namespace: Invalid value: "Ingress": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    ]);
    assert.deepEqual(paramCauses({ kind: 'ConfigMap', name: 'lb', scope: 'Cluster', namespace: 'ingress' }), ["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]);
  });

  test('the controller never changes; the parameters may', () => {
    const stored = { ...create(ingressClass({ controller: 'traefik.io/ingress-controller' })), metadata: { name: 'traefik', uid: UID } };
    assert.equal(
      invalid(() => update(stored, ingressClass({ controller: 'k8s.io/ingress-nginx' }))),
      'IngressClass.networking.k8s.io "traefik" is invalid: spec.controller: Invalid value: "k8s.io/ingress-nginx": field is immutable',
    );
    assert.doesNotThrow(() => update(stored, ingressClass({ controller: 'traefik.io/ingress-controller', parameters: { kind: 'ConfigMap', name: 'lb' } })));
  });

  test('metadata.generation counts spec changes, as upstream’s strategy keeps it', async (t) => {
    const { catalogue, registry } = await apiRegistry(t);
    const classes = catalogue.get('networking.k8s.io', 'v1', 'ingressclasses')!;
    const created = await registry.create(classes, undefined, ingressClass({ controller: 'traefik.io/ingress-controller' }) as KubeObject, {});
    assert.equal(created.metadata.generation, 1);
    const labelled = await registry.update(classes, undefined, 'traefik', { ...created, metadata: { ...created.metadata, labels: { app: 'traefik' } } }, {});
    assert.equal(labelled.metadata.generation, 1);
    const changed = await registry.update(classes, undefined, 'traefik', { ...labelled, spec: { controller: 'traefik.io/ingress-controller', parameters: { kind: 'ConfigMap', name: 'lb' } } }, {});
    assert.equal(changed.metadata.generation, 2);
  });
});

describe('controller revisions', () => {
  const revision = (extra: Json): Json => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-7d4b9c8f6d' }, ...extra });
  const data = { spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] }, $patch: 'replace' } } };

  test('data is mandatory, the revision number not negative', () => {
    assert.doesNotThrow(() => create(revision({ data, revision: 1 })));
    assert.deepEqual(causes(() => create(revision({ revision: -1 }))), ['data: Required value: data is mandatory', 'revision: Invalid value: -1: must be greater than or equal to 0']);
    assert.deepEqual(causes(() => create(revision({ data: null, revision: 1 }))), ['data: Required value: data is mandatory']);
  });

  test('data never changes; the number may (a rollback renumbers a revision)', () => {
    const stored = { ...create(revision({ data, revision: 1 })), metadata: { name: 'web-7d4b9c8f6d', namespace: 'default', uid: UID } };
    assert.doesNotThrow(() => update(stored, revision({ data: structuredClone(data), revision: 3 })));
    assert.equal(
      invalid(() => update(stored, revision({ data: { a: 1 }, revision: 1 }))),
      'ControllerRevision.apps "web-7d4b9c8f6d" is invalid: data: Invalid value: runtime.Unknown{TypeMeta:runtime.TypeMeta{APIVersion:"", Kind:""}, Raw:[]uint8{0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d}, ContentEncoding:"", ContentType:"application/json"}: field is immutable',
    );
    assert.deepEqual(causes(() => update(stored, revision({ revision: 1 }))), ['data: Required value: data is mandatory', 'data: Invalid value: "null": field is immutable']);
  });
});

describe('service accounts', () => {
  test('a ServiceAccount is checked for its metadata only, as upstream: one with secrets and image pull secrets passes', async (t) => {
    const { catalogue, registry } = await apiRegistry(t);
    const serviceAccounts = catalogue.get('', 'v1', 'serviceaccounts')!;
    const sa = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'ci-deployer', labels: { 'app.kubernetes.io/name': 'ci' }, annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/ci' } },
      secrets: [{ name: 'ci-deployer-token' }, { kind: 'Secret', name: 'registry-creds', namespace: 'default' }],
      imagePullSecrets: [{ name: 'registry-creds' }],
      automountServiceAccountToken: false,
    };
    const created = await registry.create(serviceAccounts, 'default', sa as KubeObject, {});
    assert.deepEqual(created['imagePullSecrets'], sa.imagePullSecrets);
    assert.deepEqual(created['secrets'], sa.secrets);
    await registry.update(serviceAccounts, 'default', 'ci-deployer', { ...created, imagePullSecrets: [{ name: 'other-creds' }] } as KubeObject, {});
    await assert.rejects(
      registry.create(serviceAccounts, 'default', { ...sa, metadata: { name: 'CI_Deployer' } } as KubeObject, {}),
      (err: unknown) => err instanceof ApiError && err.code === 422 && err.message.startsWith('ServiceAccount "CI_Deployer" is invalid: metadata.name: Invalid value: "CI_Deployer": a lowercase RFC 1123 subdomain'),
    );
  });
});

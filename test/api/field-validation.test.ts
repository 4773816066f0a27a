import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unknownFields } from '../../server/api/openapi/field-validation.js';

const deployment = (): Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'default',
    labels: { app: 'web', 'any.key/works': 'x' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    creationTimestamp: null,
    ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }],
    managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }],
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx',
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            resources: { limits: { cpu: 1, memory: '64Mi' }, requests: { cpu: '100m' } },
            livenessProbe: { httpGet: { path: '/', port: 'http' } },
          },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    },
  },
  status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
});

test('a complete, correct Deployment has no unknown fields (metadata, status, maps, int-or-string, quantities)', () => {
  assert.deepEqual(unknownFields({ group: 'apps', version: 'v1', kind: 'Deployment' }, deployment()), []);
});

test('unknown fields are reported with upstream paths, in document order', () => {
  const d = deployment();
  d.bar = 1;
  const spec = d.spec as Record<string, unknown>;
  spec.replicass = 3;
  const podSpec = (spec.template as { spec: { containers: Record<string, unknown>[] } }).spec;
  podSpec.containers.push({ name: 'second', image: 'x', imagee: 'y', ports: [{ containerPort: 1, hostPortt: 2 }] });
  (d.metadata as Record<string, unknown>).nam = 'typo';
  assert.deepEqual(unknownFields({ group: 'apps', version: 'v1', kind: 'Deployment' }, d), [
    'metadata.nam',
    'spec.template.spec.containers[1].imagee',
    'spec.template.spec.containers[1].ports[0].hostPortt',
    'spec.replicass',
    'bar',
  ]);
});

test('values of maps are checked against the map value schema; map keys appear as path segments', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      names: { plural: 'crontabs', kind: 'CronTab' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string', typo: true } } } },
              // JSONSchemaPropsOrBool and JSON values take anything.
              additionalProperties: { type: 'string' },
              default: { any: ['thing'] },
            },
          },
        },
      ],
    },
  };
  assert.deepEqual(unknownFields({ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }, crd), [
    'spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.cronSpec.typo',
  ]);
});

test('opaque fields (RawExtension, FieldsV1) accept anything', () => {
  const revision = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { spec: { anything: [1, { x: 2 }] } } };
  assert.deepEqual(unknownFields({ group: 'apps', version: 'v1', kind: 'ControllerRevision' }, revision), []);
});

test('fields of the wrong type are not unknown fields; nulls are fine', () => {
  const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: null, spec: 'oops', status: [1, 2] };
  assert.deepEqual(unknownFields({ group: 'apps', version: 'v1', kind: 'Deployment' }, d), []);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i', ports: { containerPort: 1 } }] } };
  assert.deepEqual(unknownFields({ group: '', version: 'v1', kind: 'Pod' }, pod), []);
});

test('an empty struct has no fields to set', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'x' },
    spec: { versions: [{ name: 'v1', subresources: { status: { unexpected: 1 } } }] },
  };
  assert.deepEqual(unknownFields({ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }, crd), ['spec.versions[0].subresources.status.unexpected']);
});

test('core kinds: Pod, Service, ConfigMap', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      containers: [{ name: 'c', image: 'i', securityContext: { runAsUser: 1, runAsUserr: 2 } }],
      initContainers: [{ name: 'i', image: 'i', command: ['sh'] }],
      tolerations: [{ key: 'k', operator: 'Exists', effectt: 'NoSchedule' }],
    },
  };
  assert.deepEqual(unknownFields({ group: '', version: 'v1', kind: 'Pod' }, pod), ['spec.containers[0].securityContext.runAsUserr', 'spec.tolerations[0].effectt']);
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 'http', nodeport: 1 }], selector: { app: 'x' } } };
  assert.deepEqual(unknownFields({ group: '', version: 'v1', kind: 'Service' }, service), ['spec.ports[0].nodeport']);
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' }, binaryData: { b: 'AA==' }, dataa: {} };
  assert.deepEqual(unknownFields({ group: '', version: 'v1', kind: 'ConfigMap' }, configMap), ['dataa']);
});

test('kinds without a generated schema (custom resources) accept everything', () => {
  assert.deepEqual(unknownFields({ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }, { spec: { anything: 1 } }), []);
  assert.deepEqual(unknownFields({ group: 'apps', version: 'v1', kind: 'NoSuchKind' }, { foo: 1 }), []);
});

test('like upstream, at most 100 unknown fields are reported, each once', () => {
  const obj: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} };
  for (let i = 0; i < 150; i++) obj[`f${i}`] = i;
  const found = unknownFields({ group: '', version: 'v1', kind: 'ConfigMap' }, obj);
  assert.equal(found.length, 100);
  assert.equal(found[0], 'f0');
  assert.equal(new Set(found).size, 100);
});

// What a CRD's version looks like to clients: printer columns (JSONPath,
// cells by column type) and the object schema OpenAPI publishes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JSONSchemaProps } from 'kubernetes-types/apiextensions/v1.js';
import type { Definition } from '../../server/api/crd/definition.js';
import { evaluate, parseJsonPath } from '../../server/api/crd/json-path.js';
import { objectSchema } from '../../server/api/crd/object-schema.js';
import { DEFAULT_COLUMNS, printerOf } from '../../server/api/crd/printer-columns.js';
import { resourceTypesOf } from '../../server/api/crd/resource-types.js';
import type { KubeObject } from '../../server/api/objects.js';
import { openapi } from '../../server/api/openapi/openapi.js';
import type { Schema } from '../../server/api/openapi/schema.js';

const NOW = new Date('2026-03-01T12:00:00Z');

const certificate: KubeObject = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'web', creationTimestamp: '2026-03-01T11:00:00Z', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: { secretName: 'web-tls', dnsNames: ['a.example.com', 'b.example.com'], duration: 2.9, issuerRef: { name: 'ca', kind: 'Issuer' } },
  status: {
    conditions: [
      { type: 'Issuing', status: 'False' },
      { type: 'Ready', status: 'True', message: 'Certificate is up to date' },
    ],
    notAfter: '2026-02-28T12:00:00Z',
  },
};

const at = (path: string, data: unknown = certificate): unknown[] => {
  const steps = parseJsonPath(path);
  assert.ok(steps !== undefined, path);
  return evaluate(steps, data);
};

test('JSONPath: fields, indexes, quoted keys, wildcards, filters; missing keys give nothing', () => {
  assert.deepEqual(at('.spec.secretName'), ['web-tls']);
  assert.deepEqual(at('.spec.dnsNames[1]'), ['b.example.com']);
  assert.deepEqual(at('.spec.dnsNames[-1]'), ['b.example.com']);
  assert.deepEqual(at('.spec.dnsNames[*]'), ['a.example.com', 'b.example.com']);
  assert.deepEqual(at(".metadata.labels['app.kubernetes.io/name']"), ['web']);
  assert.deepEqual(at('.spec.issuerRef.*'), ['ca', 'Issuer']);
  assert.deepEqual(at('.status.conditions[?(@.type=="Ready")].status'), ['True']);
  assert.deepEqual(at(".status.conditions[?(@.type == 'Ready')].message"), ['Certificate is up to date']);
  assert.deepEqual(at('.status.conditions[?(@.message)].type'), ['Ready']);
  assert.deepEqual(at('.status.conditions[?(@.type!="Ready")].type'), ['Issuing']);
  assert.deepEqual(at('.spec.missing.deeper'), []);
  assert.deepEqual(at('.spec.dnsNames[5]'), []);
  assert.deepEqual(at('.'), [certificate]);
  assert.equal(parseJsonPath('.spec..x'), undefined);
  assert.equal(parseJsonPath('.a[?(@.x > 1)]'), undefined);
});

test('printer: Name first, then the columns, cells typed as upstream fills them', () => {
  const printer = printerOf([
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Secret', type: 'string', jsonPath: '.spec.secretName', priority: 1, description: 'Where the key goes.' },
    { name: 'Names', type: 'string', jsonPath: '.spec.dnsNames' },
    { name: 'Duration', type: 'integer', jsonPath: '.spec.duration' },
    { name: 'Ratio', type: 'number', jsonPath: '.spec.duration' },
    { name: 'Expires', type: 'date', jsonPath: '.status.notAfter' },
    { name: 'Broken', type: 'date', jsonPath: '.spec.secretName' },
    { name: 'Wrong', type: 'boolean', jsonPath: '.spec.secretName' },
    { name: 'Missing', type: 'string', jsonPath: '.status.nothing' },
  ]);
  assert.deepEqual(printer.columns[0], {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: printer.columns[0]!.description,
    priority: 0,
  });
  assert.deepEqual(printer.columns[1], {
    name: 'Ready',
    type: 'string',
    format: '',
    description: 'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status',
    priority: 0,
  });
  assert.deepEqual([printer.columns[2]!.description, printer.columns[2]!.priority], ['Where the key goes.', 1]);
  assert.deepEqual(printer.cells(certificate, NOW), ['web', 'True', 'web-tls', '["a.example.com","b.example.com"]', 2, 2.9, '24h', '<invalid>', null, null]);
});

test('printer: a version without columns prints Name and Age (type date), as upstream', () => {
  const printer = printerOf(DEFAULT_COLUMNS);
  assert.deepEqual(printer.columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.deepEqual(printer.cells(certificate, NOW), ['web', '60m']);
});

test('object schema: apiVersion, kind and ObjectMeta at the root and in embedded resources', () => {
  const schema = objectSchema({
    type: 'object',
    properties: {
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        properties: {
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } as JSONSchemaProps,
          items: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  });
  const props = schema.properties!;
  assert.deepEqual(Object.keys(props), ['metadata', 'spec', 'apiVersion', 'kind']);
  assert.deepEqual(props['metadata']?.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
  assert.equal(props['apiVersion']?.type, 'string');
  const template = props['spec']?.properties?.['template'];
  assert.deepEqual(Object.keys(template?.properties ?? {}), ['apiVersion', 'kind', 'metadata']);
  assert.deepEqual(template?.required, ['kind', 'apiVersion']);
  assert.deepEqual(props['spec']?.properties?.['items'], { type: 'array', items: { type: 'string' } });
});

test('OpenAPI: a served custom kind is published with its CRD schema, as kubectl explain reads it', () => {
  const crd: Definition = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: { plural: 'crontabs', kind: 'CronTab' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', description: 'A cron tab.', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' } } } } } },
        },
      ],
    },
  };
  const types = resourceTypesOf(crd, { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList' });
  const answer = openapi(types, '/openapi/v3/apis/stable.example.com/v1', new URLSearchParams(), 'application/json');
  assert.equal(answer?.status, 200);
  const doc = JSON.parse(String(answer?.body)) as { components: { schemas: Record<string, Schema> } };
  const object = doc.components.schemas['com.example.stable.v1.CronTab'];
  assert.equal(object?.description, 'A cron tab.');
  assert.deepEqual(object?.['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }]);
  assert.deepEqual(object?.properties?.['spec'], { type: 'object', properties: { cronSpec: { type: 'string' } } });
  assert.equal(object?.['x-kubernetes-preserve-unknown-fields'], undefined);
  assert.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], 'ObjectMeta comes along');
});

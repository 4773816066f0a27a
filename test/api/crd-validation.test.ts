// Defaults and validation of CustomResourceDefinitions, with upstream's
// field paths and wording.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definitionRules } from '../../server/api/crd/definition-rules.js';
import type { Definition } from '../../server/api/crd/definition.js';
import { validateDefinition } from '../../server/api/crd/validation.js';
import type { StatusCause } from '../../server/api/status.js';
import { widgetsDefinition } from '../helpers/crd-objects.js';

const causes = (crd: Definition, old?: Definition): string[] => validateDefinition(crd, old).map((c: StatusCause) => `${c.field}: ${c.message}`);

function defaulted(crd: Definition, old?: Definition): Definition {
  definitionRules.defaults!(crd, old);
  return crd;
}

test('defaults: singular, listKind, None conversion, a fresh status, the cleanup finalizer', () => {
  const crd = widgetsDefinition();
  crd.status = { conditions: [{ type: 'Established', status: 'True' }] };
  defaulted(crd);
  assert.deepEqual(crd.spec.names, { plural: 'widgets', kind: 'Widget', singular: 'widget', listKind: 'WidgetList' });
  assert.deepEqual(crd.spec.conversion, { strategy: 'None' });
  assert.deepEqual(crd.status, { acceptedNames: { plural: '', kind: '' }, storedVersions: ['v1'] });
  assert.deepEqual(crd.metadata.finalizers, ['customresourcecleanup.apiextensions.k8s.io']);
  assert.deepEqual(causes(crd), []);
});

test('defaults on update: a new storage version joins storedVersions; a deleting CRD may lose its finalizer', () => {
  const old = defaulted(widgetsDefinition());
  const next = structuredClone(old);
  next.spec.versions = [{ ...next.spec.versions[0]!, storage: false }, { name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }];
  defaulted(next, old);
  assert.deepEqual(next.status?.storedVersions, ['v1', 'v2']);

  const deleting = structuredClone(old);
  deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  deleting.metadata.finalizers = [];
  defaulted(deleting, old);
  assert.deepEqual(deleting.metadata.finalizers, []);
});

test('the name, group and scope', () => {
  const crd = defaulted(widgetsDefinition());
  crd.metadata.name = 'gadgets.example.com';
  crd.spec.group = 'example';
  crd.spec.scope = 'Galaxy';
  assert.deepEqual(causes(crd), [
    'metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group',
    'spec.group: Invalid value: "example": should be a domain with at least one dot',
    'spec.scope: Unsupported value: "Galaxy": supported values: "Cluster", "Namespaced"',
  ]);
  const bare = defaulted(widgetsDefinition());
  bare.metadata.name = 'widgets.';
  bare.spec.group = '';
  bare.spec.scope = '';
  assert.deepEqual(causes(bare), ['spec.group: Required value', 'spec.scope: Required value']);
});

test('versions: at least one, exactly one stored, unique, each with a structural schema', () => {
  const none = defaulted(widgetsDefinition());
  none.spec.versions = [];
  assert.deepEqual(causes(none), ['spec.versions: Invalid value: []: must have exactly one version marked as storage version']);

  const crd = defaulted(widgetsDefinition());
  crd.spec.versions = [
    { name: 'v1', served: true, storage: true },
    { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'string' } } },
    {
      name: 'V3',
      served: false,
      storage: false,
      schema: {
        openAPIV3Schema: {
          type: 'object',
          additionalProperties: { type: 'string' },
          properties: { spec: { properties: { list: { type: 'array' } } } },
        },
      },
    },
  ];
  assert.deepEqual(causes(crd), [
    'spec.versions[0].schema.openAPIV3Schema: Required value',
    'spec.versions[1].schema.openAPIV3Schema.type: Invalid value: "string": must be object at the root',
    `spec.versions[2].name: Invalid value: "V3": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    'spec.versions[2].schema.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root',
    'spec.versions[2].schema.openAPIV3Schema.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
    'spec.versions[2].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
    'spec.versions[2].schema.openAPIV3Schema.properties[spec].properties[list].items: Required value: must be specified',
    'spec.versions: Invalid value: ["v1","v1","V3"]: must contain unique version names',
    'spec.versions: Invalid value: ["v1","v1","V3"]: must have exactly one version marked as storage version',
  ]);
});

test('printer columns and the scale subresource', () => {
  const crd = defaulted(widgetsDefinition());
  crd.spec.versions[0]!.additionalPrinterColumns = [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: '', type: 'text', format: 'money', jsonPath: 'spec.x' },
  ];
  crd.spec.versions[0]!.subresources = { scale: { specReplicasPath: '.status.replicas', statusReplicasPath: '' } };
  assert.deepEqual(causes(crd), [
    'spec.versions[0].additionalPrinterColumns[1].name: Required value',
    'spec.versions[0].additionalPrinterColumns[1].type: Invalid value: "text": must be one of boolean,date,integer,number,string',
    'spec.versions[0].additionalPrinterColumns[1].format: Invalid value: "money": must be one of byte,date,date-time,double,float,int32,int64,password',
    'spec.versions[0].additionalPrinterColumns[1].JSONPath: Invalid value: "spec.x": must be a simple json path starting with .',
    'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec',
    'spec.versions[0].subresources.scale.statusReplicasPath: Required value',
  ]);
});

test('names, and only None conversion', () => {
  const crd = defaulted(widgetsDefinition());
  crd.spec.names = { plural: 'widgets', singular: 'Widget', kind: 'Wid_get', listKind: 'Wid_get', shortNames: ['w-'], categories: ['all'] };
  crd.spec.conversion = { strategy: 'Webhook' };
  const found = causes(crd);
  assert.match(found[0]!, /^spec\.names\.singular: Invalid value: "Widget": a DNS-1035 label/);
  assert.match(found[1]!, /^spec\.names\.kind: Invalid value: "Wid_get": may have mixed case, but should otherwise match: a DNS-1035 label/);
  assert.match(found[2]!, /^spec\.names\.listKind: Invalid value: "Wid_get": may have mixed case/);
  assert.match(found[3]!, /^spec\.names\.shortNames\[0\]: Invalid value: "w-": a DNS-1035 label/);
  assert.deepEqual(found.slice(4), [
    'spec.names.listKind: Invalid value: "Wid_get": kind and listKind may not be the same',
    'spec.conversion.strategy: Unsupported value: "Webhook": supported values: "None"',
  ]);
});

test('updates: group and plural never change, scope and kind not once established, stored versions stay', () => {
  const old = defaulted(widgetsDefinition());
  old.status = { ...old.status, conditions: [{ type: 'Established', status: 'True' }] };
  const next = structuredClone(old);
  next.spec.scope = 'Cluster';
  next.spec.names.kind = 'Gadget';
  next.spec.names.listKind = 'GadgetList';
  next.spec.versions = [{ name: 'v2', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }];
  defaulted(next, old);
  assert.deepEqual(causes(next, old), [
    'spec.scope: Invalid value: "Cluster": field is immutable',
    'spec.names.kind: Invalid value: "Gadget": field is immutable',
    'status.storedVersions[0]: Invalid value: "v1": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions',
  ]);
});

test('values of the wrong JSON type are refused with a cause, never a crash', () => {
  const crd = widgetsDefinition();
  const version = crd.spec.versions[0]!;
  version.schema = { openAPIV3Schema: { type: 5 as unknown as string } };
  (crd.spec as { scope: unknown }).scope = 7;
  const found = causes(crd);
  assert.ok(found.includes('spec.scope: Unsupported value: 7: supported values: "Cluster", "Namespaced"'), found.join('\n'));
  assert.ok(found.some((c) => c.startsWith('spec.versions[0].schema.openAPIV3Schema.type: Unsupported value: 5')), found.join('\n'));
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { BUILTIN_RESOURCES } from '../../server/api/catalogue.js';
import type { HttpAnswer } from '../../server/api/http-answer.js';
import { unknownFields } from '../../server/api/openapi/field-validation.js';
import { openapi } from '../../server/api/openapi/openapi.js';
import { REF_PREFIX, type Schema, builtinSchemas, schemaNameOf } from '../../server/api/openapi/schema.js';
import type { ResourceType, Verb } from '../../server/api/resources.js';
import { tempDir } from '../helpers/temp.js';

const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CONFIGMAPS: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  categories: [],
  verbs: ALL_VERBS,
  subresources: [],
};
const DEPLOYMENTS: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  listKind: 'DeploymentList',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  verbs: ALL_VERBS,
  subresources: [
    { name: 'scale', kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
    { name: 'status', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
  ],
};
const CRONTABS: ResourceType = {
  group: 'stable.example.com',
  version: 'v1',
  kind: 'CronTab',
  listKind: 'CronTabList',
  plural: 'crontabs',
  singular: 'crontab',
  namespaced: true,
  shortNames: ['ct'],
  categories: [],
  verbs: ALL_VERBS,
  subresources: [{ name: 'status', kind: { group: 'stable.example.com', version: 'v1', kind: 'CronTab' }, verbs: ['get', 'patch', 'update'] }],
};
const TYPES: readonly ResourceType[] = [CONFIGMAPS, DEPLOYMENTS];

// Parsed documents: tests index into them freely.
type Json = Record<string, any>;

function get(path: string, accept?: string, types: readonly ResourceType[] = TYPES): HttpAnswer {
  const url = new URL(path, 'http://x');
  const answer = openapi(types, url.pathname, url.searchParams, accept);
  assert.ok(answer !== undefined, `${path} is an OpenAPI path`);
  return answer;
}

function body(answer: HttpAnswer): Json {
  return JSON.parse(answer.body.toString()) as Json;
}

function schema(name: string): Schema {
  const s = builtinSchemas()[name];
  assert.ok(s !== undefined, `schema ${name}`);
  return s;
}

function property(name: string, field: string): Schema {
  const p = schema(name).properties?.[field];
  assert.ok(p !== undefined, `${name}.${field}`);
  return p;
}

// --- Schemas -------------------------------------------------------------

test('Deployment: GVK, references through allOf, descriptions, required fields, integers', () => {
  const d = schema('io.k8s.api.apps.v1.Deployment');
  assert.deepEqual(d['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  assert.equal(d.type, 'object');
  assert.match(d.description ?? '', /declarative updates for Pods/);
  assert.deepEqual(property('io.k8s.api.apps.v1.Deployment', 'spec').allOf, [{ $ref: `${REF_PREFIX}io.k8s.api.apps.v1.DeploymentSpec` }]);
  assert.deepEqual(property('io.k8s.api.apps.v1.Deployment', 'metadata').allOf, [{ $ref: `${REF_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta` }]);
  const replicas = property('io.k8s.api.apps.v1.DeploymentSpec', 'replicas');
  assert.equal(replicas.type, 'integer');
  assert.match(replicas.description ?? '', /^Number of desired pods/);
  assert.deepEqual(schema('io.k8s.api.apps.v1.DeploymentSpec').required, ['selector', 'template']);
  assert.deepEqual(property('io.k8s.api.apps.v1.DeploymentSpec', 'strategy')['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.equal(schemaNameOf({ group: 'apps', version: 'v1', kind: 'DeploymentList' }), 'io.k8s.api.apps.v1.DeploymentList');
  assert.equal(schemaNameOf({ group: '', version: 'v1', kind: 'Pod' }), 'io.k8s.api.core.v1.Pod');
  assert.equal(schemaNameOf({ group: 'autoscaling', version: 'v1', kind: 'Scale' }), 'io.k8s.api.autoscaling.v1.Scale');
});

test('special types: IntOrString, Quantity, Time, MicroTime, RawExtension, maps', () => {
  const intOrString = schema('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
  assert.equal(intOrString['x-kubernetes-int-or-string'], true);
  assert.equal(intOrString.format, 'int-or-string');
  assert.deepEqual(property('io.k8s.api.core.v1.ServicePort', 'targetPort').allOf, [{ $ref: `${REF_PREFIX}io.k8s.apimachinery.pkg.util.intstr.IntOrString` }]);
  assert.deepEqual(schema('io.k8s.apimachinery.pkg.api.resource.Quantity').oneOf, [{ type: 'string' }, { type: 'number' }]);
  for (const t of ['Time', 'MicroTime']) {
    const s = schema(`io.k8s.apimachinery.pkg.apis.meta.v1.${t}`);
    assert.deepEqual([s.type, s.format], ['string', 'date-time']);
  }
  const raw = schema('io.k8s.apimachinery.pkg.runtime.RawExtension');
  assert.deepEqual([raw.type, raw['x-kubernetes-preserve-unknown-fields']], ['object', true]);
  assert.equal(schema('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON')['x-kubernetes-preserve-unknown-fields'], true);
  const limits = property('io.k8s.api.core.v1.ResourceRequirements', 'limits');
  assert.deepEqual(limits.additionalProperties, { $ref: `${REF_PREFIX}io.k8s.apimachinery.pkg.api.resource.Quantity` });
  assert.deepEqual(property('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels').additionalProperties, { type: 'string' });
  assert.equal(property('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'maximum').type, 'number');
});

/** The merge keys kubectl needs (kubectl-wire.md §5). */
const MERGE_KEYS: readonly [schema: string, field: string, key: string | undefined, strategy: string][] = [
  ['io.k8s.api.core.v1.PodSpec', 'containers', 'name', 'merge'],
  ['io.k8s.api.core.v1.PodSpec', 'initContainers', 'name', 'merge'],
  ['io.k8s.api.core.v1.PodSpec', 'ephemeralContainers', 'name', 'merge'],
  ['io.k8s.api.core.v1.PodSpec', 'volumes', 'name', 'merge,retainKeys'],
  ['io.k8s.api.core.v1.PodSpec', 'imagePullSecrets', 'name', 'merge'],
  ['io.k8s.api.core.v1.PodSpec', 'hostAliases', 'ip', 'merge'],
  ['io.k8s.api.core.v1.PodSpec', 'topologySpreadConstraints', 'topologyKey', 'merge'],
  ['io.k8s.api.core.v1.Container', 'env', 'name', 'merge'],
  ['io.k8s.api.core.v1.Container', 'ports', 'containerPort', 'merge'],
  ['io.k8s.api.core.v1.Container', 'volumeMounts', 'mountPath', 'merge'],
  ['io.k8s.api.core.v1.Container', 'volumeDevices', 'devicePath', 'merge'],
  ['io.k8s.api.core.v1.EphemeralContainer', 'env', 'name', 'merge'],
  ['io.k8s.api.core.v1.ServiceSpec', 'ports', 'port', 'merge'],
  ['io.k8s.api.core.v1.PodStatus', 'conditions', 'type', 'merge'],
  ['io.k8s.api.core.v1.PodStatus', 'podIPs', 'ip', 'merge'],
  ['io.k8s.api.core.v1.PodStatus', 'hostIPs', 'ip', 'merge'],
  ['io.k8s.api.core.v1.NodeStatus', 'addresses', 'type', 'merge'],
  ['io.k8s.api.core.v1.NodeStatus', 'conditions', 'type', 'merge'],
  ['io.k8s.api.apps.v1.DeploymentStatus', 'conditions', 'type', 'merge'],
  ['io.k8s.api.batch.v1.JobStatus', 'conditions', 'type', 'merge'],
  ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'ownerReferences', 'uid', 'merge'],
  ['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers', undefined, 'merge'],
  ['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'x-kubernetes-validations', 'rule', 'merge'],
];

test('strategic merge metadata on the lists kubectl merges by key', () => {
  for (const [name, field, key, strategy] of MERGE_KEYS) {
    const p = property(name, field);
    assert.equal(p.type, 'array', `${name}.${field}`);
    assert.equal(p['x-kubernetes-patch-merge-key'], key, `${name}.${field} merge key`);
    assert.equal(p['x-kubernetes-patch-strategy'], strategy, `${name}.${field} strategy`);
  }
  assert.deepEqual(property('io.k8s.api.core.v1.Container', 'ports')['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.deepEqual(property('io.k8s.api.core.v1.ServiceSpec', 'ports')['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  assert.equal(property('io.k8s.api.core.v1.PodSpec', 'volumes')['x-kubernetes-list-type'], 'map');
  assert.equal(property('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')['x-kubernetes-list-type'], 'set');
  // Lists without a merge key are replaced, as upstream: no metadata.
  assert.equal(property('io.k8s.api.core.v1.Container', 'args')['x-kubernetes-patch-strategy'], undefined);
  assert.equal(property('io.k8s.api.core.v1.PodSpec', 'tolerations')['x-kubernetes-patch-merge-key'], undefined);
});

test('the Kubernetes extensions of a CRD schema, which kubernetes-types leaves out, are declared', () => {
  const schema = {
    type: 'object',
    'x-kubernetes-validations': [{ rule: 'self.a == 1', message: 'm' }],
    properties: {
      a: { type: 'integer', 'x-kubernetes-int-or-string': true },
      l: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-embedded-resource': true, 'x-kubernetes-map-type': 'atomic' } },
    },
  };
  const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'x' }, spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: schema } }] } };
  assert.deepEqual(unknownFields({ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }, crd), []);
});

test('every condition list merges by type, except where upstream has no patch metadata either', () => {
  const unmarked = Object.entries(builtinSchemas())
    .filter(([, s]) => s.properties?.conditions?.type === 'array' && s.properties.conditions['x-kubernetes-patch-merge-key'] === undefined)
    .map(([name]) => name);
  assert.deepEqual(unmarked, [
    'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyStatus',
    'io.k8s.api.admissionregistration.v1alpha1.ValidatingAdmissionPolicyStatus',
    'io.k8s.api.admissionregistration.v1beta1.ValidatingAdmissionPolicyStatus',
    'io.k8s.api.apiserverinternal.v1alpha1.StorageVersionStatus',
    'io.k8s.api.certificates.v1.CertificateSigningRequestStatus',
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus',
  ]);
});

// --- /openapi/v3 ---------------------------------------------------------

test('/openapi/v3 lists one document per group/version, with its hash', () => {
  const index = get('/openapi/v3');
  assert.equal(index.status, 200);
  assert.equal(index.headers['Content-Type'], 'application/json');
  const paths = body(index).paths as Record<string, { serverRelativeURL: string }>;
  assert.deepEqual(Object.keys(paths), ['api/v1', 'apis/apps/v1']);
  assert.match(paths['apis/apps/v1']!.serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
  const doc = get(paths['apis/apps/v1']!.serverRelativeURL);
  assert.equal(doc.status, 200);
  assert.equal(doc.headers['Cache-Control'], 'public, immutable');
  assert.ok(doc.headers.Expires !== undefined && Date.parse(doc.headers.Expires) > Date.now() + 300 * 24 * 3600 * 1000);
  assert.equal(doc.headers.ETag, `"${new URL(paths['apis/apps/v1']!.serverRelativeURL, 'http://x').searchParams.get('hash')}"`);

  const unhashed = get('/openapi/v3/apis/apps/v1');
  assert.equal(unhashed.headers['Cache-Control'], 'no-cache, private');
  assert.equal(unhashed.body, doc.body);
  const stale = get('/openapi/v3/apis/apps/v1?hash=0123');
  assert.equal(stale.status, 301);
  assert.equal(stale.headers.Location, paths['apis/apps/v1']!.serverRelativeURL);
  assert.equal(get('/openapi/v3/apis/apps/v1', 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf').status, 406);
  assert.equal(get('/openapi/v3/apis/apps/v1', '*/*').status, 200);

  const url = (p: string) => new URL(p, 'http://x');
  for (const p of ['/openapi/v3/apis/batch/v1', '/openapi/v3/apis/apps', '/openapi/v4', '/api/v1']) {
    assert.equal(openapi(TYPES, url(p).pathname, url(p).searchParams, undefined), undefined, p);
  }
});

test('a group/version document: the operations kubectl looks for, and every schema they need', () => {
  const doc = body(get('/openapi/v3/apis/apps/v1'));
  assert.equal(doc.openapi, '3.0.0');
  const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  const patch = item.patch;
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  assert.equal(patch['x-kubernetes-action'], 'patch');
  const query = (op: Json) => (op.parameters as Json[]).filter((p) => p.in === 'query').map((p) => p.name);
  assert.ok(query(patch).includes('fieldValidation'));
  assert.ok(query(patch).includes('dryRun'));
  assert.ok('application/strategic-merge-patch+json' in patch.requestBody.content);
  assert.equal(item.get['x-kubernetes-action'], 'get');
  assert.equal(item.put['x-kubernetes-action'], 'put');
  assert.equal(item.delete['x-kubernetes-action'], 'delete');
  assert.deepEqual(item.parameters.map((p: Json) => p.name), ['name', 'namespace', 'pretty']);
  const collection = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'];
  assert.deepEqual([collection.get['x-kubernetes-action'], collection.post['x-kubernetes-action'], collection.delete['x-kubernetes-action']], ['list', 'post', 'deletecollection']);
  assert.ok(query(collection.post).includes('fieldValidation'));
  assert.equal(doc.paths['/apis/apps/v1/deployments'].get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch;
  assert.deepEqual(scale['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  assert.equal(scale.operationId, 'patchAppsV1NamespacedDeploymentScale');

  // Only what this group/version needs, but all of it: every $ref resolves inside the document.
  const schemas = doc.components.schemas as Record<string, Schema>;
  for (const name of ['io.k8s.api.apps.v1.Deployment', 'io.k8s.api.apps.v1.DeploymentList', 'io.k8s.api.autoscaling.v1.Scale', 'io.k8s.api.core.v1.PodSpec', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch', 'io.k8s.apimachinery.pkg.apis.meta.v1.Status']) {
    assert.ok(name in schemas, name);
  }
  assert.ok(!('io.k8s.api.apps.v1.StatefulSet' in schemas));
  assert.ok(!('io.k8s.api.core.v1.ConfigMap' in schemas));
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(refs.length > 100);
  for (const ref of refs) assert.ok(ref in schemas, `dangling $ref ${ref}`);
});

test('core group document and cluster-scoped resources', () => {
  const nodes: ResourceType = { ...CONFIGMAPS, kind: 'Node', listKind: 'NodeList', plural: 'nodes', singular: 'node', namespaced: false, verbs: ['get', 'list', 'patch'] };
  const doc = body(get('/openapi/v3/api/v1', undefined, [CONFIGMAPS, nodes]));
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'].patch.operationId, 'patchCoreV1NamespacedConfigMap');
  const node = doc.paths['/api/v1/nodes/{name}'];
  assert.equal(node.patch.operationId, 'patchCoreV1Node');
  assert.equal(node.put, undefined, 'no update verb, no PUT');
  assert.equal(doc.paths['/api/v1/nodes'].post, undefined);
  assert.ok('io.k8s.api.core.v1.Node' in doc.components.schemas);
});

test('the proxy subresources: every method upstream connects, with and without a path after them', () => {
  const doc = body(get('/openapi/v3/api/v1', undefined, BUILTIN_RESOURCES));
  for (const [kind, base] of [['Pod', '/api/v1/namespaces/{namespace}/pods/{name}/proxy'], ['Service', '/api/v1/namespaces/{namespace}/services/{name}/proxy']] as const) {
    for (const [path, suffix] of [[base, ''], [`${base}/{path}`, 'WithPath']] as const) {
      const item = doc.paths[path];
      const methods = Object.keys(item).filter((k) => k !== 'parameters').sort();
      assert.deepEqual(methods, ['delete', 'get', 'head', 'options', 'patch', 'post', 'put'], path);
      assert.equal(item.head.operationId, `connectCoreV1HeadNamespaced${kind}Proxy${suffix}`);
      assert.equal(item.options['x-kubernetes-action'], 'connect');
      assert.deepEqual(item.post['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: `${kind}ProxyOptions` });
    }
  }
  // Exec and attach are connected by GET and POST only.
  const exec = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'];
  assert.deepEqual(Object.keys(exec).filter((k) => k !== 'parameters').sort(), ['get', 'post']);
  assert.equal(exec.get.operationId, 'connectCoreV1GetNamespacedPodExec');
});

test('custom resources get a permissive schema and no strategic merge', () => {
  const types = [...TYPES, CRONTABS];
  const index = body(get('/openapi/v3', undefined, types));
  assert.ok('apis/stable.example.com/v1' in index.paths);
  const doc = body(get('/openapi/v3/apis/stable.example.com/v1', undefined, types));
  const crontab = doc.components.schemas['com.example.stable.v1.CronTab'];
  assert.equal(crontab['x-kubernetes-preserve-unknown-fields'], true);
  assert.deepEqual(crontab['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }]);
  assert.ok('com.example.stable.v1.CronTabList' in doc.components.schemas);
  assert.ok('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' in doc.components.schemas);
  const patch = doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}'].patch;
  assert.ok((patch.parameters as Json[]).some((p) => p.name === 'fieldValidation'));
  assert.deepEqual(Object.keys(patch.requestBody.content).sort(), ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json']);
  // Adding a custom type leaves the other group/versions' documents, and hashes, alone.
  const before = body(get('/openapi/v3')).paths['api/v1'].serverRelativeURL;
  assert.equal(body(get('/openapi/v3', undefined, types)).paths['api/v1'].serverRelativeURL, before);
});

// --- /openapi/v2 ---------------------------------------------------------

test('/openapi/v2 is an empty protobuf document (kubectl 1.27/1.28 only need it to answer)', () => {
  for (const accept of ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', undefined]) {
    const v2 = get('/openapi/v2', accept);
    assert.equal(v2.status, 200);
    assert.equal(v2.headers['Content-Type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.equal(v2.body.length, 0);
  }
  const json = get('/openapi/v2', 'application/json');
  assert.equal(json.headers['Content-Type'], 'application/json');
  assert.deepEqual(body(json).paths, {});
  assert.equal(body(json).swagger, '2.0');
});

// --- Real kubectl --------------------------------------------------------

const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';
const kubectl = (version: string) => join(KUBECTL_DIR, `kubectl.${version}`);

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** A throwaway API server: legacy discovery for TYPES, /openapi/*, and an in-memory store that validates fields as the real one does. */
async function fakeApiServer(t: TestContext, types: readonly ResourceType[]): Promise<{ port: number; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const objects = new Map<string, Json>();
  const send = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(value));
  };
  const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message });
  const handle = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: text });
    const path = url.pathname;
    const gvOf = (r: ResourceType) => (r.group === '' ? r.version : `${r.group}/${r.version}`);
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') {
      const groups = [...new Set(types.filter((r) => r.group !== '').map(gvOf))].map((gv) => ({
        name: gv.split('/')[0],
        versions: [{ groupVersion: gv, version: gv.split('/')[1] }],
        preferredVersion: { groupVersion: gv, version: gv.split('/')[1] },
      }));
      return send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    const listed = types.filter((r) => path === (r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`));
    if (listed.length > 0) {
      const resources = listed.map((r) => ({ name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs, shortNames: r.shortNames }));
      return send(res, 200, { kind: 'APIResourceList', groupVersion: gvOf(listed[0]!), resources });
    }
    if (path.startsWith('/openapi/')) {
      const answer = openapi(types, path, url.searchParams, req.headers.accept);
      if (answer !== undefined) return res.writeHead(answer.status, answer.headers).end(answer.body);
    }
    const m = /^\/apis?\/(?:(.+)\/)?(v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    const type = m === null ? undefined : types.find((r) => r.plural === m[4] && r.group === (path.startsWith('/api/') ? '' : m[1]));
    if (m === null || type === undefined) return send(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const [, , , namespace, , name] = m;
    if (req.method === 'POST' || req.method === 'PUT') {
      const obj = JSON.parse(text) as Json;
      const unknown = unknownFields(type, obj);
      if (unknown.length > 0 && url.searchParams.get('fieldValidation') === 'Strict') {
        return send(res, 400, status(400, 'BadRequest', `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`));
      }
      obj.metadata = { ...obj.metadata, namespace, uid: 'uid-1', resourceVersion: '1' };
      objects.set(`${type.plural}/${namespace}/${obj.metadata.name}`, obj);
      return send(res, req.method === 'POST' ? 201 : 200, obj);
    }
    const stored = objects.get(`${type.plural}/${namespace}/${name}`);
    if (stored === undefined) return send(res, 404, status(404, 'NotFound', `${type.plural}.${type.group} "${name}" not found`));
    // PATCH: recorded only; kubectl prints the object it gets back.
    return send(res, 200, stored);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, requests };
}

const DEPLOYMENT_YAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}]
        resources: {limits: {cpu: 1, memory: 64Mi}}
`;

/** Runs kubectl against the fake server with a fresh HOME and discovery cache. */
async function kubectlSession(t: TestContext, version: string, types: readonly ResourceType[] = TYPES) {
  const { port, requests } = await fakeApiServer(t, types);
  const dir = await tempDir(t, 'bramble-openapi-');
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]
users: [{name: u, user: {}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]
current-context: c
`,
  );
  const file = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await promisify(execFile)(kubectl(version), [...args, '--cache-dir', join(dir, 'cache')], {
        env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  return { run, file, requests };
}

for (const version of ['1.27', '1.30', '1.33']) {
  test(`kubectl ${version}: create -f passes default validation and trusts the server (fieldValidation=Strict)`, { skip: !existsSync(kubectl(version)) }, async (t) => {
    const k = await kubectlSession(t, version);
    const good = await k.file('deployment.yaml', DEPLOYMENT_YAML);
    const created = await k.run('create', '-f', good);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout.trim(), 'deployment.apps/web created');
    const post = k.requests.find((r) => r.method === 'POST');
    assert.ok(post !== undefined);
    assert.equal(new URL(post.url, 'http://x').searchParams.get('fieldValidation'), 'Strict');
    assert.ok(k.requests.some((r) => r.url.startsWith('/openapi/v3/apis/apps/v1?hash=')));
    if (version === '1.27') assert.ok(k.requests.some((r) => r.url.startsWith('/openapi/v2')), '1.27 reads /openapi/v2 first');

    // The server's verdict is what the user sees.
    const bad = await k.file('bad.yaml', DEPLOYMENT_YAML.replace('replicas: 2', 'replicas: 2\n  replicass: 3').replace('image: nginx:1.25', 'image: nginx:1.25\n        imagee: x'));
    const rejected = await k.run('create', '-f', bad);
    assert.notEqual(rejected.code, 0);
    assert.match(rejected.stderr, /strict decoding error: unknown field "spec\.replicass", unknown field "spec\.template\.spec\.containers\[0\]\.imagee"/);
  });

  test(`kubectl ${version}: explain deployment.spec.replicas prints the field's description`, { skip: !existsSync(kubectl(version)) }, async (t) => {
    const k = await kubectlSession(t, version);
    const r = await k.run('explain', 'deployment.spec.replicas');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /FIELD: +replicas <integer>/);
    assert.match(r.stdout, /Number of desired pods\. This is a pointer to distinguish between explicit\s+zero and not specified\. Defaults to 1\./);
  });

  test(`kubectl ${version}: apply computes a strategic merge patch by merge key`, { skip: !existsSync(kubectl(version)) }, async (t) => {
    const k = await kubectlSession(t, version);
    const first = await k.run('apply', '-f', await k.file('v1.yaml', DEPLOYMENT_YAML));
    assert.equal(first.code, 0, first.stderr);
    const second = await k.run('apply', '-f', await k.file('v2.yaml', DEPLOYMENT_YAML.replace('nginx:1.25', 'nginx:1.26').replace('value: "1"', 'value: "2"')));
    assert.equal(second.code, 0, second.stderr);
    // 1.29+ compute the patch from our v3 schemas and say so if they cannot.
    assert.doesNotMatch(second.stderr, /error calculating patch/);
    const patch = k.requests.find((r) => r.method === 'PATCH');
    assert.ok(patch !== undefined);
    assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
    assert.equal(new URL(patch.url, 'http://x').searchParams.get('fieldValidation'), 'Strict');
    const sent = JSON.parse(patch.body) as Json;
    assert.deepEqual(sent.spec, {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'web' }],
          containers: [{ '$setElementOrder/env': [{ name: 'A' }], env: [{ name: 'A', value: '2' }], image: 'nginx:1.26', name: 'web' }],
        },
      },
    });
  });
}

test('kubectl 1.33: custom resources are validated by the server and patched by merge patch', { skip: !existsSync(kubectl('1.33')) }, async (t) => {
  const k = await kubectlSession(t, '1.33', [...TYPES, CRONTABS]);
  const yaml = 'apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: ct}\nspec: {cronSpec: "* * * * */5", image: a, anything: {goes: [1]}}\n';
  assert.equal((await k.run('apply', '-f', await k.file('ct.yaml', yaml))).code, 0);
  const second = await k.run('apply', '-f', await k.file('ct2.yaml', yaml.replace('image: a', 'image: b')));
  assert.equal(second.code, 0, second.stderr);
  const patch = k.requests.find((r) => r.method === 'PATCH');
  assert.ok(patch !== undefined);
  assert.equal(patch.contentType, 'application/merge-patch+json');
  assert.equal(new URL(patch.url, 'http://x').searchParams.get('fieldValidation'), 'Strict');
});

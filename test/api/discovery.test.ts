import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { BUILTIN_RESOURCES, Catalogue } from '../../server/api/catalogue.js';
import { discover, versionInfo } from '../../server/api/discovery.js';
import type { HttpAnswer } from '../../server/api/http-answer.js';
import { apiVersionOf } from '../../server/api/objects.js';
import type { ResourceType } from '../../server/api/resources.js';
import { KUBECTL_DIR, type Kubectl, kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';
// What kubectl sends, seen on the wire (kubectl-wire.md, and recorded by the kubectl tests below).
const ACCEPT_KUBECTL_127 = `${V2BETA1},application/json`;
const ACCEPT_KUBECTL_130 = `${V2},${V2BETA1},application/json`;
const NOT_FOUND = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'the server could not find the requested resource',
  reason: 'NotFound',
  details: {},
  code: 404,
};

const widget: ResourceType = {
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  listKind: 'WidgetList',
  plural: 'widgets',
  singular: 'widget',
  namespaced: true,
  shortNames: ['wg'],
  categories: ['all'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: [{ name: 'status', kind: { group: 'example.com', version: 'v1', kind: 'Widget' }, verbs: ['get', 'patch', 'update'] }],
};

function get(catalogue: Catalogue, path: string, accept?: string, ifNoneMatch?: string): HttpAnswer {
  const answer = discover(catalogue, path, accept, ifNoneMatch);
  assert.ok(answer, `${path} is a discovery path`);
  return answer;
}

function json(answer: HttpAnswer, status = 200): Record<string, unknown> {
  assert.equal(answer.status, status, String(answer.body));
  assert.equal(answer.headers['Content-Type'], 'application/json');
  return JSON.parse(String(answer.body)) as Record<string, unknown>;
}

interface Item {
  metadata: { name: string };
  versions: { version: string; freshness: string; resources: Record<string, unknown>[] }[];
}

function aggregated(answer: HttpAnswer, contentType: string): Item[] {
  assert.equal(answer.status, 200);
  assert.equal(answer.headers['Content-Type'], contentType);
  assert.match(answer.headers['ETag'] ?? '', /^"[0-9A-F]{128}"$/);
  assert.equal(answer.headers['Vary'], 'Accept');
  const body = JSON.parse(String(answer.body)) as { kind: string; apiVersion: string; metadata: object; items: Item[] };
  assert.equal(body.kind, 'APIGroupDiscoveryList');
  assert.equal(body.apiVersion, `apidiscovery.k8s.io/${contentType.includes('v=v2beta1') ? 'v2beta1' : 'v2'}`);
  assert.deepEqual(body.metadata, {});
  return body.items;
}

test('legacy /api and /apis', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  const api = get(c, '/api', 'application/json, */*');
  assert.equal(api.headers['Vary'], 'Accept');
  assert.equal(api.body, '{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":""}]}');
  for (const accept of [undefined, '', '*/*', 'application/*', 'application/json;charset=utf-8']) assert.equal(get(c, '/api', accept).body, api.body, `Accept ${accept}`);

  const apis = json(get(c, '/apis')) as { kind: string; apiVersion: string; groups: Record<string, unknown>[] };
  assert.equal(apis.kind, 'APIGroupList');
  assert.equal(apis.apiVersion, 'v1');
  assert.deepEqual(
    apis.groups.map((g) => g['name']),
    ['apps', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io',
      'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io', 'node.k8s.io', 'discovery.k8s.io'],
  );
  assert.deepEqual(apis.groups.find((g) => g['name'] === 'autoscaling'), {
    name: 'autoscaling',
    versions: [
      { groupVersion: 'autoscaling/v2', version: 'v2' },
      { groupVersion: 'autoscaling/v1', version: 'v1' },
    ],
    preferredVersion: { groupVersion: 'autoscaling/v2', version: 'v2' },
  });

  assert.equal(
    get(c, '/apis/apps').body,
    '{"kind":"APIGroup","apiVersion":"v1","name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}',
  );
});

test('legacy resource lists carry subresources as their own entries', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  const core = json(get(c, '/api/v1', 'application/json, */*')) as { resources: Record<string, unknown>[] };
  assert.deepEqual(Object.keys(core), ['kind', 'groupVersion', 'resources'], 'upstream: no apiVersion on the core list');
  assert.equal(core['kind' as keyof typeof core], 'APIResourceList');
  const byName = new Map(core.resources.map((r) => [r['name'], r]));
  assert.deepEqual(byName.get('pods'), {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['po'],
    categories: ['all'],
  });
  assert.deepEqual(byName.get('pods/log'), { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
  assert.deepEqual(byName.get('pods/exec'), { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
  assert.deepEqual(byName.get('pods/eviction'), {
    name: 'pods/eviction',
    singularName: '',
    namespaced: true,
    group: 'policy',
    version: 'v1',
    kind: 'Eviction',
    verbs: ['create'],
  });
  assert.deepEqual(byName.get('namespaces/finalize'), { name: 'namespaces/finalize', singularName: '', namespaced: false, kind: 'Namespace', verbs: ['update'] });
  assert.deepEqual(byName.get('secrets'), {
    name: 'secrets',
    singularName: 'secret',
    namespaced: true,
    kind: 'Secret',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  });
  const names = core.resources.map((r) => r['name'] as string);
  assert.deepEqual(names, [...names].sort(), 'sorted, each subresource after its resource');

  const apps = json(get(c, '/apis/apps/v1')) as { apiVersion: string; groupVersion: string; resources: Record<string, unknown>[] };
  assert.equal(apps.apiVersion, 'v1');
  assert.equal(apps.groupVersion, 'apps/v1');
  assert.deepEqual(
    apps.resources.filter((r) => String(r['name']).startsWith('deployments')),
    [
      {
        name: 'deployments',
        singularName: 'deployment',
        namespaced: true,
        kind: 'Deployment',
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['deploy'],
        categories: ['all'],
      },
      { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
      { name: 'deployments/status', singularName: '', namespaced: true, kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
    ],
  );
});

test('aggregated discovery v2 for /apis and /api, in upstream shape', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  const items = aggregated(get(c, '/apis', ACCEPT_KUBECTL_130), V2);
  assert.deepEqual(
    items.map((i) => i.metadata.name),
    ['apps', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io',
      'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io', 'node.k8s.io', 'discovery.k8s.io'],
  );
  const apps = items.find((i) => i.metadata.name === 'apps')!;
  assert.equal(apps.versions.length, 1);
  assert.equal(apps.versions[0]!.version, 'v1');
  assert.equal(apps.versions[0]!.freshness, 'Current');
  assert.deepEqual(
    apps.versions[0]!.resources.map((r) => r['resource']),
    ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'],
  );
  assert.deepEqual(apps.versions[0]!.resources.find((r) => r['resource'] === 'deployments'), {
    resource: 'deployments',
    // Upstream leaves the group and version of a resource's own kind empty.
    responseKind: { group: '', version: '', kind: 'Deployment' },
    scope: 'Namespaced',
    singularResource: 'deployment',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [
      { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
      { subresource: 'status', responseKind: { group: '', version: '', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
    ],
  });
  const rbac = items.find((i) => i.metadata.name === 'rbac.authorization.k8s.io')!;
  assert.deepEqual(rbac.versions[0]!.resources.find((r) => r['resource'] === 'clusterroles'), {
    resource: 'clusterroles',
    responseKind: { group: '', version: '', kind: 'ClusterRole' },
    scope: 'Cluster',
    singularResource: 'clusterrole',
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  });

  const core = aggregated(get(c, '/api', ACCEPT_KUBECTL_130), V2);
  assert.equal(core.length, 1);
  assert.deepEqual(core[0]!.metadata, { name: '' });
  assert.deepEqual(core[0]!.versions.map((v) => v.version), ['v1']);
  const pods = core[0]!.versions[0]!.resources.find((r) => r['resource'] === 'pods')!;
  assert.deepEqual(pods['shortNames'], ['po']);
  assert.deepEqual(
    (pods['subresources'] as Record<string, unknown>[]).map((s) => [s['subresource'], s['responseKind']]),
    [
      ['attach', { group: '', version: '', kind: 'PodAttachOptions' }],
      ['binding', { group: '', version: '', kind: 'Binding' }],
      ['ephemeralcontainers', { group: '', version: '', kind: 'Pod' }],
      ['eviction', { group: 'policy', version: 'v1', kind: 'Eviction' }],
      ['exec', { group: '', version: '', kind: 'PodExecOptions' }],
      ['log', { group: '', version: '', kind: 'Pod' }],
      ['portforward', { group: '', version: '', kind: 'PodPortForwardOptions' }],
      ['proxy', { group: '', version: '', kind: 'PodProxyOptions' }],
      ['status', { group: '', version: '', kind: 'Pod' }],
    ],
  );
  const ns = core[0]!.versions[0]!.resources.find((r) => r['resource'] === 'namespaces')!;
  assert.equal(ns['scope'], 'Cluster');
});

test('content negotiation follows the Accept header', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  const v2beta1 = aggregated(get(c, '/apis', ACCEPT_KUBECTL_127), V2BETA1);
  assert.deepEqual(v2beta1, aggregated(get(c, '/apis', ACCEPT_KUBECTL_130), V2), 'same items, other apiVersion');
  aggregated(get(c, '/api', ACCEPT_KUBECTL_127), V2BETA1);
  aggregated(get(c, '/apis', `${V2BETA1},${V2}`), V2BETA1);
  aggregated(get(c, '/apis', `${V2};q=0.5,${V2BETA1}`), V2BETA1);
  aggregated(get(c, '/apis', `application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,${V2}`), V2);
  aggregated(get(c, '/apis', 'application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList'), V2);
  json(get(c, '/apis', `application/json,${V2}`));
  json(get(c, '/apis', 'application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json'));
  // Only /api and /apis have an aggregated form.
  json(get(c, '/apis/apps/v1', ACCEPT_KUBECTL_130));
  json(get(c, '/api/v1', ACCEPT_KUBECTL_127));
});

test('ETag and If-None-Match', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  const first = get(c, '/apis', ACCEPT_KUBECTL_130);
  const etag = first.headers['ETag']!;
  assert.equal(get(c, '/apis', ACCEPT_KUBECTL_130).headers['ETag'], etag, 'stable');
  assert.notEqual(get(c, '/apis', ACCEPT_KUBECTL_127).headers['ETag'], etag, 'v2beta1 is another document');
  assert.notEqual(get(c, '/api', ACCEPT_KUBECTL_130).headers['ETag'], etag);

  for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
    const cached = get(c, '/apis', ACCEPT_KUBECTL_130, ifNoneMatch);
    assert.equal(cached.status, 304, ifNoneMatch);
    assert.equal(cached.body, '');
    assert.equal(cached.headers['ETag'], etag);
    assert.equal(cached.headers['Vary'], 'Accept');
  }
  assert.equal(get(c, '/apis', ACCEPT_KUBECTL_130, '"other"').status, 200);

  c.add(widget);
  const changed = get(c, '/apis', ACCEPT_KUBECTL_130, etag);
  assert.equal(changed.status, 200, 'a new type changes the document');
  assert.notEqual(changed.headers['ETag'], etag);
  const items = aggregated(changed, V2);
  assert.equal(items.at(-1)!.metadata.name, 'example.com');
  c.remove('example.com', 'v1', 'widgets');
  assert.equal(get(c, '/apis', ACCEPT_KUBECTL_130, etag).status, 304, 'content-addressed: back to the same document');
});

test('types added at run time are discovered; removed ones are gone', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  assert.deepEqual(json(get(c, '/apis/example.com/v1'), 404), NOT_FOUND);
  c.add(widget);
  c.add({ ...widget, version: 'v1beta1' });
  const group = json(get(c, '/apis/example.com'));
  assert.deepEqual(group['versions'], [
    { groupVersion: 'example.com/v1', version: 'v1' },
    { groupVersion: 'example.com/v1beta1', version: 'v1beta1' },
  ]);
  assert.deepEqual(group['preferredVersion'], { groupVersion: 'example.com/v1', version: 'v1' });
  const list = json(get(c, '/apis/example.com/v1beta1'));
  assert.deepEqual(
    (list['resources'] as Record<string, unknown>[]).map((r) => r['name']),
    ['widgets', 'widgets/status'],
  );
  const item = aggregated(get(c, '/apis', ACCEPT_KUBECTL_130), V2).find((i) => i.metadata.name === 'example.com')!;
  assert.deepEqual(item.versions.map((v) => v.version), ['v1', 'v1beta1']);
  c.remove('example.com', 'v1beta1', 'widgets');
  c.remove('example.com', 'v1', 'widgets');
  assert.equal(get(c, '/apis/example.com').status, 404);
});

test('unknown groups and versions are a 404 Status; other paths are not discovery', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  for (const path of ['/apis/nope', '/apis/nope/v1', '/apis/apps/v2', '/api/v2', '/apis/apps/v1beta1']) {
    assert.deepEqual(json(get(c, path, ACCEPT_KUBECTL_130), 404), NOT_FOUND, path);
  }
  for (const path of ['/', '/healthz', '/version', '/openapi/v2', '/api/v1/pods', '/api/v1/namespaces/default/pods', '/apis/apps/v1/deployments', '/apiss', '/apis/apps/v1/namespaces/x/deployments/y']) {
    assert.equal(discover(c, path, undefined, undefined), undefined, path);
  }
  // The query (kubectl adds ?timeout=32s) and a trailing slash do not matter.
  aggregated(get(c, '/api?timeout=32s', ACCEPT_KUBECTL_130), V2);
  assert.equal(json(get(c, '/apis/')).kind, 'APIGroupList');
  assert.equal(json(get(c, '/apis/apps/v1/?timeout=32s')).groupVersion, 'apps/v1');
});

test('an Accept header we cannot satisfy is a 406 Status', () => {
  const c = new Catalogue(BUILTIN_RESOURCES);
  const cases: [string, string][] = [
    ['/api', 'application/vnd.kubernetes.protobuf'],
    ['/apis', 'application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'],
    ['/apis', 'application/json;as=Table;v=v1;g=meta.k8s.io'],
    ['/apis', `${V2};q=0`],
    ['/api/v1', 'application/yaml'],
    ['/apis/apps/v1', V2],
    ['/apis/apps', 'text/html'],
  ];
  for (const [path, accept] of cases) {
    const status = json(get(c, path, accept), 406);
    assert.equal(status['kind'], 'Status');
    assert.equal(status['status'], 'Failure');
    assert.equal(status['reason'], 'NotAcceptable');
    assert.equal(status['code'], 406);
    assert.match(String(status['message']), /^only the following media types are accepted: application\/json/);
  }
});

test('/version', () => {
  const v = versionInfo();
  assert.deepEqual(Object.keys(v), ['major', 'minor', 'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform']);
  assert.equal(v['major'], '1');
  assert.equal(v['minor'], '31');
  assert.match(v['gitVersion']!, /^v1\.31\.\d+\+bramble/);
  assert.match(v['buildDate']!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(v['compiler'], 'node');
  assert.match(v['platform']!, /^[a-z]+\/(amd64|arm64|arm|386|[a-z0-9]+)$/);
  if (process.arch === 'x64') assert.match(v['platform']!, /\/amd64$/);
});

// --- The real kubectl against a server that serves only discovery and /version.

interface Seen {
  readonly path: string;
  readonly accept: string;
  readonly ifNoneMatch: string | undefined;
  readonly status: number;
  readonly contentType: string | undefined;
}

/** Serves `discover()` and /version on 127.0.0.1, recording every request; legacyOnly ignores Accept, like a server without aggregated discovery. */
async function discoveryServer(t: TestContext, catalogue: Catalogue, legacyOnly = false): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const ifNoneMatch = req.headers['if-none-match'];
    const answer: HttpAnswer =
      path === '/version'
        ? { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(versionInfo()) }
        : (discover(catalogue, path, legacyOnly ? undefined : req.headers.accept, ifNoneMatch) ?? { status: 404, headers: {}, body: '' });
    seen.push({ path, accept: req.headers.accept ?? '', ifNoneMatch, status: answer.status, contentType: answer.headers['Content-Type'] });
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function writeKubeconfig(t: TestContext, server: string): Promise<string> {
  const file = join(await tempDir(t, 'bramble-kubeconfig-'), 'kubeconfig');
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: bramble',
    `  cluster: {server: "${server}"}`,
    'contexts:',
    '- name: bramble',
    '  context: {cluster: bramble, user: nobody}',
    'current-context: bramble',
    'users:',
    '- name: nobody',
    '  user: {}',
    '',
  ].join('\n');
  await writeFile(file, kubeconfig);
  return file;
}

/** Runs kubectl (its own HOME, so its own discovery cache) and returns what it printed. */
async function run(k: Kubectl, args: string[]): Promise<string> {
  const result = await k.run(args);
  assert.equal(result.code, 0, `kubectl.${k.version} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** "deployments apps/v1 true Deployment" per row of `kubectl api-resources` (SHORTNAMES checked separately: it may be blank). */
function apiResourceRows(stdout: string): string[] {
  const [header, ...rows] = stdout.trimEnd().split('\n');
  assert.match(header ?? '', /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
  return rows.map((row) => {
    const cells = row.trim().split(/\s+/);
    return [cells[0], ...cells.slice(-3)].join(' ');
  });
}

/** kubectl api-resources lists each group's preferred version. */
function expectedRows(catalogue: Catalogue): string[] {
  const preferred = new Map(catalogue.groups().map((g) => [g.name, g.preferred]));
  return catalogue.all().filter((r) => preferred.get(r.group) === r.version).map((r) => `${r.plural} ${apiVersionOf(r.group, r.version)} ${r.namespaced} ${r.kind}`);
}

const AGGREGATED_FORMAT: Record<string, string> = { '1.27': V2BETA1, '1.30': V2, '1.33': V2 };

for (const version of ['1.27', '1.30', '1.33']) {
  const skip = !existsSync(join(KUBECTL_DIR, `kubectl.${version}`)) && `kubectl.${version} is not installed`;

  test(`kubectl ${version} discovers the API through aggregated discovery`, { skip }, async (t) => {
    const catalogue = new Catalogue(BUILTIN_RESOURCES);
    catalogue.add(widget);
    const { url, seen } = await discoveryServer(t, catalogue);
    const k = await kubectl(t, version, await writeKubeconfig(t, url));

    const resources = await run(k, ['api-resources']);
    assert.match(resources, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(resources, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(resources, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    assert.match(resources, /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition$/m);
    assert.match(resources, /^events\s+ev\s+events\.k8s\.io\/v1\s+true\s+Event$/m);
    assert.match(resources, /^widgets\s+wg\s+example\.com\/v1\s+true\s+Widget$/m);
    assert.deepEqual(apiResourceRows(resources).sort(), expectedRows(catalogue).sort());

    const format = AGGREGATED_FORMAT[version]!;
    const roots = seen.filter((s) => s.path === '/api' || s.path === '/apis');
    assert.ok(roots.length >= 2, JSON.stringify(seen));
    for (const s of roots) {
      assert.equal(s.accept, version === '1.27' ? ACCEPT_KUBECTL_127 : ACCEPT_KUBECTL_130, 'the Accept header kubectl sends');
      assert.equal(s.contentType, format);
    }
    assert.deepEqual(seen.filter((s) => s.path !== '/api' && s.path !== '/apis'), [], 'aggregated: no per-group-version requests');

    // api-resources drops the discovery cache; the HTTP cache then revalidates with the ETag.
    seen.length = 0;
    assert.equal(await run(k, ['api-resources']), resources);
    const revalidated = seen.filter((s) => s.path === '/apis');
    assert.ok(revalidated.length > 0 && revalidated.every((s) => s.ifNoneMatch !== undefined && s.status === 304), JSON.stringify(seen));

    const versions = await run(k, ['api-versions']);
    assert.deepEqual(versions.trimEnd().split('\n'), [
      'admissionregistration.k8s.io/v1',
      'apiextensions.k8s.io/v1',
      'apps/v1',
      'authentication.k8s.io/v1',
      'authentication.k8s.io/v1beta1',
      'authorization.k8s.io/v1',
      'autoscaling/v1',
      'autoscaling/v2',
      'batch/v1',
      'certificates.k8s.io/v1',
      'coordination.k8s.io/v1',
      'discovery.k8s.io/v1',
      'events.k8s.io/v1',
      'example.com/v1',
      'networking.k8s.io/v1',
      'node.k8s.io/v1',
      'policy/v1',
      'rbac.authorization.k8s.io/v1',
      'scheduling.k8s.io/v1',
      'storage.k8s.io/v1',
      'v1',
    ]);

    const server = JSON.parse(await run(k, ['version', '-o', 'json'])) as { serverVersion: Record<string, string> };
    assert.deepEqual(server.serverVersion, versionInfo());
  });

  test(`kubectl ${version} discovers the API through the legacy documents`, { skip }, async (t) => {
    const catalogue = new Catalogue(BUILTIN_RESOURCES);
    const { url, seen } = await discoveryServer(t, catalogue, true);
    const k = await kubectl(t, version, await writeKubeconfig(t, url));
    const resources = await run(k, ['api-resources']);
    assert.match(resources, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.deepEqual(apiResourceRows(resources).sort(), expectedRows(catalogue).sort());
    const fetched = new Set(seen.map((s) => s.path));
    for (const path of ['/api', '/apis', '/api/v1', '/apis/apps/v1', '/apis/autoscaling/v2', '/apis/events.k8s.io/v1']) assert.ok(fetched.has(path), path);
    assert.ok(seen.every((s) => s.status === 200 && s.contentType === 'application/json'), JSON.stringify(seen));
    assert.match(await run(k, ['api-versions']), /^apps\/v1$(.|\n)*^v1$/m);
  });
}

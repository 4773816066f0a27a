// Authorization (server/api/auth): what a node identity may do, case by case
// against a real registry; system:masters and discovery; the order in which
// authorizers decide; and the 403 worded as upstream words it.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import {
  type Attributes,
  type Authorizer,
  type Decision,
  inOrder,
  NO_OPINION,
  noOpinion,
  requireAccess,
  type ResourceAttributes,
} from '../../server/api/auth/authorizer.js';
import { mastersAuthorizer } from '../../server/api/auth/masters-authorizer.js';
import { NodeAuthorizer } from '../../server/api/auth/node-authorizer.js';
import { podReferences } from '../../common/pod-references.js';
import type { UserInfo } from '../../server/api/auth/user.js';
import type { KubeObject } from '../../server/api/objects.js';
import type { ApiVerb } from '../../server/api/request-info.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry } from '../helpers/api-registry.js';

const PI1: UserInfo = { name: 'system:node:pi-1', groups: ['system:nodes', 'system:authenticated'] };
const ALICE: UserInfo = { name: 'alice', groups: ['developers', 'system:authenticated'] };
const ADMIN: UserInfo = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

interface Request {
  readonly verb: ApiVerb;
  readonly resource: string;
  readonly group?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  /** The name in a create's body. */
  readonly created?: string;
  /** A create's whole body. */
  readonly body?: unknown;
}

function attrs(r: Request): ResourceAttributes {
  return {
    kind: 'resource',
    verb: r.verb,
    group: r.group ?? '',
    version: 'v1',
    resource: r.resource,
    ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
    ...(r.name === undefined ? {} : { name: r.name }),
    ...(r.subresource === undefined ? {} : { subresource: r.subresource }),
    createdName: async () => {
      if (r.verb !== 'create') throw new Error('only creates have a created name');
      return r.created;
    },
    createdObject: async () => r.body,
  };
}

const tokenFor = (pod: string, uid?: string) => ({ spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod, ...(uid !== undefined ? { uid } : {}) } } });

const pod = (name: string, nodeName: string | undefined, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { ...(nodeName === undefined ? {} : { nodeName }), containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

async function nodeAuthorizer(t: TestContext): Promise<NodeAuthorizer> {
  // No kind rules: this is about who may touch objects, not what objects are valid.
  const { catalogue, registry } = await apiRegistry(t, { rules: () => () => ({}) });
  const pods = catalogue.get('', 'v1', 'pods')!;
  const create = (namespace: string, obj: KubeObject) => registry.create(pods, namespace, obj, {});
  await create(
    'default',
    pod('web', 'pi-1', {
      volumes: [
        { name: 'a', secret: { secretName: 'web-tls' } },
        { name: 'b', configMap: { name: 'web-config' } },
        { name: 'c', persistentVolumeClaim: { claimName: 'web-data' } },
        { name: 'd', projected: { sources: [{ secret: { name: 'projected-secret' } }, { configMap: { name: 'projected-config' } }] } },
      ],
      containers: [
        {
          name: 'c',
          image: 'busybox',
          env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db-password', key: 'pw' } } }],
          envFrom: [{ configMapRef: { name: 'env-config' } }],
        },
      ],
      initContainers: [{ name: 'i', image: 'busybox', envFrom: [{ secretRef: { name: 'init-secret' } }] }],
      imagePullSecrets: [{ name: 'registry-login' }],
    }),
  );
  await create('default', pod('elsewhere', 'pi-2', { volumes: [{ name: 'a', secret: { secretName: 'pi-2-only' } }] }));
  await create('default', pod('pending', undefined, { volumes: [{ name: 'a', secret: { secretName: 'pending-secret' } }] }));
  await create('kube-system', pod('proxy', 'pi-1', { volumes: [{ name: 'a', configMap: { name: 'proxy-config' } }] }));
  await registry.create(catalogue.get('', 'v1', 'persistentvolumeclaims')!, 'default', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'web-data' } }, {});
  const volume = (name: string, claim: string | undefined, node: string | undefined): KubeObject => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      hostPath: { path: `/data/${name}` },
      ...(claim !== undefined ? { claimRef: { namespace: 'default', name: claim } } : {}),
      ...(node !== undefined ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } } : {}),
    },
  });
  const volumes = catalogue.get('', 'v1', 'persistentvolumes')!;
  await registry.create(volumes, undefined, volume('pv-web', 'web-data', undefined), {});
  await registry.create(volumes, undefined, volume('pv-pi-1', 'other-claim', 'pi-1'), {});
  await registry.create(volumes, undefined, volume('pv-pi-2', 'other-claim', 'pi-2'), {});
  return new NodeAuthorizer(registry, catalogue);
}

test('a node may do what a node needs and nothing else', async (t) => {
  const authorizer = await nodeAuthorizer(t);
  const noRelation = "no relationship found between node 'pi-1' and this object";
  // [request, allowed, reason when refused]
  const cases: [Request, boolean, string?][] = [
    // Nodes: all readable, only its own written.
    [{ verb: 'get', resource: 'nodes', name: 'pi-2' }, true],
    [{ verb: 'list', resource: 'nodes' }, true],
    [{ verb: 'watch', resource: 'nodes' }, true],
    [{ verb: 'create', resource: 'nodes', created: 'pi-1' }, true],
    [{ verb: 'create', resource: 'nodes', created: 'pi-2' }, false, 'node "pi-1" is not allowed to modify node "pi-2"'],
    [{ verb: 'create', resource: 'nodes' }, false, 'node "pi-1" is not allowed to modify node ""'],
    [{ verb: 'patch', resource: 'nodes', name: 'pi-1' }, true],
    [{ verb: 'update', resource: 'nodes', name: 'pi-1' }, true],
    [{ verb: 'patch', resource: 'nodes', name: 'pi-1', subresource: 'status' }, true],
    [{ verb: 'update', resource: 'nodes', name: 'pi-1', subresource: 'status' }, true],
    [{ verb: 'patch', resource: 'nodes', name: 'pi-2' }, false, 'node "pi-1" is not allowed to modify node "pi-2"'],
    [{ verb: 'patch', resource: 'nodes', name: 'pi-2', subresource: 'status' }, false, 'node "pi-1" is not allowed to modify node "pi-2"'],
    [{ verb: 'delete', resource: 'nodes', name: 'pi-1' }, false, ''],
    [{ verb: 'deletecollection', resource: 'nodes' }, false, ''],
    // Pods: all readable; only those bound to it deleted or given a status.
    [{ verb: 'list', resource: 'pods' }, true],
    [{ verb: 'watch', resource: 'pods', namespace: 'default' }, true],
    [{ verb: 'get', resource: 'pods', namespace: 'default', name: 'elsewhere' }, true],
    [{ verb: 'patch', resource: 'pods', namespace: 'default', name: 'web', subresource: 'status' }, true],
    [{ verb: 'update', resource: 'pods', namespace: 'default', name: 'web', subresource: 'status' }, true],
    [{ verb: 'delete', resource: 'pods', namespace: 'default', name: 'web' }, true],
    [{ verb: 'delete', resource: 'pods', namespace: 'default', name: 'gone' }, true],
    [{ verb: 'patch', resource: 'pods', namespace: 'default', name: 'elsewhere', subresource: 'status' }, false, 'node "pi-1" can only update pod status for pods with spec.nodeName set to itself'],
    [{ verb: 'patch', resource: 'pods', namespace: 'default', name: 'pending', subresource: 'status' }, false, 'node "pi-1" can only update pod status for pods with spec.nodeName set to itself'],
    [{ verb: 'delete', resource: 'pods', namespace: 'default', name: 'elsewhere' }, false, 'node "pi-1" can only delete pods with spec.nodeName set to itself'],
    [{ verb: 'patch', resource: 'pods', namespace: 'default', name: 'web' }, false, ''],
    [{ verb: 'create', resource: 'pods', namespace: 'default', created: 'mirror' }, false, ''],
    [{ verb: 'deletecollection', resource: 'pods', namespace: 'default' }, false, ''],
    [{ verb: 'create', resource: 'pods', namespace: 'default', name: 'web', subresource: 'eviction' }, false, ''],
    // Events, both groups: written anywhere, not read.
    [{ verb: 'create', resource: 'events', namespace: 'default', created: 'x' }, true],
    [{ verb: 'patch', resource: 'events', namespace: 'kube-system', name: 'x' }, true],
    [{ verb: 'update', group: 'events.k8s.io', resource: 'events', namespace: 'default', name: 'x' }, true],
    [{ verb: 'create', group: 'events.k8s.io', resource: 'events', namespace: 'default', created: 'x' }, true],
    [{ verb: 'list', resource: 'events', namespace: 'default' }, false, ''],
    [{ verb: 'delete', resource: 'events', namespace: 'default', name: 'x' }, false, ''],
    // Its own Lease, in kube-node-lease.
    [{ verb: 'get', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'pi-1' }, true],
    [{ verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', created: 'pi-1' }, true],
    [{ verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'pi-1' }, true],
    [{ verb: 'patch', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'pi-1' }, true],
    [{ verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', created: 'pi-2' }, false, 'can only access node lease with the same name as the requesting node'],
    [{ verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'pi-2' }, false, 'can only access node lease with the same name as the requesting node'],
    [{ verb: 'get', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system', name: 'pi-1' }, false, 'can only access leases in the "kube-node-lease" system namespace'],
    [{ verb: 'list', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease' }, false, 'can only get, create, update or patch a node lease'],
    [{ verb: 'delete', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-node-lease', name: 'pi-1' }, false, 'can only get, create, update or patch a node lease'],
    // What kube-proxy reads.
    [{ verb: 'list', resource: 'services' }, true],
    [{ verb: 'watch', resource: 'endpoints', namespace: 'default' }, true],
    [{ verb: 'get', group: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'default', name: 'x' }, true],
    [{ verb: 'create', resource: 'services', namespace: 'default', created: 'x' }, false, ''],
    [{ verb: 'patch', resource: 'services', namespace: 'default', name: 'x', subresource: 'status' }, false, ''],
    // RuntimeClasses, read for their handlers (system:node's rule).
    [{ verb: 'get', group: 'node.k8s.io', resource: 'runtimeclasses', name: 'gvisor' }, true],
    [{ verb: 'list', group: 'node.k8s.io', resource: 'runtimeclasses' }, true],
    [{ verb: 'watch', group: 'node.k8s.io', resource: 'runtimeclasses' }, true],
    [{ verb: 'create', group: 'node.k8s.io', resource: 'runtimeclasses', created: 'x' }, false, ''],
    [{ verb: 'delete', group: 'node.k8s.io', resource: 'runtimeclasses', name: 'gvisor' }, false, ''],
    // Secrets, ConfigMaps and claims: one get at a time, and only what its bound pods use.
    ...(
      [
        ['secrets', 'web-tls'],
        ['secrets', 'projected-secret'],
        ['secrets', 'db-password'],
        ['secrets', 'init-secret'],
        ['secrets', 'registry-login'],
        ['configmaps', 'web-config'],
        ['configmaps', 'projected-config'],
        ['configmaps', 'env-config'],
        ['persistentvolumeclaims', 'web-data'],
      ] as const
    ).map(([resource, name]): [Request, boolean] => [{ verb: 'get', resource, namespace: 'default', name }, true]),
    [{ verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'proxy-config' }, true],
    [{ verb: 'get', resource: 'configmaps', namespace: 'default', name: 'proxy-config' }, false, noRelation],
    [{ verb: 'get', resource: 'secrets', namespace: 'default', name: 'pi-2-only' }, false, noRelation],
    [{ verb: 'get', resource: 'secrets', namespace: 'default', name: 'pending-secret' }, false, noRelation],
    [{ verb: 'get', resource: 'secrets', namespace: 'default', name: 'web-config' }, false, noRelation],
    [{ verb: 'get', resource: 'configmaps', namespace: 'default', name: 'web-tls' }, false, noRelation],
    [{ verb: 'get', resource: 'secrets', namespace: 'nowhere', name: 'web-tls' }, false, noRelation],
    [{ verb: 'list', resource: 'secrets', namespace: 'default' }, false, 'can only get individual resources of this type'],
    [{ verb: 'list', resource: 'secrets' }, false, 'can only get individual resources of this type'],
    [{ verb: 'watch', resource: 'configmaps', namespace: 'default' }, false, 'can only get individual resources of this type'],
    [{ verb: 'watch', resource: 'secrets', namespace: 'default', name: 'web-tls' }, false, 'can only get individual resources of this type'],
    [{ verb: 'update', resource: 'secrets', namespace: 'default', name: 'web-tls' }, false, 'can only get individual resources of this type'],
    [{ verb: 'delete', resource: 'configmaps', namespace: 'default', name: 'web-config' }, false, 'can only get individual resources of this type'],
    [{ verb: 'get', resource: 'persistentvolumeclaims', namespace: 'default', name: 'web-data', subresource: 'status' }, false, 'cannot read subresource'],
    // Everything else.
    [{ verb: 'list', group: 'apps', resource: 'deployments', namespace: 'default' }, false, ''],
    [{ verb: 'get', resource: 'namespaces', name: 'default' }, false, ''],
    [{ verb: 'get', resource: 'serviceaccounts', namespace: 'default', name: 'default' }, false, ''],
    [{ verb: 'list', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' }, false, ''],
    // Volumes: those bound to its pods' claims, those pinned to it (local volumes), and missing ones (so it sees a deletion).
    [{ verb: 'get', resource: 'persistentvolumes', name: 'pv-web' }, true],
    [{ verb: 'get', resource: 'persistentvolumes', name: 'pv-pi-1' }, true],
    [{ verb: 'get', resource: 'persistentvolumes', name: 'pv-gone' }, true],
    [{ verb: 'get', resource: 'persistentvolumes', name: 'pv-pi-2' }, false, noRelation],
    [{ verb: 'list', resource: 'persistentvolumes' }, false, 'can only get individual resources of this type'],
    [{ verb: 'delete', resource: 'persistentvolumes', name: 'pv-pi-1' }, false, 'can only get individual resources of this type'],
    // Tokens: for the service account of a pod bound to it, bound to that pod; never for another node's pod.
    [{ verb: 'create', resource: 'serviceaccounts', namespace: 'default', name: 'default', subresource: 'token', body: tokenFor('web') }, true],
    [
      { verb: 'create', resource: 'serviceaccounts', namespace: 'default', name: 'default', subresource: 'token', body: tokenFor('elsewhere') },
      false,
      'node requested token bound to a pod scheduled on a different node',
    ],
    [{ verb: 'create', resource: 'serviceaccounts', namespace: 'default', name: 'default', subresource: 'token', body: tokenFor('gone') }, false, 'node requested token bound to a pod that does not exist'],
    [{ verb: 'create', resource: 'serviceaccounts', namespace: 'default', name: 'other', subresource: 'token', body: tokenFor('web') }, false, noRelation],
    [{ verb: 'create', resource: 'serviceaccounts', namespace: 'default', name: 'default', subresource: 'token', body: { spec: {} } }, false, 'node requested token not bound to a pod'],
    [{ verb: 'create', resource: 'serviceaccounts', namespace: 'default', name: 'default', subresource: 'token', body: tokenFor('web', 'not-its-uid') }, false, 'the UID in the bound object reference does not match the pod'],
  ];
  for (const [request, allowed, reason] of cases) {
    const expected: Decision = allowed ? { decision: 'allow', reason: '' } : noOpinion(reason ?? '');
    assert.deepEqual(await authorizer.authorize(PI1, attrs(request)), expected, JSON.stringify(request));
  }
});

test('the node rules apply only to system:node:NAME in system:nodes', async (t) => {
  const authorizer = await nodeAuthorizer(t);
  const own = attrs({ verb: 'patch', resource: 'nodes', name: 'pi-1' });
  for (const user of [
    { name: 'system:node:pi-1', groups: ['system:authenticated'] },
    { name: 'pi-1', groups: ['system:nodes'] },
    { name: 'system:node:', groups: ['system:nodes'] },
    ALICE,
  ]) {
    assert.deepEqual(await authorizer.authorize(user, own), NO_OPINION, JSON.stringify(user));
  }
  assert.deepEqual(await authorizer.authorize(PI1, { kind: 'path', verb: 'get', path: '/apis' }), NO_OPINION);
});

test('podReferences finds what a pod uses, and nothing for a pod without a spec', () => {
  const refs = podReferences({
    containers: [{ name: 'c', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm-key', key: 'a' } } }, { name: 'B', value: 'b' }] }],
    ephemeralContainers: [{ name: 'debug', envFrom: [{ secretRef: { name: 'debug-secret' } }] }],
    volumes: [{ name: 'empty', emptyDir: {} }, { name: 'p', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
  });
  assert.deepEqual([...refs.configmaps], ['cm-key']);
  assert.deepEqual([...refs.secrets], ['debug-secret']);
  assert.deepEqual([...refs.persistentvolumeclaims], []);
  const none = podReferences(undefined);
  assert.equal(none.secrets.size + none.configmaps.size + none.persistentvolumeclaims.size, 0);
});

test('system:masters may do anything', async () => {
  const anything: Attributes[] = [
    attrs({ verb: 'deletecollection', resource: 'secrets', namespace: 'kube-system' }),
    attrs({ verb: 'create', resource: 'nodes', created: 'x' }),
    { kind: 'path', verb: 'post', path: '/anything' },
  ];
  for (const a of anything) assert.equal((await mastersAuthorizer.authorize(ADMIN, a)).decision, 'allow');
  assert.deepEqual(await mastersAuthorizer.authorize(ALICE, anything[0]!), NO_OPINION);
});

test('authorizers decide in order: the first allow or deny wins; otherwise every reason is kept', async () => {
  const asked: string[] = [];
  const fixed = (name: string, decision: Decision): Authorizer => ({
    authorize: async () => {
      asked.push(name);
      return decision;
    },
  });
  const request = attrs({ verb: 'get', resource: 'pods', namespace: 'default', name: 'web' });
  const deny: Decision = { decision: 'deny', reason: 'denied' };
  assert.deepEqual(await inOrder([fixed('a', noOpinion('first')), fixed('b', deny), fixed('c', { decision: 'allow', reason: '' })]).authorize(ALICE, request), deny);
  assert.deepEqual(asked, ['a', 'b']);
  assert.deepEqual(await inOrder([fixed('d', noOpinion('one')), fixed('e', NO_OPINION), fixed('f', noOpinion('two'))]).authorize(ALICE, request), noOpinion('one\ntwo'));
  assert.deepEqual(await inOrder([]).authorize(ALICE, request), NO_OPINION);
});

test('a refusal is a 403 worded as upstream words it', async () => {
  const refusing = inOrder([]);
  const message = async (user: UserInfo, a: Attributes, authorizer: Authorizer = refusing) => {
    try {
      await requireAccess(authorizer, user, a);
    } catch (err) {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 403);
      return err.toStatus();
    }
    assert.fail('allowed');
  };
  assert.deepEqual(await message(ALICE, attrs({ verb: 'list', resource: 'configmaps', namespace: 'default' })), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "default"',
    reason: 'Forbidden',
    details: { kind: 'configmaps' },
    code: 403,
  });
  const named = await message(ALICE, attrs({ verb: 'patch', group: 'apps', resource: 'deployments', namespace: 'web', name: 'api', subresource: 'scale' }));
  assert.equal(named.message, 'deployments.apps "api" is forbidden: User "alice" cannot patch resource "deployments/scale" in API group "apps" in the namespace "web"');
  assert.deepEqual(named.details, { name: 'api', group: 'apps', kind: 'deployments' });
  assert.equal(
    (await message(ALICE, attrs({ verb: 'get', resource: 'nodes', name: 'pi-1' }))).message,
    'nodes "pi-1" is forbidden: User "alice" cannot get resource "nodes" in API group "" at the cluster scope',
  );
  const path = await message(ALICE, { kind: 'path', verb: 'get', path: '/metrics' });
  assert.equal(path.message, 'forbidden: User "alice" cannot get path "/metrics"');
  assert.deepEqual(path.details, {});
  const withReason = await message(PI1, attrs({ verb: 'get', resource: 'secrets', namespace: 'default', name: 'db' }), inOrder([{ authorize: async () => noOpinion("no relationship found between node 'pi-1' and this object") }]));
  assert.equal(
    withReason.message,
    'secrets "db" is forbidden: User "system:node:pi-1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node \'pi-1\' and this object',
  );
  await requireAccess(mastersAuthorizer, ADMIN, attrs({ verb: 'list', resource: 'secrets' }));
});

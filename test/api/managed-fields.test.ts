// metadata.managedFields kept by the registry (server/api/fields) for objects
// that have been applied: Update entries for updates, patches and status
// writes, and server-side apply's ownership, removal of fields no longer
// applied, conflicts and force; objects never applied keep none.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { ALLOW, type Authorizer } from '../../server/api/auth/authorizer.js';
import type { UserInfo } from '../../server/api/auth/user.js';
import type { ManagedFieldsEntry } from '../../server/api/fields/index.js';
import type { KubeObject } from '../../server/api/objects.js';
import type { Registry } from '../../server/api/registry/registry.js';
import type { ResourceType } from '../../server/api/resources.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { handlerApi } from '../helpers/handler-api.js';

interface Options {
  labels?: Record<string, string>;
  replicas?: number;
  image?: string;
}

function deployment(o: Options = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      ...(o.replicas !== undefined ? { replicas: o.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: o.image ?? 'nginx:1' }] } },
    },
  };
}

async function deployments(t: TestContext) {
  const { registry, catalogue } = await apiRegistry(t);
  const type = catalogue.get('apps', 'v1', 'deployments')!;
  return { registry, type, catalogue };
}

const entries = (obj: KubeObject) => (obj.metadata.managedFields ?? []) as ManagedFieldsEntry[];

/** An object managed fields are kept for: written by `manager`'s apply (a create alone keeps none). */
async function applied(registry: Registry, type: ResourceType, namespace: string, obj: KubeObject, manager: string): Promise<KubeObject> {
  return (await registry.apply(type, namespace, obj.metadata.name!, obj, { manager: { name: manager }, force: false })).object;
}
const entryOf = (obj: KubeObject, manager: string) => entries(obj).find((e) => e.manager === manager);
const fieldsOf = (obj: KubeObject, manager: string) => JSON.stringify(entryOf(obj, manager)?.fieldsV1);

describe('Update entries', () => {
  test('an object never applied keeps none; its first apply gives every field it held, defaults included, to before-first-apply, in upstream\'s shape (maps carry ".")', async (t) => {
    const { registry, type } = await deployments(t);
    const created = await registry.create(type, 'default', deployment({ labels: { app: 'web' } }), { manager: { name: 'kubectl-create' } });
    assert.equal(created.metadata.managedFields, undefined, 'not kept before an apply');
    const updated = await registry.update(type, 'default', 'web', structuredClone(created), { manager: { name: 'kubectl-edit' } });
    assert.equal(updated.metadata.managedFields, undefined);
    const first = await applied(registry, type, 'default', deployment({ labels: { app: 'web' } }), 'kubectl');
    const e = entryOf(first, 'before-first-apply')!;
    assert.deepEqual(Object.keys(e), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
    assert.equal(e.manager, 'before-first-apply');
    assert.equal(e.operation, 'Update');
    assert.equal(e.apiVersion, 'apps/v1');
    assert.match(e.time!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(e.fieldsType, 'FieldsV1');
    assert.equal(
      JSON.stringify(e.fieldsV1),
      '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},"f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},' +
        '"f:strategy":{"f:rollingUpdate":{".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"f:template":{"f:metadata":{"f:creationTimestamp":{},"f:labels":{".":{},"f:app":{}}},' +
        '"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},' +
        '"f:dnsPolicy":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}}}',
    );
    assert.deepEqual((await registry.get(type, 'default', 'web')).metadata.managedFields, first.metadata.managedFields, 'stored and read back');
  });

  test('an update takes the fields it changed from their owner; fields it removed leave every owner; an emptied entry goes', async (t) => {
    const { registry, type, catalogue } = await deployments(t);
    await registry.create(type, 'default', deployment({ labels: { app: 'web', tier: 'front' } }), {});
    const created = await applied(registry, type, 'default', deployment({ labels: { app: 'web', tier: 'front' } }), 'applier');
    const next = structuredClone(created);
    (next.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image = 'nginx:2';
    delete next.metadata.labels!['tier'];
    const updated = await registry.update(type, 'default', 'web', next, { manager: { name: 'kubectl-edit' } });
    assert.equal(fieldsOf(updated, 'kubectl-edit'), '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{"f:image":{}}}}}}}');
    for (const owner of ['applier', 'before-first-apply']) {
      assert.ok(!fieldsOf(updated, owner).includes('"f:image"'), `the image is no longer ${owner}'s`);
      assert.ok(!fieldsOf(updated, owner).includes('"f:tier"'), 'the removed label is nobody\'s');
    }
    assert.ok(fieldsOf(updated, 'before-first-apply').includes('"f:imagePullPolicy"'));
    assert.ok(fieldsOf(updated, 'before-first-apply').includes('"f:replicas"'));

    // The applier's fields all taken: its entry is dropped.
    const configMaps = catalogue.get('', 'v1', 'configmaps')!;
    await applied(registry, configMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } }, 'zero');
    const one = await registry.patch(configMaps, 'default', 'c', (c) => ({ ...c, data: { a: '2' } }), { manager: { name: 'one' } });
    assert.equal(fieldsOf(one, 'one'), '{"f:data":{"f:a":{}}}');
    assert.equal(fieldsOf(one, 'zero'), undefined, 'everything it applied taken: its entry is gone');
    const taken = await registry.patch(configMaps, 'default', 'c', (c) => ({ ...c, data: { a: '3' } }), { manager: { name: 'two' } });
    assert.deepEqual(entries(taken).map((e) => e.manager).sort(), ['two']);
  });

  test('a write that changes nothing leaves the entries and their times as they were; managedFields a client sends are not taken', async (t) => {
    const { registry, type } = await deployments(t);
    const created = await applied(registry, type, 'default', deployment(), 'creator');
    const same = await registry.update(type, 'default', 'web', { ...structuredClone(created), metadata: { ...created.metadata, managedFields: [] } }, { manager: { name: 'other' } });
    assert.deepEqual(same.metadata.managedFields, created.metadata.managedFields);
  });

  test('a status write is an Update of the status subresource; the main resource\'s writes own no status', async (t) => {
    const { registry, type } = await deployments(t);
    const created = await applied(registry, type, 'default', { ...deployment(), status: { replicas: 5 } }, 'creator');
    assert.ok(!fieldsOf(created, 'creator').includes('f:status'));
    const status = await registry.update(type, 'default', 'web', { ...structuredClone(created), status: { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] } }, { subresource: 'status', manager: { name: 'controller', subresource: 'status' } });
    const e = entryOf(status, 'controller')!;
    assert.equal(e.subresource, 'status');
    assert.deepEqual(Object.keys(e), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1', 'subresource']);
    assert.equal(JSON.stringify(e.fieldsV1), '{"f:status":{"f:conditions":{".":{},"k:{\\"type\\":\\"Available\\"}":{".":{},"f:status":{},"f:type":{}}},"f:replicas":{}}}');
  });

  test('past ten Update entries, the oldest are merged into "ancient-changes"', async (t) => {
    const { registry, catalogue } = await deployments(t);
    const configMaps = catalogue.get('', 'v1', 'configmaps')!;
    await applied(registry, configMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} }, 'm00');
    let last: KubeObject | undefined;
    for (let i = 1; i <= 12; i++) {
      const name = `m${String(i).padStart(2, '0')}`;
      last = await registry.patch(configMaps, 'default', 'c', (c) => ({ ...c, data: { ...(c['data'] as object), [name]: 'x' } }), { manager: { name } });
    }
    const managers = entries(last!).map((e) => e.manager).sort();
    // Ten Update entries at most (m00's Apply is not one of them).
    assert.deepEqual(managers, ['ancient-changes', 'm00', 'm04', 'm05', 'm06', 'm07', 'm08', 'm09', 'm10', 'm11', 'm12']);
    const ancient = JSON.stringify(entryOf(last!, 'ancient-changes')!.fieldsV1);
    for (const f of ['"f:m01"', '"f:m02"', '"f:m03"']) assert.ok(ancient.includes(f), `${f} in ${ancient}`);
  });

  test('writes without a manager (the server\'s own) keep the entries as they were', async (t) => {
    const { registry, type } = await deployments(t);
    const created = await applied(registry, type, 'default', deployment(), 'creator');
    const bumped = await registry.patch(type, 'default', 'web', (d) => ({ ...d, metadata: { ...d.metadata, annotations: { a: 'b' }, managedFields: [] } }), {});
    assert.deepEqual(bumped.metadata.managedFields, created.metadata.managedFields);
    const internal = await registry.create(type, 'default', { ...deployment(), metadata: { name: 'x', managedFields: [{ manager: 'forged' }] } }, {});
    assert.equal(internal.metadata.managedFields, undefined);
  });
});

describe('server-side apply', () => {
  test('an apply creates the object when missing; the manager\'s Apply entry owns what it applied, not the defaults', async (t) => {
    const { registry, type } = await deployments(t);
    const { object, created } = await registry.apply(type, 'default', 'web', deployment({ labels: { app: 'web' }, replicas: 2 }), { manager: { name: 'kubectl' }, force: false });
    assert.equal(created, true);
    assert.deepEqual(entries(object).map((e) => [e.manager, e.operation]), [['kubectl', 'Apply']]);
    assert.equal(
      fieldsOf(object, 'kubectl'),
      '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}',
    );
    assert.equal((object.spec as { strategy: { type: string } }).strategy.type, 'RollingUpdate', 'defaulted');
  });

  test('a field applied before and applied no more is removed, unless another manager owns it too', async (t) => {
    const { registry, type } = await deployments(t);
    await registry.apply(type, 'default', 'web', deployment({ labels: { app: 'web', tier: 'front', team: 'a' } }), { manager: { name: 'kubectl' }, force: false });
    // Another manager sets the team label to the same value: both own it.
    await registry.patch(type, 'default', 'web', (d) => ({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, team: 'a', extra: 'x' } } }), { manager: { name: 'labeller' } });
    const { object } = await registry.apply(type, 'default', 'web', deployment({ labels: { app: 'web' } }), { manager: { name: 'kubectl' }, force: false });
    assert.deepEqual(object.metadata.labels, { app: 'web', extra: 'x' }, 'tier removed; team (not changed by the labeller, so not its) removed too; extra kept');
    const again = await registry.patch(type, 'default', 'web', (d) => ({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, team: 'b' } } }), { manager: { name: 'labeller' } });
    assert.ok(fieldsOf(again, 'labeller').includes('f:team'));
    await registry.apply(type, 'default', 'web', deployment({ labels: { app: 'web', team: 'b' } }), { manager: { name: 'kubectl' }, force: false });
    const { object: last } = await registry.apply(type, 'default', 'web', deployment({ labels: { app: 'web' } }), { manager: { name: 'kubectl' }, force: false });
    assert.equal(last.metadata.labels!['team'], 'b', 'the labeller owns it too: it stays');
  });

  test('changing a field another manager owns is a 409 with upstream\'s message and causes; the same value is shared; force takes it', async (t) => {
    const { registry, type } = await deployments(t);
    await applied(registry, type, 'default', deployment({ replicas: 1 }), 'starter');
    await registry.patch(type, 'default', 'web', (d) => ({ ...d, spec: { ...(d['spec'] as object), replicas: 2 } }), { manager: { name: 'kubectl-client-side-apply' } });
    const err = await registry.apply(type, 'default', 'web', deployment({ replicas: 3 }), { manager: { name: 'kubectl' }, force: false }).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    assert.deepEqual(err.details, { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }] });
    assert.equal((await registry.get(type, 'default', 'web')).spec!['replicas' as never], 2, 'nothing written');

    const shared = await registry.apply(type, 'default', 'web', deployment({ replicas: 2 }), { manager: { name: 'kubectl' }, force: false });
    assert.ok(fieldsOf(shared.object, 'kubectl').includes('f:replicas'));
    assert.ok(fieldsOf(shared.object, 'kubectl-client-side-apply').includes('f:replicas'));

    const forced = await registry.apply(type, 'default', 'web', deployment({ replicas: 4 }), { manager: { name: 'kubectl' }, force: true });
    assert.equal((forced.object.spec as { replicas: number }).replicas, 4);
    assert.equal(fieldsOf(forced.object, 'kubectl-client-side-apply'), undefined, 'its only field taken: its entry is gone');
    assert.ok(fieldsOf(forced.object, 'kubectl').includes('f:replicas'));
  });

  test('conflicts with several managers: the plural message, by manager', async (t) => {
    const { registry, type } = await deployments(t);
    await applied(registry, type, 'default', deployment(), 'starter');
    await registry.patch(type, 'default', 'web', (d) => ({ ...d, metadata: { ...d.metadata, labels: { a: '1' } }, spec: { ...(d['spec'] as object), replicas: 2 } }), { manager: { name: 'zed' } });
    await registry.patch(type, 'default', 'web', (d) => ({ ...d, metadata: { ...d.metadata, labels: { a: '1', b: '1' } } }), { manager: { name: 'alpha', subresource: 'scale' } });
    const err = await registry.apply(type, 'default', 'web', deployment({ replicas: 3, labels: { a: '2', b: '2' } }), { manager: { name: 'kubectl' }, force: false }).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(
      err.message,
      'Apply failed with 3 conflicts: conflicts with "alpha" with subresource "scale" using apps/v1:\n- .metadata.labels.b\nconflicts with "zed" using apps/v1:\n- .metadata.labels.a\n- .spec.replicas',
    );
  });

  test('an apply of the status subresource owns the status alone, beside the main resource\'s applier', async (t) => {
    const { registry, type } = await deployments(t);
    await registry.apply(type, 'default', 'web', deployment({ replicas: 1 }), { manager: { name: 'kubectl' }, force: false });
    const status = { ...deployment({ replicas: 9 }), status: { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] } };
    const { object } = await registry.apply(type, 'default', 'web', status, { subresource: 'status', manager: { name: 'ctrl', subresource: 'status' }, force: false });
    assert.equal((object.spec as { replicas: number }).replicas, 1, 'a status write changes no spec');
    const e = entryOf(object, 'ctrl')!;
    assert.deepEqual([e.operation, e.subresource], ['Apply', 'status']);
    assert.equal(JSON.stringify(e.fieldsV1), '{"f:status":{"f:conditions":{"k:{\\"type\\":\\"Available\\"}":{".":{},"f:status":{},"f:type":{}}},"f:replicas":{}}}');
    assert.ok(fieldsOf(object, 'kubectl').includes('"f:replicas"'), 'the main applier keeps its fields');
    await assert.rejects(registry.apply(type, 'default', 'gone', status, { subresource: 'status', manager: { name: 'ctrl', subresource: 'status' }, force: false }), /not found/);
  });

  test('an object written before managedFields were kept: what it holds is before-first-apply\'s', async (t) => {
    const { registry, type } = await deployments(t);
    await registry.create(type, 'default', deployment({ replicas: 2 }), {});
    const err = await registry.apply(type, 'default', 'web', deployment({ replicas: 3 }), { manager: { name: 'kubectl' }, force: false }).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  });
});

describe('fieldManager on the wire', () => {
  const ADMIN: UserInfo = { name: 'admin', groups: ['system:masters'] };
  const allow: Authorizer = { authorize: async () => ALLOW };
  const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
  const CMS = '/api/v1/namespaces/default/configmaps';

  test('the fieldManager parameter names the manager, else the User-Agent before its "/"; a bad one is a 422', async (t) => {
    const api = await handlerApi(t, allow);
    const created = await api.send(ADMIN, 'PATCH', `${CMS}/c?fieldManager=my-tool`, cm({ a: '1' }), 'application/apply-patch+yaml');
    assert.equal(created.status, 201);
    assert.equal((created.body['metadata'] as { managedFields: ManagedFieldsEntry[] }).managedFields[0]!.manager, 'my-tool');
    const patched = await api.send(ADMIN, 'PATCH', `${CMS}/c`, { data: { b: '2' } }, 'application/merge-patch+json');
    assert.deepEqual((patched.body['metadata'] as { managedFields: ManagedFieldsEntry[] }).managedFields.map((e) => e.manager), ['my-tool', 'node'], 'fetch sends "node" as its User-Agent');
    const untracked = await api.send(ADMIN, 'POST', `${CMS}?fieldManager=my-tool`, { ...cm({ a: '1' }), metadata: { name: 'plain' } });
    assert.equal((untracked.body['metadata'] as { managedFields?: unknown }).managedFields, undefined, 'a create alone keeps none');
    const long = await api.send(ADMIN, 'PUT', `${CMS}/c?fieldManager=${'x'.repeat(129)}`, cm({}));
    assert.equal(long.status, 422);
    assert.equal(long.body['message'], 'UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: must have at most 128 bytes');
    const bad = await api.send(ADMIN, 'POST', `${CMS}?fieldManager=a%07b`, cm({}));
    assert.equal(bad.status, 422);
    assert.equal(bad.body['message'], 'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\ab": invalid character U+0007 (at position 1)');
  });

  test('an apply needs a fieldManager; force is for applies only; an apply answers 201 when it creates, 200 after', async (t) => {
    const api = await handlerApi(t, allow);
    const missing = await api.send(ADMIN, 'PATCH', `${CMS}/c`, cm({ a: '1' }), 'application/apply-patch+yaml');
    assert.equal(missing.status, 422);
    assert.equal(missing.body['message'], 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const forced = await api.send(ADMIN, 'PATCH', `${CMS}/c?force=true`, { data: {} }, 'application/merge-patch+json');
    assert.equal(forced.status, 422);
    assert.equal(forced.body['message'], 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const created = await api.send(ADMIN, 'PATCH', `${CMS}/c?fieldManager=kubectl&force=false`, cm({ a: '1' }), 'application/apply-patch+yaml');
    assert.equal(created.status, 201);
    const again = await api.send(ADMIN, 'PATCH', `${CMS}/c?fieldManager=kubectl`, cm({ a: '1' }), 'application/apply-patch+yaml');
    assert.equal(again.status, 200);
    const withManaged = await api.send(ADMIN, 'PATCH', `${CMS}/c?fieldManager=kubectl`, { ...cm({}), metadata: { name: 'c', managedFields: [] } }, 'application/apply-patch+yaml');
    assert.equal(withManaged.status, 400);
    assert.equal(withManaged.body['message'], 'metadata.managedFields must be nil');
  });
});

// The ClusterRole aggregation controller on a real store and registry with
// the default policy: admin, edit and view hold the union of the roles their
// selectors pick (in upstream's order, each rule once), follow a role that is
// labelled, changed or unlabelled, and write nothing when the union is what
// they hold.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterRole, PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { createLogger } from '../../common/log.js';
import type { KubeObject } from '../../server/api/objects.js';
import { ClusterRoleAggregationController } from '../../server/controllers/clusterrole-aggregation-controller.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });

type Role = KubeObject & ClusterRole;

async function setup(t: TestContext) {
  const { store, catalogue, registry } = await apiRegistry(t);
  const roles = catalogue.get('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const controller = await ClusterRoleAggregationController.start({ registry, catalogue, informers, log: quiet });
  t.after(() => controller.close());
  const rulesOf = async (name: string) => ((await registry.get(roles, undefined, name)) as Role).rules ?? [];
  const create = (name: string, labels: Record<string, string>, rules: PolicyRule[], extra: Partial<ClusterRole> = {}) =>
    registry.create(roles, undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels }, rules, ...extra }, {});
  // Settled: the watch has brought every write and the queue is empty.
  const settled = async () => {
    await sleep(100);
    await controller.settled();
  };
  return { store, registry, roles, controller, rulesOf, create, settled };
}

/** Upstream's union: rules in order, each once. */
function union(...lists: PolicyRule[][]): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const rule of lists.flat()) if (!out.some((r) => JSON.stringify(r) === JSON.stringify(rule))) out.push(rule);
  return out;
}

test('view, edit and admin hold the rules of the roles they select, by name order, each rule once', async (t) => {
  const { rulesOf, settled } = await setup(t);
  const toView = await rulesOf('system:aggregate-to-view');
  const toEdit = await rulesOf('system:aggregate-to-edit');
  const toAdmin = await rulesOf('system:aggregate-to-admin');
  await until(async () => (await rulesOf('admin')).length > 0, 'admin aggregated');
  await settled();
  assert.deepEqual(await rulesOf('view'), toView);
  // edit selects system:aggregate-to-edit and view (labelled aggregate-to-edit), in that order.
  assert.deepEqual(await rulesOf('edit'), union(toEdit, toView));
  // admin selects edit and system:aggregate-to-admin.
  assert.deepEqual(await rulesOf('admin'), union(toEdit, toView, toAdmin));
});

test('a role labelled aggregate-to-view reaches view, edit and admin; its changes follow; unlabelled, it leaves', async (t) => {
  const { registry, roles, rulesOf, create, settled } = await setup(t);
  await until(async () => (await rulesOf('admin')).length > 0, 'admin aggregated');
  const widgets: PolicyRule = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] };
  await create('widgets-view', { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' }, [widgets]);
  for (const name of ['view', 'edit', 'admin']) {
    await until(async () => (await rulesOf(name)).some((r) => r.resources?.[0] === 'widgets'), `${name} has the widgets rule`);
  }
  // "widgets-view" sorts before "system:…" is false: it comes after the default view rules.
  assert.deepEqual((await rulesOf('view')).at(-1), widgets);

  const current = (await registry.get(roles, undefined, 'widgets-view')) as Role;
  const gadgets: PolicyRule = { apiGroups: ['example.com'], resources: ['gadgets'], verbs: ['get'] };
  await registry.update(roles, undefined, 'widgets-view', { ...current, rules: [widgets, gadgets] }, {});
  await until(async () => (await rulesOf('admin')).some((r) => r.resources?.[0] === 'gadgets'), 'a changed rule reaches admin');

  const changed = (await registry.get(roles, undefined, 'widgets-view')) as Role;
  await registry.update(roles, undefined, 'widgets-view', { ...changed, metadata: { ...changed.metadata, labels: {} } }, {});
  await until(async () => !(await rulesOf('view')).some((r) => r.apiGroups?.[0] === 'example.com'), 'unlabelled: gone from view');
  await settled();
  for (const name of ['edit', 'admin']) assert.ok(!(await rulesOf(name)).some((r) => r.apiGroups?.[0] === 'example.com'), name);
});

test('an aggregated role does not select itself, takes a rule two roles share once, and selectors in their order', async (t) => {
  const { rulesOf, create, settled } = await setup(t);
  const own: PolicyRule = { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] };
  const secrets: PolicyRule = { apiGroups: [''], resources: ['secrets'], verbs: ['get'] };
  const pods: PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['list'] };
  const nodes: PolicyRule = { verbs: ['get'], resources: ['nodes'], apiGroups: [''] };
  await create('b-picked', { team: 'a' }, [secrets, pods]);
  await create('a-picked', { team: 'a' }, [pods]);
  await create('other', { tier: 'x' }, [nodes, secrets]);
  await create('team-a', { team: 'a' }, [own], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { tier: 'x' } }, { matchLabels: { team: 'a' } }] } });
  await until(async () => (await rulesOf('team-a')).length === 3, 'team-a aggregated');
  await settled();
  // First selector's roles, then the second's by name (a-picked before b-picked); its own rule is not selected.
  assert.deepEqual(await rulesOf('team-a'), [nodes, secrets, pods]);
});

test('nothing is written when the union is what the roles hold', async (t) => {
  const { store, controller, rulesOf, create, settled } = await setup(t);
  await until(async () => (await rulesOf('admin')).length > 0, 'admin aggregated');
  await settled();
  const before = store.revision;
  // A role no selector picks: its own create is the one write.
  await create('unrelated', { team: 'b' }, [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
  await settled();
  assert.equal(store.revision, before + 1);
  for (const name of ['admin', 'edit', 'view']) await controller.reconcile(name);
  assert.equal(store.revision, before + 1);
});

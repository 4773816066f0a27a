// The default RBAC policy and ClusterRole aggregation as kubectl 1.33 sees
// them on a real `bramble server`: upstream's default roles are there, edit
// shows its aggregated rules, a ClusterRole labelled aggregate-to-view
// reaches view, edit and admin within seconds, and a restart rewrites none
// of the defaults.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterRole } from 'kubernetes-types/rbac/v1.js';
import { parse } from 'yaml';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const WIDGETS_VIEWER = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-viewer
  labels:
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
- apiGroups: ["example.com"]
  resources: ["widgets"]
  verbs: ["get", "list", "watch"]
`;

test('kubectl 1.33: default ClusterRoles, aggregated edit, a chart-style aggregate-to-view role, no rewrite on restart', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  let server = await startServer(t, serverArgs(dataDir));
  const k = await kubectl(t, '1.33', join(dataDir, 'kubeconfig.yaml'));

  const listed = await k.ok(['get', 'clusterrole', 'admin', 'edit', 'view', 'cluster-admin']);
  assert.match(listed, /^NAME\s+CREATED AT\n/);
  for (const name of ['admin', 'edit', 'view', 'cluster-admin']) assert.match(listed, new RegExp(`^${name}\\s+\\d{4}-\\d\\d-\\d\\dT`, 'm'), name);
  assert.match(await k.ok(['get', 'clusterrolebinding', 'cluster-admin', '-o', 'jsonpath={.subjects[*].name}']), /^system:masters$/);

  const editRole = async () => parse(await k.ok(['get', 'clusterrole', 'edit', '-o', 'yaml'])) as ClusterRole;
  await until(async () => ((await editRole()).rules ?? []).length > 0, 'edit aggregated', 10_000);
  const edit = await editRole();
  assert.deepEqual(edit.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }] });
  assert.deepEqual(edit.rules![0], { apiGroups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'secrets'], verbs: ['get', 'list', 'watch'] });
  // view's rules come in through view's aggregate-to-edit label.
  assert.ok(edit.rules!.some((r) => r.apiGroups?.[0] === 'apps' && r.resources?.includes('controllerrevisions')), 'view rules in edit');
  // kubectl top for viewers, as k3s's metrics-server manifest gives it.
  assert.ok(edit.rules!.some((r) => r.apiGroups?.[0] === 'metrics.k8s.io'), 'metrics reader rules in edit');

  assert.equal(await k.ok(['apply', '-f', '-'], WIDGETS_VIEWER), 'clusterrole.rbac.authorization.k8s.io/widgets-viewer created\n');
  const started = Date.now();
  for (const name of ['view', 'edit', 'admin']) {
    await until(async () => (await k.ok(['get', 'clusterrole', name, '-o', 'jsonpath={.rules[*].resources}'])).includes('widgets'), `${name} has the widgets rule`, 5_000);
  }
  t.diagnostic(`aggregated into view, edit and admin in ${Date.now() - started} ms`);

  const versions = async () => k.ok(['get', 'clusterroles,clusterrolebindings', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
  const before = await versions();
  assert.equal(await server.stop(), 0);
  server = await startServer(t, serverArgs(dataDir));
  // Time for the reconcile at start and the aggregation controller's first pass, which must write nothing.
  await sleep(1000);
  assert.equal(await versions(), before);
});

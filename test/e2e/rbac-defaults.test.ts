// The default RBAC policy and ClusterRole aggregation as kubectl 1.33 sees
// them on a real `bramble server`: upstream's default roles are there (and
// their bindings in upstream's columns), edit
// shows its aggregated rules, `kubectl create rolebinding --clusterrole=edit`
// gives a ServiceAccount what edit gives on any cluster, a chart's CRD with a
// ClusterRole labelled aggregate-to-view reaches view, edit and admin within
// seconds (and so the ServiceAccount), and a restart rewrites none of the
// defaults.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterRole } from 'kubernetes-types/rbac/v1.js';
import { parse } from 'yaml';
import { credentialsFrom } from '../helpers/api-client.js';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

// What a Helm chart with a custom resource brings: its CRD, and a role that lets viewers (and so editors and admins) read it.
const WIDGETS = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: rbac.authorization.k8s.io/v1
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

test('kubectl 1.33: default ClusterRoles, rolebinding to edit, a chart role aggregated into view, no rewrite on restart', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  let server = await startServer(t, serverArgs(dataDir));
  const k = await kubectl(t, '1.33', join(dataDir, 'kubeconfig.yaml'));

  const listed = await k.ok(['get', 'clusterrole', 'admin', 'edit', 'view', 'cluster-admin']);
  assert.match(listed, /^NAME\s+CREATED AT\n/);
  for (const name of ['admin', 'edit', 'view', 'cluster-admin']) assert.match(listed, new RegExp(`^${name}\\s+\\d{4}-\\d\\d-\\d\\dT`, 'm'), name);
  assert.equal(await k.ok(['get', 'clusterrolebinding', 'cluster-admin', '-o', 'jsonpath={.subjects[*].name}']), 'system:masters');
  // Upstream's binding columns, the subjects with -o wide.
  assert.match(await k.ok(['get', 'clusterrolebinding', 'cluster-admin']), /^NAME\s+ROLE\s+AGE\ncluster-admin\s+ClusterRole\/cluster-admin\s+\d+s\n$/);
  assert.match(
    await k.ok(['get', 'clusterrolebinding', 'system:public-info-viewer', '-o', 'wide']),
    /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nsystem:public-info-viewer\s+ClusterRole\/system:public-info-viewer\s+\d+s\s+system:authenticated, system:unauthenticated\s*\n$/,
  );

  const editRole = async () => parse(await k.ok(['get', 'clusterrole', 'edit', '-o', 'yaml'])) as ClusterRole;
  await until(async () => ((await editRole()).rules ?? []).length > 0, 'edit aggregated', 10_000);
  const edit = await editRole();
  assert.deepEqual(edit.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' } }] });
  assert.deepEqual(edit.rules![0], { apiGroups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], verbs: ['get', 'list', 'watch'] });
  // view's rules come in through view's aggregate-to-edit label.
  assert.ok(edit.rules!.some((r) => r.apiGroups?.[0] === 'apps' && r.resources?.includes('controllerrevisions')), 'view rules in edit');
  // kubectl top for editors and viewers, as k3s's metrics-server manifest gives it.
  assert.ok(edit.rules!.some((r) => r.apiGroups?.[0] === 'metrics.k8s.io'), 'metrics reader rules in edit');

  // A ServiceAccount bound to edit in one namespace, as users do on any cluster.
  await k.ok(['create', 'namespace', 'team-a']);
  await k.ok(['create', 'serviceaccount', 'robot', '-n', 'team-a']);
  await k.ok(['create', 'rolebinding', 'robot-edits', '--clusterrole=edit', '--serviceaccount=team-a:robot', '-n', 'team-a']);
  const creds = await credentialsFrom(join(dataDir, 'kubeconfig.yaml'));
  const caFile = join(dir, 'ca.crt');
  const emptyKubeconfig = join(dir, 'empty.kubeconfig');
  await writeFile(caFile, creds.ca);
  await writeFile(emptyKubeconfig, '');
  const anonymous = await kubectl(t, '1.33', emptyKubeconfig);
  const token = (await k.ok(['create', 'token', 'robot', '-n', 'team-a'])).trim();
  const robot = (args: string[]) => anonymous.run([`--token=${token}`, `--server=${creds.server}`, `--certificate-authority=${caFile}`, ...args]);
  await until(async () => (await robot(['get', 'pods', '-n', 'team-a'])).code === 0, 'edit granted', 10_000);
  const created = await robot(['create', 'deployment', 'web', '--image=busybox:1.36', '-n', 'team-a']);
  assert.equal(created.stdout, 'deployment.apps/web created\n', created.stderr);
  assert.equal((await robot(['create', 'secret', 'generic', 'pw', '--from-literal=a=b', '-n', 'team-a'])).code, 0);
  const elsewhere = await robot(['get', 'pods', '-n', 'default']);
  assert.match(elsewhere.stderr, /pods is forbidden: User "system:serviceaccount:team-a:robot" cannot list resource "pods" in API group "" in the namespace "default"/);
  const rbacWrite = await robot(['create', 'role', 'mine', '--verb=get', '--resource=pods', '-n', 'team-a']);
  assert.match(rbacWrite.stderr, /cannot create resource "roles"/, 'edit does not grant RBAC writes (admin does)');

  assert.match(await k.ok(['apply', '-f', '-'], WIDGETS), /clusterrole\.rbac\.authorization\.k8s\.io\/widgets-viewer created/);
  const started = Date.now();
  for (const name of ['view', 'edit', 'admin']) {
    await until(async () => (await k.ok(['get', 'clusterrole', name, '-o', 'jsonpath={.rules[*].resources}'])).includes('widgets'), `${name} has the widgets rule`, 5_000);
  }
  t.diagnostic(`aggregated into view, edit and admin in ${Date.now() - started} ms`);
  await until(async () => (await robot(['get', 'widgets', '-n', 'team-a'])).code === 0, 'the robot reads widgets through edit', 10_000);

  const versions = async () => k.ok(['get', 'clusterroles,clusterrolebindings', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}']);
  const before = await versions();
  assert.equal(await server.stop(), 0);
  server = await startServer(t, serverArgs(dataDir));
  // Time for the reconcile at start and the aggregation controller's first pass, which must write nothing.
  await sleep(1000);
  assert.equal(await versions(), before);
});

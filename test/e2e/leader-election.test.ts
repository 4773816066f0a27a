// `bramble server --leader-elect`: the controllers and the scheduler run only
// while the server holds their Leases in kube-system, which kubectl shows as
// it shows kube-controller-manager's and kube-scheduler's; a server that
// stops hands them on at once. A real server, simulated nodes, real kubectl.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { startServer } from '../helpers/bramble.js';
import { cluster } from '../helpers/cluster.js';
import { startFakeKubelet } from '../helpers/fake-kubelet.js';
import { until } from '../helpers/store.js';

test('with --leader-elect the server holds both Leases, its controllers and scheduler work, and a clean stop releases the Leases', async (t) => {
  const c = await cluster(t, undefined, ['--leader-elect', '--node-monitor-grace-period', '1h']);
  await startFakeKubelet(t, c.kubeconfig, ['node-1']);
  let holders: string[] = [];
  await until(async () => {
    const r = await c.k.run(['get', 'leases', '-n', 'kube-system', 'kube-controller-manager', 'kube-scheduler', '--no-headers']);
    holders = r.stdout.trim().split('\n').map((line) => line.split(/\s+/)[1] ?? '');
    return r.code === 0 && holders.length === 2;
  }, 'both Leases', 20_000);
  for (const holder of holders) assert.match(holder, new RegExp(`^${hostname()}_[0-9a-f-]{36}$`));

  const created = await c.k.run(['create', 'deployment', 'web', '--image=busybox', '--replicas=2']);
  assert.equal(created.code, 0, created.stderr);
  const rolled = await c.k.run(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  assert.equal(rolled.code, 0, rolled.stderr);

  assert.equal(await c.server.stop(), 0);
  // Read back without an election of its own, so the Leases are as the stopped server left them.
  c.server = await startServer(t, c.args.filter((arg) => arg !== '--leader-elect'));
  const r = await c.k.run(['get', 'leases', '-n', 'kube-system', 'kube-controller-manager', 'kube-scheduler', '-o', 'jsonpath={range .items[*]}{.spec.holderIdentity}|{.spec.leaseDurationSeconds}{"\\n"}{end}']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['|1', '|1']);
});

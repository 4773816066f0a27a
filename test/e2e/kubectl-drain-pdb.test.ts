// `kubectl drain` against a PodDisruptionBudget on a real `bramble server`:
// a Node made through the API, pods bound to it and marked Running and Ready
// through pods/status (no agent runs them), the disruption controller
// computing the budget, and drain's evictions refused as upstream words it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.33'];

for (const version of VERSIONS) {
  test(`kubectl ${version}: drain is refused for a pod its PodDisruptionBudget protects`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    const { ok } = k;

    await ok(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'pi-1' } }));
    for (const name of ['web-1', 'web-2']) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { nodeName: 'pi-1', containers: [{ name: 'c', image: 'nginx:1.27' }] } };
      await ok(['apply', '-f', '-'], JSON.stringify(pod));
      const status = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
      await ok(['patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    }
    assert.equal(await ok(['create', 'poddisruptionbudget', 'web-pdb', '--selector=app=web', '--min-available=2']), 'poddisruptionbudget.policy/web-pdb created\n');
    await until(
      async () => (await ok(['get', 'pdb', 'web-pdb', '-o', 'jsonpath={.status.observedGeneration} {.status.currentHealthy} {.status.disruptionsAllowed}'])) === '1 2 0',
      'the budget computed: two healthy, no disruption allowed',
      15_000,
    );
    assert.match(await ok(['get', 'pdb']), /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\nweb-pdb\s+2\s+N\/A\s+0\s+\d+s\n$/);

    const drain = await k.run(['drain', 'pi-1', '--ignore-daemonsets', '--force', '--timeout=7s']);
    assert.notEqual(drain.code, 0, 'the drain cannot finish');
    const output = drain.stdout + drain.stderr;
    assert.match(output, /node\/pi-1 cordoned/);
    for (const pod of ['web-1', 'web-2']) {
      assert.ok(
        output.includes(`error when evicting pods/"${pod}" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`),
        `${pod} refused as upstream words it:\n${output}`,
      );
    }
    // Both pods are still there, not being deleted.
    assert.equal(await ok(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.deletionTimestamp};{end}']), 'web-1=;web-2=;');

    // A budget that allows one disruption lets drain evict one pod.
    await ok(['patch', 'pdb', 'web-pdb', '--type=merge', '-p', '{"spec":{"minAvailable":1}}']);
    await until(async () => (await ok(['get', 'pdb', 'web-pdb', '-o', 'jsonpath={.status.observedGeneration} {.status.disruptionsAllowed}'])) === '2 1', 'one disruption allowed', 15_000);
    const second = await k.run(['drain', 'pi-1', '--ignore-daemonsets', '--force', '--timeout=7s']);
    const evicted = (await ok(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.deletionTimestamp};{end}'])).split(';').filter((p) => /=\d{4}-/.test(p));
    assert.equal(evicted.length, 1, `exactly one pod evicted:\n${second.stdout}${second.stderr}`);
    assert.match(second.stdout + second.stderr, /Cannot evict pod as it would violate the pod's disruption budget\./, 'the other one refused');
  });
}

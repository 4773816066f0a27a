// ResourceQuotas and LimitRanges with the real kubectl 1.30 (JSON bodies) and
// 1.33 (protobuf for `kubectl create quota`): what upstream's validation
// accepts and refuses, and the defaults a LimitRange's Container item gets.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const limitRange = (namespace: string, limits: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'mem', namespace }, spec: { limits } });

test('kubectl 1.30 and 1.33: create quota, apply a LimitRange, and upstream’s refusals', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  await startServer(t, serverArgs(dataDir));
  for (const version of ['1.30', '1.33']) {
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    const ns = `quota-${version.replace('.', '-')}`;
    await k.ok(['create', 'namespace', ns]);

    assert.equal(await k.ok(['create', 'quota', 'compute', '--hard=cpu=1,memory=1G,pods=2,services=3', '-n', ns]), 'resourcequota/compute created\n');
    assert.equal(await k.ok(['create', 'quota', 'best-effort', '--hard=pods=100', '--scopes=BestEffort', '-n', ns]), 'resourcequota/best-effort created\n');
    const compute = JSON.parse(await k.ok(['get', 'quota', 'compute', '-n', ns, '-o', 'json'])) as { spec: unknown };
    assert.deepEqual(compute.spec, { hard: { cpu: '1', memory: '1G', pods: '2', services: '3' } });
    // Upstream's columns (what the quota controller fills in: resource-quota.test.ts).
    const quotas = (await k.ok(['get', 'quota', '-n', ns])).trimEnd().split('\n');
    assert.match(quotas[0]!, /^NAME +AGE +REQUEST +LIMIT$/);
    assert.deepEqual(quotas.slice(1).map((line) => line.split(/ +/)[0]), ['best-effort', 'compute']);
    const mixed = await k.run(['create', 'quota', 'mixed', '--hard=cpu=1,pods=2', '--scopes=BestEffort', '-n', ns]);
    assert.notEqual(mixed.code, 0);
    assert.match(mixed.stderr, /ResourceQuota "mixed" is invalid: spec\.scopes: Invalid value: \[\]core\.ResourceQuotaScope\{"BestEffort"\}: unsupported scope applied to resource/);

    assert.equal(await k.ok(['apply', '-f', '-'], limitRange(ns, [{ type: 'Container', max: { memory: '1Gi' }, min: { memory: '500Mi' } }])), 'limitrange/mem created\n');
    const applied = JSON.parse(await k.ok(['get', 'limits', 'mem', '-n', ns, '-o', 'json'])) as { spec: unknown };
    assert.deepEqual(applied.spec, { limits: [{ type: 'Container', max: { memory: '1Gi' }, min: { memory: '500Mi' }, default: { memory: '1Gi' }, defaultRequest: { memory: '1Gi' } }] });
    assert.match(await k.ok(['get', 'limits', '-n', ns]), /^NAME +CREATED AT\nmem +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    const refused = await k.run(['apply', '-f', '-'], { stdin: limitRange(ns, [{ type: 'Pod', max: { memory: '1Gi' }, default: { memory: '1Gi' } }]) });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /LimitRange "mem" is invalid: spec\.limits\[0\]\.default: Forbidden: may not be specified when `type` is 'Pod'/);
  }
});

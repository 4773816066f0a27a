// `kubectl autoscale` and HorizontalPodAutoscalers in both served versions
// with the real kubectl 1.27, 1.30 and 1.33: 1.33 sends autoscaling/v2 as
// protobuf, 1.27 and 1.30 send autoscaling/v1 as JSON; either way the HPA is
// one object, read in v2 (kubectl get, describe) and in v1.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl, type Kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.30', '1.33'];

const v1Manifest = (name: string) =>
  JSON.stringify({
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
  });

async function ok(k: Kubectl, args: string[], stdin?: string): Promise<string> {
  const r = await k.run(args, stdin === undefined ? {} : { stdin });
  assert.equal(r.code, 0, `kubectl ${k.version} ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

test('kubectl 1.27, 1.30 and 1.33: autoscale, get hpa in v2 and v1, describe, apply an autoscaling/v1 manifest, watch in v1, delete', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  await startServer(t, serverArgs(dataDir));
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const newest = await kubectl(t, '1.33', kubeconfig);
  await ok(newest, ['create', 'deployment', 'web', '--image=nginx']);

  for (const version of VERSIONS) {
    const k = await kubectl(t, version, kubeconfig);
    const autoscaled = await k.run(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=3', '-v=6']);
    assert.equal(autoscaled.code, 0, autoscaled.stderr);
    assert.equal(autoscaled.stdout, 'horizontalpodautoscaler.autoscaling/web autoscaled\n');
    // 1.33 tries autoscaling/v2 (protobuf) first; it must not need its autoscaling/v1 fallback.
    const posted = version === '1.33' ? 'autoscaling/v2' : 'autoscaling/v1';
    assert.match(autoscaled.stderr, new RegExp(`POST.*/apis/${posted}/namespaces/default/horizontalpodautoscalers.*201 Created`), autoscaled.stderr);
    assert.doesNotMatch(autoscaled.stderr, /Falling back/);

    assert.match(await ok(k, ['get', 'hpa']), /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\nweb\s+Deployment\/web\s+cpu: <unknown>\/50%\s+1\s+3\s+\d+\s+\d+s\n$/);
    // kubectl 1.30+ drop the version of a short name (hpa.v1.autoscaling reads the preferred v2): the full name keeps it.
    const v1Name = version === '1.27' ? 'hpa.v1.autoscaling' : 'horizontalpodautoscalers.v1.autoscaling';
    const v1Yaml = await ok(k, ['get', v1Name, 'web', '-o', 'yaml']);
    assert.match(v1Yaml, /^apiVersion: autoscaling\/v1$/m);
    assert.match(v1Yaml, /^ {2}targetCPUUtilizationPercentage: 50$/m);
    assert.match(v1Yaml, /^ {2}minReplicas: 1$/m);
    const v2 = JSON.parse(await ok(k, ['get', 'hpa', 'web', '-o', 'json'])) as { apiVersion: string; spec: Record<string, unknown> };
    assert.equal(v2.apiVersion, 'autoscaling/v2');
    assert.deepEqual(v2.spec, {
      maxReplicas: 3,
      metrics: [{ resource: { name: 'cpu', target: { averageUtilization: 50, type: 'Utilization' } }, type: 'Resource' }],
      minReplicas: 1,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    });

    const described = await ok(k, ['describe', 'hpa', 'web']);
    assert.match(described, /^Reference:\s+Deployment\/web$/m);
    assert.match(described, /^ {2}resource cpu on pods {2}\(as a percentage of request\):\s+<unknown> \/ 50%$/m);
    assert.match(described, /^Min replicas:\s+1$/m);
    assert.match(described, /^Max replicas:\s+3$/m);

    // kubectl's default --validate=strict passes for an autoscaling/v1 manifest.
    const name = `api-${version.replace('.', '-')}`;
    assert.equal(await ok(k, ['apply', '-f', '-'], v1Manifest(name)), `horizontalpodautoscaler.autoscaling/${name} created\n`);
    const applied = JSON.parse(await ok(k, ['get', 'hpa', name, '-o', 'json'])) as { spec: { minReplicas: number; maxReplicas: number; metrics: unknown } };
    assert.deepEqual([applied.spec.minReplicas, applied.spec.maxReplicas, applied.spec.metrics], [2, 5, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]]);
    assert.equal(await ok(k, ['apply', '-f', '-'], v1Manifest(name).replace('"maxReplicas":5', '"maxReplicas":6')), `horizontalpodautoscaler.autoscaling/${name} configured\n`);
    assert.match(await ok(k, ['get', 'hpa', name, '--no-headers']), new RegExp(`^${name}\\s+Deployment/web\\s+cpu: \\S+/70%\\s+2\\s+6\\s`));

    // A watch and a list in v1 carry v1 objects.
    const events = (await ok(k, ['get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?watch=true&timeoutSeconds=1']))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; object: { apiVersion: string; metadata: { name: string }; spec: { targetCPUUtilizationPercentage?: number } } });
    assert.deepEqual(
      events.map((e) => [e.type, e.object.apiVersion, e.object.metadata.name, e.object.spec.targetCPUUtilizationPercentage]).sort(),
      [['ADDED', 'autoscaling/v1', name, 70], ['ADDED', 'autoscaling/v1', 'web', 50]],
    );
    const list = JSON.parse(await ok(k, ['get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers'])) as { kind: string; apiVersion: string; items: { spec: unknown }[] };
    assert.deepEqual([list.kind, list.apiVersion, list.items.length], ['HorizontalPodAutoscalerList', 'autoscaling/v1', 2]);

    assert.equal(await ok(k, ['delete', 'hpa', 'web', name]), `horizontalpodautoscaler.autoscaling "web" deleted\nhorizontalpodautoscaler.autoscaling "${name}" deleted\n`);
    assert.equal(await ok(k, ['get', 'hpa']), '');
  }

  // The API checks what kubectl does not: upstream's messages.
  const invalid = await newest.run(['apply', '-f', '-'], {
    stdin: JSON.stringify({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'bad' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: '' }, minReplicas: 0, maxReplicas: 3 },
    }),
  });
  assert.notEqual(invalid.code, 0);
  assert.equal(
    invalid.stderr.trim(),
    [
      'The HorizontalPodAutoscaler "bad" is invalid: ',
      '* spec.minReplicas: Invalid value: 0: must be greater than or equal to 1',
      '* spec.scaleTargetRef.name: Required value',
      // Validated after the default cpu metric is filled in, as upstream does.
      '* spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas',
    ].join('\n'),
  );
});

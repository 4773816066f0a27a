// kubectl's typed create commands (protobuf bodies from 1.32 on, JSON before),
// the defaults a real cluster fills in, Services with their addresses, and the
// pods/binding and pods/eviction subresources.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.30', '1.33'];

for (const version of VERSIONS) {
  test(`kubectl ${version}: typed create commands, services, pods -o wide, get all, binding and eviction`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    const ok = async (...args: string[]) => {
      const r = await k.run(args);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stderr}`);
      return r.stdout;
    };

    const created: [string[], string][] = [
      [['create', 'namespace', 'demo'], 'namespace/demo created'],
      [['create', 'configmap', 'cfg', '--from-literal=a=b'], 'configmap/cfg created'],
      [['create', 'secret', 'generic', 'sec', '--from-literal=password=s3cret'], 'secret/sec created'],
      [['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2'], 'deployment.apps/web created'],
      [['create', 'service', 'clusterip', 'web', '--tcp=80:8080'], 'service/web created'],
      [['create', 'service', 'nodeport', 'edge', '--tcp=80:8080'], 'service/edge created'],
      [['create', 'job', 'once', '--image=busybox'], 'job.batch/once created'],
      [['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *'], 'cronjob.batch/tick created'],
      [['create', 'serviceaccount', 'bot'], 'serviceaccount/bot created'],
      [['create', 'role', 'reader', '--verb=get', '--resource=pods'], 'role.rbac.authorization.k8s.io/reader created'],
      [['create', 'rolebinding', 'bot-reads', '--role=reader', '--serviceaccount=demo:bot'], 'rolebinding.rbac.authorization.k8s.io/bot-reads created'],
    ];
    for (const [args, line] of created) {
      const namespaced = args[1] === 'namespace' ? args : [...args, '-n', 'demo'];
      assert.equal(await ok(...namespaced), `${line}\n`);
    }

    // What a real cluster fills in.
    const deploy = JSON.parse(await ok('get', 'deployment', 'web', '-n', 'demo', '-o', 'json')) as {
      spec: { replicas: number; strategy: unknown; revisionHistoryLimit: number; template: { spec: { containers: { imagePullPolicy: string; terminationMessagePath: string }[]; restartPolicy: string } } };
      metadata: { generation: number };
    };
    assert.equal(deploy.spec.replicas, 2);
    assert.deepEqual(deploy.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(deploy.spec.revisionHistoryLimit, 10);
    assert.equal(deploy.spec.template.spec.containers[0]!.imagePullPolicy, 'IfNotPresent');
    assert.equal(deploy.spec.template.spec.containers[0]!.terminationMessagePath, '/dev/termination-log');
    assert.equal(deploy.spec.template.spec.restartPolicy, 'Always');
    assert.equal(deploy.metadata.generation, 1);
    assert.equal(await ok('get', 'secret', 'sec', '-n', 'demo', '-o', 'jsonpath={.data.password}'), Buffer.from('s3cret').toString('base64'));

    // Services as kubectl shows them: a cluster IP from the service range, a node port.
    const services = await ok('get', 'services', '-n', 'demo');
    assert.match(services, /^web\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+s$/m);
    assert.match(services, /^edge\s+NodePort\s+10\.43\.\d+\.\d+\s+<none>\s+80:3\d{4}\/TCP\s+\d+s$/m);

    // A pod no node is there for (the scheduler leaves it Pending), then bound by hand, then evicted.
    assert.equal(await ok('run', 'solo', '--image=nginx:1.27', '-n', 'demo'), 'pod/solo created\n');
    // (The Deployment's and the Job's pods are there too, made by their controllers: this looks at one pod.)
    assert.match(await ok('get', 'pod', 'solo', '-n', 'demo', '-o', 'wide'), /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\nsolo\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>\n$/);
    const binding = join(dir, 'binding.json');
    await writeFile(binding, JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'solo' }, target: { apiVersion: 'v1', kind: 'Node', name: 'pi-1' } }));
    await ok('create', '--raw', '/api/v1/namespaces/demo/pods/solo/binding', '-f', binding);
    assert.equal(await ok('get', 'pod', 'solo', '-n', 'demo', '-o', 'jsonpath={.spec.nodeName}'), 'pi-1');
    const again = await k.run(['create', '--raw', '/api/v1/namespaces/demo/pods/solo/binding', '-f', binding]);
    assert.notEqual(again.code, 0, 'a bound pod cannot be bound again');
    assert.match(again.stderr, /already assigned to node "pi-1"/);
    const eviction = join(dir, 'eviction.json');
    await writeFile(eviction, JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'solo', namespace: 'demo' } }));
    await ok('create', '--raw', '/api/v1/namespaces/demo/pods/solo/eviction', '-f', eviction);
    // Bound and not finished: evicted gracefully, Terminating until its node's agent has stopped it (pi-1 has none here).
    assert.match(await ok('get', 'pod', 'solo', '-n', 'demo', '-o', 'jsonpath={.metadata.deletionTimestamp} {.metadata.deletionGracePeriodSeconds}'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 30$/);
    await ok('delete', 'pod', 'solo', '-n', 'demo', '--force', '--grace-period=0');
    assert.match((await k.run(['get', 'pod', 'solo', '-n', 'demo'])).stderr, /pods "solo" not found/);

    // The "all" category.
    const all = await ok('get', 'all', '-n', 'demo', '-o', 'name');
    for (const name of ['service/web', 'service/edge', 'deployment.apps/web', 'job.batch/once', 'cronjob.batch/tick']) assert.match(all, new RegExp(`^${name}$`, 'm'));
  });
}

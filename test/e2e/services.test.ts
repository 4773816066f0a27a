// Services with real processes: `bramble server` (its scheduler binds pods
// to the fake kubelet's two nodes, which marks them Running and Ready with
// pod IPs) and the real kubectl reading the Endpoints and EndpointSlices the
// controllers keep, what users write of them validated as upstream does,
// and the default ServiceAccount of a new namespace.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { startFakeKubelet } from '../helpers/fake-kubelet.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const manifests = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
${['web-1', 'web-2', 'web-held']
  .map(
    (name) => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: web}}
spec:
  containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 8080}]}]`,
  )
  .join('\n')}
`;

test('kubectl shows the ready pods of a service in its Endpoints, EndpointSlices and description; a pod held NotReady is not ready; Endpoints and slices users write are validated; a new namespace gets a default ServiceAccount', async (t) => {
  const dir = await tempDir(t);
  await startServer(t, [...serverArgs(dir), '--node-monitor-grace-period', '1h']);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const kubelet = await startFakeKubelet(t, kubeconfig, ['node-1', 'node-2']);
  kubelet.holdNotReady((pod) => pod.metadata?.name === 'web-held');
  const k = await kubectl(t, '1.33', kubeconfig);

  const applied = await k.run(['apply', '-f', '-'], { stdin: manifests });
  assert.equal(applied.code, 0, applied.stderr);
  const ipOf = async (pod: string) => (await k.run(['get', 'pod', pod, '-o', 'jsonpath={.status.podIP}'])).stdout;
  const nodeOf = async (pod: string) => (await k.run(['get', 'pod', pod, '-o', 'jsonpath={.spec.nodeName}'])).stdout;
  await until(async () => (await ipOf('web-1')) !== '' && (await ipOf('web-2')) !== '' && (await ipOf('web-held')) !== '', 'pod IPs', 15_000);
  const [ip1, ip2, held] = [await ipOf('web-1'), await ipOf('web-2'), await ipOf('web-held')];
  /** The ENDPOINTS cell: the addresses in order, on the target port. */
  const cell = (...ips: string[]) => ips.sort().map((ip) => `${ip}:8080`).join(',');
  const ready = cell(ip1, ip2);

  const get = async (args: string[]) => {
    const r = await k.run(args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const endpointsRow = (addresses: string) => new RegExp(`^web\\s+${addresses.replaceAll('.', '\\.')}\\s+\\S+\\s*$`, 'm');
  await until(async () => endpointsRow(ready).test(await get(['get', 'endpoints', 'web'])), 'the ready endpoints', 15_000);
  assert.equal(await get(['get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].notReadyAddresses[*].ip}']), held, 'the held pod is not ready');

  // kubectl's columns for EndpointSlices (every endpoint, ready or not), and its describer, one "- Addresses:" block per endpoint.
  const header = (await get(['get', 'endpointslices'])).split('\n')[0];
  assert.match(header!, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/);
  await until(
    async () => {
      const row = /^web-[a-z0-9]{5}\s+IPv4\s+8080\s+(\S+)\s+\S+$/m.exec(await get(['get', 'endpointslices']));
      return row !== null && row[1]!.split(',').sort().join() === [ip1, ip2, held].sort().join();
    },
    'the slice row',
    15_000,
  );
  const sliceEndpoints = async () => {
    const described = await get(['describe', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
    assert.match(described, /^Labels:\s+endpointslice\.kubernetes\.io\/managed-by=endpointslice-controller\.k8s\.io$/m);
    assert.match(described, /^Ports:\n\s+Name\s+Port\s+Protocol\n\s+-+\s+-+\s+-+\n\s+http\s+8080\s+TCP$/m);
    return new Map(
      described
        .split('- Addresses:')
        .slice(1)
        .map((block) => [block.trim().split(/\s/)[0]!, { ready: /Ready:\s+(\S+)/.exec(block)?.[1], pod: /TargetRef:\s+(\S+)/.exec(block)?.[1], node: /NodeName:\s+(\S+)/.exec(block)?.[1] }]),
    );
  };
  const endpoints = await sliceEndpoints();
  assert.deepEqual(endpoints.get(ip1), { ready: 'true', pod: 'Pod/web-1', node: await nodeOf('web-1') });
  assert.deepEqual(endpoints.get(ip2), { ready: 'true', pod: 'Pod/web-2', node: await nodeOf('web-2') });
  assert.deepEqual(endpoints.get(held), { ready: 'false', pod: 'Pod/web-held', node: await nodeOf('web-held') });
  // kubectl 1.33 describes a service's endpoints from its slices, in the slices' order.
  const described = /^Endpoints:\s+(\S+)$/m.exec(await get(['describe', 'service', 'web']))?.[1];
  assert.equal(described?.split(',').sort().join(','), ready);

  // The held pod turns Ready; a deleted pod goes.
  kubelet.holdNotReady(undefined);
  await kubelet.recheck();
  await until(async () => endpointsRow(cell(ip1, ip2, held)).test(await get(['get', 'endpoints', 'web'])), 'all three ready', 15_000);
  await until(async () => (await sliceEndpoints()).get(held)?.ready === 'true', 'the held endpoint ready', 15_000);
  await get(['delete', 'pod', 'web-1']);
  await until(async () => endpointsRow(cell(ip2, held)).test(await get(['get', 'endpoints', 'web'])), 'the deleted pod gone', 15_000);

  // The service goes with its Endpoints and slices.
  await get(['delete', 'service', 'web']);
  await until(async () => (await k.run(['get', 'endpoints', 'web'])).code !== 0, 'the Endpoints gone', 15_000);
  assert.match((await k.run(['get', 'endpoints', 'web'])).stderr, /endpoints "web" not found/);
  await until(async () => (await get(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'name'])) === '', 'the slices gone', 15_000);

  // What users write themselves is validated as upstream validates it.
  const loopback = await k.run(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: Endpoints\nmetadata: {name: ext}\nsubsets: [{addresses: [{ip: 127.0.0.1}], ports: [{port: 5432}]}]\n' });
  assert.notEqual(loopback.code, 0);
  assert.match(loopback.stderr, /Endpoints "ext" is invalid: subsets\[0\]\.addresses\[0\]\.ip: Invalid value: "127\.0\.0\.1": may not be in the loopback range \(127\.0\.0\.0\/8, ::1\/128\)/);
  const slice = (addressType: string) =>
    `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: ext-1}\naddressType: ${addressType}\nendpoints: [{addresses: ["192.0.2.10"]}]\nports: [{port: 5432}]\n`;
  assert.equal((await k.run(['apply', '-f', '-'], { stdin: slice('IPv4') })).code, 0);
  assert.equal(await get(['get', 'endpointslice', 'ext-1', '-o', 'jsonpath={.ports[0].name}/{.ports[0].protocol}']), '/TCP');
  const changed = await k.run(['apply', '-f', '-'], { stdin: slice('IPv6') });
  // kubectl lists each cause of a refused patch on a line of its own.
  assert.equal(
    changed.stderr,
    'The EndpointSlice "ext-1" is invalid: \n* endpoints[0].addresses[0]: Invalid value: "192.0.2.10": must be a valid IPv6 address\n* addressType: Invalid value: "IPv6": field is immutable\n',
  );

  await get(['create', 'namespace', 'x']);
  await until(async () => /^default\s+0\s+\S+$/m.test(await get(['get', 'sa', '-n', 'x'])), 'the default ServiceAccount of x', 15_000);
});

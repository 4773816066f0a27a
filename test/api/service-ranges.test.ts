import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { rulesFor, withServiceRanges } from '../../server/api/kinds/index.js';
import { ServiceRanges } from '../../server/api/kinds/service-ranges.js';
import type { KubeObject } from '../../server/api/objects.js';
import { ApiError } from '../../server/api/status.js';
import { apiRegistry } from '../helpers/api-registry.js';

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t, { rules: (store) => withServiceRanges(rulesFor, new ServiceRanges(store)) });
  return { registry, services: catalogue.get('', 'v1', 'services')! };
}

const service = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

const specOf = (obj: KubeObject) => obj['spec'] as { clusterIP?: string; clusterIPs?: string[]; ports: { nodePort?: number }[] };

test('a Service gets a free cluster IP from the service CIDR, a NodePort service a node port', async (t) => {
  const { registry, services } = await setup(t);
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const spec = specOf(await registry.create(services, 'default', service(`s${i}`), {}));
    assert.match(spec.clusterIP!, /^10\.43\.\d+\.\d+$/);
    assert.notEqual(spec.clusterIP, '10.43.0.1', 'the first address is the API service');
    assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
    assert.ok(!seen.has(spec.clusterIP!), 'addresses are unique');
    seen.add(spec.clusterIP!);
  }
  const nodePort = specOf(await registry.create(services, 'default', service('np', { type: 'NodePort' }), {}));
  assert.ok(nodePort.ports[0]!.nodePort! >= 30000 && nodePort.ports[0]!.nodePort! <= 32767);
  const headless = specOf(await registry.create(services, 'default', service('hl', { clusterIP: 'None' }), {}));
  assert.equal(headless.clusterIP, 'None');
});

test('an address or port in use is refused as upstream words it; deleting a Service frees them', async (t) => {
  const { registry, services } = await setup(t);
  await registry.create(services, 'default', service('a', { clusterIP: '10.43.7.7', type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }), {});
  const refusal = async (obj: KubeObject) => {
    try {
      await registry.create(services, 'default', obj, {});
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return err;
    }
    return assert.fail('expected a refusal');
  };
  const ip = await refusal(service('b', { clusterIP: '10.43.7.7' }));
  assert.equal(ip.code, 422);
  assert.match(ip.message, /spec.clusterIPs: Invalid value: \[\]string\{"10.43.7.7"\}: failed to allocate IP 10.43.7.7: provided IP is already allocated/);
  const port = await refusal(service('c', { type: 'NodePort', ports: [{ port: 81, nodePort: 1 }, { port: 80, nodePort: 31000 }] }));
  assert.match(port.message, /spec.ports\[\d\].nodePort: Invalid value/);
  const outside = await refusal(service('d', { clusterIP: '192.168.1.1' }));
  assert.match(outside.message, /not in the valid range/);
  // A refused create leaves nothing claimed.
  assert.equal(specOf(await registry.create(services, 'default', service('e', { type: 'NodePort', ports: [{ port: 81, nodePort: 31001 }] }), {})).ports[0]!.nodePort, 31001);

  await registry.delete(services, 'default', 'a', {});
  const again = specOf(await registry.create(services, 'default', service('f', { clusterIP: '10.43.7.7', type: 'NodePort', ports: [{ port: 80, nodePort: 31000 }] }), {}));
  assert.equal(again.clusterIP, '10.43.7.7');
  assert.equal(again.ports[0]!.nodePort, 31000);
});

test('changing a NodePort service to ClusterIP gives its node port back; a dry run claims nothing', async (t) => {
  const { registry, services } = await setup(t);
  await registry.create(services, 'default', service('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 31500 }] }), {});
  await registry.patch(services, 'default', 'a', (current) => {
    const spec = current['spec'] as { type: string; ports: { nodePort?: number }[] };
    spec.type = 'ClusterIP';
    delete spec.ports[0]!.nodePort;
    return current;
  }, {});
  const dry = specOf(await registry.create(services, 'default', service('b', { clusterIP: '10.43.9.9', type: 'NodePort', ports: [{ port: 80, nodePort: 31500 }] }), { dryRun: true }));
  assert.equal(dry.ports[0]!.nodePort, 31500, 'the freed port can be had');
  const real = specOf(await registry.create(services, 'default', service('c', { clusterIP: '10.43.9.9', type: 'NodePort', ports: [{ port: 80, nodePort: 31500 }] }), {}));
  assert.equal(real.clusterIP, '10.43.9.9', 'the dry run held nothing');
});

// Where a proxy request goes (server/api/http/proxy-location.ts), over a
// real registry: a pod's port forms and defaults, and a service's choice
// among its Endpoints. The refusals' Statuses are checked end to end in
// test/streams/pod-proxy.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podLocation, type ProxyTypes, serviceLocation } from '../../server/api/http/proxy-location.js';
import { apiRegistry } from '../helpers/api-registry.js';

async function setup(t: Parameters<typeof apiRegistry>[0]) {
  const { registry, catalogue } = await apiRegistry(t);
  const types: ProxyTypes = { pods: catalogue.get('', 'v1', 'pods')!, services: catalogue.get('', 'v1', 'services')!, endpoints: catalogue.get('', 'v1', 'endpoints')! };
  const pod = async (name: string, ip: string, ports: { name?: string; containerPort: number }[] = [], node = 'pi-1') => {
    await registry.create(types.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x', ports }] } }, { dryRun: false });
    await registry.patch(types.pods, 'default', name, (p) => ({ ...p, status: { podIPs: [{ ip }] } }), { dryRun: false, subresource: 'status' });
  };
  return { registry, types, pod };
}

test('a pod: the port named, numbered, the first container port, or the scheme\'s; its first IP, bracketed when IPv6', async (t) => {
  const { registry, types, pod } = await setup(t);
  await pod('web', '10.88.0.5', [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }]);
  await pod('bare', 'fd00::5');
  const at = async (id: string) => {
    const l = await podLocation(registry, types, 'default', id);
    return [l.tls, l.host, l.address, l.port, l.pod.name, l.pod.nodeName, l.dialError];
  };
  assert.deepEqual(await at('web'), [false, '10.88.0.5:8080', '10.88.0.5:8080', 8080, 'web', 'pi-1', undefined]);
  assert.deepEqual(await at('web:metrics'), [false, '10.88.0.5:metrics', '10.88.0.5:9100', 9100, 'web', 'pi-1', undefined]);
  assert.deepEqual(await at('https:web:08443'), [true, '10.88.0.5:08443', '10.88.0.5:8443', 8443, 'web', 'pi-1', undefined]);
  assert.deepEqual(await at('bare'), [false, '[fd00::5]', '[fd00::5]:80', 80, 'bare', 'pi-1', undefined]);
  assert.deepEqual(await at('https:bare:'), [true, '[fd00::5]', '[fd00::5]:443', 443, 'bare', 'pi-1', undefined]);
  assert.deepEqual(await at('web:70000'), [false, '10.88.0.5:70000', '10.88.0.5:70000', 0, 'web', 'pi-1', 'dial tcp: address 70000: invalid port']);
});

test('a service: a random ready address among those whose pod has that IP in the namespace, on the port of that name', async (t) => {
  const { registry, types, pod } = await setup(t);
  await pod('one', '10.88.0.1');
  await pod('two', '10.88.0.2', [], 'pi-2');
  await registry.create(types.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } }, { dryRun: false });
  const ref = (name: string, namespace = 'default') => ({ kind: 'Pod', namespace, name });
  await registry.create(
    types.endpoints,
    'default',
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web' },
      subsets: [
        {
          addresses: [
            { ip: '10.88.0.1', targetRef: ref('one') },
            { ip: '10.88.0.2', targetRef: ref('two') },
            // Never: no pod, a pod of another namespace, a pod without that IP, no reference.
            { ip: '10.88.0.3', targetRef: ref('gone') },
            { ip: '10.88.0.1', targetRef: ref('one', 'other') },
            { ip: '10.88.0.9', targetRef: ref('one') },
            { ip: '10.88.0.1' },
          ],
          notReadyAddresses: [{ ip: '10.88.0.2', targetRef: ref('two') }],
          ports: [{ port: 8080 }],
        },
      ],
    },
    { dryRun: false },
  );
  const chosen = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const l = await serviceLocation(registry, types, 'default', i % 2 === 0 ? 'web' : 'web:80');
    assert.equal(l.port, 8080);
    chosen.add(`${l.host} ${l.pod.name} ${l.pod.nodeName}`);
  }
  assert.deepEqual([...chosen].sort(), ['10.88.0.1:8080 one pi-1', '10.88.0.2:8080 two pi-2']);
});

// The Endpoints and EndpointSlice controllers on a real store and registry:
// pods are given their node, IP and readiness by writing their status as a
// kubelet would, and both controllers' objects follow pods and services.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoints, Event, PodSpec } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { createLogger } from '../../common/log.js';
import { rulesFor, withServiceRanges } from '../../server/api/kinds/index.js';
import { ServiceRanges } from '../../server/api/kinds/service-ranges.js';
import type { KubeObject } from '../../server/api/objects.js';
import { ApiError } from '../../server/api/status.js';
import { EndpointSliceController } from '../../server/controllers/endpointslice-controller.js';
import { EndpointsController } from '../../server/controllers/endpoints-controller.js';
import { GarbageCollector } from '../../server/controllers/garbage-collector.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });
const READY_TIME = '2024-05-01T10:00:00Z';

type Slice = KubeObject & EndpointSlice;
type EndpointsObject = KubeObject & Endpoints;

interface PodOptions {
  labels?: Record<string, string>;
  node?: string;
  ip?: string;
  ready?: boolean;
  ports?: { name: string; containerPort: number }[];
  spec?: Partial<PodSpec>;
  finalizers?: string[];
}

async function setup(t: TestContext, opts: { garbageCollector?: boolean } = {}) {
  const { catalogue, registry } = await apiRegistry(t, { rules: (store) => withServiceRanges(rulesFor, new ServiceRanges(store)) });
  const type = (group: string, plural: string) => catalogue.get(group, 'v1', plural)!;
  const [pods, services, endpoints, slices, nodes, events] = [
    type('', 'pods'),
    type('', 'services'),
    type('', 'endpoints'),
    type('discovery.k8s.io', 'endpointslices'),
    type('', 'nodes'),
    type('', 'events'),
  ];
  for (const [name, zone] of [['node-a', 'zone-1'], ['node-b', undefined]] as const) {
    const labels = { 'kubernetes.io/hostname': name, ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}) };
    await registry.create(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } }, {});
  }
  // The controllers with caches of their own, as a server (re)starting has them.
  const startControllers = async () => {
    const informers = new SharedInformers(registry, catalogue, quiet);
    const deps = { registry, catalogue, informers, log: quiet };
    const endpoints = await EndpointsController.start(deps);
    const slices = await EndpointSliceController.start(deps);
    const collector = opts.garbageCollector ? await GarbageCollector.start(deps) : undefined;
    const close = async () => {
      await collector?.close();
      await slices.close();
      await endpoints.close();
      await informers.close();
    };
    return { endpoints, slices, close };
  };
  let controllers = await startControllers();
  t.after(() => controllers.close());

  let n = 0;
  const setStatus = (name: string, ip: string, ready: boolean) =>
    registry.patch(
      pods,
      'default',
      name,
      (pod) => ({
        ...pod,
        status: {
          phase: 'Running',
          podIP: ip,
          podIPs: [{ ip }],
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: READY_TIME }],
        },
      }),
      { subresource: 'status' },
    );
  const c = {
    registry,
    pods,
    services,
    endpointsType: endpoints,
    async pod(name: string, opts: PodOptions = {}): Promise<string> {
      const ip = opts.ip ?? `10.42.${Math.floor(++n / 250)}.${(n % 250) + 1}`;
      const container = { name: 'c', image: 'busybox', ...(opts.ports ? { ports: opts.ports } : {}) };
      await registry.create(
        pods,
        'default',
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: opts.labels ?? { app: 'web' }, ...(opts.finalizers ? { finalizers: opts.finalizers } : {}) },
          spec: { nodeName: opts.node ?? 'node-a', containers: [container], ...opts.spec },
        },
        {},
      );
      await setStatus(name, ip, opts.ready ?? true);
      return ip;
    },
    setReady: async (name: string, ready: boolean) => {
      const pod = await registry.get(pods, 'default', name);
      await setStatus(name, (pod['status'] as { podIP: string }).podIP, ready);
    },
    service: (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
      registry.create(services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name, ...(labels ? { labels } : {}) }, spec }, {}),
    endpoints: async (name: string) => {
      try {
        return (await registry.get(endpoints, 'default', name)) as EndpointsObject;
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) return undefined;
        throw err;
      }
    },
    /** The reasons and messages of the Warning events about the object of that kind and name. */
    warnings: async (kind: string, name: string) =>
      (await registry.list(events, 'default', {})).items
        .map((e) => e as unknown as Event)
        .filter((e) => e.type === 'Warning' && e.involvedObject.kind === kind && e.involvedObject.name === name)
        .map((e) => `${e.reason}: ${e.message}`),
    slices: async (service: string) =>
      (await registry.list(slices, 'default', {})).items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === service) as Slice[],
    restart: async () => {
      await controllers.close();
      controllers = await startControllers();
    },
    settled: async () => {
      await controllers.endpoints.settled();
      await controllers.slices.settled();
    },
    /** Waits until both controllers show `check` true (and have nothing left to do). */
    until: async (check: () => Promise<boolean>, what: string, timeoutMs = 5000) => {
      await until(async () => {
        await controllers.endpoints.settled();
        await controllers.slices.settled();
        return check();
      }, what, timeoutMs);
    },
  };
  return c;
}

type Cluster = Awaited<ReturnType<typeof setup>>;

const ips = (list: { ip: string }[] | undefined) => (list ?? []).map((a) => a.ip).sort();
const readyIPs = async (c: Cluster, name: string) => ips((await c.endpoints(name))?.subsets?.flatMap((s) => s.addresses ?? []));
const notReadyIPs = async (c: Cluster, name: string) => ips((await c.endpoints(name))?.subsets?.flatMap((s) => s.notReadyAddresses ?? []));
const sliceEndpoints = async (c: Cluster, name: string) => (await c.slices(name)).flatMap((s) => s.endpoints ?? []);
const sameList = (a: string[], b: string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

test('a service selects its pods: ready ones in addresses, others in notReadyAddresses; slices carry both with conditions, node, zone and owner', async (t) => {
  const c = await setup(t);
  const ready = await c.pod('web-1', { node: 'node-a' });
  const notReady = await c.pod('web-2', { node: 'node-b', ready: false });
  await c.pod('other', { labels: { app: 'other' } });
  const service = await c.service('web', { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] }, { tier: 'front' });

  await c.until(async () => sameList(await readyIPs(c, 'web'), [ready]) && sameList(await notReadyIPs(c, 'web'), [notReady]), 'the endpoints');
  const endpoints = (await c.endpoints('web'))!;
  assert.deepEqual(endpoints.metadata.labels, { tier: 'front' });
  assert.equal(endpoints.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], service.metadata.creationTimestamp);
  assert.deepEqual(endpoints.subsets, [
    {
      addresses: [{ ip: ready, nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: (await c.registry.get(c.pods, 'default', 'web-1')).metadata.uid } }],
      notReadyAddresses: [{ ip: notReady, nodeName: 'node-b', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-2', uid: (await c.registry.get(c.pods, 'default', 'web-2')).metadata.uid } }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    },
  ]);

  await c.until(async () => (await sliceEndpoints(c, 'web')).length === 2, 'the slice');
  const [slice, ...more] = await c.slices('web');
  assert.equal(more.length, 0);
  assert.match(slice!.metadata.name!, /^web-[a-z0-9]{5}$/);
  assert.deepEqual(slice!.metadata.labels, { tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  assert.deepEqual(slice!.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: service.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  assert.equal(slice!.addressType, 'IPv4');
  assert.deepEqual(slice!.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
  const byPod = new Map(slice!.endpoints.map((e) => [e.targetRef?.name, e]));
  assert.deepEqual(byPod.get('web-1')?.conditions, { ready: true, serving: true, terminating: false });
  assert.deepEqual(byPod.get('web-1')?.addresses, [ready]);
  assert.equal(byPod.get('web-1')?.nodeName, 'node-a');
  assert.equal(byPod.get('web-1')?.zone, 'zone-1');
  assert.deepEqual(byPod.get('web-2')?.conditions, { ready: false, serving: false, terminating: false });
  assert.equal(byPod.get('web-2')?.zone, undefined, 'node-b has no zone');
});

test('a pod turning Ready moves to addresses and its endpoint turns ready; turning unready moves it back', async (t) => {
  const c = await setup(t);
  const ip = await c.pod('web-1', { ready: false });
  await c.service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
  await c.until(async () => sameList(await notReadyIPs(c, 'web'), [ip]), 'the pod not ready');
  const readyInSlice = async () => (await sliceEndpoints(c, 'web'))[0]?.conditions?.ready;
  assert.equal(await readyInSlice(), false);

  await c.setReady('web-1', true);
  await c.until(async () => sameList(await readyIPs(c, 'web'), [ip]) && (await notReadyIPs(c, 'web')).length === 0 && (await readyInSlice()) === true, 'the pod ready');

  await c.setReady('web-1', false);
  await c.until(async () => sameList(await notReadyIPs(c, 'web'), [ip]) && (await readyIPs(c, 'web')).length === 0 && (await readyInSlice()) === false, 'the pod not ready again');
});

test('a named targetPort resolves to each pod\'s own container port; a pod without it is left out of that port', async (t) => {
  const c = await setup(t);
  const a = await c.pod('web-1', { ports: [{ name: 'http', containerPort: 8080 }] });
  const b = await c.pod('web-2', { ports: [{ name: 'http', containerPort: 9090 }] });
  const none = await c.pod('web-3');
  await c.service('web', { selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9100, protocol: 'UDP' }] });

  await c.until(async () => ((await c.endpoints('web'))?.subsets ?? []).length === 3, 'three subsets');
  const subsets = (await c.endpoints('web'))!.subsets!;
  const portsOf = (ip: string) =>
    subsets.filter((s) => s.addresses?.some((x) => x.ip === ip)).flatMap((s) => (s.ports ?? []).map((p) => `${p.name}:${p.port}/${p.protocol}`)).sort();
  assert.deepEqual(portsOf(a), ['metrics:9100/UDP', 'web:8080/TCP']);
  assert.deepEqual(portsOf(b), ['metrics:9100/UDP', 'web:9090/TCP']);
  assert.deepEqual(portsOf(none), ['metrics:9100/UDP']);

  // One slice per distinct set of ports.
  await c.until(async () => (await c.slices('web')).length === 3, 'three slices');
  const slicePorts = (await c.slices('web')).map((s) => ({
    ports: (s.ports ?? []).map((p) => `${p.name}:${p.port}/${p.protocol}`).sort(),
    ips: s.endpoints.flatMap((e) => e.addresses),
  }));
  assert.deepEqual(slicePorts.find((s) => s.ips.includes(a))?.ports, ['metrics:9100/UDP', 'web:8080/TCP']);
  assert.deepEqual(slicePorts.find((s) => s.ips.includes(b))?.ports, ['metrics:9100/UDP', 'web:9090/TCP']);
  assert.deepEqual(slicePorts.find((s) => s.ips.includes(none))?.ports, ['metrics:9100/UDP']);
});

test('publishNotReadyAddresses publishes pods that are not ready as ready addresses', async (t) => {
  const c = await setup(t);
  const ip = await c.pod('web-1', { ready: false });
  await c.service('web', { selector: { app: 'web' }, ports: [{ port: 80 }], publishNotReadyAddresses: true });
  await c.until(async () => sameList(await readyIPs(c, 'web'), [ip]), 'the address published');
  assert.deepEqual(await notReadyIPs(c, 'web'), []);
  await c.until(async () => (await sliceEndpoints(c, 'web')).length === 1, 'the slice');
  assert.deepEqual((await sliceEndpoints(c, 'web'))[0]?.conditions, { ready: true, serving: false, terminating: false });
});

test('a changed selector swaps the pods; a deleted pod goes; a terminating pod leaves the Endpoints and stays in its slice as terminating', async (t) => {
  const c = await setup(t);
  const web = await c.pod('web-1');
  const api = await c.pod('api-1', { labels: { app: 'api' } });
  const held = await c.pod('web-2', { finalizers: ['example.com/hold'] });
  await c.service('svc', { selector: { app: 'web' }, ports: [{ port: 80 }] });
  await c.until(async () => sameList(await readyIPs(c, 'svc'), [web, held]), 'the web pods');

  // Terminating: out of Endpoints, in the slice as serving but neither ready nor... ready.
  await c.registry.delete(c.pods, 'default', 'web-2', {});
  await c.until(async () => sameList(await readyIPs(c, 'svc'), [web]), 'the terminating pod out of Endpoints');
  await c.until(async () => (await sliceEndpoints(c, 'svc')).some((e) => e.conditions?.terminating === true), 'the terminating endpoint');
  const terminating = (await sliceEndpoints(c, 'svc')).find((e) => e.addresses.includes(held));
  assert.deepEqual(terminating?.conditions, { ready: false, serving: true, terminating: true });
  await c.registry.patch(c.pods, 'default', 'web-2', (p) => ({ ...p, metadata: { ...p.metadata, finalizers: [] } }), {});

  await c.registry.patch(c.services, 'default', 'svc', (s) => ({ ...s, spec: { ...(s['spec'] as object), selector: { app: 'api' } } }), {});
  await c.until(async () => sameList(await readyIPs(c, 'svc'), [api]), 'the api pod');
  await c.until(async () => sameList((await sliceEndpoints(c, 'svc')).flatMap((e) => e.addresses), [api]), 'the slice with the api pod');

  // A relabelled pod joins; a deleted one goes (with grace 0, as its kubelet deletes it once stopped).
  await c.registry.patch(c.pods, 'default', 'web-1', (p) => ({ ...p, metadata: { ...p.metadata, labels: { app: 'api' } } }), {});
  await c.until(async () => sameList(await readyIPs(c, 'svc'), [api, web]), 'the relabelled pod');
  await c.registry.delete(c.pods, 'default', 'api-1', { gracePeriodSeconds: 0 });
  await c.until(async () => sameList(await readyIPs(c, 'svc'), [web]), 'the deleted pod gone');
  await c.until(async () => sameList((await sliceEndpoints(c, 'svc')).flatMap((e) => e.addresses), [web]), 'the deleted pod gone from slices');
});

test('a deleted service takes its Endpoints along, and its EndpointSlices through their owner reference', async (t) => {
  // The slices are the garbage collector's to delete, as upstream.
  const c = await setup(t, { garbageCollector: true });
  await c.pod('web-1');
  await c.service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
  await c.until(async () => (await c.endpoints('web')) !== undefined && (await c.slices('web')).length === 1, 'the endpoints and slice');

  await c.registry.delete(c.services, 'default', 'web', {});
  await c.until(async () => (await c.endpoints('web')) === undefined && (await c.slices('web')).length === 0, 'both gone');
});

test('more than 100 endpoints are split into slices of at most 100; Endpoints holds them all', async (t) => {
  const c = await setup(t);
  await c.service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
  const created: string[] = [];
  for (let i = 0; i < 250; i++) created.push(await c.pod(`web-${i}`, { node: i % 2 === 0 ? 'node-a' : 'node-b' }));
  await c.until(async () => (await sliceEndpoints(c, 'web')).length === 250, '250 endpoints in slices', 20_000);
  const sizes = (await c.slices('web')).map((s) => s.endpoints.length).sort((a, b) => b - a);
  assert.ok(sizes.every((n) => n <= 100), `slices of ${sizes.join(', ')}`);
  assert.equal(sizes.length, 3, `slices of ${sizes.join(', ')}`);
  assert.ok(sameList((await sliceEndpoints(c, 'web')).flatMap((e) => e.addresses), created));
  await c.until(async () => (await readyIPs(c, 'web')).length === 250, 'all 250 in Endpoints', 20_000);

  // Going down to 30 pods (gone, as their kubelets delete them once stopped): the emptied slices go.
  for (let i = 30; i < 250; i++) await c.registry.delete(c.pods, 'default', `web-${i}`, { gracePeriodSeconds: 0 });
  await c.until(async () => (await sliceEndpoints(c, 'web')).length === 30 && (await readyIPs(c, 'web')).length === 30, '30 left', 20_000);
  assert.ok((await c.slices('web')).length <= 2, 'no empty slices are kept');
});

test('a service without a selector is left to its user: its own Endpoints stay, no slices are made', async (t) => {
  const c = await setup(t);
  await c.pod('web-1');
  await c.service('external', { ports: [{ port: 5432 }] });
  const subsets = [{ addresses: [{ ip: '192.168.1.50' }], ports: [{ port: 5432, protocol: 'TCP' }] }];
  await c.registry.create(c.endpointsType, 'default', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'external' }, subsets }, {});
  // A service with a selector made afterwards shows the controllers are running.
  await c.service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
  await c.until(async () => (await c.slices('web')).length === 1, 'the other service handled');
  assert.deepEqual((await c.endpoints('external'))?.subsets, subsets);
  assert.deepEqual(await c.slices('external'), []);
});

test('a headless service without ports lists its pods with the hostname of those in its subdomain; a service with no pods keeps a placeholder slice', async (t) => {
  const c = await setup(t);
  const named = await c.pod('web-1', { spec: { hostname: 'db-0', subdomain: 'db' } });
  const plain = await c.pod('web-2');
  await c.service('db', { selector: { app: 'web' }, clusterIP: 'None' });
  await c.until(async () => sameList(await readyIPs(c, 'db'), [named, plain]), 'the headless endpoints');
  const endpoints = (await c.endpoints('db'))!;
  assert.deepEqual(endpoints.metadata.labels, { 'service.kubernetes.io/headless': '' });
  assert.equal(endpoints.subsets?.length, 1);
  assert.equal(endpoints.subsets?.[0]?.ports, undefined);
  assert.equal(endpoints.subsets?.[0]?.addresses?.find((a) => a.ip === named)?.hostname, 'db-0');
  assert.equal(endpoints.subsets?.[0]?.addresses?.find((a) => a.ip === plain)?.hostname, undefined);
  await c.until(async () => (await sliceEndpoints(c, 'db')).length === 2, 'the headless slice');
  const [slice] = await c.slices('db');
  assert.equal(slice!.metadata.labels?.['service.kubernetes.io/headless'], '');
  assert.equal(slice!.endpoints.find((e) => e.addresses.includes(named))?.hostname, 'db-0');

  await c.service('empty', { selector: { app: 'nothing' }, ports: [{ port: 80 }] });
  await c.until(async () => (await c.slices('empty')).length === 1 && (await c.endpoints('empty')) !== undefined, 'the placeholder');
  const [placeholder] = await c.slices('empty');
  assert.equal(placeholder!.endpoints, null);
  assert.equal(placeholder!.ports, null);
  assert.equal((await c.endpoints('empty'))!.subsets, undefined);
});

test('controllers starting again over existing pods and services rewrite nothing', async (t) => {
  const c = await setup(t);
  await c.pod('web-1');
  await c.pod('web-2', { ready: false });
  await c.service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
  await c.service('db', { selector: { app: 'web' }, clusterIP: 'None' });
  await c.until(async () => (await sliceEndpoints(c, 'web')).length === 2 && (await sliceEndpoints(c, 'db')).length === 2, 'the slices');
  await c.until(async () => (await readyIPs(c, 'web')).length === 1 && (await readyIPs(c, 'db')).length === 1, 'the endpoints');
  const versions = async () =>
    JSON.stringify(
      await Promise.all([c.endpoints('web'), c.endpoints('db'), ...(await c.slices('web')), ...(await c.slices('db'))].map(async (o) => {
        const obj = await o;
        return [obj?.metadata.name, obj?.metadata.resourceVersion];
      })),
    );
  const before = await versions();

  await c.restart();
  await sleep(200);
  await c.settled();
  assert.equal(await versions(), before);
});

test('a pod whose IP the API refuses as an endpoint (a host-network pod on a node whose address is loopback) is not left out: the writes fail, are reported and retried, as upstream\'s controllers do', async (t) => {
  const c = await setup(t);
  const ip = await c.pod('web-1');
  await c.pod('web-host', { ip: '127.0.0.1', spec: { hostNetwork: true } });
  await c.service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
  const refused = 'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)';
  await until(async () => (await c.warnings('Endpoints', 'web')).length > 0 && (await c.warnings('Service', 'web')).length > 0, 'the warnings');
  assert.deepEqual(await c.warnings('Endpoints', 'web'), [`FailedToCreateEndpoint: Failed to create endpoint for service default/web: Endpoints "web" is invalid: subsets[0].addresses[1].ip: ${refused}`]);
  const [sliceWarning, ...more] = await c.warnings('Service', 'web');
  assert.equal(more.length, 0);
  assert.match(
    sliceWarning!,
    new RegExp(`^FailedToUpdateEndpointSlices: Error updating Endpoint Slices for Service default/web: failed to create EndpointSlice for Service default/web: EndpointSlice\\.discovery\\.k8s\\.io "web-[a-z0-9]{5}" is invalid: endpoints\\[\\d\\]\\.addresses\\[0\\]: ${refused.replace(/[.()[\]/]/g, '\\$&')}$`),
  );
  assert.equal(await c.endpoints('web'), undefined);
  assert.deepEqual(await c.slices('web'), []);

  // Without that pod the next retry writes both.
  await c.registry.delete(c.pods, 'default', 'web-host', { gracePeriodSeconds: 0 });
  await c.until(async () => sameList(await readyIPs(c, 'web'), [ip]) && (await sliceEndpoints(c, 'web')).length === 1, 'the endpoints without it');
});

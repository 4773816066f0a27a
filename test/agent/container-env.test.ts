// A container's environment as kubelet makes it: $(VAR) expansion, envFrom
// and env from ConfigMaps, Secrets and the downward API, the errors that
// keep a container from starting, and command/args expansion.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { ContainerConfigError } from '../../agent/pods/container-config-error.js';
import { containerEnvironment, criEnv, type EnvInputs, expandArgs } from '../../agent/pods/env.js';
import { expand, toBytes } from '../../agent/pods/expansion.js';

const vars: Record<string, string> = { A: 'a', EMPTY: '', B: 'b' };
const lookup = (name: string) => vars[name];

test('expansion replaces defined $(VAR), keeps undefined ones, and unescapes $$', () => {
  const cases: [string, string][] = [
    ['$(A)', 'a'],
    ['x$(A)y$(B)z', 'xaybz'],
    ['$(EMPTY)', ''],
    ['$(UNDEFINED)', '$(UNDEFINED)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$a'],
    ['$$$$(A)', '$$(A)'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$()', '$()'],
    ['$(A)$(A', 'a$(A'],
    ['$(A $(B))', '$(A $(B))'],
    ['no refs', 'no refs'],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, lookup), want, input);
});

test('expansion works on bytes: a non-ASCII byte after a lone $ comes out UTF-8 encoded, as upstream writes it', () => {
  assert.equal(Buffer.from(expand(toBytes('$(A)é'), lookup), 'latin1').toString('utf8'), 'aé');
  assert.deepEqual([...Buffer.from(expand(toBytes('$é'), lookup), 'latin1')], [0x24, 0xc3, 0x83, 0xa9]);
});

const pod: Pod = {
  metadata: { name: 'web', namespace: 'apps', uid: 'u-1', labels: { app: 'web' }, annotations: { 'example.com/owner': 'ops' } },
  spec: {
    nodeName: 'pi-1',
    serviceAccountName: 'builder',
    containers: [{ name: 'web', image: 'busybox', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi' } } }, { name: 'side', image: 'busybox' }],
  },
};
const configMaps: Record<string, ConfigMap> = {
  settings: { metadata: { name: 'settings', namespace: 'apps' }, data: { MODE: 'fast', LEVEL: '3', '1st': 'digit first' }, binaryData: { BIN: 'AA==' } },
};
const secrets: Record<string, Secret> = {
  creds: { metadata: { name: 'creds', namespace: 'apps' }, data: { PASSWORD: Buffer.from('s3cr\xe9t', 'latin1').toString('base64'), USER: Buffer.from('admin').toString('base64') } },
};
const inputs: EnvInputs = {
  sources: {
    configMap: (namespace, name) => (namespace === 'apps' ? configMaps[name] : undefined),
    secret: (namespace, name) => (namespace === 'apps' ? secrets[name] : undefined),
  },
  podIps: ['10.99.1.5', 'fd00::5'],
  hostIps: ['192.168.1.20'],
  allocatable: { cpu: '4', memory: '3884008Ki', 'ephemeral-storage': '28000000Ki' },
};
const env = (container: Partial<Container>) => Object.fromEntries(containerEnvironment(pod, { name: 'web', image: 'busybox', ...container, resources: pod.spec!.containers[0]!.resources }, inputs));
const configError = (message: string) => (err: unknown) => err instanceof ContainerConfigError && err.reason === 'CreateContainerConfigError' && err.message === message;

test('env values expand earlier variables, envFrom ones included; later definitions win', () => {
  const got = env({
    envFrom: [{ configMapRef: { name: 'settings' } }, { prefix: 'DB_', secretRef: { name: 'creds' } }],
    env: [
      { name: 'GREETING', value: 'mode=$(MODE) user=$(DB_USER) later=$(LATER) $$(MODE)' },
      { name: 'MODE', value: 'slow' },
      { name: 'AFTER', value: '$(MODE)' },
      { name: 'LATER', value: 'x' },
    ],
  });
  assert.equal(got['GREETING'], 'mode=fast user=admin later=$(LATER) $(MODE)');
  assert.equal(got['MODE'], 'slow');
  assert.equal(got['AFTER'], 'slow');
  // Every key goes in, as kubelet ≥ 1.30 does; binaryData does not.
  assert.equal(got['1st'], 'digit first');
  assert.equal(got['BIN'], undefined);
  // Secret bytes reach the container as they are.
  assert.deepEqual(criEnv(new Map([['DB_PASSWORD', got['DB_PASSWORD']!]]))[0]!.value, Buffer.from('s3cr\xe9t', 'latin1'));
});

test('env reads ConfigMap and Secret keys, skipping optional ones that are missing', () => {
  const got = env({
    env: [
      { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LEVEL' } } },
      { name: 'USER', valueFrom: { secretKeyRef: { name: 'creds', key: 'USER' } } },
      { name: 'NO_KEY', valueFrom: { configMapKeyRef: { name: 'settings', key: 'nope', optional: true } } },
      { name: 'NO_MAP', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
      { name: 'NO_SECRET', valueFrom: { secretKeyRef: { name: 'nope', key: 'k', optional: true } } },
    ],
    envFrom: [{ configMapRef: { name: 'absent', optional: true } }, { secretRef: { name: 'absent', optional: true } }],
  });
  assert.deepEqual(got, { LEVEL: '3', USER: 'admin' });
});

test('a missing ConfigMap, Secret or key is a CreateContainerConfigError with kubelet’s message', () => {
  const cases: [Partial<Container>, string][] = [
    [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }, 'configmap "nope" not found'],
    [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'k' } } }] }, "couldn't find key k in ConfigMap apps/settings"],
    [{ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }, 'secret "nope" not found'],
    [{ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }, "couldn't find key k in Secret apps/creds"],
    [{ envFrom: [{ configMapRef: { name: 'nope' } }] }, 'configmap "nope" not found'],
    [{ envFrom: [{ secretRef: { name: 'nope' } }] }, 'secret "nope" not found'],
  ];
  for (const [container, message] of cases) assert.throws(() => env(container), configError(message), message);
});

test('fieldRef reads the pod’s metadata, spec and addresses', () => {
  const field = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });
  const got = env({
    env: [
      { name: 'NAME', ...field('metadata.name') },
      { name: 'NS', ...field('metadata.namespace') },
      { name: 'UID', ...field('metadata.uid') },
      { name: 'APP', ...field("metadata.labels['app']") },
      { name: 'OWNER', ...field("metadata.annotations['example.com/owner']") },
      { name: 'NONE', ...field("metadata.labels['none']") },
      { name: 'NODE', ...field('spec.nodeName') },
      { name: 'SA', ...field('spec.serviceAccountName') },
      { name: 'HOST_IP', ...field('status.hostIP') },
      { name: 'HOST_IPS', ...field('status.hostIPs') },
      { name: 'POD_IP', ...field('status.podIP') },
      { name: 'POD_IPS', ...field('status.podIPs') },
    ],
  });
  assert.deepEqual(got, {
    NAME: 'web', NS: 'apps', UID: 'u-1', APP: 'web', OWNER: 'ops', NONE: '', NODE: 'pi-1', SA: 'builder',
    HOST_IP: '192.168.1.20', HOST_IPS: '192.168.1.20', POD_IP: '10.99.1.5', POD_IPS: '10.99.1.5,fd00::5',
  });
  assert.throws(() => env({ env: [{ name: 'X', ...field('status.phase') }] }), configError('unsupported fieldPath: status.phase'));
});

test('resourceFieldRef divides, rounds up, and reads the node’s allocatable for a missing limit', () => {
  const resource = (res: string, divisor?: string, containerName?: string) => ({ valueFrom: { resourceFieldRef: { resource: res, ...(divisor ? { divisor } : {}), ...(containerName ? { containerName } : {}) } } });
  const got = env({
    env: [
      { name: 'CPU_REQ', ...resource('requests.cpu') },
      { name: 'CPU_REQ_M', ...resource('requests.cpu', '1m') },
      { name: 'CPU_LIM', ...resource('limits.cpu') },
      { name: 'MEM_REQ_MI', ...resource('requests.memory', '1Mi') },
      { name: 'MEM_LIM', ...resource('limits.memory') },
      { name: 'MEM_LIM_M', ...resource('limits.memory', '1M') },
      { name: 'EPH_LIM_GI', ...resource('limits.ephemeral-storage', '1Gi') },
      { name: 'EPH_REQ', ...resource('requests.ephemeral-storage') },
      { name: 'SIDE_MEM', ...resource('limits.memory', '1Ki', 'side') },
    ],
  });
  assert.deepEqual(got, {
    CPU_REQ: '1', CPU_REQ_M: '250', CPU_LIM: '4', MEM_REQ_MI: '64', MEM_LIM: String(128 * 1024 * 1024), MEM_LIM_M: '135',
    EPH_LIM_GI: '27', EPH_REQ: '0', SIDE_MEM: '3884008',
  });
});

test('command and args expand $(VAR) from the environment; empty ones are the image’s', () => {
  // Environment values are byte strings.
  const environment = new Map([['WHO', toBytes('wörld')], ['N', '3']]);
  assert.deepEqual(expandArgs(['echo', 'hello $(WHO) x$(N)', '$$(WHO)', '$(MISSING)'], environment), ['echo', 'hello wörld x3', '$(WHO)', '$(MISSING)']);
  assert.equal(expandArgs([], environment), undefined);
  assert.equal(expandArgs(undefined, environment), undefined);
});

// In-cluster API access as upstream sets it up: the kube-root-ca.crt
// ConfigMap in every active namespace (put back when deleted or edited), and
// the kube-api-access-xxxxx projected volume that ServiceAccount admission
// adds to new pods, mounted in every container, unless the pod or its
// account opts out.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import { createLogger } from '../../common/log.js';
import { rulesFor } from '../../server/api/kinds/index.js';
import { apiAccessVolume, withServiceAccountVolume } from '../../server/api/kinds/service-account-volume.js';
import type { KubeObject } from '../../server/api/objects.js';
import { RootCaPublisher } from '../../server/controllers/root-ca-publisher.js';
import { SharedInformers } from '../../server/controllers/shared-informers.js';
import { apiRegistry } from '../helpers/api-registry.js';
import { until } from '../helpers/store.js';

const quiet = createLogger({ level: 'error' });
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

async function setup(t: TestContext) {
  const { catalogue, registry } = await apiRegistry(t, {
    rules: (store, catalogue) => withServiceAccountVolume(rulesFor, store, catalogue.get('', 'v1', 'serviceaccounts')!),
  });
  const type = (plural: string) => catalogue.get('', 'v1', plural)!;
  const informers = new SharedInformers(registry, catalogue, quiet);
  t.after(() => informers.close());
  const publisher = await RootCaPublisher.start({ registry, catalogue, informers, caPem: CA, log: quiet });
  t.after(() => publisher.close());
  const rootCa = async (namespace: string) =>
    (await registry.get(type('configmaps'), namespace, 'kube-root-ca.crt').catch(() => undefined)) as (KubeObject & ConfigMap) | undefined;
  return { registry, type, rootCa };
}

test('every active namespace gets kube-root-ca.crt with the cluster CA, and gets it back when it is deleted or edited', async (t) => {
  const { registry, type, rootCa } = await setup(t);
  for (const ns of ['default', 'kube-system']) await until(async () => (await rootCa(ns))?.data?.['ca.crt'] === CA, `the CA in ${ns}`);
  await registry.create(type('namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }, {});
  await until(async () => (await rootCa('team-a'))?.data?.['ca.crt'] === CA, 'the CA in a new namespace');
  assert.match((await rootCa('team-a'))!.metadata.annotations?.['kubernetes.io/description'] ?? '', /^Contains a CA bundle/);
  await registry.delete(type('configmaps'), 'team-a', 'kube-root-ca.crt', {});
  await until(async () => (await rootCa('team-a'))?.data?.['ca.crt'] === CA, 'put back after a deletion');
  await registry.patch(type('configmaps'), 'team-a', 'kube-root-ca.crt', (cm) => ({ ...cm, data: { 'ca.crt': 'forged' } }), {});
  await until(async () => (await rootCa('team-a'))?.data?.['ca.crt'] === CA, 'put back after an edit');
});

test('a new pod gets the kube-api-access volume in every container, unless it or its account opts out', async (t) => {
  const { registry, type } = await setup(t);
  const create = async (name: string, spec: Partial<Pod['spec']>) =>
    (await registry.create(type('pods'), 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } } as KubeObject, {})) as unknown as Pod;
  const pod = await create('web', {
    initContainers: [{ name: 'init', image: 'busybox' }],
    containers: [
      { name: 'c', image: 'busybox' },
      { name: 'own', image: 'busybox', volumeMounts: [{ name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] },
    ],
    volumes: [{ name: 'mine', emptyDir: {} }],
  });
  const added = pod.spec!.volumes!.find((v) => v.name.startsWith('kube-api-access-'))!;
  assert.match(added.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(added, apiAccessVolume(added.name));
  assert.deepEqual(added.projected?.sources?.[0], { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } });
  const mount = { name: added.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };
  assert.deepEqual(pod.spec!.initContainers![0]!.volumeMounts, [mount]);
  assert.deepEqual(pod.spec!.containers[0]!.volumeMounts, [mount]);
  assert.deepEqual(pod.spec!.containers[1]!.volumeMounts, [{ name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }], 'its own mount kept');
  const optedOut = await create('no-token', { automountServiceAccountToken: false });
  assert.equal(optedOut.spec!.volumes, undefined);
  await registry.create(type('serviceaccounts'), 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'quiet' }, automountServiceAccountToken: false } as KubeObject, {});
  const quietPod = await create('quiet', { serviceAccountName: 'quiet' });
  assert.equal(quietPod.spec!.volumes, undefined);
  // An update never adds one.
  const updated = (await registry.patch(type('pods'), 'default', 'no-token', (p) => p, {})) as unknown as Pod;
  assert.equal(updated.spec!.volumes, undefined);
});

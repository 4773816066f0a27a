// Pods' affinity and topology spread constraints with the real kubectl
// (oldest and newest supported) against a real `bramble server`: what a 1.31
// cluster refuses is refused with its message, what it accepts is stored, a
// pod's matchLabelKeys merged into its selector.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const badWeight = `apiVersion: v1
kind: Pod
metadata: {name: bad-weight}
spec:
  containers: [{name: c, image: busybox}]
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 0
        podAffinityTerm:
          labelSelector: {matchLabels: {app: web}}
          topologyKey: kubernetes.io/hostname
`;

const badSpread = `apiVersion: v1
kind: Pod
metadata: {name: bad-spread}
spec:
  containers: [{name: c, image: busybox}]
  topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}
  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, minDomains: 0}
`;

const badDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox}]
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: In}]}]
`;

const good = `apiVersion: v1
kind: Pod
metadata:
  name: good
  labels: {app: web, pod-template-hash: 5d4f8}
spec:
  containers: [{name: c, image: busybox}]
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: web}}
        matchLabelKeys: [pod-template-hash]
        topologyKey: kubernetes.io/hostname
  topologySpreadConstraints:
  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}
`;

test('kubectl 1.27 and 1.33: invalid affinity and spread constraints are refused with upstream messages, valid ones stored', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  await startServer(t, serverArgs(dataDir));
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');

  for (const version of ['1.27', '1.33']) {
    const k = await kubectl(t, version, kubeconfig);
    const weight = await k.run(['create', '-f', '-'], { stdin: badWeight });
    assert.equal(weight.code, 1);
    assert.equal(
      weight.stderr,
      'The Pod "bad-weight" is invalid: spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100\n',
    );

    const spread = await k.run(['apply', '-f', '-'], { stdin: badSpread });
    assert.equal(spread.code, 1);
    assert.equal(
      spread.stderr,
      [
        'The Pod "bad-spread" is invalid: ',
        '* spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}"',
        '* spec.topologySpreadConstraints[1].minDomains: Invalid value: 0: must be greater than zero',
        '',
      ].join('\n'),
    );

    const deployment = await k.run(['create', '-f', '-'], { stdin: badDeployment });
    assert.equal(deployment.code, 1);
    assert.equal(
      deployment.stderr,
      'The Deployment "web" is invalid: spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is \'In\' or \'NotIn\'\n',
    );
  }

  const k = await kubectl(t, '1.33', kubeconfig);
  assert.equal(await k.ok(['apply', '-f', '-'], good), 'pod/good created\n');
  const selector = await k.ok(['get', 'pod', 'good', '-o', 'jsonpath={.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector}']);
  assert.deepEqual(JSON.parse(selector), { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'pod-template-hash', operator: 'In', values: ['5d4f8'] }] });
  assert.equal(await k.ok(['get', 'pods', '-o', 'name']), 'pod/good\n');
});

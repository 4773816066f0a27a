// PriorityClasses through a real `bramble server` and real kubectl 1.33 and
// 1.27: the built-in classes listed with kubectl's columns, a chart's class
// applied (short name, api-resources, explain), a pod naming it given its
// priority, a pod naming a missing class, a second global default, a value
// over the user maximum and the deletion of a built-in refused as kubectl
// prints them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.33', '1.27'];

/** A class as charts ship them (Longhorn's longhorn-critical, with its explicit false default). */
const chartClass = (name: string) => `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: ${name}}
value: 1000000000
globalDefault: false
description: "Ensure the storage system's pods are not evicted."
preemptionPolicy: PreemptLowerPriority
`;

const pod = (name: string, priorityClassName: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  priorityClassName: ${priorityClassName}
  containers:
  - {name: main, image: busybox}
`;

test('kubectl 1.33 and 1.27: the built-in PriorityClasses, a chart’s class applied and given to a pod, a missing class and the reserved rules refused', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await startServer(t, serverArgs(dataDir));
  for (const version of VERSIONS) {
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));
    const suffix = version.replace('.', '-');
    const name = `storage-critical-${suffix}`;

    // The built-ins (1.27 runs second: the classes 1.33 made are listed too).
    const listed = (await k.ok(['get', 'priorityclasses'])).trimEnd().split('\n');
    assert.match(listed[0]!, /^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE$/, `kubectl ${version}`);
    const builtIns = listed.filter((line) => line.startsWith('system-'));
    assert.equal(builtIns.length, 2);
    assert.match(builtIns[0]!, /^system-cluster-critical\s+2000000000\s+false\s+\d+s$/);
    assert.match(builtIns[1]!, /^system-node-critical\s+2000001000\s+false\s+\d+s$/);
    if (version === VERSIONS[0]) assert.equal(listed.length, 3, 'nothing but the built-ins at first');

    assert.equal(await k.ok(['apply', '-f', '-'], chartClass(name)), `priorityclass.scheduling.k8s.io/${name} created\n`);
    assert.match(await k.ok(['get', 'pc', name, '--no-headers']), new RegExp(`^${name}\\s+1000000000\\s+false\\s+\\d+s\\n$`), `kubectl ${version}: the short name`);
    // Applied again: the false globalDefault the server omits (omitempty, as upstream) is patched anew, so "configured", as against upstream.
    assert.equal(await k.ok(['apply', '-f', '-'], chartClass(name)), `priorityclass.scheduling.k8s.io/${name} configured\n`);
    const stored = JSON.parse(await k.ok(['get', 'priorityclass', name, '-o', 'json'])) as Record<string, unknown>;
    assert.equal(stored['globalDefault'], undefined, 'a false globalDefault is not kept, as upstream omits it');
    assert.equal(stored['preemptionPolicy'], 'PreemptLowerPriority');

    await k.ok(['apply', '-f', '-'], pod(`important-${suffix}`, name));
    assert.equal(await k.ok(['get', 'pod', `important-${suffix}`, '-o', 'jsonpath={.spec.priority}']), '1000000000');
    await k.ok(['run', `plain-${suffix}`, '--image=busybox']);
    assert.equal(await k.ok(['get', 'pod', `plain-${suffix}`, '-o', 'jsonpath={.spec.priority} {.spec.preemptionPolicy}']), '0 PreemptLowerPriority');

    const lost = await k.run(['apply', '-f', '-'], { stdin: pod(`lost-${suffix}`, 'nope') });
    assert.equal(lost.code, 1);
    assert.equal(lost.stderr, `Error from server (Forbidden): error when creating "STDIN": pods "lost-${suffix}" is forbidden: no PriorityClass with name nope was found\n`);

    const tooHigh = await k.run(['create', 'priorityclass', `too-high-${suffix}`, '--value=1000000001']);
    assert.equal(tooHigh.code, 1);
    assert.equal(
      tooHigh.stderr,
      `error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "too-high-${suffix}" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000\n`,
    );

    const deleted = await k.run(['delete', 'priorityclass', 'system-node-critical']);
    assert.equal(deleted.code, 1);
    assert.equal(deleted.stderr, 'Error from server (Forbidden): priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted\n');
  }

  const k = await kubectl(t, '1.33', join(dataDir, 'kubeconfig.yaml'));
  // One global default: the first is made (kubectl 1.33 sends it as protobuf), a second refused.
  assert.equal(await k.ok(['create', 'priorityclass', 'cluster-default', '--value=100', '--global-default', '--preemption-policy=Never']), 'priorityclass.scheduling.k8s.io/cluster-default created\n');
  const second = await k.run(['create', 'priorityclass', 'another-default', '--value=5', '--global-default']);
  assert.equal(second.code, 1);
  assert.equal(
    second.stderr,
    'error: failed to create priorityclass: priorityclasses.scheduling.k8s.io "another-default" is forbidden: PriorityClass cluster-default is already marked as default. Only one default can exist\n',
  );
  assert.match(await k.ok(['get', 'pc', 'cluster-default', '--no-headers']), /^cluster-default\s+100\s+true\s+\d+s\n$/);
  await k.ok(['run', 'defaulted', '--image=busybox']);
  assert.equal(await k.ok(['get', 'pod', 'defaulted', '-o', 'jsonpath={.spec.priorityClassName} {.spec.priority} {.spec.preemptionPolicy}']), 'cluster-default 100 Never');

  assert.match(await k.ok(['api-resources', '--api-group=scheduling.k8s.io', '--no-headers']), /^priorityclasses\s+pc\s+scheduling\.k8s\.io\/v1\s+false\s+PriorityClass\n$/);
  const explained = await k.ok(['explain', 'priorityclass.value']);
  assert.match(explained, /^GROUP:\s+scheduling\.k8s\.io\nKIND:\s+PriorityClass\nVERSION:\s+v1\n\nFIELD: value <integer>/);
  assert.match(explained, /value represents the integer value of this priority class/);
});

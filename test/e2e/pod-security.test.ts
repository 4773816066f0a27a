// Pod security contexts through the real kubectl, oldest and newest
// supported, against a real `bramble server`: a Deployment whose security
// settings contradict each other is refused with upstream 1.31's causes as
// kubectl prints them; a hardened one is accepted, and the pods its
// ReplicaSet creates pass too, with the AppArmor annotation a 1.31 server
// adds to them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { until } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.33'];

const deployment = (podSecurity: string, containerSecurity: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:${extra}
      securityContext: ${podSecurity}
      containers:
      - name: web
        image: nginx:1.27
        securityContext: ${containerSecurity}
`;

const CONTRADICTORY = deployment(
  '{runAsUser: -1, sysctls: [{name: net.ipv4.ip_forward, value: "1"}]}',
  '{allowPrivilegeEscalation: false, privileged: true}',
  '\n      hostNetwork: true',
);

const HARDENED = deployment(
  '{runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: {type: RuntimeDefault}, appArmorProfile: {type: RuntimeDefault}}',
  '{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}',
);

const REFUSED = `The Deployment "web" is invalid: 
* spec.template.spec.containers[0].securityContext: Invalid value: core.SecurityContext{Capabilities:(*core.Capabilities)(nil), Privileged:(*bool)(0xc000000000), SELinuxOptions:(*core.SELinuxOptions)(nil), WindowsOptions:(*core.WindowsSecurityContextOptions)(nil), RunAsUser:(*int64)(nil), RunAsGroup:(*int64)(nil), RunAsNonRoot:(*bool)(nil), ReadOnlyRootFilesystem:(*bool)(nil), AllowPrivilegeEscalation:(*bool)(0xc000000000), ProcMount:(*core.ProcMountType)(nil), SeccompProfile:(*core.SeccompProfile)(nil), AppArmorProfile:(*core.AppArmorProfile)(nil)}: cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true
* spec.template.spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive
* spec.template.spec.securityContext.sysctls[0].name: Invalid value: "net.ipv4.ip_forward": may not be specified when 'hostNetwork' is true
`;

for (const version of VERSIONS) {
  test(`kubectl ${version}: contradictory security settings are refused with upstream's causes; a hardened Deployment and its pods are accepted`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));

    const refused = await k.run(['apply', '-f', '-'], { stdin: CONTRADICTORY });
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, REFUSED);
    assert.equal((await k.run(['get', 'deployment', 'web'])).code, 1);

    assert.equal(await k.ok(['apply', '-f', '-'], HARDENED), 'deployment.apps/web created\n');
    assert.equal(
      await k.ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.securityContext}']),
      '{"appArmorProfile":{"type":"RuntimeDefault"},"fsGroup":1000,"runAsNonRoot":true,"runAsUser":1000,"seccompProfile":{"type":"RuntimeDefault"}}',
    );

    // The ReplicaSet's pods pass the same checks; their creation adds the AppArmor annotation older nodes read.
    let annotations: string[] = [];
    await until(async () => {
      const out = await k.ok(['get', 'pods', '-l', 'app=web', '-o', `jsonpath={range .items[*]}{.metadata.annotations.container\\.apparmor\\.security\\.beta\\.kubernetes\\.io/web}{"\\n"}{end}`]);
      annotations = out.split('\n').filter((line) => line !== '');
      return annotations.length === 2;
    }, 'two pods of the hardened Deployment', 20_000);
    assert.deepEqual(annotations, ['runtime/default', 'runtime/default']);

    // On a pod, the annotation is fixed once created.
    const pod = (await k.ok(['get', 'pods', '-l', 'app=web', '-o', 'name'])).split('\n')[0]!;
    const changed = await k.run(['annotate', '--overwrite', pod, 'container.apparmor.security.beta.kubernetes.io/web=unconfined']);
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /metadata\.annotations\[container\.apparmor\.security\.beta\.kubernetes\.io\/web\]: Forbidden: may not remove or update AppArmor annotations/);
  });
}

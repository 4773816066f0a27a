// Pod volume validation through the real kubectl, oldest and newest
// supported, against a real `bramble server`: a pod whose volumes, mounts
// and devices break upstream 1.31's rules is refused with its causes as
// kubectl prints them, and a chart's pod with every common volume kind
// passes a server-side dry run (the ServiceAccount admission's projected
// volume included).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

const VERSIONS = ['1.27', '1.33'];

const INVALID = `apiVersion: v1
kind: Pod
metadata: {name: broken}
spec:
  volumes:
  - {name: host, hostPath: {path: ""}}
  - {name: both, emptyDir: {}, configMap: {name: settings}}
  - name: files
    projected:
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 60}
  - {name: disk, persistentVolumeClaim: {claimName: disk}}
  containers:
  - name: app
    image: nginx:1.27
    volumeMounts:
    - {name: files, mountPath: /files, subPath: ../up}
    - {name: disk, mountPath: /disk, mountPropagation: Bidirectional}
    volumeDevices:
    - {name: files, devicePath: /dev/xvda}
`;

const REFUSED = `The Pod "broken" is invalid: 
* spec.volumes[0].hostPath.path: Required value
* spec.volumes[1].configMap: Forbidden: may not specify more than 1 volume type
* spec.volumes[2].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes
* spec.containers[0].volumeMounts[0].name: Not found: "files"
* spec.containers[0].volumeMounts[0].name: Invalid value: "files": must not already exist in volumeDevices
* spec.containers[0].volumeMounts.subPath: Invalid value: "../up": must not contain '..'
* spec.containers[0].volumeMounts.mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers
* spec.containers[0].volumeDevices[0].name: Not found: "files"
* spec.containers[0].volumeDevices[0].name: Invalid value: "files": must not already exist in volumeMounts
`;

const CHART_POD = `apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  volumes:
  - name: config
    configMap: {name: web-config, items: [{key: nginx.conf, path: nginx.conf}]}
  - name: tls
    secret: {secretName: web-tls, defaultMode: 0400}
  - {name: cache, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
  - {name: data, persistentVolumeClaim: {claimName: web-data}}
  - name: podinfo
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: mem, resourceFieldRef: {containerName: web, resource: limits.memory, divisor: 1Mi}}
  - name: bundle
    projected:
      sources:
      - configMap: {name: web-ca, items: [{key: ca.crt, path: ca.crt}]}
      - serviceAccountToken: {audience: vault, expirationSeconds: 7200, path: vault-token}
  containers:
  - name: web
    image: nginx:1.27
    resources: {limits: {memory: 128Mi}}
    volumeMounts:
    - {name: config, mountPath: /etc/nginx/nginx.conf, subPath: nginx.conf, readOnly: true}
    - {name: tls, mountPath: /etc/tls, readOnly: true, recursiveReadOnly: IfPossible}
    - {name: cache, mountPath: /var/cache/nginx}
    - {name: data, mountPath: /data}
    - {name: podinfo, mountPath: /etc/podinfo}
    - {name: bundle, mountPath: /var/run/secrets/bundle, readOnly: true}
`;

for (const version of VERSIONS) {
  test(`kubectl ${version}: a pod with bad volumes is refused with upstream's causes; a chart's pod passes a server-side dry run`, async (t) => {
    const dir = await tempDir(t);
    const dataDir = join(dir, 'data');
    await startServer(t, serverArgs(dataDir));
    const k = await kubectl(t, version, join(dataDir, 'kubeconfig.yaml'));

    const refused = await k.run(['apply', '-f', '-'], { stdin: INVALID });
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, REFUSED);

    assert.equal(await k.ok(['apply', '--dry-run=server', '-f', '-'], CHART_POD), 'pod/web created (server dry run)\n');
    const dryRun = JSON.parse(await k.ok(['create', '--dry-run=server', '-o', 'json', '-f', '-'], CHART_POD)) as { spec: { volumes: { name: string; emptyDir?: object }[] } };
    assert.deepEqual(
      dryRun.spec.volumes.map((v) => v.name.replace(/^kube-api-access-.*/, 'kube-api-access')),
      ['config', 'tls', 'cache', 'data', 'podinfo', 'bundle', 'kube-api-access'],
    );
    assert.deepEqual(dryRun.spec.volumes[2]!.emptyDir, { medium: 'Memory', sizeLimit: '64Mi' });
    assert.equal((await k.run(['get', 'pod', 'web'])).code, 1);
  });
}

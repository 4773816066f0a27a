// The CSI kinds through real kubectl 1.33: a CSI driver chart's CSIDriver
// applied and listed with upstream's columns, api-resources and explain
// finding the kinds, a VolumeAttachment's immutable spec refused.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverArgs, startServer } from '../helpers/bramble.js';
import { kubectl } from '../helpers/kubectl.js';
import { tempDir } from '../helpers/temp.js';

// csi-driver-nfs's chart (templates/csi-nfs-driverinfo.yaml).
const NFS_DRIVER = JSON.stringify({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'CSIDriver',
  metadata: { name: 'nfs.csi.k8s.io' },
  spec: { attachRequired: false, volumeLifecycleModes: ['Persistent'], fsGroupPolicy: 'File' },
});

const ATTACHMENT = (node: string) =>
  JSON.stringify({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'VolumeAttachment',
    metadata: { name: 'csi-0123' },
    spec: { attacher: 'nfs.csi.k8s.io', nodeName: node, source: { persistentVolumeName: 'pv-1' } },
  });

test('kubectl 1.33: apply a CSIDriver, get csidrivers and volumeattachments, api-resources, explain', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  await startServer(t, serverArgs(dataDir));
  const k = await kubectl(t, '1.33', join(dataDir, 'kubeconfig.yaml'));

  const applied = await k.run(['apply', '-f', '-'], { stdin: NFS_DRIVER });
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout, 'csidriver.storage.k8s.io/nfs.csi.k8s.io created\n');
  const listed = (await k.ok(['get', 'csidrivers'])).split('\n');
  assert.match(listed[0]!, /^NAME\s+ATTACHREQUIRED\s+PODINFOONMOUNT\s+STORAGECAPACITY\s+TOKENREQUESTS\s+REQUIRESREPUBLISH\s+MODES\s+AGE$/);
  assert.match(listed[1]!, /^nfs\.csi\.k8s\.io\s+false\s+false\s+false\s+<unset>\s+false\s+Persistent\s+\d+s$/);

  assert.equal((await k.run(['apply', '-f', '-'], { stdin: ATTACHMENT('node-1') })).code, 0);
  const attachments = (await k.ok(['get', 'volumeattachments'])).split('\n');
  assert.match(attachments[0]!, /^NAME\s+ATTACHER\s+PV\s+NODE\s+ATTACHED\s+AGE$/);
  assert.match(attachments[1]!, /^csi-0123\s+nfs\.csi\.k8s\.io\s+pv-1\s+node-1\s+false\s+\d+s$/);
  const moved = await k.run(['apply', '-f', '-'], { stdin: ATTACHMENT('node-2') });
  assert.notEqual(moved.code, 0);
  assert.match(moved.stderr, /^The VolumeAttachment "csi-0123" is invalid: spec: Invalid value: storage\.VolumeAttachmentSpec\{.*NodeName:"node-2"\}: field is immutable/);

  const resources = await k.ok(['api-resources', '--api-group=storage.k8s.io', '--no-headers']);
  const rows = resources.trim().split('\n').map((line) => line.split(/\s+/).join(' '));
  assert.deepEqual(rows, [
    'csidrivers storage.k8s.io/v1 false CSIDriver',
    'csinodes storage.k8s.io/v1 false CSINode',
    'csistoragecapacities storage.k8s.io/v1 true CSIStorageCapacity',
    'storageclasses sc storage.k8s.io/v1 false StorageClass',
    'volumeattachments storage.k8s.io/v1 false VolumeAttachment',
  ]);
  const explained = await k.ok(['explain', 'csidriver.spec.fsGroupPolicy']);
  assert.match(explained, /KIND:\s+CSIDriver/);
  assert.match(explained, /FIELD:\s+fsGroupPolicy <string>/);
});

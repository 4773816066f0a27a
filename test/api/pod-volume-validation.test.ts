// A pod spec's volumes, volumeMounts and volumeDevices as upstream 1.31's
// ValidatePodSpec checks them (server/api/kinds: pod-volumes,
// volume-sources, volume-files, volume-mounts, pod-gated-fields): each
// source's own checks, exactly one source, ephemeral volumes' claim
// templates, mounts and devices, with the exact field and message kubectl
// prints and upstream's order; and the manifests real charts send passing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAccessVolume, TOKEN_MOUNT_PATH } from '../../server/api/kinds/service-account-volume.js';
import { causes, create, type Json, refusal, update } from '../helpers/kind-rules.js';

// --- manifests ----------------------------------------------------------------

const app = (extra: Json = {}): Json => ({ name: 'web', image: 'nginx', ...extra });
const pod = (spec: Json, name = 'web'): Json => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [app()], ...spec } });
const deployment = (spec: Json): Json => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [app()], ...spec } } },
});
/** Causes of a pod's creation with this spec. */
const podCauses = (spec: Json): string[] => causes(() => create(pod(spec)));
/** Causes of a pod with this one volume, mounted by nothing. */
const volumeCauses = (volume: Json): string[] => podCauses({ volumes: [{ name: 'v', ...volume }] });
/** Causes of a pod whose container has these mounts and devices. */
const mountCauses = (volumes: Json[], container: Json): string[] => podCauses({ volumes, containers: [app(container)] });

const LABEL = (value: string) =>
  `Invalid value: "${value}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;
const SUBDOMAIN = (value: string) =>
  `Invalid value: "${value}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
const FILE_MODE = 'must be a number between 0 and 0777 (octal), both inclusive';
const MORE_THAN_ONE = 'Forbidden: may not specify more than 1 volume type';
const EPHEMERAL_CLAIM = { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } };

/** What a typical Helm chart's pod mounts. */
const chartVolumes = [
  { name: 'config', configMap: { name: 'web-config', items: [{ key: 'nginx.conf', path: 'nginx.conf' }], defaultMode: 0o644 } },
  { name: 'scripts', configMap: { name: 'web-scripts', defaultMode: 0o755, optional: true } },
  { name: 'tls', secret: { secretName: 'web-tls', items: [{ key: 'tls.crt', path: 'tls.crt', mode: 0o400 }, { key: 'tls.key', path: 'tls.key', mode: 0o400 }] } },
  { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '1.5Gi' } },
  { name: 'tmp', emptyDir: {} },
  { name: 'data', persistentVolumeClaim: { claimName: 'web-data' } },
  {
    name: 'podinfo',
    downwardAPI: {
      items: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'team', fieldRef: { fieldPath: "metadata.annotations['example.com/team']" } },
        { path: 'mem_limit', resourceFieldRef: { containerName: 'web', resource: 'limits.memory', divisor: '1Mi' } },
      ],
    },
  },
  {
    name: 'bundle',
    projected: {
      sources: [
        { secret: { name: 'web-creds', items: [{ key: 'password', path: 'creds/password' }] } },
        { configMap: { name: 'web-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'pod-name', fieldRef: { fieldPath: 'metadata.name' } }] } },
        { serviceAccountToken: { audience: 'vault', expirationSeconds: 7200, path: 'vault-token' } },
      ],
    },
  },
];
const chartMounts = [
  { name: 'config', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true },
  { name: 'scripts', mountPath: '/scripts' },
  { name: 'tls', mountPath: '/etc/tls', readOnly: true, recursiveReadOnly: 'IfPossible' },
  { name: 'cache', mountPath: '/var/cache/nginx' },
  { name: 'tmp', mountPath: '/tmp' },
  { name: 'data', mountPath: '/data', subPathExpr: '$(POD_NAME)' },
  { name: 'podinfo', mountPath: '/etc/podinfo', mountPropagation: 'None' },
  { name: 'bundle', mountPath: '/var/run/secrets/bundle', readOnly: true },
];
const chartContainer = app({ env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], volumeMounts: chartMounts });

describe('manifests real charts send', () => {
  test("a chart's pod with configMap, secret, emptyDir, claim, downwardAPI and projected volumes passes, defaulted as upstream", () => {
    const p = create(pod({ volumes: chartVolumes, containers: [chartContainer], initContainers: [app({ name: 'init', volumeMounts: [{ name: 'tmp', mountPath: '/work' }] })] }));
    const volumes = p['spec'].volumes;
    assert.equal(volumes.length, 8);
    assert.deepEqual(volumes[3], { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '1536Mi' } });
    assert.equal(volumes[1].configMap.defaultMode, 493);
    assert.equal(volumes[2].secret.defaultMode, 420);
    assert.equal(volumes[6].downwardAPI.items[0].fieldRef.apiVersion, 'v1');
    assert.equal(volumes[7].projected.defaultMode, 420);
    assert.equal(volumes[7].projected.sources[3].serviceAccountToken.expirationSeconds, 7200);
    assert.deepEqual(p['spec'].containers[0].volumeMounts, chartMounts);
  });

  test('the same volumes in a Deployment, a StatefulSet with claim templates, a Job and a CronJob pass', () => {
    create(deployment({ volumes: chartVolumes, containers: [chartContainer] }));
    create({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [app({ volumeMounts: [{ name: 'data', mountPath: '/var/lib/db' }] })] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } } }],
      },
    });
    const jobSpec = { template: { spec: { restartPolicy: 'Never', volumes: chartVolumes, containers: [chartContainer] } } };
    create({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once' }, spec: jobSpec });
    create({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly' }, spec: { schedule: '0 3 * * *', jobTemplate: { spec: jobSpec } } });
  });

  test('the projected kube-api-access volume the ServiceAccount admission adds passes', () => {
    const p = create(pod({ volumes: [apiAccessVolume('kube-api-access-x7kq2')], containers: [app({ volumeMounts: [{ name: 'kube-api-access-x7kq2', mountPath: TOKEN_MOUNT_PATH, readOnly: true }] })] }));
    assert.equal(p['spec'].volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds, 3607);
  });

  test('host paths, a block device of a claim, an ephemeral volume, CSI and NFS as node agents and storage charts write them', () => {
    const p = create(
      pod({
        volumes: [
          { name: 'containerd', hostPath: { path: '/run/containerd/containerd.sock', type: 'Socket' } },
          { name: 'rootfs', hostPath: { path: '/' } },
          { name: 'raw', persistentVolumeClaim: { claimName: 'raw-disk' } },
          { name: 'scratch', ephemeral: { volumeClaimTemplate: { metadata: { labels: { type: 'scratch' } }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '1.5Gi' } } } } } },
          { name: 'secrets-store', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'vault' }, nodePublishSecretRef: { name: 'vault-creds' } } },
          { name: 'shared', nfs: { server: 'nas.local', path: '/export/shared' } },
          { name: 'rbd', rbd: { monitors: ['10.0.0.1:6789'], image: 'disk' } },
        ],
        containers: [
          app({
            securityContext: { privileged: true },
            volumeMounts: [
              { name: 'containerd', mountPath: '/run/containerd/containerd.sock' },
              { name: 'rootfs', mountPath: '/host', mountPropagation: 'Bidirectional' },
              { name: 'scratch', mountPath: '/scratch' },
              { name: 'secrets-store', mountPath: '/mnt/secrets', readOnly: true },
              { name: 'shared', mountPath: '/shared', mountPropagation: 'HostToContainer' },
            ],
            volumeDevices: [{ name: 'raw', devicePath: '/dev/xvda' }],
          }),
        ],
      }),
    );
    const [, rootfs, , scratch, , , rbd] = p['spec'].volumes;
    assert.deepEqual(rootfs.hostPath, { path: '/', type: '' });
    assert.deepEqual(scratch.ephemeral.volumeClaimTemplate, {
      metadata: { labels: { type: 'scratch' }, creationTimestamp: null },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '1536Mi' } }, volumeMode: 'Filesystem' },
    });
    assert.deepEqual(rbd.rbd, { monitors: ['10.0.0.1:6789'], image: 'disk', pool: 'rbd', user: 'admin', keyring: '/etc/ceph/keyring' });
  });

  test('a quantity that is none is refused by decoding, before validation', () => {
    const bad = refusal(() => create(pod({ volumes: [{ name: 'cache', emptyDir: { sizeLimit: '1Mm' } }] })), 400);
    assert.equal(bad.message, `Pod in version "v1" cannot be handled as a Pod: unable to parse quantity's suffix`);
    const claim = refusal(() => create(pod({ volumes: [{ name: 'c', ephemeral: { volumeClaimTemplate: { spec: { resources: { requests: { storage: 'lots' } } } } } }] })), 400);
    assert.match(claim.message, /quantities must match the regular expression/);
  });
});

describe('volume names and sources', () => {
  test('a name is a unique DNS label; a volume that fails is not one a mount may name', () => {
    assert.deepEqual(
      podCauses({
        volumes: [{ name: '', emptyDir: {} }, { name: 'Data', emptyDir: {} }, { name: 'cache' }, { name: 'cache' }, { name: 'conf', configMap: {} }],
        containers: [app({ volumeMounts: [{ name: 'cache', mountPath: '/cache' }, { name: 'conf', mountPath: '/conf' }] })],
      }),
      [
        'spec.volumes[0].name: Required value',
        `spec.volumes[1].name: ${LABEL('Data')}`,
        'spec.volumes[3].name: Duplicate value: "cache"',
        'spec.volumes[4].configMap.name: Required value',
        'spec.containers[0].volumeMounts[1].name: Not found: "conf"',
      ],
    );
  });

  test('one source per volume: a second one is reported at its key (cephFS and downwarAPI as upstream spells them)', () => {
    assert.deepEqual(volumeCauses({ emptyDir: {}, hostPath: { path: '/srv' }, secret: { secretName: '' } }), [
      `spec.volumes[0].hostPath: ${MORE_THAN_ONE}`,
      `spec.volumes[0].secret: ${MORE_THAN_ONE}`,
    ]);
    // Upstream's order decides which is first: cephfs comes before downwardAPI and configMap.
    assert.deepEqual(volumeCauses({ configMap: { name: 'c' }, downwardAPI: { items: [] }, cephfs: { monitors: [] } }), [
      'spec.volumes[0].cephfs.monitors: Required value',
      `spec.volumes[0].downwarAPI: ${MORE_THAN_ONE}`,
      `spec.volumes[0].configMap: ${MORE_THAN_ONE}`,
    ]);
    assert.deepEqual(volumeCauses({ emptyDir: {}, cephfs: { monitors: ['m'] } }), [`spec.volumes[0].cephFS: ${MORE_THAN_ONE}`]);
    // A volume with no source is an emptyDir; a null source is none.
    assert.deepEqual(create(pod({ volumes: [{ name: 'v', hostPath: null }] }))['spec'].volumes[0].emptyDir, {});
  });

  test('emptyDir, hostPath, gitRepo, persistentVolumeClaim', () => {
    assert.deepEqual(volumeCauses({ emptyDir: { sizeLimit: '-1Gi' } }), ['spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity']);
    assert.deepEqual(volumeCauses({ hostPath: { path: '' } }), ['spec.volumes[0].hostPath.path: Required value']);
    assert.deepEqual(volumeCauses({ hostPath: { path: '/var/../etc', type: 'Dir' } }), [
      `spec.volumes[0].hostPath.path: Invalid value: "/var/../etc": must not contain '..'`,
      'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
    ]);
    assert.deepEqual(volumeCauses({ gitRepo: { repository: '', directory: '/abs/../x' } }), [
      'spec.volumes[0].gitRepo.repository: Required value',
      'spec.volumes[0].gitRepo.directory: Invalid value: "/abs/../x": must be a relative path',
      `spec.volumes[0].gitRepo.directory: Invalid value: "/abs/../x": must not contain '..'`,
    ]);
    assert.deepEqual(volumeCauses({ persistentVolumeClaim: { claimName: '' } }), ['spec.volumes[0].persistentVolumeClaim.claimName: Required value']);
  });

  test('network and cloud disks: nfs, iscsi, glusterfs, rbd, cephfs, cinder, fc, gcePersistentDisk, awsElasticBlockStore', () => {
    assert.deepEqual(volumeCauses({ nfs: { server: '', path: '' } }), [
      'spec.volumes[0].nfs.server: Required value',
      'spec.volumes[0].nfs.path: Required value',
      'spec.volumes[0].nfs.path: Invalid value: "": must be an absolute path',
    ]);
    assert.deepEqual(volumeCauses({ iscsi: { targetPortal: '', iqn: 'disk1', lun: 256, chapAuthDiscovery: true, initiatorName: 'iqn.bad' } }), [
      'spec.volumes[0].iscsi.targetPortal: Required value',
      'spec.volumes[0].iscsi.iqn: Invalid value: "disk1": must be valid format starting with iqn, eui, or naa',
      'spec.volumes[0].iscsi.lun: Invalid value: 256: must be between 0 and 255, inclusive',
      'spec.volumes[0].iscsi.secretRef: Required value',
      'spec.volumes[0].iscsi.initiatorname: Invalid value: "iqn.bad": must be valid format',
    ]);
    // The name check comes after the source's, even for a second source.
    const portal = `${'10.0.0.5'.repeat(8)}:3260`;
    assert.deepEqual(volumeCauses({ emptyDir: {}, iscsi: { targetPortal: portal, iqn: 'iqn.2001-04.com.example:disk', initiatorName: 'iqn.2001-04.com.example:node' } }), [
      `spec.volumes[0].iscsi: ${MORE_THAN_ONE}`,
      'spec.volumes[0].name: Invalid value: "v": Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified.',
    ]);
    // A pod's iSCSI secret reference needs no name (a PV's does).
    create(pod({ volumes: [{ name: 'v', iscsi: { targetPortal: '10.0.0.5:3260', iqn: 'eui.02004567A425678D', secretRef: {} } }] }));
    assert.deepEqual(volumeCauses({ glusterfs: { endpoints: '', path: '' } }), ['spec.volumes[0].glusterfs.endpoints: Required value', 'spec.volumes[0].glusterfs.path: Required value']);
    assert.deepEqual(volumeCauses({ rbd: { monitors: [], image: '' } }), ['spec.volumes[0].rbd.monitors: Required value', 'spec.volumes[0].rbd.image: Required value']);
    assert.deepEqual(volumeCauses({ cephfs: {} }), ['spec.volumes[0].cephfs.monitors: Required value']);
    // A pod's secret reference is local: a name, no namespace.
    assert.deepEqual(volumeCauses({ cinder: { volumeID: '', secretRef: {} } }), ['spec.volumes[0].cinder.volumeID: Required value', 'spec.volumes[0].cinder.secretRef.name: Required value']);
    assert.deepEqual(volumeCauses({ fc: { targetWWNs: ['500a0982991b8dc5'], lun: 300 } }), ['spec.volumes[0].fc.lun: Invalid value: 300: must be between 0 and 255, inclusive']);
    assert.deepEqual(volumeCauses({ fc: {} }), ['spec.volumes[0].fc.targetWWNs: Required value: must specify either targetWWNs or wwids, but not both']);
    assert.deepEqual(volumeCauses({ gcePersistentDisk: { pdName: '', partition: -1 } }), [
      'spec.volumes[0].persistentDisk.pdName: Required value',
      'spec.volumes[0].persistentDisk.partition: Invalid value: -1: must be between 1 and 255, inclusive',
    ]);
    assert.deepEqual(volumeCauses({ awsElasticBlockStore: { volumeID: '', partition: 256 } }), [
      'spec.volumes[0].awsElasticBlockStore.volumeID: Required value',
      'spec.volumes[0].awsElasticBlockStore.partition: Invalid value: 256: must be between 1 and 255, inclusive',
    ]);
  });

  test('the other plugins: flocker, flexVolume, azureFile, azureDisk, vsphereVolume, quobyte, photon, portworx, scaleIO, storageos', () => {
    assert.deepEqual(volumeCauses({ flocker: { datasetName: 'a/b', datasetUUID: 'u' } }), [
      'spec.volumes[0].flocker: Invalid value: "resource": datasetName and datasetUUID can not be specified simultaneously',
      `spec.volumes[0].flocker.datasetName: Invalid value: "a/b": must not contain '/'`,
    ]);
    assert.deepEqual(volumeCauses({ flocker: {} }), ['spec.volumes[0].flocker: Required value: one of datasetName and datasetUUID is required']);
    assert.deepEqual(volumeCauses({ flexVolume: { driver: '', options: { 'node.k8s.io/x': '1', size: '1' } } }), [
      'spec.volumes[0].flexVolume.driver: Required value',
      'spec.volumes[0].flexVolume.options[node.k8s.io/x]: Invalid value: "node.k8s.io/x": kubernetes.io and k8s.io namespaces are reserved',
    ]);
    // A pod's azureFile has no secretNamespace to check.
    assert.deepEqual(volumeCauses({ azureFile: { secretName: '', shareName: 'share', secretNamespace: '' } }), ['spec.volumes[0].azureFile.secretName: Required value']);
    assert.deepEqual(volumeCauses({ azureDisk: { diskName: 'd', diskURI: 'https://a.blob.core.windows.net/c/d.vhd', kind: 'Managed', cachingMode: 'Always' } }), [
      'spec.volumes[0].azureDisk.cachingMode: Unsupported value: "Always": supported values: "None", "ReadOnly", "ReadWrite"',
      'spec.volumes[0].azureDisk.diskURI: Unsupported value: "https://a.blob.core.windows.net/c/d.vhd": supported values: "/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"',
    ]);
    assert.deepEqual(volumeCauses({ vsphereVolume: {} }), ['spec.volumes[0].vsphereVolume.volumePath: Required value']);
    assert.deepEqual(volumeCauses({ quobyte: { registry: '', volume: '' } }), [
      'spec.volumes[0].quobyte.registry: Required value: must be a host:port pair or multiple pairs separated by commas',
      'spec.volumes[0].quobyte.volume: Required value',
    ]);
    assert.deepEqual(volumeCauses({ photonPersistentDisk: {} }), ['spec.volumes[0].photonPersistentDisk.pdID: Required value']);
    assert.deepEqual(volumeCauses({ portworxVolume: {} }), ['spec.volumes[0].portworxVolume.volumeID: Required value']);
    assert.deepEqual(volumeCauses({ scaleIO: { gateway: 'https://gw', system: '', volumeName: '', secretRef: { name: 's' } } }), [
      'spec.volumes[0].scaleIO.system: Required value',
      'spec.volumes[0].scaleIO.volumeName: Required value',
    ]);
    assert.deepEqual(volumeCauses({ storageos: { volumeName: 'Vol', volumeNamespace: 'a.b', secretRef: { name: '' } } }), [
      `spec.volumes[0].storageos.volumeName: ${LABEL('Vol')}`,
      'spec.volumes[0].storageos.volumeNamespace: Invalid value: "a.b": must not contain dots',
      'spec.volumes[0].storageos.secretRef.name: Required value',
    ]);
  });

  test("csi: a driver name, and a node publish secret's name (its bad name reported at the source's name)", () => {
    assert.deepEqual(volumeCauses({ csi: { driver: '', nodePublishSecretRef: {} } }), [
      'spec.volumes[0].csi.driver: Required value',
      `spec.volumes[0].csi.driver: ${SUBDOMAIN('')}`,
      'spec.volumes[0].csi.nodePublishSecretRef.name: Required value',
    ]);
    assert.deepEqual(volumeCauses({ csi: { driver: 'Secrets-Store.CSI.k8s.io', nodePublishSecretRef: { name: 'Creds' } } }), [`spec.volumes[0].csi.name: ${SUBDOMAIN('Creds')}`]);
  });
});

describe('files of secret, configMap, downwardAPI and projected volumes', () => {
  test('secret and configMap: a name, modes up to 0777, items with a key and a relative path inside the volume', () => {
    assert.deepEqual(
      volumeCauses({
        secret: {
          secretName: '',
          defaultMode: 0o1000,
          items: [
            { key: '', path: '' },
            { key: 'a', path: '/etc/a', mode: -1 },
            { key: 'b', path: '..' },
            { key: 'c', path: '..c/../d' },
          ],
        },
      }),
      [
        'spec.volumes[0].secret.secretName: Required value',
        `spec.volumes[0].secret.defaultMode: Invalid value: 512: ${FILE_MODE}`,
        'spec.volumes[0].secret.items[0].key: Required value',
        'spec.volumes[0].secret.items[0].path: Required value',
        'spec.volumes[0].secret.items[1].path: Invalid value: "/etc/a": must be a relative path',
        `spec.volumes[0].secret.items[1].mode: Invalid value: -1: ${FILE_MODE}`,
        // Upstream means to skip the second cause when the first said it, but ".." alone gets both.
        `spec.volumes[0].secret.items[2].path: Invalid value: "..": must not contain '..'`,
        `spec.volumes[0].secret.items[2].path: Invalid value: "..": must not start with '..'`,
        `spec.volumes[0].secret.items[3].path: Invalid value: "..c/../d": must not contain '..'`,
        `spec.volumes[0].secret.items[3].path: Invalid value: "..c/../d": must not start with '..'`,
      ],
    );
    assert.deepEqual(volumeCauses({ configMap: { name: '', defaultMode: 0o777, items: [{ key: 'k', path: '..data', mode: 0o1777 }] } }), [
      'spec.volumes[0].configMap.name: Required value',
      `spec.volumes[0].configMap.items[0].path: Invalid value: "..data": must not start with '..'`,
      `spec.volumes[0].configMap.items[0].mode: Invalid value: 1023: ${FILE_MODE}`,
    ]);
  });

  test("downwardAPI: each file from one pod field a volume may show or one container's resource, reported at the volume's path", () => {
    assert.deepEqual(
      volumeCauses({
        downwardAPI: {
          defaultMode: -1,
          items: [
            { path: '', fieldRef: { fieldPath: 'spec.nodeName' } },
            { path: 'both', fieldRef: { fieldPath: "metadata.labels['app']" }, resourceFieldRef: { resource: 'limits.cpu' } },
            { path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } },
            { path: 'gpu', resourceFieldRef: { containerName: 'web', resource: 'limits.nvidia.com/gpu' } },
            { path: 'mem', resourceFieldRef: { containerName: 'web', resource: 'limits.memory', divisor: '3Mi' } },
            { path: 'none', mode: 0o1000 },
            { path: 'bad-key', fieldRef: { fieldPath: "metadata.annotations['-x']" } },
          ],
        },
      }),
      [
        `spec.volumes[0].downwardAPI.defaultMode: Invalid value: -1: ${FILE_MODE}`,
        'spec.volumes[0].downwardAPI.path: Required value',
        'spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
        'spec.volumes[0].downwardAPI: Invalid value: "resource": fieldRef and resourceFieldRef can not be specified simultaneously',
        'spec.volumes[0].downwardAPI.resourceFieldRef.containerName: Required value',
        'spec.volumes[0].downwardAPI.resourceFieldRef.resource: Unsupported value: "limits.nvidia.com/gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"',
        `spec.volumes[0].downwardAPI.resourceFieldRef.divisor: Invalid value: "limits.memory": only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource`,
        'spec.volumes[0].downwardAPI: Required value: one of fieldRef and resourceFieldRef is required',
        `spec.volumes[0].downwardAPI.mode: Invalid value: 512: ${FILE_MODE}`,
        `spec.volumes[0].downwardAPI.fieldRef: Invalid value: "-x": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      ],
    );
  });

  test('projected: one kind per source, tokens of 10 minutes to 2^32 seconds at a path, every file path once', () => {
    assert.deepEqual(
      volumeCauses({
        projected: {
          defaultMode: 0o1000,
          sources: [
            { secret: { name: '', items: [{ key: 'a', path: 'x' }] }, configMap: { name: 'cm', items: [{ key: 'b', path: 'x' }] } },
            { downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'metadata.name' } }, { path: '', fieldRef: { fieldPath: 'metadata.uid' } }] } },
            { serviceAccountToken: { expirationSeconds: 599, path: '' } },
            { serviceAccountToken: { expirationSeconds: 2 ** 32 + 1, path: '/token' } },
            { serviceAccountToken: { path: 'x' } },
            {},
          ],
        },
      }),
      [
        `spec.volumes[0].projected.defaultMode: Invalid value: 512: ${FILE_MODE}`,
        'spec.volumes[0].projected.sources[0].secret.name: Required value',
        'spec.volumes[0].projected: Invalid value: "cm": conflicting duplicate paths',
        'spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type per source',
        'spec.volumes[0].projected: Invalid value: "x": conflicting duplicate paths',
        'spec.volumes[0].projected.sources[1].downwardAPI.path: Required value',
        'spec.volumes[0].projected.sources[2].serviceAccountToken.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
        'spec.volumes[0].projected.path: Required value',
        'spec.volumes[0].projected.sources[3].serviceAccountToken.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds',
        'spec.volumes[0].projected.path: Invalid value: "/token": must be a relative path',
      ],
    );
  });

  test('a pod without a service account may not project its token; the check is for pods, after their spec', () => {
    const stored = create(pod({ volumes: [apiAccessVolume('kube-api-access-x7kq2')] }));
    assert.equal(stored['spec'].serviceAccountName, 'default');
    const withoutAccount = structuredClone(stored);
    delete withoutAccount['spec'].serviceAccountName;
    delete withoutAccount['spec'].serviceAccount;
    withoutAccount['spec'].containers[0].image = ' nginx';
    const refused = causes(() => update(stored, withoutAccount));
    assert.deepEqual(refused.slice(0, 2), [
      'spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: must not be specified when serviceAccountName is not set',
      'spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace',
    ]);
  });
});

describe('ephemeral volumes', () => {
  test("a claim template is required; its metadata holds labels and annotations only, its spec is a claim's", () => {
    assert.deepEqual(volumeCauses({ ephemeral: {} }), ['spec.volumes[0].ephemeral.volumeClaimTemplate: Required value']);
    const at = 'spec.volumes[0].ephemeral.volumeClaimTemplate';
    assert.deepEqual(
      volumeCauses({
        ephemeral: {
          volumeClaimTemplate: {
            metadata: { name: 'scratch', namespace: 'default', uid: 'u', generation: 0, deletionGracePeriodSeconds: 0, finalizers: [], labels: { 'bad key': 'v' }, annotations: { '-a': '' } },
            spec: { accessModes: ['ReadWriteMany', 'Sometimes'], storageClassName: 'Fast', volumeMode: 'Raw', resources: { requests: { storage: '0' } } },
          },
        },
      }),
      [
        `${at}.metadata.annotations: Invalid value: "-a": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        `${at}.metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        `${at}.metadata.name: Forbidden: cannot be set`,
        `${at}.metadata.namespace: Forbidden: cannot be set`,
        `${at}.metadata.uID: Forbidden: cannot be set`,
        `${at}.metadata.deletionGracePeriodSeconds: Forbidden: cannot be set`,
        `${at}.metadata.finalizers: Forbidden: cannot be set`,
        `${at}.spec.accessModes: Unsupported value: "Sometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`,
        `${at}.spec.resources[storage]: Invalid value: "0": must be greater than zero`,
        `${at}.spec.storageClassName: ${SUBDOMAIN('Fast')}`,
        `${at}.spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"`,
      ],
    );
    const big = { volumeClaimTemplate: { ...EPHEMERAL_CLAIM.volumeClaimTemplate, metadata: { annotations: { note: 'x'.repeat(256 * 1024) } } } };
    assert.deepEqual(volumeCauses({ ephemeral: big }), [`${at}.metadata.annotations: Too long: must have at most 262144 bytes`]);
    assert.deepEqual(volumeCauses({ ephemeral: { volumeClaimTemplate: {} } }), [
      `${at}.spec.accessModes: Required value: at least 1 access mode is required`,
      `${at}.spec.resources[storage]: Required value`,
    ]);
  });

  test("a pod's claim names are valid, and no persistentVolumeClaim volume names one; templates have no pod name to check", () => {
    const long = 'v'.repeat(63);
    const volumes = [
      { name: 'scratch', ephemeral: EPHEMERAL_CLAIM },
      { name: long, ephemeral: EPHEMERAL_CLAIM },
      { name: 'same', persistentVolumeClaim: { claimName: 'web-scratch' } },
    ];
    const podName = 'w'.repeat(190);
    assert.deepEqual(causes(() => create(pod({ volumes }, podName))), [
      `spec.volumes[1].name: Invalid value: "${long}": PVC name "${podName}-${long}": must be no more than 253 characters`,
    ]);
    assert.deepEqual(causes(() => create(pod({ volumes }))), [
      'spec.volumes[2].persistentVolumeClaim.claimName: Invalid value: "web-scratch": must not reference a PVC that gets created for an ephemeral volume',
    ]);
    create(deployment({ volumes }));
  });
});

describe('volume mounts', () => {
  const data = [{ name: 'data', emptyDir: {} }];

  test('subPath and subPathExpr stay inside the volume, one or the other; their causes name the list, not the mount', () => {
    assert.deepEqual(
      mountCauses(data, {
        volumeMounts: [
          { name: 'data', mountPath: '/a', subPath: '/abs' },
          { name: 'data', mountPath: '/b', subPath: 'x/../..', subPathExpr: '$(POD)/../y' },
          { name: 'data', mountPath: '/c', subPathExpr: '/$(POD)' },
        ],
      }),
      [
        'spec.containers[0].volumeMounts.subPath: Invalid value: "/abs": must be a relative path',
        `spec.containers[0].volumeMounts.subPath: Invalid value: "x/../..": must not contain '..'`,
        'spec.containers[0].volumeMounts[1].subPathExpr: Invalid value: "$(POD)/../y": subPathExpr and subPath are mutually exclusive',
        `spec.containers[0].volumeMounts.subPathExpr: Invalid value: "$(POD)/../y": must not contain '..'`,
        'spec.containers[0].volumeMounts.subPathExpr: Invalid value: "/$(POD)": must be a relative path',
      ],
    );
  });

  test('mountPropagation: a supported mode, Bidirectional for privileged containers only', () => {
    assert.deepEqual(mountCauses(data, { volumeMounts: [{ name: 'data', mountPath: '/a', mountPropagation: 'Shared' }, { name: 'data', mountPath: '/b', mountPropagation: 'Bidirectional' }] }), [
      'spec.containers[0].volumeMounts.mountPropagation: Unsupported value: "Shared": supported values: "Bidirectional", "HostToContainer", "None"',
      'spec.containers[0].volumeMounts.mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers',
    ]);
    assert.deepEqual(
      mountCauses(data, { securityContext: { privileged: false }, volumeMounts: [{ name: 'data', mountPath: '/b', mountPropagation: 'Bidirectional' }] }),
      ['spec.containers[0].volumeMounts.mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers'],
    );
  });

  test('recursiveReadOnly: a supported mode; Enabled and IfPossible only read-only and not propagating', () => {
    assert.deepEqual(
      mountCauses(data, {
        volumeMounts: [
          { name: 'data', mountPath: '/a', recursiveReadOnly: 'Always' },
          { name: 'data', mountPath: '/b', recursiveReadOnly: 'Enabled', mountPropagation: 'HostToContainer' },
          { name: 'data', mountPath: '/c', readOnly: true, recursiveReadOnly: 'IfPossible', mountPropagation: 'None' },
          { name: 'data', mountPath: '/d', recursiveReadOnly: 'Disabled', mountPropagation: 'HostToContainer' },
        ],
      }),
      [
        'spec.containers[0].volumeMounts.recursiveReadOnly: Unsupported value: "Always": supported values: "Disabled", "Enabled", "IfPossible"',
        'spec.containers[0].volumeMounts.recursiveReadOnly: Forbidden: may only be specified when readOnly is true',
        'spec.containers[0].volumeMounts.recursiveReadOnly: Forbidden: may only be specified when mountPropagation is None or not specified',
      ],
    );
  });

  test("a mount's causes in upstream's order: name, path, then its use as a device", () => {
    const claim = [{ name: 'disk', persistentVolumeClaim: { claimName: 'disk' } }];
    assert.deepEqual(
      mountCauses(claim, {
        volumeMounts: [
          { name: '', mountPath: '' },
          { name: 'disk', mountPath: '/dev/xvda' },
          { name: 'nope', mountPath: '/dev/xvda' },
        ],
        volumeDevices: [{ name: 'disk', devicePath: '/dev/xvda' }],
      }),
      [
        'spec.containers[0].volumeMounts[0].name: Required value',
        'spec.containers[0].volumeMounts[0].name: Not found: ""',
        'spec.containers[0].volumeMounts[0].mountPath: Required value',
        'spec.containers[0].volumeMounts[1].name: Invalid value: "disk": must not already exist in volumeDevices',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/dev/xvda": must not already exist as a path in volumeDevices',
        'spec.containers[0].volumeMounts[2].name: Not found: "nope"',
        'spec.containers[0].volumeMounts[2].mountPath: Invalid value: "/dev/xvda": must be unique',
        'spec.containers[0].volumeMounts[2].mountPath: Invalid value: "/dev/xvda": must not already exist as a path in volumeDevices',
        'spec.containers[0].volumeDevices[0].name: Invalid value: "disk": must not already exist in volumeMounts',
        'spec.containers[0].volumeDevices[0].devicePath: Invalid value: "/dev/xvda": must not already exist as a path in volumeMounts',
      ],
    );
  });
});

describe('volume devices', () => {
  test('a named claim-backed volume, at a unique path without backsteps, once', () => {
    const volumes = [
      { name: 'disk', persistentVolumeClaim: { claimName: 'disk' } },
      { name: 'scratch', ephemeral: EPHEMERAL_CLAIM },
      { name: 'cache', emptyDir: {} },
    ];
    assert.deepEqual(
      mountCauses(volumes, {
        volumeDevices: [
          { name: 'disk', devicePath: '/dev/xvda' },
          { name: 'disk', devicePath: '/dev/xvda' },
          { name: 'cache', devicePath: '/dev/../xvdb' },
          { name: '', devicePath: '' },
          { name: 'gone', devicePath: '/dev/xvdb/..' },
          { name: 'scratch', devicePath: '/dev/xvdc' },
        ],
      }),
      [
        'spec.containers[0].volumeDevices[1].name: Invalid value: "disk": must be unique',
        'spec.containers[0].volumeDevices[1].devicePath: Invalid value: "/dev/xvda": must be unique',
        'spec.containers[0].volumeDevices[2].name: Invalid value: "cache": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode',
        `spec.containers[0].volumeDevices[2].devicePath: Invalid value: "/dev/../xvdb": can not contain backsteps ('..')`,
        'spec.containers[0].volumeDevices[3].name: Required value',
        'spec.containers[0].volumeDevices[3].name: Not found: ""',
        'spec.containers[0].volumeDevices[3].devicePath: Required value',
        'spec.containers[0].volumeDevices[4].name: Not found: "gone"',
        `spec.containers[0].volumeDevices[4].devicePath: Invalid value: "/dev/xvdb/..": can not contain backsteps ('..')`,
      ],
    );
  });

  test('init containers are checked alike; ephemeral containers may have devices (1.31 allows them)', () => {
    const volumes = [{ name: 'disk', persistentVolumeClaim: { claimName: 'disk' } }];
    assert.deepEqual(podCauses({ volumes, initContainers: [app({ name: 'init', volumeDevices: [{ name: 'disk', devicePath: 'dev' }, { name: 'disk2', devicePath: '/dev/b' }] })] }), [
      'spec.initContainers[0].volumeDevices[1].name: Not found: "disk2"',
    ]);
    const debug = { name: 'debug', image: 'busybox', volumeDevices: [{ name: 'disk', devicePath: '/dev/xvda' }] };
    assert.deepEqual(podCauses({ volumes, ephemeralContainers: [debug] }), ['spec.ephemeralContainers: Forbidden: cannot be set on create']);
  });
});

describe('gated volume sources 1.31 drops before validation', () => {
  test('an image volume goes, with every mount of it; a clusterTrustBundle source leaves an empty source', () => {
    const p = create(
      pod({
        volumes: [
          { name: 'model', image: { reference: 'registry.local/model:1', pullPolicy: 'Sometimes' } },
          { name: 'ca', projected: { sources: [{ clusterTrustBundle: { signerName: 'Bad Signer', path: '/abs' } }, { configMap: { name: 'ca' } }] } },
        ],
        initContainers: [app({ name: 'init', volumeMounts: [{ name: 'model', mountPath: '/model' }] })],
        containers: [app({ volumeMounts: [{ name: 'model', mountPath: '/model', subPath: 'x' }, { name: 'ca', mountPath: '/ca' }] })],
      }),
    );
    assert.deepEqual(p['spec'].volumes, [{ name: 'ca', projected: { defaultMode: 420, sources: [{}, { configMap: { name: 'ca' } }] } }]);
    assert.equal(p['spec'].initContainers[0].volumeMounts, undefined);
    assert.deepEqual(p['spec'].containers[0].volumeMounts, [{ name: 'ca', mountPath: '/ca' }]);
    const d = create(deployment({ volumes: [{ name: 'model', image: { reference: 'm' } }], containers: [app({ volumeMounts: [{ name: 'model', mountPath: '/m' }] })] }));
    assert.equal(d['spec'].template.spec.volumes, undefined);
  });
});

describe("causes in upstream's order", () => {
  const volumes = [
    { name: 'conf', configMap: { name: 'c', items: [{ key: 'k', path: '/abs' }] } },
    { name: 'disk', persistentVolumeClaim: { claimName: '' }, hostPath: { path: '' } },
    { name: 'Bad', emptyDir: {} },
  ];
  const spec = {
    volumes,
    containers: [app({ volumeMounts: [{ name: 'conf', mountPath: '/conf', subPath: '../x' }, { name: 'disk', mountPath: '/disk' }], volumeDevices: [{ name: 'conf', devicePath: '/dev/a' }] })],
    initContainers: [app({ name: 'init', volumeMounts: [{ name: 'Bad', mountPath: '/x' }] })],
    restartPolicy: 'Sometimes',
  };
  const expected = (s: string) => [
    `${s}.volumes[0].configMap.items[0].path: Invalid value: "/abs": must be a relative path`,
    `${s}.volumes[1].hostPath.path: Required value`,
    `${s}.volumes[1].persistentVolumeClaim: ${MORE_THAN_ONE}`,
    `${s}.volumes[2].name: ${LABEL('Bad')}`,
    `${s}.containers[0].volumeMounts[0].name: Not found: "conf"`,
    `${s}.containers[0].volumeMounts[0].name: Invalid value: "conf": must not already exist in volumeDevices`,
    `${s}.containers[0].volumeMounts.subPath: Invalid value: "../x": must not contain '..'`,
    `${s}.containers[0].volumeMounts[1].name: Not found: "disk"`,
    `${s}.containers[0].volumeDevices[0].name: Not found: "conf"`,
    `${s}.containers[0].volumeDevices[0].name: Invalid value: "conf": must not already exist in volumeMounts`,
    `${s}.initContainers[0].volumeMounts[0].name: Not found: "Bad"`,
    `${s}.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`,
  ];

  test('a pod: volumes first, then each container with its mounts and devices, then the rest of the spec', () => {
    assert.deepEqual(podCauses(spec), expected('spec'));
  });

  test("a Deployment's template, at its own paths", () => {
    const { restartPolicy: _, ...templateSpec } = spec;
    assert.deepEqual(causes(() => create(deployment(templateSpec))), expected('spec.template.spec').slice(0, -1));
  });
});

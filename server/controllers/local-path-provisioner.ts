// Local-path volumes for claims of a class whose provisioner is
// rancher.io/local-path (k3s's default class), doing for them what k3s's
// local-path-provisioner and upstream's PV controller do together: once the
// scheduler has picked the node of the claim's first pod (the claim's
// volume.kubernetes.io/selected-node annotation: the class binds on first
// consumer), a PersistentVolume pvc-<claim uid> with a folder in that node's
// storage dir (which its agent announces on its Node), pinned to the node
// and bound to the claim, both Bound; when the claim is gone, its volume is
// deleted (reclaim policy Delete) or Released (Retain), and the node's
// agent then removes the folder. Level-triggered, one key at a time:
// "claim:ns/name" or "volume:name".
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { LOCAL_PATH_PROVISIONER, localFolderName, localVolumeName, STORAGE_PATH_ANNOTATION } from '../../common/local-path.js';
import type { Logger } from '../../common/log.js';
import { WorkQueue } from '../../common/work-queue.js';
import type { Catalogue } from '../api/catalogue.js';
import { SELECTED_NODE_ANNOTATION } from '../api/kinds/storage.js';
import type { KubeObject } from '../api/objects.js';
import type { Registry } from '../api/registry/registry.js';
import type { ResourceType } from '../api/resources.js';
import { ApiError } from '../api/status.js';
import { isGone } from './delete-all.js';
import { EventRecorder } from './event-recorder.js';
import type { SharedInformer, SharedInformers } from './shared-informers.js';
import { writeStatus } from './status-writes.js';

const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

type Claim = KubeObject & PersistentVolumeClaim;
type Volume = KubeObject & PersistentVolume;

export interface LocalPathProvisionerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly informers: SharedInformers;
  readonly log: Logger;
}

export class LocalPathProvisioner {
  readonly #claims: SharedInformer;
  readonly #volumes: SharedInformer;
  readonly #classes: SharedInformer;
  readonly #nodes: SharedInformer;
  readonly #claimType: ResourceType;
  readonly #volumeType: ResourceType;
  readonly #queue: WorkQueue;
  readonly #events: EventRecorder;
  /** Claims told they wait for a consumer (the event is recorded once per claim). */
  readonly #toldWaiting = new Set<string>();

  private constructor(private readonly opts: LocalPathProvisionerOptions) {
    this.#claimType = opts.catalogue.get('', 'v1', 'persistentvolumeclaims')!;
    this.#volumeType = opts.catalogue.get('', 'v1', 'persistentvolumes')!;
    this.#events = new EventRecorder(opts.registry, opts.catalogue, 'persistentvolume-controller', opts.log);
    this.#queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err, retryInMs) => opts.log.warn('local-path volume sync failed', { key, error: err, retryInMs }),
    );
    this.#claims = opts.informers.of('', 'v1', 'persistentvolumeclaims');
    this.#volumes = opts.informers.of('', 'v1', 'persistentvolumes');
    this.#classes = opts.informers.of('storage.k8s.io', 'v1', 'storageclasses');
    this.#nodes = opts.informers.of('', 'v1', 'nodes');
  }

  static async start(opts: LocalPathProvisionerOptions): Promise<LocalPathProvisioner> {
    const controller = new LocalPathProvisioner(opts);
    await Promise.all([controller.#claims.start(), controller.#volumes.start(), controller.#classes.start(), controller.#nodes.start()]);
    controller.#claims.subscribe((key) => {
      controller.#queue.add(`claim:${key}`);
      // A claim gone frees its volume.
      const volume = (controller.#claims.get(key) as Claim | undefined)?.spec?.volumeName;
      if (volume !== undefined) controller.#queue.add(`volume:${volume}`);
      else for (const v of controller.#volumes.values()) if (claimKeyOf(v as Volume) === key) controller.#queue.add(`volume:${v.metadata.name}`);
    });
    controller.#volumes.subscribe((name) => {
      controller.#queue.add(`volume:${name}`);
      const claim = claimKeyOf(controller.#volumes.get(name) as Volume | undefined);
      if (claim !== undefined) controller.#queue.add(`claim:${claim}`);
    });
    // A node announcing its storage dir lets the claims waiting for it go on.
    controller.#nodes.subscribe((name) => {
      for (const claim of controller.#claims.values()) {
        if (claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION] === name && !(claim as Claim).spec?.volumeName) controller.#queue.add(`claim:${claim.metadata.namespace}/${claim.metadata.name}`);
      }
    });
    return controller;
  }

  async reconcile(key: string): Promise<void> {
    if (key.startsWith('claim:')) return this.#reconcileClaim(key.slice('claim:'.length));
    if (key.startsWith('volume:')) return this.#reconcileVolume(key.slice('volume:'.length));
  }

  async #reconcileClaim(key: string): Promise<void> {
    const claim = this.#claims.get(key) as Claim | undefined;
    if (claim === undefined) {
      this.#toldWaiting.delete(key);
      return;
    }
    if (claim.metadata.deletionTimestamp !== undefined) return;
    const sc = this.#classOf(claim);
    if (sc === undefined) return;
    const volumeName = claim.spec?.volumeName;
    if (volumeName) return this.#completeBinding(claim, volumeName);
    const node = claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
    if (node === undefined) {
      if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !this.#toldWaiting.has(key)) {
        this.#toldWaiting.add(key);
        this.#events.record(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      }
      return;
    }
    const storage = (this.#nodes.get(node) as (KubeObject & Node) | undefined)?.metadata.annotations?.[STORAGE_PATH_ANNOTATION];
    // The node's agent has not said where it keeps volumes yet: its Node changing brings the claim back.
    if (storage === undefined || !storage.startsWith('/')) return;
    const name = localVolumeName(claim.metadata.uid!);
    let volume = this.#volumes.get(name) as Volume | undefined;
    if (volume === undefined) {
      volume = await this.#provision(claim, sc, node, storage, name);
      if (volume === undefined) return;
    }
    // The claim takes its volume (upstream binds the volume's claimRef first: the provisioner already set it).
    const bound = await this.opts.registry.patch(this.#claimType, claim.metadata.namespace, claim.metadata.name!, (current) => {
      const c = current as Claim;
      if (c.metadata.uid !== claim.metadata.uid) throw new ApiError(404, 'NotFound', 'claim replaced');
      (c.spec ??= {}).volumeName = name;
      c.metadata.annotations = { ...c.metadata.annotations, [BIND_COMPLETED_ANNOTATION]: 'yes', [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' };
      return c;
    }, {});
    this.#claims.remember(bound);
    await this.#completeBinding(bound as Claim, name);
  }

  /** Both sides Bound, the claim showing its volume's capacity and access modes; Lost when the volume is gone. */
  async #completeBinding(claim: Claim, volumeName: string): Promise<void> {
    const volume = this.#volumes.get(volumeName) as Volume | undefined;
    if (volume === undefined) {
      if (claim.status?.phase === 'Bound') {
        await writeStatus({ registry: this.opts.registry, type: this.#claimType, informer: this.#claims }, claim, { ...claim.status, phase: 'Lost' });
        this.#events.record(claim, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      }
      return;
    }
    if (volume.spec?.claimRef?.uid !== claim.metadata.uid) return;
    await writeStatus({ registry: this.opts.registry, type: this.#volumeType, informer: this.#volumes }, volume, { ...volume.status, phase: 'Bound' });
    await writeStatus({ registry: this.opts.registry, type: this.#claimType, informer: this.#claims }, claim, {
      ...claim.status,
      phase: 'Bound',
      accessModes: volume.spec?.accessModes ?? [],
      capacity: volume.spec?.capacity ?? {},
    });
  }

  async #provision(claim: Claim, sc: KubeObject & StorageClass, node: string, storage: string, name: string): Promise<Volume | undefined> {
    const { namespace, name: claimName, uid } = claim.metadata as { namespace: string; name: string; uid: string };
    const request = claim.spec?.resources?.requests?.['storage'];
    if (request === undefined) {
      this.#events.record(claim, 'Warning', 'ProvisioningFailed', 'failed to provision volume with StorageClass "' + sc.metadata.name + '": claim.Spec.Resources.Requests["storage"] is required');
      return undefined;
    }
    this.#events.record(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${namespace}/${claimName}"`);
    const volume: Volume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER, 'local.path.provisioner/selected-node': node } },
      spec: {
        capacity: { storage: String(request) },
        accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name!,
        volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
        hostPath: { path: `${storage.replace(/\/+$/, '')}/${localFolderName(uid, namespace, claimName)}`, type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [node] }] }] } },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: claimName, uid, resourceVersion: claim.metadata.resourceVersion! },
      },
    };
    let created: KubeObject;
    try {
      created = await this.opts.registry.create(this.#volumeType, undefined, volume, {});
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      created = await this.opts.registry.get(this.#volumeType, undefined, name);
    }
    this.#volumes.remember(created);
    this.#events.record(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
    return created as Volume;
  }

  /** A volume of ours whose claim is gone: deleted (Delete) or Released (Retain). */
  async #reconcileVolume(name: string): Promise<void> {
    const volume = this.#volumes.get(name) as Volume | undefined;
    if (volume === undefined || volume.metadata.annotations?.[PROVISIONED_BY_ANNOTATION] !== LOCAL_PATH_PROVISIONER) return;
    if (volume.metadata.deletionTimestamp !== undefined) return;
    const ref = volume.spec?.claimRef;
    const claimKey = claimKeyOf(volume);
    if (ref === undefined || claimKey === undefined) return;
    const claim = this.#claims.get(claimKey);
    if (claim !== undefined && claim.metadata.uid === ref.uid) return;
    if (volume.spec?.persistentVolumeReclaimPolicy === 'Delete') {
      try {
        await this.opts.registry.delete(this.#volumeType, undefined, name, { preconditions: { uid: volume.metadata.uid! } });
        this.opts.log.info('local-path volume deleted with its claim', { volume: name, claim: claimKey });
      } catch (err) {
        if (!isGone(err) && !(err instanceof ApiError && err.code === 409)) throw err;
      }
      return;
    }
    await writeStatus({ registry: this.opts.registry, type: this.#volumeType, informer: this.#volumes }, volume, { ...volume.status, phase: 'Released' });
  }

  #classOf(claim: Claim): (KubeObject & StorageClass) | undefined {
    const name = claim.spec?.storageClassName;
    if (!name) return undefined;
    const sc = this.#classes.get(name) as (KubeObject & StorageClass) | undefined;
    return sc?.provisioner === LOCAL_PATH_PROVISIONER ? sc : undefined;
  }

  /** Resolves once every change seen so far has been reconciled (tests). */
  settled(): Promise<void> {
    return this.#queue.drained();
  }

  async close(): Promise<void> {
    await this.#queue.close();
  }
}

function claimKeyOf(volume: Volume | undefined): string | undefined {
  const ref = volume?.spec?.claimRef;
  return ref?.namespace && ref.name ? `${ref.namespace}/${ref.name}` : undefined;
}

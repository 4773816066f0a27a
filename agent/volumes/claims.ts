// persistentVolumeClaim volumes: the claim and the volume bound to it, read
// from the API with the node's certificate (the node authorizer lets a node
// read exactly the claims its pods use and their volumes), turned into a
// path on this node. Only volumes with a path on the node are supported:
// hostPath and local, which is what the local-path provisioner makes. A
// pod's claims are resolved once: a bound claim keeps its volume.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { LOCAL_PATH_PROVISIONER } from '../../common/local-path.js';
import { ApiRequestError, type NodeApi } from './node-api.js';

export interface ClaimedVolume {
  readonly volumeName: string;
  readonly path: string;
  /** hostPath's type ("" for local volumes, whose path must be a folder that exists). */
  readonly type: string;
  /** Folders made for the volume get 0777, as the local-path provisioner makes them. */
  readonly createMode: number;
}

export class Claims {
  /** "podUid/claim" → its volume. */
  readonly #resolved = new Map<string, ClaimedVolume>();

  constructor(private readonly api: NodeApi) {}

  async resolve(podUid: string, namespace: string, claimName: string): Promise<ClaimedVolume> {
    const key = `${podUid}/${claimName}`;
    const known = this.#resolved.get(key);
    if (known !== undefined) return known;
    let claim: PersistentVolumeClaim;
    try {
      claim = await this.api.get<PersistentVolumeClaim>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/persistentvolumeclaims/${encodeURIComponent(claimName)}`);
    } catch (err) {
      if (err instanceof ApiRequestError && err.code === 404) throw new Error(`persistentvolumeclaim ${JSON.stringify(claimName)} not found`);
      throw err;
    }
    const volumeName = claim.spec?.volumeName;
    if (claim.status?.phase !== 'Bound' || !volumeName) throw new Error(`PVC ${namespace}/${claimName} has not been bound`);
    const volume = await this.api.get<PersistentVolume>(`/api/v1/persistentvolumes/${encodeURIComponent(volumeName)}`);
    const ref = volume.spec?.claimRef;
    if (ref?.namespace !== namespace || ref.name !== claimName || (ref.uid !== undefined && ref.uid !== claim.metadata?.uid)) {
      throw new Error(`PersistentVolume ${volumeName} is not bound to PVC ${namespace}/${claimName}`);
    }
    const createMode = volume.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'] === LOCAL_PATH_PROVISIONER ? 0o777 : 0o755;
    let resolved: ClaimedVolume;
    if (volume.spec?.hostPath?.path) resolved = { volumeName, path: volume.spec.hostPath.path, type: volume.spec.hostPath.type ?? '', createMode };
    else if (volume.spec?.local?.path) resolved = { volumeName, path: volume.spec.local.path, type: 'Directory', createMode };
    else throw new Error(`PersistentVolume ${volumeName} is of a kind this node cannot mount (only hostPath and local)`);
    this.#resolved.set(key, resolved);
    return resolved;
  }

  /** Paths of the volumes that pods on this node use now. */
  inUse(): Set<string> {
    return new Set([...this.#resolved.values()].map((v) => v.path));
  }

  forget(podUid: string): void {
    for (const key of this.#resolved.keys()) if (key.startsWith(`${podUid}/`)) this.#resolved.delete(key);
  }
}

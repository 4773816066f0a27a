// What outlives pods on this node, cleaned up on a timer (and so after an
// agent restart too, found by the folder layout): the volumes of pods that
// are gone or finished and hold no sandbox the pod worker still has to
// remove; and the data of local-path volumes whose PersistentVolume was
// deleted (a folder pvc-<uid>_<ns>_<claim> in the storage dir, used by no pod
// here, whose volume pvc-<uid> the API answers 404 for). It also tells the
// server, once, where this node keeps those volumes (an annotation on its
// Node that the provisioner reads).
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { STORAGE_PATH_ANNOTATION, volumeOfFolder } from '../../common/local-path.js';
import type { Logger } from '../../common/log.js';
import type { RuntimeClient } from '../cri/runtime-client.js';
import type { DesiredState } from '../desired/desired-state.js';
import { POD_UID_LABEL } from '../pods/runtime-config.js';
import type { Claims } from './claims.js';
import { ApiRequestError, type NodeApi } from './node-api.js';
import type { VolumeManager } from './volume-manager.js';

export interface VolumeSweeperOptions {
  readonly volumes: VolumeManager;
  readonly desired: DesiredState;
  readonly runtime: RuntimeClient;
  readonly api: NodeApi;
  readonly claims: Claims;
  readonly nodeName: string;
  /** Where this node keeps local-path volumes. */
  readonly storageDir: string;
  readonly intervalMs: number;
  readonly log: Logger;
}

export class VolumeSweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #announced = false;

  constructor(private readonly opts: VolumeSweeperOptions) {}

  start(): void {
    this.#timer ??= setInterval(() => {
      this.#running ??= this.sweep()
        .catch((err: unknown) => this.opts.log.warn('could not clean up volumes', { error: err }))
        .finally(() => (this.#running = undefined));
    }, this.opts.intervalMs);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  async sweep(): Promise<void> {
    if (!this.opts.desired.synced) return;
    await this.#announce();
    await this.#podVolumes();
    await this.#localVolumes();
  }

  async #podVolumes(): Promise<void> {
    const active = new Set<string>();
    const finished = new Set<string>();
    for (const held of this.opts.desired.list('pods')) {
      const pod = held.object as Pod;
      const phase = pod.status?.phase;
      (phase === 'Succeeded' || phase === 'Failed' ? finished : active).add(pod.metadata?.uid ?? '');
    }
    const uids = await this.opts.volumes.podUids();
    if (uids.every((uid) => active.has(uid))) return;
    const sandboxed = new Set((await this.opts.runtime.listPodSandbox()).map((s) => s.labels[POD_UID_LABEL]));
    for (const uid of uids) {
      if (active.has(uid) || (sandboxed.has(uid) && !finished.has(uid))) continue;
      await this.opts.volumes.tearDown(uid);
      this.opts.log.info('pod volumes removed', { uid });
    }
  }

  async #localVolumes(): Promise<void> {
    let folders: string[];
    try {
      folders = await readdir(this.opts.storageDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const used = this.opts.claims.inUse();
    for (const folder of folders) {
      const volume = volumeOfFolder(folder);
      const path = join(this.opts.storageDir, folder);
      if (volume === undefined || used.has(path)) continue;
      try {
        await this.opts.api.get(`/api/v1/persistentvolumes/${volume}`);
        continue;
      } catch (err) {
        if (!(err instanceof ApiRequestError && err.code === 404)) throw err;
      }
      await rm(path, { recursive: true, force: true });
      this.opts.log.info('local volume data removed (its PersistentVolume is gone)', { volume, path });
    }
  }

  /** The storage dir on this node's Node, written only when it differs. */
  async #announce(): Promise<void> {
    if (this.#announced) return;
    const path = `/api/v1/nodes/${encodeURIComponent(this.opts.nodeName)}`;
    try {
      const node = await this.opts.api.get<Node>(path);
      if (node.metadata?.annotations?.[STORAGE_PATH_ANNOTATION] !== this.opts.storageDir) {
        await this.opts.api.patch(path, { metadata: { annotations: { [STORAGE_PATH_ANNOTATION]: this.opts.storageDir } } });
      }
      this.#announced = true;
    } catch (err) {
      // The Node is made when the agent first connects: until then, the next sweep tries again.
      this.opts.log.debug('could not record the local storage path on the Node yet', { error: err });
    }
  }
}

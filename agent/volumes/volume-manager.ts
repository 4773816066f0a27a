// A pod's volumes on this node, in kubelet's layout under the agent's data
// dir (pods/<uid>/volumes/kubernetes.io~<plugin>/<name>): set up before
// the pod's containers are made and again on every reconcile (level-
// triggered: a ConfigMap, Secret, label or token that changed is written in
// place, nothing is written when nothing changed), turned into each
// container's CRI mounts, and torn down when the pod is gone. The folder
// layout is the record: after an agent restart, pods/<uid> folders of pods
// no longer here are found and removed.
import type { Container, Pod, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import type { Logger } from '../../common/log.js';
import { podReferences } from '../../common/pod-references.js';
import type { Mount, MountPropagation } from '../cri/types.js';
import type { DesiredState } from '../desired/desired-state.js';
import { desiredSources } from '../pods/container-context.js';
import { value } from '../pods/quantities.js';
import { invalidPayloadPath, type Payload, writePayload } from './atomic-writer.js';
import type { Claims } from './claims.js';
import { prepareHostPath } from './host-path.js';
import type { PodTokens } from './pod-tokens.js';
import { configMapPayload, DEFAULT_FILE_MODE, downwardApiPayload, type ProjectionSources, projectedPayload, secretPayload } from './projections.js';
import { mountTmpfs, unmountAll } from './tmpfs.js';

/** One volume of a pod, where it is on the node. */
export interface SetUpVolume {
  readonly hostPath: string;
  /** Mounted read-only whatever the volumeMount says (API data volumes, read-only claims). */
  readonly readOnly: boolean;
}

export interface VolumeManagerOptions {
  /** The agent's data dir: pods/ goes there. */
  readonly dir: string;
  readonly desired: DesiredState;
  /** Tokens and claims come from the API; without them such volumes cannot be set up. */
  readonly tokens?: PodTokens;
  readonly claims?: Claims;
  /** The node's allocatable resources (downwardAPI limits of containers without limits). */
  readonly allocatable?: () => Promise<Readonly<Record<string, string>>>;
  readonly log: Logger;
}

const PROPAGATION: Readonly<Record<string, MountPropagation>> = {
  None: 'PROPAGATION_PRIVATE',
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

export class VolumeManager {
  /** Folders known to have their tmpfs mounted, and the payload last written to each projection folder: a reconcile that changes nothing reads nothing. */
  readonly #mounted = new Set<string>();
  readonly #written = new Map<string, string>();
  /** Pod uid → its volumes as last set up, for its containers' mounts. */
  readonly #pods = new Map<string, ReadonlyMap<string, SetUpVolume>>();

  constructor(private readonly opts: VolumeManagerOptions) {}

  /** pods/<uid>: everything of one pod's volumes. */
  podDir(uid: string): string {
    return join(this.opts.dir, 'pods', uid);
  }

  /** Sets up (or brings up to date) every volume of `pod`; throws kubelet's FailedMount message for the first that fails. */
  async setUp(pod: Pod): Promise<void> {
    const volumes = new Map<string, SetUpVolume>();
    for (const volume of pod.spec?.volumes ?? []) {
      try {
        volumes.set(volume.name, await this.#setUpOne(pod, volume));
      } catch (err) {
        throw new Error(`MountVolume.SetUp failed for volume ${JSON.stringify(volume.name)} : ${(err as Error).message}`);
      }
    }
    this.#pods.set(pod.metadata!.uid!, volumes);
  }

  /** The CRI mounts of one container of `pod` (its volumeMounts), once the pod's volumes are set up. */
  async mountsFor(pod: Pod, container: Container): Promise<Mount[]> {
    const volumes = this.#pods.get(pod.metadata!.uid!);
    if (volumes === undefined) throw new Error(`the volumes of pod ${pod.metadata?.namespace}/${pod.metadata?.name} are not set up`);
    return mountsOf(container, volumes);
  }

  /** Unmounts and removes everything of the pod `uid`; fine to repeat. */
  async tearDown(uid: string): Promise<void> {
    const dir = this.podDir(uid);
    await unmountAll(dir);
    await rm(dir, { recursive: true, force: true });
    for (const path of this.#mounted) if (path.startsWith(dir + sep)) this.#mounted.delete(path);
    for (const path of this.#written.keys()) if (path.startsWith(dir + sep)) this.#written.delete(path);
    this.#pods.delete(uid);
    this.opts.tokens?.forget(uid);
    this.opts.claims?.forget(uid);
  }

  /** Uids that have a pods/<uid> folder (pods set up now or before an agent restart). */
  async podUids(): Promise<string[]> {
    try {
      return await readdir(join(this.opts.dir, 'pods'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** The pods ("pods/ns/name") whose volumes or env read one of the changed ConfigMaps or Secrets among `refs`. */
  podsUsing(refs: readonly string[]): string[] {
    const changed = refs.filter((ref) => ref.startsWith('configmaps/') || ref.startsWith('secrets/'));
    if (changed.length === 0) return [];
    const out: string[] = [];
    for (const held of this.opts.desired.list('pods')) {
      const pod = held.object as Pod;
      const used = podReferences(pod.spec);
      const uses = changed.some((ref) => {
        const [resource, namespace, name] = ref.split('/') as ['configmaps' | 'secrets', string, string];
        return namespace === held.key.namespace && used[resource].has(name);
      });
      if (uses) out.push(`pods/${held.key.namespace}/${held.key.name}`);
    }
    return out;
  }

  async #setUpOne(pod: Pod, volume: Volume): Promise<SetUpVolume> {
    const uid = pod.metadata!.uid!;
    const dir = (plugin: string) => join(this.podDir(uid), 'volumes', `kubernetes.io~${plugin}`, volume.name);
    if (volume.emptyDir !== undefined && volume.emptyDir !== null) {
      const path = dir('empty-dir');
      await makeDir(path, 0o777);
      if (volume.emptyDir.medium === 'Memory') await this.#tmpfs(path, bytes(volume.emptyDir.sizeLimit));
      return { hostPath: path, readOnly: false };
    }
    if (volume.hostPath) {
      await prepareHostPath(volume.hostPath.path, volume.hostPath.type);
      return { hostPath: volume.hostPath.path, readOnly: false };
    }
    if (volume.persistentVolumeClaim) {
      if (this.opts.claims === undefined) throw new Error('persistent volume claims are not available on this node');
      const claimed = await this.opts.claims.resolve(uid, pod.metadata!.namespace!, volume.persistentVolumeClaim.claimName);
      await prepareHostPath(claimed.path, claimed.type, claimed.createMode);
      return { hostPath: claimed.path, readOnly: volume.persistentVolumeClaim.readOnly === true };
    }
    const sources = await this.#sources();
    if (volume.configMap) {
      const path = dir('configmap');
      await this.#write(path, false, configMapPayload(pod, volume.configMap, volume.configMap.defaultMode ?? DEFAULT_FILE_MODE, sources));
      return { hostPath: path, readOnly: true };
    }
    if (volume.secret) {
      const path = dir('secret');
      await this.#write(path, true, secretPayload(pod, volume.secret, volume.secret.defaultMode ?? DEFAULT_FILE_MODE, sources));
      return { hostPath: path, readOnly: true };
    }
    if (volume.downwardAPI) {
      const path = dir('downward-api');
      await this.#write(path, true, downwardApiPayload(pod, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? DEFAULT_FILE_MODE, sources));
      return { hostPath: path, readOnly: true };
    }
    if (volume.projected) {
      const path = dir('projected');
      let payload: Payload;
      try {
        payload = await projectedPayload(pod, volume.projected.sources ?? [], volume.projected.defaultMode ?? DEFAULT_FILE_MODE, sources);
      } catch (err) {
        // The server out of reach (a token cannot be asked for): a volume already written stays as it is, so the pod runs on.
        if (!(await hasGeneration(path))) throw err;
        this.opts.log.warn('projected volume kept as it is', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, volume: volume.name, error: (err as Error).message });
        return { hostPath: path, readOnly: true };
      }
      await this.#write(path, true, payload);
      return { hostPath: path, readOnly: true };
    }
    const kind = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
    throw new Error(`volume type ${JSON.stringify(kind)} is not supported on this node`);
  }

  /** Writes a payload atomically, on a tmpfs of its own when it must stay off the disk. */
  async #write(path: string, inMemory: boolean, payload: Payload): Promise<void> {
    const print = fingerprint(payload);
    if (this.#written.get(path) === print) return;
    await makeDir(path, 0o755);
    if (inMemory) await this.#tmpfs(path);
    await writePayload(path, payload);
    this.#written.set(path, print);
  }

  async #tmpfs(path: string, sizeBytes?: bigint): Promise<void> {
    if (this.#mounted.has(path)) return;
    await mountTmpfs(path, sizeBytes);
    this.#mounted.add(path);
  }

  async #sources(): Promise<ProjectionSources> {
    const desired = this.opts.desired;
    return {
      ...desiredSources(desired),
      allocatable: (await this.opts.allocatable?.()) ?? {},
      ...(this.opts.tokens !== undefined ? { token: (pod, projection) => this.opts.tokens!.token(pod, projection) } : {}),
    };
  }
}

/** Whether the atomic writer has written `path` before (its "..data" link is there). */
async function hasGeneration(path: string): Promise<boolean> {
  return lstat(join(path, '..data')).then(
    () => true,
    () => false,
  );
}

/** A digest of a payload (paths, modes, bytes), to tell an unchanged one without reading the disk. */
function fingerprint(payload: Payload): string {
  const hash = createHash('sha256');
  for (const path of [...payload.keys()].sort()) {
    const file = payload.get(path)!;
    hash.update(`${path}\0${file.mode}\0${file.data.length}\0`).update(file.data);
  }
  return hash.digest('hex');
}

/** A sizeLimit in bytes (rounded up), or undefined when absent. */
function bytes(limit: string | number | undefined): bigint | undefined {
  return limit === undefined ? undefined : value(limit);
}

async function makeDir(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
  await chmod(path, mode);
}

async function mountsOf(container: Container, volumes: ReadonlyMap<string, SetUpVolume>): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const volume = volumes.get(m.name);
    if (volume === undefined) throw new Error(`cannot find volume ${JSON.stringify(m.name)} to mount into container ${JSON.stringify(container.name)}`);
    mounts.push({
      containerPath: m.mountPath,
      hostPath: m.subPath ? await subPathOf(volume.hostPath, m) : volume.hostPath,
      readonly: volume.readOnly || m.readOnly === true,
      propagation: PROPAGATION[m.mountPropagation ?? 'None'] ?? 'PROPAGATION_PRIVATE',
    });
  }
  return mounts;
}

/** A subPath inside its volume (made when missing, as kubelet does), refused when it leads out of it. */
async function subPathOf(volumePath: string, mount: VolumeMount): Promise<string> {
  const sub = mount.subPath!;
  if (posix.isAbsolute(sub) || sub.split('/').includes('..')) throw new Error(`invalid subPath ${JSON.stringify(sub)}: ${invalidPayloadPath(sub) ?? "must not contain '..'"}`);
  const root = await realpath(volumePath);
  const wanted = join(volumePath, sub);
  await mkdir(wanted, { recursive: true, mode: 0o750 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const real = await realpath(wanted);
  if (real !== root && !real.startsWith(root + sep)) throw new Error(`subPath ${JSON.stringify(sub)} leads outside of volume ${JSON.stringify(mount.name)}`);
  return real;
}

// Where a pod's cgroups go, as kubelet's cgroupfs driver lays them out
// (cm/pod_container_manager_linux.go, cm/qos_container_manager_linux.go):
// /kubepods/pod<uid> for Guaranteed, /kubepods/burstable/pod<uid> and
// /kubepods/besteffort/pod<uid>; the runtime puts the sandbox's and each
// container's cgroup under it, in every hierarchy (each v1 controller, or the
// v2 tree). The runtime never removes that parent: removePodCgroups does,
// once the pod's sandboxes are gone.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { readdir, readFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { podQos, type QosClass } from './container-resources.js';

const KUBEPODS = '/kubepods';
const QOS_PARENTS: Readonly<Record<QosClass, string>> = {
  Guaranteed: KUBEPODS,
  Burstable: `${KUBEPODS}/burstable`,
  BestEffort: `${KUBEPODS}/besteffort`,
};
/** A cgroup whose last process just exited can stay busy a moment. */
const BUSY_RETRIES = 20;
const BUSY_WAIT_MS = 50;

/** The sandbox's cgroup_parent: "/kubepods/burstable/pod<uid>". */
export function podCgroupParent(pod: Pod): string {
  return podCgroupPath(podQos(pod), pod.metadata!.uid!);
}

export function podCgroupPath(qos: QosClass, uid: string): string {
  return `${QOS_PARENTS[qos]}/pod${uid}`;
}

/**
 * Removes the pod's cgroup folders (and any container folders left in them)
 * in every hierarchy, whatever its QoS class was; fine to repeat. Only empty
 * cgroups can go: call it when the pod's sandboxes are removed.
 */
export async function removePodCgroups(uid: string, mountinfo = '/proc/self/mountinfo'): Promise<void> {
  const mounts = cgroupMounts(await readFile(mountinfo, 'utf8'));
  for (const mount of mounts) {
    for (const qos of Object.keys(QOS_PARENTS) as QosClass[]) await removeTree(join(mount, podCgroupPath(qos, uid)));
  }
}

/** Mount points of cgroup v1 hierarchies and of the v2 tree, from a mountinfo file. */
export function cgroupMounts(mountinfo: string): string[] {
  const mounts: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    const type = after?.split(' ')[0];
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    const mountPoint = before?.split(' ')[4];
    // mountinfo escapes spaces and the like as octal.
    if (mountPoint !== undefined) mounts.push(mountPoint.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  }
  return mounts;
}

async function removeTree(path: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  // A cgroup folder holds only its control files (which go with it) and child cgroups.
  for (const entry of entries) if (entry.isDirectory()) await removeTree(join(path, entry.name));
  for (let attempt = 0; ; attempt++) {
    try {
      await rmdir(path);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= BUSY_RETRIES) throw err;
      await sleep(BUSY_WAIT_MS);
    }
  }
}

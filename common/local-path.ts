// Local-path volumes, shared by the server's provisioner and the agents that
// hold their data: k3s's provisioner name and folder naming
// (pvc-<claim uid>_<namespace>_<claim name> under the node's storage dir),
// and the Node annotation by which an agent says where its storage dir is.
export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
export const LOCAL_PATH_STORAGE_CLASS = 'local-path';
/** On a Node: the absolute folder its agent keeps local-path volumes in. */
export const STORAGE_PATH_ANNOTATION = 'bramble.io/local-storage-path';

/** The PersistentVolume a claim gets: pvc-<claim uid>, as k3s names it. */
export function localVolumeName(claimUid: string): string {
  return `pvc-${claimUid}`;
}

/** The volume's folder name inside the storage dir. */
export function localFolderName(claimUid: string, namespace: string, claimName: string): string {
  return `${localVolumeName(claimUid)}_${namespace}_${claimName}`;
}

/** The PersistentVolume a storage folder belongs to, or undefined when the name is not one of ours. */
export function volumeOfFolder(folder: string): string | undefined {
  const m = /^(pvc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_[^_]+_.+$/.exec(folder);
  return m?.[1];
}

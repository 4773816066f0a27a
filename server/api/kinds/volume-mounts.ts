// How a container uses the pod's volumes, as upstream 1.31 checks it
// (ValidateVolumeMounts, ValidateVolumeDevices): a mount names a valid
// volume at a unique path, with a subPath or a subPathExpr (not both) that
// stays inside it, a supported propagation (Bidirectional for privileged
// containers only) and a recursive read-only mode only on a read-only mount
// that does not propagate; a device names a claim-backed volume (a
// persistentVolumeClaim or an ephemeral one) at a unique path without "..";
// a volume is mounted or a device, never both, and a path one or the other.
// Upstream reports subPath, subPathExpr, mountPropagation and
// recursiveReadOnly at the list's path, without the mount's index: so are
// they here.
import type { Container, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../status.js';
import { forbidden, invalid, notFound, notSupported, quote, required } from './field-errors.js';
import { hasBacksteps, validateLocalDescendingPath } from './local-paths.js';

const PROPAGATIONS = ['Bidirectional', 'HostToContainer', 'None'];
const RECURSIVE_READ_ONLY = ['Disabled', 'Enabled', 'IfPossible'];
/** No mounts or no devices: most containers. */
const NONE: ReadonlyMap<string, string> = new Map();

/** GetVolumeMountMap and GetVolumeDeviceMap: name → path, the last of a name winning. */
function pathsByName<T extends { name?: string }>(list: readonly T[] | undefined, pathOf: (item: T) => string | undefined): ReadonlyMap<string, string> {
  if (list === undefined || list.length === 0) return NONE;
  const byName = new Map<string, string>();
  for (const item of list) byName.set(item.name ?? '', pathOf(item) ?? '');
  return byName;
}

function hasPath(byName: ReadonlyMap<string, string>, path: string): boolean {
  for (const p of byName.values()) if (p === path) return true;
  return false;
}

/** ValidateVolumeMounts; `volumes` are the pod's valid ones by name. */
export function validateVolumeMounts(c: Container, path: string, volumes: ReadonlyMap<string, Volume>): StatusCause[] {
  const mounts = c.volumeMounts ?? [];
  if (mounts.length === 0) return [];
  const causes: StatusCause[] = [];
  const devices = pathsByName(c.volumeDevices, (d) => d.devicePath);
  const mountPaths = new Set<string>();
  mounts.forEach((mount, i) => {
    const p = `${path}[${i}]`;
    const name = mount.name ?? '';
    const mountPath = mount.mountPath ?? '';
    if (name === '') causes.push(required(`${p}.name`));
    if (!volumes.has(name)) causes.push(notFound(`${p}.name`, quote(name)));
    if (mountPath === '') causes.push(required(`${p}.mountPath`));
    if (mountPaths.has(mountPath)) causes.push(invalid(`${p}.mountPath`, quote(mountPath), 'must be unique'));
    mountPaths.add(mountPath);
    if (devices.has(name)) causes.push(invalid(`${p}.name`, quote(name), 'must not already exist in volumeDevices'));
    if (hasPath(devices, mountPath)) causes.push(invalid(`${p}.mountPath`, quote(mountPath), 'must not already exist as a path in volumeDevices'));
    if (mount.subPath) causes.push(...validateLocalDescendingPath(mount.subPath, `${path}.subPath`));
    if (mount.subPathExpr) {
      if (mount.subPath) causes.push(invalid(`${p}.subPathExpr`, quote(mount.subPathExpr), 'subPathExpr and subPath are mutually exclusive'));
      causes.push(...validateLocalDescendingPath(mount.subPathExpr, `${path}.subPathExpr`));
    }
    if (mount.mountPropagation != null) causes.push(...validateMountPropagation(mount.mountPropagation, c, `${path}.mountPropagation`));
    if (mount.recursiveReadOnly != null) causes.push(...validateRecursiveReadOnly(mount, `${path}.recursiveReadOnly`));
  });
  return causes;
}

function validateMountPropagation(propagation: string, c: Container, path: string): StatusCause[] {
  const causes = PROPAGATIONS.includes(propagation) ? [] : [notSupported(path, quote(propagation), PROPAGATIONS)];
  if (propagation === 'Bidirectional' && c.securityContext?.privileged !== true) {
    causes.push(forbidden(path, 'Bidirectional mount propagation is available only to privileged containers'));
  }
  return causes;
}

/** validateMountRecursiveReadOnly. */
function validateRecursiveReadOnly(mount: VolumeMount, path: string): StatusCause[] {
  const mode = mount.recursiveReadOnly!;
  if (mode === 'Disabled') return [];
  if (mode !== 'Enabled' && mode !== 'IfPossible') return [notSupported(path, quote(mode), RECURSIVE_READ_ONLY)];
  const causes: StatusCause[] = [];
  if (!mount.readOnly) causes.push(forbidden(path, 'may only be specified when readOnly is true'));
  if (mount.mountPropagation != null && mount.mountPropagation !== 'None') causes.push(forbidden(path, 'may only be specified when mountPropagation is None or not specified'));
  return causes;
}

/** ValidateVolumeDevices. */
export function validateVolumeDevices(c: Container, path: string, volumes: ReadonlyMap<string, Volume>): StatusCause[] {
  const devices = c.volumeDevices ?? [];
  if (devices.length === 0) return [];
  const causes: StatusCause[] = [];
  const mounts = pathsByName(c.volumeMounts, (m) => m.mountPath);
  const names = new Set<string>();
  const paths = new Set<string>();
  devices.forEach((device, i) => {
    const p = `${path}[${i}]`;
    const name = device.name ?? '';
    const devicePath = device.devicePath ?? '';
    const volume = volumes.get(name);
    if (name === '') causes.push(required(`${p}.name`));
    if (names.has(name)) causes.push(invalid(`${p}.name`, quote(name), 'must be unique'));
    if (volume === undefined) causes.push(notFound(`${p}.name`, quote(name)));
    else if (volume.persistentVolumeClaim == null && volume.ephemeral == null) {
      causes.push(invalid(`${p}.name`, quote(name), 'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode'));
    }
    if (devicePath === '') causes.push(required(`${p}.devicePath`));
    if (paths.has(devicePath)) causes.push(invalid(`${p}.devicePath`, quote(devicePath), 'must be unique'));
    if (devicePath !== '' && hasBacksteps(devicePath)) causes.push(invalid(`${p}.devicePath`, quote(devicePath), "can not contain backsteps ('..')"));
    else paths.add(devicePath);
    if (mounts.has(name)) causes.push(invalid(`${p}.name`, quote(name), 'must not already exist in volumeMounts'));
    if (hasPath(mounts, devicePath)) causes.push(invalid(`${p}.devicePath`, quote(devicePath), 'must not already exist as a path in volumeMounts'));
    if (name !== '') names.add(name);
  });
  return causes;
}

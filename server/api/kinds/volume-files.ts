// The pod volumes that write API data as files (secret, configMap,
// downwardAPI, projected) as upstream 1.31 checks them: what each file
// comes from, a relative path that stays inside the volume, modes within
// 0777, a projection's sources one kind each and its files' paths unique
// (a service account token's path is not counted among them, as upstream).
// Upstream reports a downwardAPI file's errors at its volume (or source)
// path, without the item's index, and a projection's duplicate path at the
// projection: so are they here.
import type { ConfigMapVolumeSource, DownwardAPIVolumeFile, DownwardAPIVolumeSource, KeyToPath, ProjectedVolumeSource, SecretVolumeSource } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from '../status.js';
import { CONTAINER_RESOURCE_FIELDS, validateObjectFieldSelector, validateResourceFieldSelector } from './downward-api.js';
import { forbidden, invalid, quote, required } from './field-errors.js';
import { validateLocalNonReservedPath } from './local-paths.js';

const FILE_MODE = 'must be a number between 0 and 0777 (octal), both inclusive';
/** validVolumeDownwardAPIFieldPathExpressions, sorted. */
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const DUPLICATE_PATHS = 'conflicting duplicate paths';
/** A token's life: at least ten minutes, at most 2^32 seconds. */
const MIN_TOKEN_SECONDS = 600;
const MAX_TOKEN_SECONDS = 2 ** 32;

function fileMode(mode: number | undefined | null, path: string): StatusCause[] {
  return mode != null && (mode < 0 || mode > 0o777) ? [invalid(path, String(mode), FILE_MODE)] : [];
}

/** validateKeyToPath. */
function validateKeyToPath(item: KeyToPath, path: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!item.key) causes.push(required(`${path}.key`));
  if (!item.path) causes.push(required(`${path}.path`));
  causes.push(...validateLocalNonReservedPath(item.path ?? '', `${path}.path`));
  causes.push(...fileMode(item.mode, `${path}.mode`));
  return causes;
}

function validateItems(items: readonly KeyToPath[] | undefined, path: string, causes: StatusCause[]): void {
  (items ?? []).forEach((item, i) => causes.push(...validateKeyToPath(item, `${path}[${i}]`)));
}

export function validateSecretVolume(secret: SecretVolumeSource, path: string): StatusCause[] {
  const causes = secret.secretName ? [] : [required(`${path}.secretName`)];
  causes.push(...fileMode(secret.defaultMode, `${path}.defaultMode`));
  validateItems(secret.items, `${path}.items`, causes);
  return causes;
}

export function validateConfigMapVolume(configMap: ConfigMapVolumeSource, path: string): StatusCause[] {
  const causes = configMap.name ? [] : [required(`${path}.name`)];
  causes.push(...fileMode(configMap.defaultMode, `${path}.defaultMode`));
  validateItems(configMap.items, `${path}.items`, causes);
  return causes;
}

/** validateDownwardAPIVolumeFile; `path` is the volume's or the projection source's, not the file's. */
function validateDownwardAPIFile(file: DownwardAPIVolumeFile, path: string): StatusCause[] {
  const causes = file.path ? [] : [required(`${path}.path`)];
  causes.push(...validateLocalNonReservedPath(file.path ?? '', `${path}.path`));
  if (file.fieldRef != null) {
    causes.push(...validateObjectFieldSelector(file.fieldRef, VOLUME_FIELD_PATHS, `${path}.fieldRef`));
    if (file.resourceFieldRef != null) causes.push(invalid(path, '"resource"', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (file.resourceFieldRef != null) {
    causes.push(...validateResourceFieldSelector(file.resourceFieldRef, CONTAINER_RESOURCE_FIELDS, `${path}.resourceFieldRef`, true));
  } else {
    causes.push(required(path, 'one of fieldRef and resourceFieldRef is required'));
  }
  causes.push(...fileMode(file.mode, `${path}.mode`));
  return causes;
}

export function validateDownwardAPIVolume(downwardAPI: DownwardAPIVolumeSource, path: string): StatusCause[] {
  const causes = fileMode(downwardAPI.defaultMode, `${path}.defaultMode`);
  for (const file of downwardAPI.items ?? []) causes.push(...validateDownwardAPIFile(file, path));
  return causes;
}

/** The projections of a named object's keys, in upstream's order: checked alike. */
const KEYED_PROJECTIONS = ['secret', 'configMap'] as const;

/** validateProjectedVolumeSource; a clusterTrustBundle source is gone by now (its gate is off in 1.31). */
export function validateProjectedVolume(projected: ProjectedVolumeSource, path: string): StatusCause[] {
  const causes = fileMode(projected.defaultMode, `${path}.defaultMode`);
  const paths = new Set<string>();
  /** A file's path, once; a second one names the projection, with `value` as upstream's bad value. */
  const claim = (file: string | undefined, value: string): void => {
    if (!file) return;
    if (paths.has(file)) causes.push(invalid(path, quote(value), DUPLICATE_PATHS));
    else paths.add(file);
  };
  (projected.sources ?? []).forEach((source, i) => {
    const at = `${path}.sources[${i}]`;
    let kinds = 0;
    for (const kind of KEYED_PROJECTIONS) {
      const keyed = source[kind];
      if (keyed == null) continue;
      kinds++;
      const name = keyed.name ?? '';
      if (name === '') causes.push(required(`${at}.${kind}.name`));
      (keyed.items ?? []).forEach((item, j) => {
        causes.push(...validateKeyToPath(item, `${at}.${kind}.items[${j}]`));
        claim(item.path, name);
      });
    }
    if (source.downwardAPI != null) {
      kinds++;
      for (const file of source.downwardAPI.items ?? []) {
        causes.push(...validateDownwardAPIFile(file, `${at}.downwardAPI`));
        claim(file.path, file.path ?? '');
      }
    }
    const token = source.serviceAccountToken;
    if (token != null) {
      kinds++;
      const seconds = token.expirationSeconds ?? 0;
      const secondsPath = `${at}.serviceAccountToken.expirationSeconds`;
      if (seconds < MIN_TOKEN_SECONDS) causes.push(invalid(secondsPath, String(seconds), 'may not specify a duration less than 10 minutes'));
      if (seconds > MAX_TOKEN_SECONDS) causes.push(invalid(secondsPath, String(seconds), 'may not specify a duration larger than 2^32 seconds'));
      // Upstream names the projection's path, not the token's.
      if (!token.path) causes.push(required(`${path}.path`));
      else causes.push(...validateLocalNonReservedPath(token.path, `${path}.path`));
    }
    if (kinds > 1) causes.push(forbidden(at, 'may not specify more than 1 volume type per source'));
  });
  return causes;
}

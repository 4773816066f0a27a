// What configMap, secret, downwardAPI and projected volumes hold: the files
// (path → bytes and mode) kubelet's plugins make from the pod and the
// objects it names (configmap.MakePayload, secret.MakePayload,
// downwardapi.CollectData, projected.collectData), with their errors. The
// atomic writer puts a payload on disk; nothing here touches the disk.
import type {
  ConfigMap,
  ConfigMapProjection,
  DownwardAPIVolumeFile,
  KeyToPath,
  Pod,
  Secret,
  SecretProjection,
  ServiceAccountTokenProjection,
  VolumeProjection,
} from 'kubernetes-types/core/v1.js';
import { containerResourceValue, podFieldValue } from '../pods/downward-api.js';
import type { Payload, ProjectedFile } from './atomic-writer.js';

/** Upstream's default mode of these volumes' files. */
export const DEFAULT_FILE_MODE = 0o644;

/** Where a projection's objects come from: the agent's desired state. */
export interface ProjectionSources {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** The node's allocatable resources (the limits of a container without limits). */
  readonly allocatable: Readonly<Record<string, string>>;
  /** A token for the pod's service account, as the projection asks (projected volumes only). */
  token?(pod: Pod, projection: ServiceAccountTokenProjection): Promise<string>;
}

type Files = Map<string, ProjectedFile>;

export function configMapPayload(pod: Pod, source: { name?: string; items?: KeyToPath[]; optional?: boolean }, defaultMode: number, from: ProjectionSources): Payload {
  const files: Files = new Map();
  const cm = from.configMap(pod.metadata!.namespace!, source.name ?? '');
  if (cm === undefined) {
    if (source.optional === true) return files;
    throw new Error(`configmap ${JSON.stringify(source.name ?? '')} not found`);
  }
  const data = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(cm.data ?? {})) data.set(key, Buffer.from(value, 'utf8'));
  for (const [key, value] of Object.entries(cm.binaryData ?? {})) data.set(key, Buffer.from(value, 'base64'));
  addKeys(files, data, source.items, defaultMode, source.optional === true, (key) => `configmap references non-existent config key: ${key}`);
  return files;
}

export function secretPayload(pod: Pod, source: { secretName?: string; name?: string; items?: KeyToPath[]; optional?: boolean }, defaultMode: number, from: ProjectionSources): Payload {
  const files: Files = new Map();
  const name = source.secretName ?? source.name ?? '';
  const secret = from.secret(pod.metadata!.namespace!, name);
  if (secret === undefined) {
    if (source.optional === true) return files;
    throw new Error(`secret ${JSON.stringify(name)} not found`);
  }
  const data = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(secret.stringData ?? {})) data.set(key, Buffer.from(value, 'utf8'));
  for (const [key, value] of Object.entries(secret.data ?? {})) data.set(key, Buffer.from(value, 'base64'));
  addKeys(files, data, source.items, defaultMode, source.optional === true, (key) => `references non-existent secret key: ${key}`);
  return files;
}

export function downwardApiPayload(pod: Pod, items: readonly DownwardAPIVolumeFile[], defaultMode: number, from: ProjectionSources): Payload {
  const files: Files = new Map();
  for (const item of items) {
    const value =
      item.fieldRef !== undefined ? fieldValue(pod, item.fieldRef.fieldPath) : containerResourceValue(pod, pod.spec?.containers?.[0] ?? { name: '' }, item.resourceFieldRef!, from.allocatable);
    files.set(item.path, { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
  }
  return files;
}

/** A projected volume: its sources merged, later ones winning a path, as kubelet merges them. */
export async function projectedPayload(pod: Pod, sources: readonly VolumeProjection[], defaultMode: number, from: ProjectionSources): Promise<Payload> {
  const files: Files = new Map();
  const merge = (payload: Payload) => {
    for (const [path, file] of payload) files.set(path, file);
  };
  for (const source of sources) {
    if (source.configMap !== undefined) merge(configMapPayload(pod, source.configMap as ConfigMapProjection, defaultMode, from));
    else if (source.secret !== undefined) merge(secretPayload(pod, source.secret as SecretProjection, defaultMode, from));
    else if (source.downwardAPI !== undefined) merge(downwardApiPayload(pod, source.downwardAPI.items ?? [], defaultMode, from));
    else if (source.serviceAccountToken !== undefined) {
      if (from.token === undefined) throw new Error('service account tokens are not available on this node');
      const token = await from.token(pod, source.serviceAccountToken);
      files.set(source.serviceAccountToken.path, { data: Buffer.from(token, 'utf8'), mode: defaultMode });
    } else throw new Error('projected volume source is not supported on this node (clusterTrustBundle)');
  }
  return files;
}

function addKeys(files: Files, data: ReadonlyMap<string, Buffer>, items: readonly KeyToPath[] | undefined, defaultMode: number, optional: boolean, missing: (key: string) => string): void {
  if (items === undefined || items.length === 0) {
    for (const [key, bytes] of data) files.set(key, { data: bytes, mode: defaultMode });
    return;
  }
  for (const item of items) {
    const bytes = data.get(item.key);
    if (bytes === undefined) {
      if (optional) continue;
      throw new Error(missing(item.key));
    }
    files.set(item.path, { data: bytes, mode: item.mode ?? defaultMode });
  }
}

/** A downwardAPI volume file's field: the whole labels or annotations as kubelet formats them, else what env reads. */
export function fieldValue(pod: Pod, fieldPath: string): string {
  if (fieldPath === 'metadata.labels') return formatMap(pod.metadata?.labels);
  if (fieldPath === 'metadata.annotations') return formatMap(pod.metadata?.annotations);
  // Volumes take no addresses: validation allows only metadata fields here.
  return podFieldValue(pod, { fieldPath }, { podIps: [], hostIps: [] });
}

/** kubelet's FormatMap: sorted `key="value"` lines, values quoted as Go's %q quotes them. */
function formatMap(map: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${goQuote(map![key]!)}`)
    .join('\n');
}

function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

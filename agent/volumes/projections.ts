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
import { parseQuantity, type Quantity } from '../../server/api/kinds/quantity.js';
import type { Payload, ProjectedFile } from './atomic-writer.js';

/** Upstream's default mode of these volumes' files. */
export const DEFAULT_FILE_MODE = 0o644;

/** Where a projection's objects come from: the agent's desired state. */
export interface ProjectionSources {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** The node's allocatable amount of a resource (limits.cpu and limits.memory of a container without limits). */
  allocatable(resource: 'cpu' | 'memory' | 'ephemeral-storage'): Quantity;
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
    const value = item.fieldRef !== undefined ? fieldValue(pod, item.fieldRef.fieldPath) : resourceValue(pod, item.resourceFieldRef!, from);
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

/** The downward API's metadata fields (the ones a volume may name). */
export function fieldValue(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
  }
  const one = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (one !== null) return (one[1] === 'labels' ? meta.labels : meta.annotations)?.[one[2]!] ?? '';
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
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

/** A container's request or limit divided by the divisor, rounded up (limits default to the node's allocatable). */
function resourceValue(pod: Pod, ref: { containerName?: string; resource: string; divisor?: string | number }, from: ProjectionSources): string {
  const container = (pod.spec?.containers ?? []).find((c) => c.name === ref.containerName) ?? (pod.spec?.initContainers ?? []).find((c) => c.name === ref.containerName);
  if (container === undefined) throw new Error(`container ${JSON.stringify(ref.containerName ?? '')} not found in pod`);
  const [kind, resource] = ref.resource.split('.', 2) as [string, string];
  if ((kind !== 'limits' && kind !== 'requests') || !['cpu', 'memory', 'ephemeral-storage'].includes(resource)) throw new Error(`unsupported container resource : ${ref.resource}`);
  const list = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  const given = list?.[resource];
  let amount: Quantity;
  if (given !== undefined) amount = quantity(given);
  else if (kind === 'limits') amount = from.allocatable(resource as 'cpu' | 'memory' | 'ephemeral-storage');
  else amount = { value: 0n, scale: 0, format: 'DecimalSI' };
  const divisor = quantity(ref.divisor ?? '1');
  if (divisor.value <= 0n) throw new Error(`invalid divisor ${String(ref.divisor)}`);
  return ceilDivide(amount, divisor).toString();
}

function quantity(text: string | number): Quantity {
  const q = parseQuantity(text);
  if (typeof q === 'string') throw new Error(`invalid quantity ${JSON.stringify(text)}: ${q}`);
  return q;
}

/** ⌈a / b⌉ of two exact quantities. */
function ceilDivide(a: Quantity, b: Quantity): bigint {
  const scale = Math.min(a.scale, b.scale);
  const num = a.value * 10n ** BigInt(a.scale - scale);
  const den = b.value * 10n ** BigInt(b.scale - scale);
  const whole = num / den;
  return whole * den === num || num < 0n ? whole : whole + 1n;
}

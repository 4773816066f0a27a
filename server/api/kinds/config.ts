// ConfigMaps and Secrets: binary values decoded as Go's encoding/json decodes
// []byte (bad base64 fails the request before validation), Secret stringData
// folded into data, config-key validation, the 1 MiB limit, Secret types'
// required keys, and the `immutable` flag.
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../objects.js';
import type { KindRules } from '../registry/registry.js';
import type { StatusCause } from '../status.js';
import { semanticEqual } from './equality.js';
import { decodeError, forbidden, IMMUTABLE, invalid, quote, required, sortedKeys, tooLong } from './field-errors.js';
import { chdirPrefixErrors } from './labels.js';

type ConfigMapObject = KubeObject & ConfigMap;
type SecretObject = KubeObject & Secret;

/** core.MaxSecretSize, the limit of a ConfigMap's or Secret's values together. */
const MAX_SIZE = 1024 * 1024;
const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

export const configMapRules: KindRules = {
  defaults(obj: KubeObject): void {
    const cm = obj as ConfigMapObject;
    if (cm.data !== undefined) cm.data = decodedStrings(cm.data, obj, 'data', 'string');
    if (cm.binaryData !== undefined) cm.binaryData = canonicalBase64(cm.binaryData, obj, 'binaryData');
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const cm = obj as ConfigMapObject;
    const causes = old === undefined ? [] : immutableCauses(cm, old as ConfigMapObject, ['data', 'binaryData']);
    let size = 0;
    const data = cm.data ?? {};
    const binary = cm.binaryData ?? {};
    for (const key of sortedKeys(data)) {
      causes.push(...configKeyCauses(key, `data[${key}]`));
      if (key in binary) causes.push(invalid(`data[${key}]`, quote(key), 'duplicate of key present in binaryData'));
      size += Buffer.byteLength(data[key]!);
    }
    for (const key of sortedKeys(binary)) {
      causes.push(...configKeyCauses(key, `binaryData[${key}]`));
      size += Buffer.from(binary[key]!, 'base64').length;
    }
    // Upstream reports the whole object, whose path prints as [].
    if (size > MAX_SIZE) causes.push(tooLong('[]', MAX_SIZE));
    return causes;
  },
};

export const secretRules: KindRules = {
  defaults(obj: KubeObject): void {
    const secret = obj as SecretObject;
    secret.type ||= 'Opaque';
    if (secret.data !== undefined) secret.data = canonicalBase64(secret.data, obj, 'data');
    // stringData is write-only: its values overwrite data's, encoded.
    const strings = decodedStrings(secret.stringData ?? {}, obj, 'stringData', 'string');
    delete secret.stringData;
    if (Object.keys(strings).length === 0) return;
    const data = (secret.data ??= {});
    for (const [key, value] of Object.entries(strings)) data[key] = Buffer.from(value, 'utf8').toString('base64');
  },

  validate(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
    const secret = obj as SecretObject;
    const causes: StatusCause[] = [];
    if (old !== undefined) {
      const oldSecret = old as SecretObject;
      if (secret.type !== oldSecret.type) causes.push(invalid('type', quote(secret.type ?? ''), IMMUTABLE));
      causes.push(...immutableCauses(secret, oldSecret, ['data']));
    }
    const data = secret.data ?? {};
    let size = 0;
    for (const key of sortedKeys(data)) {
      causes.push(...configKeyCauses(key, `data[${key}]`));
      size += Buffer.from(data[key]!, 'base64').length;
    }
    if (size > MAX_SIZE) causes.push(tooLong('data', MAX_SIZE));
    return [...causes, ...secretTypeCauses(secret, data)];
  },
};

/** The keys each built-in Secret type must carry. */
function secretTypeCauses(secret: SecretObject, data: Readonly<Record<string, string>>): StatusCause[] {
  const need = (key: string): StatusCause[] => (key in data ? [] : [required(`data[${key}]`)]);
  switch (secret.type) {
    case 'kubernetes.io/service-account-token': {
      const key = 'kubernetes.io/service-account.name';
      return secret.metadata.annotations?.[key] ? [] : [required(`metadata.annotations[${key}]`)];
    }
    case 'kubernetes.io/dockercfg':
      return need('.dockercfg');
    case 'kubernetes.io/dockerconfigjson':
      return need('.dockerconfigjson');
    case 'kubernetes.io/basic-auth':
      // Either may be empty, but one of them must be there.
      return 'username' in data || 'password' in data ? [] : [...need('username'), ...need('password')];
    case 'kubernetes.io/ssh-auth':
      return data['ssh-privatekey'] ? [] : [required('data[ssh-privatekey]')];
    case 'kubernetes.io/tls':
      return [...need('tls.crt'), ...need('tls.key')];
    default:
      return [];
  }
}

function immutableCauses<T extends { immutable?: boolean }>(obj: T, old: T, fields: readonly (keyof T & string)[]): StatusCause[] {
  if (old.immutable !== true) return [];
  const causes = obj.immutable === true ? [] : [forbidden('immutable', IMMUTABLE_WHEN_SET)];
  for (const f of fields) if (!semanticEqual(obj[f] ?? {}, old[f] ?? {})) causes.push(forbidden(f, IMMUTABLE_WHEN_SET));
  return causes;
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** IsConfigMapKey: a key is also a file name in a volume (and what env vars pick out of one). */
export function configKeyCauses(key: string, path: string): StatusCause[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) errs.push(CONFIG_KEY_MSG);
  errs.push(...chdirPrefixErrors(key));
  return errs.map((m) => invalid(path, quote(key), m));
}

/**
 * Values as Go's JSON decoder takes them into a map of `goType`: strings,
 * null as empty; anything else fails the request.
 */
function decodedStrings(values: Readonly<Record<string, unknown>>, owner: KubeObject, field: string, goType: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && typeof value !== 'string') {
      const json = typeof value === 'boolean' ? 'bool' : Array.isArray(value) ? 'array' : typeof value;
      throw decodeError(owner, `json: cannot unmarshal ${json} into Go struct field ${owner.kind}.${field} of type ${goType}`);
    }
    out[key] = value ?? '';
  }
  return out;
}

/** Each value decoded as Go decodes []byte, then written back the way Go encodes it. */
function canonicalBase64(values: Readonly<Record<string, string>>, owner: KubeObject, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(decodedStrings(values, owner, field, '[]uint8'))) {
    const bytes = decodeBase64(value);
    if (typeof bytes === 'string') throw decodeError(owner, bytes);
    out[key] = bytes.toString('base64');
  }
  return out;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Byte → 6-bit value, -1 for bytes outside the alphabet. */
const DECODE_MAP = Int8Array.from({ length: 256 }, (_, b) => ALPHABET.indexOf(String.fromCharCode(b)));
const PAD = 0x3d;
const isNewline = (b: number | undefined): boolean => b === 0x0a || b === 0x0d;

/**
 * base64.StdEncoding.Decode: padding required, CR and LF ignored, errors
 * named by the byte offset Go reports ("illegal base64 data at input byte 4").
 */
export function decodeBase64(text: string): Buffer | string {
  const src = Buffer.from(text, 'utf8');
  const corrupt = (at: number): string => `illegal base64 data at input byte ${at}`;
  const out: number[] = [];
  let si = 0;
  for (;;) {
    const quantum: number[] = [];
    let padded = false;
    while (quantum.length < 4) {
      if (si === src.length) {
        if (quantum.length === 0) return Buffer.from(out);
        return corrupt(si - quantum.length);
      }
      const b = src[si++]!;
      const value = DECODE_MAP[b]!;
      if (value >= 0) {
        quantum.push(value);
        continue;
      }
      if (isNewline(b)) continue;
      if (b !== PAD || quantum.length < 2) return corrupt(si - 1);
      if (quantum.length === 2) {
        // "==" is due: the first "=" is read, the second must follow (newlines aside).
        while (isNewline(src[si])) si++;
        if (si === src.length) return corrupt(src.length);
        if (src[si] !== PAD) return corrupt(si - 1);
        si++;
      }
      while (isNewline(src[si])) si++;
      if (si < src.length) return corrupt(si);
      padded = true;
      break;
    }
    const bits = quantum.reduce((acc, v, i) => acc | (v << (18 - 6 * i)), 0);
    out.push(...[(bits >> 16) & 0xff, (bits >> 8) & 0xff, bits & 0xff].slice(0, quantum.length - 1));
    if (padded) return Buffer.from(out);
  }
}

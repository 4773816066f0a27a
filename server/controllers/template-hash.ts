// The hashes that name what controllers make from a template: a Deployment's
// pod-template-hash (upstream's controller.ComputeHash) and a DaemonSet's or
// StatefulSet's ControllerRevision hash (history.HashControllerRevision).
// Both hash the object as JSON with sorted keys and spell the number with
// rand.SafeEncodeString's alphabet, but they differ as upstream's do (FNV-32a
// and a binary collision count, FNV-32 and a decimal one). Existing
// ReplicaSets, ControllerRevisions and pods carry these values in names and
// labels: neither may change.
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
/** rand.SafeEncodeString's alphabet: no vowels (no words), no 0/1/3 (no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * ComputeHash: FNV-32a of the template and, when set, the collision count
 * (a little-endian uint32 in 8 bytes).
 */
export function templateHash(template: PodTemplateSpec | undefined, collisionCount: number | undefined): string {
  const json = Buffer.from(canonicalJson(template ?? {}));
  if (collisionCount === undefined) return safeEncode(fnv32a(json));
  const count = Buffer.alloc(8);
  count.writeUInt32LE(collisionCount >>> 0, 0);
  return safeEncode(fnv32a(Buffer.concat([json, count])));
}

/** HashControllerRevision: FNV-32 (not 32a) of the revision's data followed by the collision count in decimal. */
export function revisionHash(data: object, collisionCount: number): string {
  return safeEncode(fnv32(Buffer.from(canonicalJson(data) + String(collisionCount))));
}

/** JSON with sorted keys: the same object always hashes the same, however its keys were ordered. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** FNV-1a: each byte xored in, then multiplied. */
function fnv32a(bytes: Uint8Array): number {
  let hash = FNV32_OFFSET;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV32_PRIME) >>> 0;
  return hash;
}

/** FNV-1: multiplied, then each byte xored in. */
function fnv32(bytes: Uint8Array): number {
  let hash = FNV32_OFFSET;
  for (const byte of bytes) hash = (Math.imul(hash, FNV32_PRIME) ^ byte) >>> 0;
  return hash;
}

/** rand.SafeEncodeString of the hash's decimal digits. */
function safeEncode(hash: number): string {
  return [...String(hash)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

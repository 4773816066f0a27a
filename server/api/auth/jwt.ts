// Compact JWS tokens signed with ES256 (ECDSA P-256, SHA-256), as upstream
// signs service-account tokens with an EC key. JWS carries the signature as
// r‖s, which node:crypto writes and reads with dsaEncoding 'ieee-p1363'.
import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** An ES256 signature: r and s, 32 bytes each. */
const SIGNATURE_BYTES = 64;

/**
 * Upstream's key id: the SHA-256 of the public key's DER (SubjectPublicKeyInfo),
 * base64url, so a verifier holding several keys knows which one signed.
 */
export function keyId(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

export function signJwt(claims: JwtClaims, privateKey: KeyObject): string {
  const header = { alg: 'ES256', kid: keyId(privateKey) };
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** The claims when `key` made the signature over exactly this header and payload; otherwise undefined. */
export function verifyJwt(token: string, key: KeyObject): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  // The algorithm is ours to choose, never the token's ("none", HS256 with the public key as secret).
  if (decodeObject(header)?.['alg'] !== 'ES256') return undefined;
  const sig = Buffer.from(signature, 'base64url');
  if (sig.length !== SIGNATURE_BYTES) return undefined;
  if (!verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, sig)) return undefined;
  return decodeObject(payload);
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A base64url JSON object; undefined for anything else (errors would quote the text). */
function decodeObject(segment: string): JwtClaims | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

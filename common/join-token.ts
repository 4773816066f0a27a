// Join tokens, as agents are given them: `K10<CA hash>::<id>.<secret>` (k3s's
// secure format, so an agent can pin the cluster CA from the token alone) or
// the short `<id>.<secret>` (kubeadm's bootstrap token). Error messages never
// quote the token: it may hold a secret, and errors end up in logs.
import { createHash, randomInt } from 'node:crypto';

export interface JoinToken {
  /** SHA-256 (hex) of the cluster CA certificate PEM as `GET /cacerts` serves it. */
  readonly caHash?: string;
  readonly id: string;
  readonly secret: string;
}

const PREFIX = 'K10';
const ID_LENGTH = 6;
const SECRET_LENGTH = 16;
const HASH_LENGTH = 64;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_CHARS = /^[a-z0-9]*$/;

export function formatJoinToken(token: JoinToken): string {
  const short = `${token.id}.${token.secret}`;
  return token.caHash === undefined ? short : `${PREFIX}${token.caHash}::${short}`;
}

/** Parses either form, ignoring surrounding whitespace (token files end with a newline); throws with a one-line cause. */
export function parseJoinToken(text: string): JoinToken {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('the join token is empty');
  const sep = trimmed.indexOf('::');
  if (sep === -1) return parseShort(trimmed);
  if (!trimmed.startsWith(PREFIX)) {
    throw new Error(`malformed join token: the form with a CA hash is ${PREFIX}<CA hash>::<id>.<secret>`);
  }
  const caHash = trimmed.slice(PREFIX.length, sep);
  if (caHash.length !== HASH_LENGTH) {
    throw new Error(`malformed join token: the CA hash must be ${HASH_LENGTH} hex characters (SHA-256), not ${caHash.length}`);
  }
  if (!/^[0-9a-fA-F]+$/.test(caHash)) throw new Error('malformed join token: the CA hash may contain only hex digits');
  return { caHash: caHash.toLowerCase(), ...parseShort(trimmed.slice(sep + 2)) };
}

function parseShort(text: string): { id: string; secret: string } {
  const parts = text.split('.');
  if (parts.length !== 2) throw new Error('malformed join token: expected <id>.<secret> (optionally after K10<CA hash>::)');
  const [id, secret] = parts as [string, string];
  checkPart('token ID', id, ID_LENGTH);
  checkPart('token secret', secret, SECRET_LENGTH);
  return { id, secret };
}

function checkPart(name: string, value: string, length: number): void {
  if (value.length !== length) throw new Error(`malformed join token: the ${name} must be ${length} characters, not ${value.length}`);
  if (!TOKEN_CHARS.test(value)) throw new Error(`malformed join token: the ${name} may contain only a-z and 0-9`);
}

export function isTokenId(text: string): boolean {
  return text.length === ID_LENGTH && TOKEN_CHARS.test(text);
}

export function caHashOf(caPem: string): string {
  return createHash('sha256').update(caPem, 'utf8').digest('hex');
}

export function newTokenId(): string {
  return randomChars(ID_LENGTH);
}

export function newTokenSecret(): string {
  return randomChars(SECRET_LENGTH);
}

/** randomInt is uniform (no modulo bias): every character carries log2(36) bits. */
function randomChars(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

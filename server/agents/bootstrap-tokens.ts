// Bootstrap tokens: the credentials an agent joins with. The store keeps only
// the SHA-256 of each secret, so neither a backup nor a look at the database
// gives anyone a usable token; the full token is shown once, when created.
//
// Expiry: `verify` compares against this class's clock, so a token stops
// working the moment it expires. The record itself stays a day longer (a
// store TTL of ttl + that grace), so an agent that comes too late is told
// "expired at …" rather than "not known", and `token list` shows it; then the
// store deletes it by itself, with no sweeper here to run or to get wrong.
import { createHash, timingSafeEqual } from 'node:crypto';
import { caHashOf, formatJoinToken, isTokenId, newTokenId, newTokenSecret, parseJoinToken } from '../../common/join-token.js';
import { serverTokenPath } from '../../common/paths.js';
import { readIfExists, writeFileAtomic } from '../../common/fs.js';
import { isStoreError } from '../store/errors.js';
import type { Store } from '../store/types.js';

const PREFIX = '/bramble/bootstrap-tokens/';
const EXPIRED_GRACE_SECONDS = 24 * 3600;
/** Far enough for anyone; 0 is the way to say "never". */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;
const MAX_DESCRIPTION_LENGTH = 200;
const SERVER_DESCRIPTION = 'server token';
const FORMER_SERVER_DESCRIPTION = 'former server token';
const TOKEN_FILE_MODE = 0o600;
/** Random IDs clash one time in two billion; a few draws always find a free one. */
const ID_ATTEMPTS = 5;

export class BootstrapTokenError extends Error {
  override readonly name = 'BootstrapTokenError';
  constructor(
    readonly code: 'InvalidArgument' | 'NotFound',
    message: string,
  ) {
    super(message);
  }
}

export interface CreateTokenOptions {
  /** 0 or absent: the token never expires. */
  readonly ttlSeconds?: number;
  readonly description?: string;
}

export interface CreatedToken {
  /** The full K10 form: the only time the secret is seen. */
  readonly token: string;
  readonly id: string;
  /** ISO 8601; absent when the token never expires. */
  readonly expires?: string;
}

export interface TokenInfo {
  readonly id: string;
  readonly description: string;
  /** ISO 8601 */
  readonly created: string;
  /** ISO 8601; absent when the token never expires. */
  readonly expires?: string;
  /** The server's own token, which cannot be deleted. */
  readonly server?: true;
}

export type Verification = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What the store holds per token. */
interface TokenRecord {
  /** SHA-256 (hex) of the secret. */
  readonly secretHash: string;
  readonly description: string;
  readonly created: string;
  readonly expires?: string;
  /** The server's own token: re-added from its file at every start, so deleting it would not last. */
  readonly server?: true;
}

export class BootstrapTokens {
  private readonly caHash: string;

  constructor(
    private readonly store: Store,
    caPem: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.caHash = caHashOf(caPem);
  }

  async create(opts: CreateTokenOptions = {}): Promise<CreatedToken> {
    const ttl = opts.ttlSeconds ?? 0;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL_SECONDS) {
      throw new BootstrapTokenError('InvalidArgument', `ttlSeconds must be a whole number from 0 (never expires) to ${MAX_TTL_SECONDS}`);
    }
    const description = checkDescription(opts.description ?? '');
    const created = this.clock();
    const expires = ttl === 0 ? undefined : new Date(created.getTime() + ttl * 1000).toISOString();
    const id = await this.unusedId();
    const secret = newTokenSecret();
    const record: TokenRecord = { secretHash: hashOf(secret), description, created: created.toISOString(), ...(expires !== undefined && { expires }) };
    await this.store.create(keyOf(id), encode(record), ttl === 0 ? {} : { ttlSeconds: ttl + EXPIRED_GRACE_SECONDS });
    return { token: formatJoinToken({ caHash: this.caHash, id, secret }), id, ...(expires !== undefined && { expires }) };
  }

  /** Every token (expired ones during their grace day too), oldest first. */
  async list(): Promise<TokenInfo[]> {
    const { items } = await this.store.list(PREFIX);
    return items
      .map((kv): TokenInfo => {
        const id = kv.key.slice(PREFIX.length);
        const r = decode(id, kv.value);
        const info: TokenInfo = { id, description: r.description, created: r.created, ...(r.expires !== undefined && { expires: r.expires }) };
        return r.server === true ? { ...info, server: true } : info;
      })
      .sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
  }

  async delete(id: string): Promise<void> {
    if (!isTokenId(id)) throw new BootstrapTokenError('InvalidArgument', 'a token ID is 6 characters, a-z and 0-9');
    const kv = await this.store.get(keyOf(id));
    if (kv === undefined) throw notKnown(id);
    if (decode(id, kv.value).server === true) {
      const why = 'the server re-adds it from its token file at every start';
      throw new BootstrapTokenError('InvalidArgument', `token ${id} is the server token: it cannot be deleted (${why})`);
    }
    try {
      await this.store.delete(keyOf(id));
    } catch (err) {
      // Deleted (or expired away) since the read above.
      if (isStoreError(err, 'NotFound')) throw notKnown(id);
      throw err;
    }
  }

  async verify(id: string, secret: string): Promise<Verification> {
    if (!isTokenId(id)) return { ok: false, reason: 'malformed token ID: a token ID is 6 characters, a-z and 0-9' };
    const kv = await this.store.get(keyOf(id));
    if (kv === undefined) return { ok: false, reason: notKnown(id).message };
    const record = decode(id, kv.value);
    // Digests of equal length, compared in constant time: the answer's timing says nothing about the secret.
    if (!timingSafeEqual(Buffer.from(record.secretHash, 'hex'), digestOf(secret))) {
      return { ok: false, reason: `wrong secret for token ${id}` };
    }
    if (record.expires !== undefined && Date.parse(record.expires) <= this.clock().getTime()) {
      return { ok: false, reason: `token ${id} expired at ${record.expires}` };
    }
    return { ok: true };
  }

  /**
   * The server's own token, which never expires: made on first start and
   * written to DATA/server/token (0600); on later starts read from there and
   * its hash put back into the store if missing (a store restored from a
   * backup). Returns the full token.
   */
  async ensureServerToken(dataDir: string): Promise<string> {
    const path = serverTokenPath(dataDir);
    let text = await readIfExists(path);
    if (text === undefined) {
      text = `${formatJoinToken({ caHash: this.caHash, id: await this.unusedId(), secret: newTokenSecret() })}\n`;
      // File first: a crash before the store write below is mended by the next start, which reads the file.
      await writeFileAtomic(path, text, TOKEN_FILE_MODE);
    }
    const token = this.parseServerToken(path, text);
    const secretHash = hashOf(token.secret);
    const kv = await this.store.get(keyOf(token.id));
    if (kv === undefined || decode(token.id, kv.value).secretHash !== secretHash) {
      const record: TokenRecord = { secretHash, description: SERVER_DESCRIPTION, created: this.clock().toISOString(), server: true };
      if (kv === undefined) await this.store.create(keyOf(token.id), encode(record));
      else await this.store.update(keyOf(token.id), encode(record), { expectedRevision: kv.modRevision });
    }
    await this.demoteFormerServerTokens(token.id);
    return formatJoinToken(token);
  }

  /**
   * A server token in the store that is not the file's (the file was lost,
   * e.g. a restore of a backup, which carries the store but not that file)
   * keeps working for the agents given it, but is an ordinary token now: one
   * an admin can delete.
   */
  private async demoteFormerServerTokens(currentId: string): Promise<void> {
    for (const kv of (await this.store.list(PREFIX)).items) {
      const id = kv.key.slice(PREFIX.length);
      const r = decode(id, kv.value);
      if (r.server !== true || id === currentId) continue;
      const record: TokenRecord = { secretHash: r.secretHash, description: FORMER_SERVER_DESCRIPTION, created: r.created };
      await this.store.update(kv.key, encode(record), { expectedRevision: kv.modRevision });
    }
  }

  private parseServerToken(path: string, text: string): { caHash: string; id: string; secret: string } {
    const advice = 'delete it to have the server make a new one (agents given the old one must then be given the new one)';
    let token;
    try {
      token = parseJoinToken(text);
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}; ${advice}`);
    }
    if (token.caHash === undefined) throw new Error(`${path} holds a token without a CA hash, not the K10<CA hash>::<id>.<secret> form; ${advice}`);
    if (token.caHash !== this.caHash) throw new Error(`${path} was made for another cluster CA (its CA hash does not match this server's CA); ${advice}`);
    return { caHash: token.caHash, id: token.id, secret: token.secret };
  }

  private async unusedId(): Promise<string> {
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const id = newTokenId();
      if ((await this.store.get(keyOf(id))) === undefined) return id;
    }
    throw new Error(`no free token ID after ${ID_ATTEMPTS} random draws`);
  }
}

function checkDescription(description: string): string {
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw new BootstrapTokenError('InvalidArgument', `description must be at most ${MAX_DESCRIPTION_LENGTH} characters, not ${description.length}`);
  }
  // One line: `token list` shows it in a table.
  if (/\p{Cc}/u.test(description)) throw new BootstrapTokenError('InvalidArgument', 'description must not contain control characters (such as newlines)');
  return description;
}

function notKnown(id: string): BootstrapTokenError {
  return new BootstrapTokenError('NotFound', `token ID ${id} is not known to this server: it was deleted or never created`);
}

function keyOf(id: string): string {
  return PREFIX + id;
}

function digestOf(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

function hashOf(secret: string): string {
  return digestOf(secret).toString('hex');
}

function encode(record: TokenRecord): Uint8Array {
  return Buffer.from(JSON.stringify(record));
}

/** A record that is not what this file writes is damage, reported as such rather than read as "no token". */
function decode(id: string, value: Uint8Array): TokenRecord {
  let r: Partial<Record<keyof TokenRecord, unknown>> | undefined;
  try {
    r = JSON.parse(Buffer.from(value).toString('utf8')) as typeof r;
  } catch {
    r = undefined;
  }
  const isTime = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.secretHash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(r.secretHash) ||
    typeof r.description !== 'string' ||
    !isTime(r.created) ||
    (r.expires !== undefined && !isTime(r.expires)) ||
    (r.server !== undefined && r.server !== true)
  ) {
    throw new Error(`the stored record of bootstrap token ${id} is damaged`);
  }
  return r as TokenRecord;
}

import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { caHashOf, formatJoinToken, parseJoinToken } from '../../common/join-token.js';
import { serverDir, serverTokenPath } from '../../common/paths.js';
import { BootstrapTokens } from '../../server/agents/bootstrap-tokens.js';
import { openLevelStore } from '../../server/store/level-store.js';
import { testStore } from '../helpers/store.js';
import { tempDir } from '../helpers/temp.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';
const OTHER_CA = '-----BEGIN CERTIFICATE-----\nMIIBother\n-----END CERTIFICATE-----\n';
const PREFIX = '/bramble/bootstrap-tokens/';
const T0 = Date.parse('2030-01-02T03:04:05Z');

/** A clock the test moves by hand. */
function fakeClock(start = T0) {
  let now = start;
  return { clock: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}

async function dataDirWithServerDir(t: TestContext): Promise<string> {
  const dataDir = join(await tempDir(t), 'data');
  await mkdir(serverDir(dataDir), { recursive: true });
  return dataDir;
}

test('create gives a K10 token that pins the CA and verifies; the store holds no plaintext secret', async (t) => {
  const dir = await tempDir(t);
  const store = await openLevelStore({ path: join(dir, 'db') });
  const tokens = new BootstrapTokens(store, CA);
  const created = await tokens.create({ ttlSeconds: 3600, description: 'rack 2' });
  const parsed = parseJoinToken(created.token);
  assert.equal(parsed.caHash, caHashOf(CA));
  assert.equal(parsed.id, created.id);
  assert.deepEqual(await tokens.verify(parsed.id, parsed.secret), { ok: true });

  const kv = await store.get(PREFIX + created.id);
  assert.ok(kv);
  const record = JSON.parse(Buffer.from(kv.value).toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(record).sort(), ['created', 'description', 'expires', 'secretHash']);
  assert.equal(record['description'], 'rack 2');
  // The raw bytes: every entry of the store as LevelDB holds it, then every file of the database on disk.
  for await (const [key, value] of store.snapshotEntries()) {
    assert.ok(!key.includes(parsed.secret) && !value.includes(parsed.secret), 'a store entry holds the secret');
  }
  await store.close();
  for (const name of await readdir(join(dir, 'db'))) {
    const bytes = await readFile(join(dir, 'db', name)).catch(() => Buffer.alloc(0));
    assert.ok(!bytes.includes(parsed.secret), `${name} holds the secret`);
    if (/\.log$/.test(name) && bytes.includes(created.id)) assert.ok(bytes.includes(Buffer.from(String(record['secretHash']))), 'the hash is what is stored');
  }
});

test('a token expires at its TTL by the injected clock; the store drops it a day later by itself', async (t) => {
  const store = await testStore(t);
  const { clock, advance } = fakeClock();
  const tokens = new BootstrapTokens(store, CA, clock);
  const { token, id, expires } = await tokens.create({ ttlSeconds: 60 });
  assert.equal(expires, '2030-01-02T03:05:05.000Z');
  const { secret } = parseJoinToken(token);
  advance(59);
  assert.deepEqual(await tokens.verify(id, secret), { ok: true });
  advance(1);
  assert.deepEqual(await tokens.verify(id, secret), { ok: false, reason: `token ${id} expired at 2030-01-02T03:05:05.000Z` });
  // Still listed during its grace day (kubeadm shows expired tokens too), with the store's TTL past it.
  assert.deepEqual((await tokens.list()).map((i) => [i.id, i.expires]), [[id, expires]]);
  const expiresAt = (await store.get(PREFIX + id))?.expiresAt;
  assert.ok(expiresAt !== undefined && Math.abs(expiresAt - (Date.now() + (60 + 86400) * 1000)) < 60_000, String(expiresAt));

  const forever = await tokens.create({ ttlSeconds: 0 });
  assert.equal(forever.expires, undefined);
  assert.equal((await store.get(PREFIX + forever.id))?.expiresAt, undefined);
  advance(100 * 365 * 86400);
  assert.deepEqual(await tokens.verify(forever.id, parseJoinToken(forever.token).secret), { ok: true });
  const noOptions = await tokens.create();
  assert.equal(noOptions.expires, undefined, 'no ttl means never, as the API documents');
});

test('verify tells an unknown ID, a wrong secret and a malformed ID apart', async (t) => {
  const store = await testStore(t);
  const tokens = new BootstrapTokens(store, CA);
  const { id, token } = await tokens.create({ ttlSeconds: 600 });
  const { secret } = parseJoinToken(token);
  assert.deepEqual(await tokens.verify('zzzzzz', secret), {
    ok: false,
    reason: 'token ID zzzzzz is not known to this server: it was deleted or never created',
  });
  const wrong = secret.slice(0, 15) + (secret.endsWith('a') ? 'b' : 'a');
  assert.deepEqual(await tokens.verify(id, wrong), { ok: false, reason: `wrong secret for token ${id}` });
  assert.deepEqual(await tokens.verify(id, ''), { ok: false, reason: `wrong secret for token ${id}` });
  const malformed = await tokens.verify('../../registry', secret);
  assert.equal(malformed.ok, false);
  assert.match(!malformed.ok ? malformed.reason : '', /^malformed token ID/);
  assert.ok(!JSON.stringify(malformed).includes('registry'), 'a bad ID is not echoed');
});

test('delete: the token stops verifying; unknown, malformed and server IDs are refused clearly', async (t) => {
  const store = await testStore(t);
  const tokens = new BootstrapTokens(store, CA);
  const a = await tokens.create({ ttlSeconds: 600, description: 'a' });
  const b = await tokens.create({ ttlSeconds: 600, description: 'b' });
  await tokens.delete(a.id);
  assert.deepEqual(await tokens.verify(a.id, parseJoinToken(a.token).secret), {
    ok: false,
    reason: `token ID ${a.id} is not known to this server: it was deleted or never created`,
  });
  assert.deepEqual(await tokens.verify(b.id, parseJoinToken(b.token).secret), { ok: true });
  await assert.rejects(tokens.delete(a.id), { name: 'BootstrapTokenError', code: 'NotFound', message: `token ID ${a.id} is not known to this server: it was deleted or never created` });
  await assert.rejects(tokens.delete('nope'), { code: 'InvalidArgument', message: /a token ID is 6 characters/ });

  const dataDir = await dataDirWithServerDir(t);
  const serverId = parseJoinToken(await tokens.ensureServerToken(dataDir)).id;
  const revision = store.revision;
  await assert.rejects(tokens.delete(serverId), { code: 'InvalidArgument', message: new RegExp(`token ${serverId} is the server token: it cannot be deleted`) });
  assert.equal(store.revision, revision);
  assert.deepEqual(
    (await tokens.list()).map((i) => [i.id, i.description, i.server]),
    [
      [b.id, 'b', undefined],
      [serverId, 'server token', true],
    ],
  );
});

test('bad create options are refused and write nothing', async (t) => {
  const store = await testStore(t);
  const tokens = new BootstrapTokens(store, CA);
  const cases: [object, RegExp][] = [
    [{ ttlSeconds: -1 }, /ttlSeconds must be a whole number from 0/],
    [{ ttlSeconds: 1.5 }, /ttlSeconds must be a whole number/],
    [{ ttlSeconds: Number.NaN }, /ttlSeconds must be a whole number/],
    [{ ttlSeconds: Infinity }, /ttlSeconds must be a whole number/],
    [{ ttlSeconds: 10 * 365 * 86400 + 1 }, /ttlSeconds must be a whole number from 0 \(never expires\) to 315360000/],
    [{ ttlSeconds: '60' }, /ttlSeconds must be a whole number/],
    [{ description: 'x'.repeat(201) }, /description must be at most 200 characters, not 201/],
    [{ description: 'two\nlines' }, /description must not contain control characters/],
  ];
  for (const [opts, message] of cases) {
    await assert.rejects(tokens.create(opts), { name: 'BootstrapTokenError', code: 'InvalidArgument', message }, JSON.stringify(opts));
  }
  assert.equal(store.revision, 0);
  assert.ok((await tokens.create({ description: 'x'.repeat(200) })).id);
});

test('a damaged stored record is reported as such, not read as "no token"', async (t) => {
  const store = await testStore(t);
  const tokens = new BootstrapTokens(store, CA);
  await store.create(`${PREFIX}abc123`, Buffer.from('{"secretHash":"plaintext"}'));
  await assert.rejects(tokens.verify('abc123', '0123456789abcdef'), /the stored record of bootstrap token abc123 is damaged/);
  await assert.rejects(tokens.list(), /damaged/);
});

test('ensureServerToken: made once (0600, K10 form pinning the CA), stable across restarts', async (t) => {
  const dataDir = await dataDirWithServerDir(t);
  const dbPath = join(await tempDir(t), 'db');
  let store = await openLevelStore({ path: dbPath });
  const token = await new BootstrapTokens(store, CA).ensureServerToken(dataDir);
  const path = serverTokenPath(dataDir);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(await readFile(path, 'utf8'), `${token}\n`);
  const parsed = parseJoinToken(token);
  assert.equal(parsed.caHash, caHashOf(CA));
  const info = (await new BootstrapTokens(store, CA).list()).find((i) => i.id === parsed.id);
  assert.deepEqual(info && { description: info.description, expires: info.expires, server: info.server }, { description: 'server token', expires: undefined, server: true });
  const revision = store.revision;
  await store.close();

  // A restart: the same token, and nothing written.
  store = await openLevelStore({ path: dbPath });
  t.after(() => store.close());
  const tokens = new BootstrapTokens(store, CA);
  assert.equal(await tokens.ensureServerToken(dataDir), token);
  assert.equal(store.revision, revision);
  assert.deepEqual(await tokens.verify(parsed.id, parsed.secret), { ok: true });
  assert.equal((await tokens.list()).length, 1);
});

test('ensureServerToken puts the hash back when the store lost it (a restored or new store)', async (t) => {
  const dataDir = await dataDirWithServerDir(t);
  const token = await new BootstrapTokens(await testStore(t), CA).ensureServerToken(dataDir);
  const { id, secret } = parseJoinToken(token);
  const fresh = await testStore(t);
  const tokens = new BootstrapTokens(fresh, CA);
  assert.equal((await tokens.verify(id, secret)).ok, false);
  assert.equal(await tokens.ensureServerToken(dataDir), token);
  assert.deepEqual(await tokens.verify(id, secret), { ok: true });
  // A record under the same ID with another hash is mended too: the file is the authority.
  await fresh.update(PREFIX + id, Buffer.from(JSON.stringify({ secretHash: 'f'.repeat(64), description: 'x', created: new Date().toISOString() })));
  await tokens.ensureServerToken(dataDir);
  assert.deepEqual(await tokens.verify(id, secret), { ok: true });
});

test('a server token whose file is gone stays valid but becomes an ordinary, deletable token', async (t) => {
  const store = await testStore(t);
  const tokens = new BootstrapTokens(store, CA);
  const old = parseJoinToken(await tokens.ensureServerToken(await dataDirWithServerDir(t)));
  // Another data dir with no token file: the store as a restore leaves it.
  const current = parseJoinToken(await tokens.ensureServerToken(await dataDirWithServerDir(t)));
  assert.notEqual(current.id, old.id);
  assert.deepEqual(await tokens.verify(old.id, old.secret), { ok: true });
  const byId = new Map((await tokens.list()).map((i) => [i.id, i]));
  assert.equal(byId.get(old.id)?.description, 'former server token');
  assert.equal(byId.get(old.id)?.server, undefined);
  assert.equal(byId.get(current.id)?.server, true);
  await tokens.delete(old.id);
  assert.deepEqual((await tokens.list()).map((i) => i.id), [current.id]);
});

test('ensureServerToken refuses a malformed or foreign token file and changes nothing', async (t) => {
  const store = await testStore(t);
  const tokens = new BootstrapTokens(store, CA);
  const dataDir = await dataDirWithServerDir(t);
  const path = serverTokenPath(dataDir);
  const cases: [string, RegExp][] = [
    ['', /the join token is empty/],
    ['garbage\n', /malformed join token/],
    ['abc123.0123456789abcdef\n', /holds a token without a CA hash/],
    [`${formatJoinToken({ caHash: caHashOf(OTHER_CA), id: 'abc123', secret: '0123456789abcdef' })}\n`, /was made for another cluster CA/],
    [`K10${'0'.repeat(63)}::abc123.0123456789abcdef\n`, /CA hash must be 64 hex characters/],
  ];
  for (const [content, cause] of cases) {
    await writeFile(path, content);
    await chmod(path, 0o600);
    await assert.rejects(tokens.ensureServerToken(dataDir), (err: Error) => {
      assert.match(err.message, cause);
      assert.ok(err.message.startsWith(`${path}`), err.message);
      assert.match(err.message, /delete it to have the server make a new one/);
      assert.ok(!err.message.includes('0123456789abcdef'), 'the secret is not quoted');
      return true;
    });
    assert.equal(await readFile(path, 'utf8'), content);
  }
  assert.equal(store.revision, 0);
});

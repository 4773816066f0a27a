import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { caHashOf, formatJoinToken, isTokenId, newTokenId, newTokenSecret, parseJoinToken } from '../../common/join-token.js';

const hash = 'a'.repeat(64);
const id = 'abc123';
const secret = '0123456789abcdef';

test('format and parse round trip, with and without the CA hash', () => {
  assert.equal(formatJoinToken({ caHash: hash, id, secret }), `K10${hash}::${id}.${secret}`);
  assert.equal(formatJoinToken({ id, secret }), `${id}.${secret}`);
  assert.deepEqual(parseJoinToken(`K10${hash}::${id}.${secret}`), { caHash: hash, id, secret });
  assert.deepEqual(parseJoinToken(`${id}.${secret}`), { id, secret });
  for (const token of [{ caHash: hash, id, secret }, { id, secret }]) assert.deepEqual(parseJoinToken(formatJoinToken(token)), token);
});

test('a token read from a file parses despite its newline; a hash in capitals is read as lower case', () => {
  assert.deepEqual(parseJoinToken(`  K10${hash}::${id}.${secret}\n`), { caHash: hash, id, secret });
  assert.deepEqual(parseJoinToken(`K10${'AB'.repeat(32)}::${id}.${secret}`), { caHash: 'ab'.repeat(32), id, secret });
});

test('each malformed token is refused with its own one-line cause that never quotes the secret', () => {
  const cases: [string, RegExp][] = [
    ['', /the join token is empty/],
    ['  \n', /the join token is empty/],
    [secret, /expected <id>\.<secret>/],
    [`${id}.${secret}.extra`, /expected <id>\.<secret>/],
    [`${id}:${secret}`, /expected <id>\.<secret>/],
    [`K10${hash}::${id}`, /expected <id>\.<secret>/],
    [`abc12.${secret}`, /token ID must be 6 characters, not 5/],
    [`abc1234.${secret}`, /token ID must be 6 characters, not 7/],
    [`ABC123.${secret}`, /token ID may contain only a-z and 0-9/],
    [`ab-123.${secret}`, /token ID may contain only a-z and 0-9/],
    [`${id}.${secret}0`, /token secret must be 16 characters, not 17/],
    [`${id}.${secret.slice(1)}`, /token secret must be 16 characters, not 15/],
    [`${id}.0123456789abcdeF`, /token secret may contain only a-z and 0-9/],
    [`K11${hash}::${id}.${secret}`, /the form with a CA hash is K10<CA hash>::<id>\.<secret>/],
    [`${hash}::${id}.${secret}`, /the form with a CA hash is K10/],
    [`K10${hash.slice(1)}::${id}.${secret}`, /CA hash must be 64 hex characters \(SHA-256\), not 63/],
    [`K10::${id}.${secret}`, /CA hash must be 64 hex characters \(SHA-256\), not 0/],
    [`K10${'g'.repeat(64)}::${id}.${secret}`, /CA hash may contain only hex digits/],
    [`K10${hash}::${id}.${secret}::x`, /token secret must be 16 characters/],
  ];
  for (const [text, cause] of cases) {
    assert.throws(
      () => parseJoinToken(text),
      (err: Error) => {
        assert.match(err.message, cause, JSON.stringify(text));
        assert.doesNotMatch(err.message, /\n/);
        assert.ok(!err.message.includes(secret.slice(0, 15)), `${err.message} quotes the secret`);
        return true;
      },
    );
  }
});

test('new IDs and secrets are random, of the bootstrap-token alphabet and lengths', () => {
  const ids = new Set(Array.from({ length: 200 }, () => newTokenId()));
  const secrets = new Set(Array.from({ length: 200 }, () => newTokenSecret()));
  assert.equal(ids.size, 200);
  assert.equal(secrets.size, 200);
  for (const i of ids) assert.match(i, /^[a-z0-9]{6}$/);
  for (const s of secrets) assert.match(s, /^[a-z0-9]{16}$/);
  // Every character of the alphabet turns up: no character is left out by a biased draw.
  assert.equal(new Set([...secrets].join('')).size, 36);
  assert.deepEqual(parseJoinToken(formatJoinToken({ id: newTokenId(), secret: newTokenSecret() })).caHash, undefined);
});

test('isTokenId accepts exactly 6 characters of a-z and 0-9', () => {
  assert.equal(isTokenId('abc123'), true);
  for (const bad of ['', 'abc12', 'abc1234', 'ABC123', 'abc/12', 'abc.12']) assert.equal(isTokenId(bad), false, bad);
});

test('caHashOf is the SHA-256 of the PEM text as UTF-8', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  assert.equal(caHashOf(pem), createHash('sha256').update(Buffer.from(pem, 'utf8')).digest('hex'));
  assert.match(caHashOf(pem), /^[0-9a-f]{64}$/);
  assert.notEqual(caHashOf(pem), caHashOf(pem.trimEnd()), 'the exact bytes count, trailing newline included');
});

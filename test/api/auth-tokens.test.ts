// Service-account tokens (server/api/auth): upstream's claims, ES256 that
// node:crypto and an independent check agree on, and every way a token can
// be wrong refused without an exception.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { test } from 'node:test';
import { keyId, signJwt, verifyJwt } from '../../server/api/auth/jwt.js';
import {
  checkServiceAccountToken,
  issueServiceAccountToken,
  SERVICE_ACCOUNT_ISSUER,
  type ServiceAccountRef,
} from '../../server/api/auth/service-account-token.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const SA: ServiceAccountRef = { namespace: 'apps', name: 'builder', uid: '0b8c7d5e-1f2a-4b3c-9d4e-5f6a7b8c9d0e' };
const AUDIENCES = [SERVICE_ACCOUNT_ISSUER];

const newKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const key = newKey();
const publicKey = createPublicKey(key);

const issue = (opts: { audiences?: string[]; expirationSeconds?: number; now?: Date; signer?: KeyObject } = {}) =>
  issueServiceAccountToken(opts.signer ?? key, SA, {
    audiences: opts.audiences ?? AUDIENCES,
    expirationSeconds: opts.expirationSeconds ?? 3600,
    now: opts.now ?? NOW,
  });

const part = (token: string, i: number): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[i]!, 'base64url').toString());
const minutesAfter = (d: Date, m: number) => new Date(d.getTime() + m * 60_000);

test('a token carries upstream claims and header, and an independent ES256 check accepts its signature', () => {
  const token = issue();
  const header = part(token, 0);
  assert.deepEqual(header, { alg: 'ES256', kid: keyId(key) });
  assert.match(String(header['kid']), /^[A-Za-z0-9_-]{43}$/);
  const claims = part(token, 1);
  const iat = NOW.getTime() / 1000;
  assert.match(String(claims['jti']), /^[0-9a-f-]{36}$/);
  assert.deepEqual(
    { ...claims, jti: 'x' },
    {
      aud: [SERVICE_ACCOUNT_ISSUER],
      exp: iat + 3600,
      iat,
      iss: 'https://kubernetes.default.svc.cluster.local',
      jti: 'x',
      'kubernetes.io': { namespace: 'apps', serviceaccount: { name: 'builder', uid: SA.uid } },
      nbf: iat,
      sub: 'system:serviceaccount:apps:builder',
    },
  );
  // JWS ES256 is r‖s (64 bytes), not DER: checked here with node:crypto's own options, not our verifier.
  const [h, p, s] = token.split('.') as [string, string, string];
  const signature = Buffer.from(s, 'base64url');
  assert.equal(signature.length, 64);
  assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature));
  assert.notEqual(issue(), token, 'every token has its own jti');
});

test('a good token is accepted until it expires, with upstream\'s 60 s leeway', () => {
  const token = issue({ expirationSeconds: 600 });
  for (const at of [NOW, minutesAfter(NOW, 10), new Date(NOW.getTime() + 660_000)]) {
    const checked = checkServiceAccountToken(token, publicKey, AUDIENCES, at);
    assert.deepEqual(checked, { ok: true, serviceAccount: SA, audiences: AUDIENCES, jti: checked.ok ? checked.jti : '' }, at.toISOString());
    assert.match(checked.ok ? (checked.jti ?? '') : '', /^[0-9a-f-]{36}$/, 'the credential id');
  }
  assert.deepEqual(checkServiceAccountToken(token, publicKey, AUDIENCES, new Date(NOW.getTime() + 661_000)), { ok: false, reason: 'token has expired' });
  assert.deepEqual(checkServiceAccountToken(issue({ now: minutesAfter(NOW, 5) }), publicKey, AUDIENCES, NOW), {
    ok: false,
    reason: 'token is not valid yet (nbf)',
  });
});

test('tokens signed with another key, for another audience, tampered with or not tokens at all are refused, never thrown', () => {
  const refused = (token: string) => {
    const result = checkServiceAccountToken(token, publicKey, AUDIENCES, NOW);
    assert.equal(result.ok, false, token.slice(0, 80));
    return result.ok ? '' : result.reason;
  };
  assert.equal(refused(issue({ signer: newKey() })), 'malformed token or bad signature');
  assert.equal(refused(issue({ audiences: ['https://vault.example.com'] })), 'token is not for this audience');
  assert.equal(checkServiceAccountToken(issue({ audiences: ['https://vault.example.com', SERVICE_ACCOUNT_ISSUER] }), publicKey, AUDIENCES, NOW).ok, true);

  const [h, p, s] = issue().split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const reencode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const admin = { ...claims, sub: 'system:serviceaccount:kube-system:admin', 'kubernetes.io': { namespace: 'kube-system', serviceaccount: { name: 'admin', uid: SA.uid } } };
  assert.equal(refused(`${h}.${reencode(admin)}.${s}`), 'malformed token or bad signature', 'claims changed');
  assert.equal(refused(`${h}.${reencode({ ...claims, exp: (claims['exp'] as number) + 86_400 })}.${s}`), 'malformed token or bad signature', 'expiry extended');
  const flipped = Buffer.from(s, 'base64url');
  flipped[10] = flipped[10]! ^ 1;
  assert.equal(refused(`${h}.${p}.${flipped.toString('base64url')}`), 'malformed token or bad signature', 'signature changed');
  assert.equal(refused(`${reencode({ alg: 'none' })}.${p}.`), 'malformed token or bad signature', 'alg none, no signature');
  assert.equal(refused(`${reencode({ alg: 'HS256' })}.${p}.${s}`), 'malformed token or bad signature', 'another algorithm');
  // DER-encoded signatures (what crypto.sign gives by default) are not JWS.
  const der = sign('sha256', Buffer.from(`${h}.${p}`), key).toString('base64url');
  assert.equal(refused(`${h}.${p}.${der}`), 'malformed token or bad signature', 'DER signature');

  for (const garbage of ['', 'garbage', 'a.b', 'a.b.c', '...', `${h}.${p}`, `${h}.${p}.${s}.x`, `${h}.${p}.${s}=`, `${h}.${'e30'}.${s}`, `${'x'.repeat(5000)}.y.z`, '%%%.%%%.%%%']) {
    assert.equal(refused(garbage), 'malformed token or bad signature', JSON.stringify(garbage.slice(0, 40)));
  }
});

test('well-signed tokens whose claims are not a service account\'s are refused', () => {
  const iat = NOW.getTime() / 1000;
  const base = {
    aud: AUDIENCES,
    exp: iat + 3600,
    iat,
    iss: SERVICE_ACCOUNT_ISSUER,
    'kubernetes.io': { namespace: 'apps', serviceaccount: { name: 'builder', uid: SA.uid } },
    nbf: iat,
    sub: 'system:serviceaccount:apps:builder',
  };
  const cases: [string, Record<string, unknown>, string][] = [
    ['another issuer', { ...base, iss: 'https://accounts.example.com' }, 'unknown issuer'],
    ['no expiry', { ...base, exp: undefined }, 'token has expired'],
    ['a string expiry', { ...base, exp: String(iat + 3600) }, 'token has expired'],
    ['issued in the future', { ...base, iat: iat + 3600 }, 'token is not valid yet (iat)'],
    ['a single audience string', { ...base, aud: 'https://vault.example.com' }, 'token is not for this audience'],
    ['no kubernetes.io claim', { ...base, 'kubernetes.io': undefined }, 'token names no service account'],
    ['a subject for another account', { ...base, sub: 'system:serviceaccount:apps:other' }, 'token names no service account'],
    ['a user subject', { ...base, sub: 'system:admin' }, 'token names no service account'],
  ];
  for (const [what, claims, reason] of cases) {
    assert.deepEqual(checkServiceAccountToken(signJwt(claims, key), publicKey, AUDIENCES, NOW), { ok: false, reason }, what);
  }
  assert.deepEqual(checkServiceAccountToken(signJwt({ ...base, aud: SERVICE_ACCOUNT_ISSUER }, key), publicKey, AUDIENCES, NOW), { ok: true, serviceAccount: SA, audiences: [SERVICE_ACCOUNT_ISSUER] });
});

test('verifyJwt returns the claims only for an ES256 signature by the given key', () => {
  const token = signJwt({ hello: 'world' }, key);
  assert.deepEqual(verifyJwt(token, publicKey), { hello: 'world' });
  assert.deepEqual(verifyJwt(token, key), { hello: 'world' }, 'a private key verifies as its public key');
  assert.equal(verifyJwt(token, createPublicKey(newKey())), undefined);
  assert.equal(verifyJwt(signJwt([1, 2] as unknown as Record<string, unknown>, key), publicKey), undefined, 'claims must be an object');
});

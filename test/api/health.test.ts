// /healthz, /livez and /readyz answered as upstream's healthz handlers answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type HealthCheck, healthAnswer, healthCheckAnswer } from '../../server/api/http/health.js';

const passing: HealthCheck = { name: 'store', check: () => undefined };
const failing: HealthCheck = { name: 'store', check: () => 'the disk is full' };
const query = (q = '') => new URLSearchParams(q);

test('passing checks: "ok", or each check with ?verbose', () => {
  const plain = healthAnswer('/readyz', query(), [passing]);
  assert.equal(plain.status, 200);
  assert.equal(plain.body, 'ok');
  assert.equal(plain.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(plain.headers['x-content-type-options'], 'nosniff');
  assert.equal(healthAnswer('/livez', query('verbose'), [passing]).body, '[+]ping ok\n[+]store ok\nlivez check passed\n');
  assert.equal(healthAnswer('/healthz', query('verbose=true'), []).body, '[+]ping ok\nhealthz check passed\n');
});

test('a failing check: 500 with every check, its reason withheld', () => {
  const answer = healthAnswer('/readyz', query(), [failing]);
  assert.equal(answer.status, 500);
  assert.equal(answer.body, '[+]ping ok\n[-]store failed: reason withheld\nreadyz check failed\n');
  assert.doesNotMatch(String(answer.body), /disk/);
});

test('?exclude skips a check, and names it when nothing matches', () => {
  const answer = healthAnswer('/readyz', query('exclude=store&exclude=etcd&verbose'), [failing]);
  assert.equal(answer.status, 200);
  assert.equal(answer.body, '[+]ping ok\n[+]store excluded: ok\nwarn: some health checks cannot be excluded: no matches for "etcd"\nreadyz check passed\n');
});

test('one check by its path gives its reason; other paths are not health checks', () => {
  assert.deepEqual(
    [healthCheckAnswer('/readyz/store', [passing])?.status, healthCheckAnswer('/readyz/store', [passing])?.body],
    [200, 'ok'],
  );
  const failed = healthCheckAnswer('/livez/store', [failing]);
  assert.equal(failed?.status, 500);
  assert.equal(failed?.body, 'internal server error: the disk is full\n');
  assert.equal(healthCheckAnswer('/healthz/ping', [])?.status, 200);
  assert.equal(healthCheckAnswer('/readyz/etcd', [failing]), undefined);
  assert.equal(healthCheckAnswer('/apis/store', [failing]), undefined);
  assert.equal(healthCheckAnswer('/readyz', [failing]), undefined);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../common/log.js';

const capture = (level?: 'debug' | 'info' | 'warn' | 'error') => {
  const lines: string[] = [];
  const log = createLogger({ level, write: (l) => lines.push(l), now: () => new Date('2026-01-02T03:04:05Z') });
  return { log, lines };
};

test('log lines are logfmt with time, level, message and fields', () => {
  const { log, lines } = capture();
  log.with({ component: 'store' }).info('opened store', { path: '/var/lib/bramble', revision: 7, note: 'two words' });
  assert.deepEqual(lines, [
    'time=2026-01-02T03:04:05.000Z level=info msg="opened store" component=store path=/var/lib/bramble revision=7 note="two words"\n',
  ]);
});

test('quiet by default: debug lines are dropped unless asked for', () => {
  const quiet = capture();
  quiet.log.debug('per-request detail');
  assert.equal(quiet.lines.length, 0);
  const verbose = capture('debug');
  verbose.log.debug('per-request detail');
  assert.equal(verbose.lines.length, 1);
  const warnOnly = capture('warn');
  warnOnly.log.info('lifecycle');
  warnOnly.log.error('broken', { error: new Error('disk full') });
  assert.deepEqual(warnOnly.lines, ['time=2026-01-02T03:04:05.000Z level=error msg=broken error="disk full"\n']);
});

test('fields that carry credentials are never printed', () => {
  const { log, lines } = capture();
  const secret = 'K10abc::server:deadbeef';
  log.info('join', { token: secret, joinToken: secret, password: secret, privateKey: secret, authorization: `Bearer ${secret}`, node: 'pi-1' });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes(secret), lines[0]);
  assert.match(lines[0]!, /token=\[redacted\] joinToken=\[redacted\] password=\[redacted\] privateKey=\[redacted\] authorization=\[redacted\] node=pi-1/);
});

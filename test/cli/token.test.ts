import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseJoinToken } from '../../common/join-token.js';
import { runBramble, serverArgs, startServer } from '../helpers/bramble.js';
import { tempDir } from '../helpers/temp.js';

const K10 = /^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}$/;

async function token(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runBramble(['token', ...args]);
}

/** One request to the admin socket, as any local client could send it. */
function admin(socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, method, path }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
    })
      .on('error', reject)
      .end(body);
  });
}

test('token create, list and delete against a running server; no secret is ever listed or logged', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const server = await startServer(t, [...serverArgs(dataDir), '--log-level', 'debug']);
  const d = ['--data-dir', dataDir];

  // The server's own token: 0600, K10 form, pinning the CA exactly as served.
  const serverTokenFile = join(dataDir, 'server', 'token');
  assert.equal((await stat(serverTokenFile)).mode & 0o777, 0o600);
  const serverToken = (await readFile(serverTokenFile, 'utf8')).trim();
  assert.match(serverToken, K10);
  const caHash = createHash('sha256').update(await readFile(join(dataDir, 'server', 'tls', 'ca.crt'))).digest('hex');
  assert.equal(parseJoinToken(serverToken).caHash, caHash);

  const made = await token(['create', ...d]);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}\n$/, 'the token only, on stdout');
  const day = parseJoinToken(made.stdout);
  assert.equal(day.caHash, caHash);
  const forever = parseJoinToken((await token(['create', '--ttl', '0', '--description', 'rack 2 nodes', ...d])).stdout);
  const short = parseJoinToken((await token(['create', '--ttl=1h30m', ...d])).stdout);
  const secrets = [parseJoinToken(serverToken).secret, day.secret, forever.secret, short.secret];

  const listed = await token(['list', ...d]);
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^TOKEN ID +TTL +EXPIRES +DESCRIPTION$/);
  const row = (id: string) => lines.find((l) => l.startsWith(`${id} `));
  assert.match(row(parseJoinToken(serverToken).id) ?? '', /^[a-z0-9]{6} +<forever> +<never> +server token$/);
  assert.match(row(day.id) ?? '', /^[a-z0-9]{6} +(24h|23h) +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(row(forever.id) ?? '', /^[a-z0-9]{6} +<forever> +<never> +rack 2 nodes$/);
  assert.match(row(short.id) ?? '', /^[a-z0-9]{6} +(90m|89m) +\S+Z$/);
  assert.equal(lines.length, 5);
  for (const secret of secrets) assert.ok(!listed.stdout.includes(secret), 'list shows a secret');

  // All or nothing: one unknown ID, and nothing is deleted.
  const partial = await token(['delete', day.id, 'zzzzzz', ...d]);
  assert.equal(partial.code, 1);
  assert.match(partial.stderr, /^bramble: token ID zzzzzz is not known to this server: nothing was deleted\n$/);
  const serverDelete = await token(['delete', day.id, parseJoinToken(serverToken).id, ...d]);
  assert.equal(serverDelete.code, 1);
  assert.match(serverDelete.stderr, /is the server token, which cannot be deleted: nothing was deleted/);
  assert.ok(row(day.id));

  const deleted = await token(['delete', day.id, short.id, day.id, ...d]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, `token ${day.id} deleted\ntoken ${short.id} deleted\n`);
  const after = (await token(['list', ...d])).stdout;
  assert.ok(!after.includes(day.id) && !after.includes(short.id) && after.includes(forever.id), after);
  const again = await token(['delete', day.id, ...d]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`token ID ${day.id} is not known to this server`));

  assert.match(server.log(), /msg="bootstrap token created" component=admin id=[a-z0-9]{6} expires=never/);
  assert.match(server.log(), new RegExp(`msg="bootstrap token deleted" component=admin id=${day.id}`));
  assert.equal(await server.stop(), 0);
  for (const secret of secrets) assert.ok(!server.log().includes(secret), 'the server log holds a secret');

  // A restart keeps the server token and the tokens made before.
  await startServer(t, serverArgs(dataDir));
  assert.equal((await readFile(serverTokenFile, 'utf8')).trim(), serverToken);
  const relisted = (await token(['list', ...d])).stdout;
  assert.ok(relisted.includes(forever.id) && relisted.includes(parseJoinToken(serverToken).id), relisted);
});

test('the admin socket refuses bad token requests with JSON errors', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  await startServer(t, serverArgs(dataDir));
  const socket = join(dataDir, 'server', 'admin.sock');
  const before = await admin(socket, 'GET', '/tokens');
  assert.equal(before.status, 200);
  const cases: [string, string, string | undefined, number, RegExp][] = [
    ['POST', '/tokens', 'not json', 400, /not valid JSON/],
    ['POST', '/tokens', '[]', 400, /must be a JSON object/],
    ['POST', '/tokens', '{"ttlSeconds":"1h"}', 400, /ttlSeconds must be a number/],
    ['POST', '/tokens', '{"ttlSeconds":-5}', 400, /ttlSeconds must be a whole number/],
    ['POST', '/tokens', '{"description":7}', 400, /description must be a string/],
    ['POST', '/tokens', '{"ttl":60}', 400, /unknown field "ttl"/],
    ['POST', '/tokens', JSON.stringify({ description: 'x'.repeat(5000) }), 413, /larger than 4096 bytes/],
    ['PUT', '/tokens', '{}', 405, /takes GET or POST/],
    ['GET', '/tokens/abc123', undefined, 405, /takes DELETE/],
    ['DELETE', '/tokens/zzzzzz', undefined, 404, /token ID zzzzzz is not known to this server/],
    ['DELETE', '/tokens/..%2Fx', undefined, 400, /a token ID is 6 characters/],
  ];
  for (const [method, path, body, status, error] of cases) {
    const res = await admin(socket, method, path, body);
    assert.equal(res.status, status, `${method} ${path} ${body}`);
    assert.match((res.json as { error: string }).error, error);
  }
  assert.deepEqual(await admin(socket, 'GET', '/tokens'), before, 'nothing changed');
  const created = await admin(socket, 'POST', '/tokens', '{"ttlSeconds":60,"description":"ci"}');
  assert.equal(created.status, 201);
  assert.match((created.json as { token: string }).token, K10);
});

test('token commands with no server running fail with one clear line', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  for (const args of [['create'], ['list'], ['delete', 'abc123']]) {
    const r = await token([...args, '--data-dir', dataDir]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^bramble: no Bramble server is running with data dir \S+ \(nothing answers on \S+admin\.sock\); start one with 'bramble server'\n$/);
    assert.equal(r.stdout, '');
  }
  await assert.rejects(stat(dataDir), { code: 'ENOENT' });
});

test('bad token command lines exit 2 with a clear message', async (t) => {
  const dataDir = join(await tempDir(t), 'data');
  const d = ['--data-dir', dataDir];
  const cases: [string[], RegExp][] = [
    [['create', '--ttl', '24', ...d], /flag --ttl takes a duration such as 10s, 5m or 1h30m, not "24"/],
    [['create', '--ttl', '1d', ...d], /flag --ttl takes a duration .*not "1d"/],
    [['create', '--ttl', '-5m', ...d], /flag --ttl takes a duration .*not "-5m"/],
    [['create', '--ttl', '1.5h', ...d], /flag --ttl takes a duration .*not "1\.5h"/],
    [['create', '--ttl', '30m1h', ...d], /flag --ttl takes a duration .*not "30m1h"/],
    [['create', '--ttl', 'h', ...d], /flag --ttl takes a duration .*not "h"/],
    [['create', '--ttl=', ...d], /flag --ttl needs a value/],
    [['create', '--ttl', '87601h', ...d], /flag --ttl may be at most 87600h/],
    [['create', 'extra', ...d], /unexpected argument "extra"/],
    [['create', '--bogus', ...d], /unknown flag: --bogus/],
    [['list', 'extra', ...d], /unexpected argument "extra"/],
    [['delete', ...d], /token delete needs at least one token ID/],
    [['delete', 'abc123', 'abc123.0123456789abcdef', ...d], /argument 2 is not a token ID \(6 characters, a-z and 0-9/],
    [['frobnicate'], /unknown token subcommand "frobnicate" \(known: create, list, delete\)/],
  ];
  for (const [args, message] of cases) {
    const r = await token(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(!r.stderr.includes('0123456789abcdef'), 'a token given by mistake is not echoed');
  }
  await assert.rejects(stat(dataDir), { code: 'ENOENT' });
});

test('token help lists the subcommands and their flags', async () => {
  const help = await token(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: bramble token COMMAND/);
  assert.match(help.stdout, /\n {2}create +create a join token/);
  assert.match(help.stdout, /\n {2}list +list the join tokens/);
  assert.match(help.stdout, /\n {2}delete +delete join tokens/);
  assert.equal((await token([])).code, 2);
  const create = await token(['create', '--help']);
  assert.equal(create.code, 0);
  assert.match(create.stdout, /--ttl DURATION +time until the token expires.*\(default 24h\)/);
  assert.match(create.stdout, /--description TEXT/);
  assert.match((await runBramble(['--help'])).stdout, /\n {2}token +create, list and delete the tokens agents join with/);
});

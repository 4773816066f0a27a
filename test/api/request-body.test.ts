import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { readBody } from '../../server/api/http/body.js';
import { ApiError } from '../../server/api/status.js';

/** A loopback server whose every request goes to readBody(limit); answers 200 with the body, or the error's code. */
async function bodyServer(t: TestContext, limit: number, outcomes: (Buffer | Error)[] = []): Promise<number> {
  const server: Server = createServer((req: IncomingMessage, res) => {
    readBody(req, limit).then(
      (body) => {
        outcomes.push(body);
        res.writeHead(200).end(body);
      },
      (err: Error) => {
        outcomes.push(err);
        if (!res.destroyed) res.writeHead(err instanceof ApiError ? err.code : 500).end(err.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** Sends `chunks` one write each (chunked encoding unless `length` is given) and collects the answer. */
function send(port: number, chunks: string[], length?: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: length === undefined ? {} : { 'content-length': String(length) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

test('a body sent in several chunks is read whole', async (t) => {
  const port = await bodyServer(t, 1024);
  assert.deepEqual(await send(port, ['{"a":', '"b"', '}']), { status: 200, body: '{"a":"b"}' });
});

test('an empty body reads as no bytes', async (t) => {
  const port = await bodyServer(t, 1024);
  assert.deepEqual(await send(port, [], 0), { status: 200, body: '' });
});

test('a declared length over the limit is refused with 413 before anything is read', async (t) => {
  const port = await bodyServer(t, 10);
  const res = await send(port, ['x'.repeat(11)], 11);
  assert.equal(res.status, 413);
  assert.match(res.body, /larger than 10 bytes/);
});

test('a streamed body that grows over the limit is refused with 413, and the answer still reaches the client', async (t) => {
  const outcomes: (Buffer | Error)[] = [];
  const port = await bodyServer(t, 10, outcomes);
  const res = await send(port, ['x'.repeat(8), 'x'.repeat(8), 'x'.repeat(8)]);
  assert.equal(res.status, 413);
  assert.equal(outcomes.length, 1);
  assert.equal((outcomes[0] as ApiError).reason, 'RequestEntityTooLarge');
});

test('a client that goes away mid-body fails the read instead of leaving it waiting', async (t) => {
  const outcomes: (Buffer | Error)[] = [];
  const port = await bodyServer(t, 1024, outcomes);
  await new Promise<void>((resolve) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'content-length': '100' } });
    req.on('error', () => resolve());
    req.write('{"half":', () => setTimeout(() => req.destroy(), 50));
  });
  const deadline = Date.now() + 2000;
  while (outcomes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(outcomes.length, 1);
  assert.ok(outcomes[0] instanceof Error);
  assert.ok(!(outcomes[0] instanceof ApiError));
});

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { Http1Connection, type Http1Target } from '../../bench/http1-connection.js';
import { ensureClusterPki } from '../../server/pki/index.js';
import { tempDir } from '../helpers/temp.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The client certificate's CN, and which connection (by its order) the request came on. */
  readonly user: string;
  readonly connection: number;
}

/** An HTTPS server with the cluster's serving certificate asking for client certificates; `answer` writes each response. */
async function server(t: TestContext, answer: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ target: Http1Target; seen: Seen[] }> {
  const pki = await ensureClusterPki({ dir: join(await tempDir(t), 'pki'), sans: [] });
  const seen: Seen[] = [];
  const sockets = new Map<TLSSocket, number>();
  const https: Server = createServer({ key: pki.servingKeyPem, cert: pki.servingCertPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const socket = req.socket as TLSSocket;
    if (!sockets.has(socket)) sockets.set(socket, sockets.size);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, user: socket.getPeerCertificate().subject.CN as string, connection: sockets.get(socket)! });
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    https.closeAllConnections();
    return new Promise<void>((resolve) => https.close(() => resolve()));
  });
  const secureContext = createSecureContext({ ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem });
  return { target: { host: '127.0.0.1', port: (https.address() as AddressInfo).port, secureContext }, seen };
}

test('requests go one after another over one kept-alive connection with the client certificate, bodies by Content-Length', async (t) => {
  const { target, seen } = await server(t, (req, res, body) => {
    const out = JSON.stringify({ got: body, url: req.url });
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(out)) }).end(out);
  });
  const conn = await Http1Connection.open(target);
  t.after(() => conn.close());
  const created = await conn.send('POST', '/api/v1/namespaces/default/configmaps', { Accept: 'application/json', 'Content-Type': 'application/json' }, '{"a":"é"}');
  assert.equal(created.status, 201);
  assert.deepEqual(JSON.parse(created.body.toString('utf8')), { got: '{"a":"é"}', url: '/api/v1/namespaces/default/configmaps' });
  assert.equal(created.headers.get('content-type'), 'application/json');
  assert.ok(created.ms >= 0);
  const got = await conn.send('GET', '/x?limit=50', { Accept: 'application/json' }, undefined);
  assert.equal(got.status, 200);
  assert.equal(JSON.parse(got.body.toString('utf8')).url, '/x?limit=50');
  assert.equal(seen.length, 2);
  assert.deepEqual(seen.map((s) => [s.method, s.connection, s.user]), [['POST', 0, 'system:admin'], ['GET', 0, 'system:admin']]);
  assert.equal(seen[0]!.headers['content-length'], String(Buffer.byteLength('{"a":"é"}')));
  assert.equal(seen[0]!.headers['host'], `127.0.0.1:${target.port}`);
  assert.equal(seen[1]!.headers['content-length'], undefined);
});

test('a chunked body is put together, and a large one read whole', async (t) => {
  const big = 'x'.repeat(200_000);
  const { target } = await server(t, (req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': String(big.length) }).end(big);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"items":[');
    res.write('1,2');
    res.end(']}');
  });
  const conn = await Http1Connection.open(target);
  t.after(() => conn.close());
  assert.equal((await conn.send('GET', '/chunked', {}, undefined)).body.toString(), '{"items":[1,2]}');
  assert.equal((await conn.send('GET', '/big', {}, undefined)).body.toString(), big);
  assert.equal((await conn.send('GET', '/chunked', {}, undefined)).body.toString(), '{"items":[1,2]}');
});

test('answers without a body: 204, and HEAD whose headers announce one', async (t) => {
  const { target } = await server(t, (req, res) => {
    if (req.method === 'HEAD') res.writeHead(200, { 'content-length': '42' }).end();
    else res.writeHead(204).end();
  });
  const conn = await Http1Connection.open(target);
  t.after(() => conn.close());
  assert.deepEqual([(await conn.send('DELETE', '/a', {}, undefined)).status, (await conn.send('HEAD', '/a', {}, undefined)).body.length], [204, 0]);
  assert.equal((await conn.send('DELETE', '/a', {}, undefined)).status, 204);
});

test('a server that closes after its answer, or in the middle of one, leaves the connection unusable and the request failed', async (t) => {
  const { target } = await server(t, (req, res) => {
    if (req.url === '/close') res.writeHead(200, { 'content-length': '2', connection: 'close' }).end('ok');
    else {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => req.socket.destroy());
    }
  });
  const closing = await Http1Connection.open(target);
  assert.equal((await closing.send('GET', '/close', {}, undefined)).body.toString(), 'ok');
  assert.equal(closing.usable, false);
  await assert.rejects(closing.send('GET', '/close', {}, undefined));
  const cut = await Http1Connection.open(target);
  await assert.rejects(cut.send('GET', '/cut', {}, undefined), /closed the connection/);
  assert.equal(cut.usable, false);
});

test('a server whose certificate the CA did not sign is refused', async (t) => {
  const { target } = await server(t, (_req, res) => res.end());
  const other = await ensureClusterPki({ dir: join(await tempDir(t), 'other'), sans: [] });
  const wrong = { ...target, secureContext: createSecureContext({ ca: other.caCertPem, cert: other.adminCertPem, key: other.adminKeyPem }) };
  await assert.rejects(Http1Connection.open(wrong));
});

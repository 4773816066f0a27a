// pods/proxy and services/proxy through the real API server in-process,
// with a fake node whose port-forwards reach a real local HTTP server (the
// "pod"): what the pod receives (path, query, headers, body), what comes
// back (status, headers, body, rewritten links), streaming both ways, a
// client that goes away, WebSocket upgrades, TLS to the pod, and every
// refusal's Status as upstream words it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { WebSocket, WebSocketServer } from 'ws';
import { createCa } from '../../server/pki/certificates.js';
import { until } from '../helpers/store.js';
import { type ClientCertificate, type StreamApi, startStreamApi } from '../helpers/stream-api.js';

const POD_IP = '10.88.0.5';
const POD = '/api/v1/namespaces/default/pods';
const SERVICE = '/api/v1/namespaces/default/services';

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  readonly text: string;
}

/** What the pod saw of one request. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly body: string;
}

/** The pod: a route per path prefix (called as the request arrives), else an echo of the method and URL once the body is in. */
async function startPod(t: TestContext, routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {}, tls = false): Promise<{ port: number; seen: Seen[]; sockets: Socket[]; server: Server }> {
  const seen: Seen[] = [];
  const sockets: Socket[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() }));
    const route = Object.keys(routes).find((p) => req.url!.startsWith(p));
    if (route !== undefined) return routes[route]!(req, res);
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`echo ${req.method} ${req.url}`));
  };
  const pair = tls ? await createCa('pod', 1, new Date()) : undefined;
  const server = pair === undefined ? createHttpServer(handler) : createHttpsServer({ cert: pair.certPem, key: pair.keyPem }, handler);
  server.on('connection', (s: Socket) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, seen, sockets, server };
}

/** A running pod "web" on pi-1 at POD_IP, its container's port 8080 named http. */
async function runWeb(api: StreamApi, name = 'web', ip: string | null = POD_IP): Promise<void> {
  await api.registry.create(
    api.pods,
    'default',
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: name } },
      spec: { nodeName: 'pi-1', containers: [{ name: 'app', image: 'busybox:1.36', ports: [{ name: 'http', containerPort: 8080 }] }] },
    },
    { dryRun: false },
  );
  if (ip === null) return;
  await api.registry.patch(api.pods, 'default', name, (pod) => ({ ...pod, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } }), { dryRun: false, subresource: 'status' });
}

function send(api: StreamApi, method: string, path: string, opts: { headers?: Record<string, string>; body?: string; as?: ClientCertificate } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const who = opts.as ?? api.certificates.admin;
    // Node's client leaves a DELETE's or OPTIONS' body unframed unless told its length.
    const length = opts.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(opts.body)) };
    const req = httpsRequest(`${api.url}${path}`, { method, ca: api.caPem, cert: who.cert, key: who.key, agent: false, headers: { ...length, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString() });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

interface StatusBody {
  readonly code: number;
  readonly [field: string]: unknown;
}

const status = (code: number, reason: string, message: string): StatusBody => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** A JSON body, or its text when it is none (for the assertion's message). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Header names and values as the pod got them, lower-cased names. */
const headerMap = (raw: string[]) => {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < raw.length; i += 2) (out[raw[i]!.toLowerCase()] ??= []).push(raw[i + 1]!);
  return out;
};

test('a GET reaches the pod: the path cleaned and joined, the query as sent, hop-by-hop headers and credentials kept back, X-Forwarded-For and -Uri added; the answer without its hop-by-hop and CORS headers', async (t) => {
  const api = await startStreamApi(t);
  const pod = await startPod(t, {
    '/answer': (_req, res) => {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Connection', 'X-Secret');
      res.setHeader('X-Secret', 'hidden');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.writeHead(203, { 'content-type': 'application/x-pod' }).end('from the pod');
    },
  });
  api.node.ports.set(8080, pod.port);
  await runWeb(api);

  const r = await send(api, 'GET', `${POD}/web:8080/proxy/echo/a/b/?x=1&y=%20z&watch=true`, {
    headers: {
      Connection: 'keep-alive, X-Drop',
      'X-Drop': 'dropped',
      'Keep-Alive': 'timeout=5',
      'Proxy-Authorization': 'Basic eA==',
      Te: 'trailers, deflate',
      Authorization: 'Bearer not-for-the-pod',
      'Impersonate-User': 'bob',
      'X-Forwarded-For': '192.0.2.1',
      'X-Custom': 'kept',
    },
  });
  assert.equal(r.status, 200, r.text);
  const seen = pod.seen.at(-1)!;
  assert.equal(seen.url, '/echo/a/b/?x=1&y=%20z&watch=true');
  const headers = headerMap(seen.rawHeaders);
  for (const gone of ['authorization', 'impersonate-user', 'x-drop', 'keep-alive', 'proxy-authorization', 'connection']) assert.equal(headers[gone], undefined, gone);
  assert.deepEqual(headers['te'], ['trailers']);
  assert.deepEqual(headers['x-custom'], ['kept']);
  assert.deepEqual(headers['x-forwarded-for'], ['192.0.2.1, 127.0.0.1']);
  assert.deepEqual(headers['x-forwarded-uri'], [`${POD}/web:8080/proxy/echo/a/b/`]);
  assert.deepEqual(headers['host'], [new URL(api.url).host]);
  // The pod's path joined and cleaned as Go's path.Join does, its bytes escaped as Go escapes them.
  await send(api, 'GET', `${POD}/web:8080/proxy//x//y%2Fz/w/%2e%2e/(q)%41?k=%2F`);
  assert.equal(pod.seen.at(-1)!.url, '/x/y/z/%28q%29A?k=%2F');

  const answer = await send(api, 'GET', `${POD}/web/proxy/answer`);
  assert.deepEqual([answer.status, answer.text, answer.headers['content-type']], [203, 'from the pod', 'application/x-pod']);
  assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2']);
  for (const gone of ['access-control-allow-origin', 'access-control-allow-credentials', 'x-secret']) assert.equal(answer.headers[gone], undefined, gone);

  // The other methods, each with its body; HEAD has no body back.
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    const w = await send(api, method, `${POD}/web:http/proxy/echo`, { body: `${method} body`, headers: { 'content-type': 'text/plain' } });
    assert.deepEqual([w.status, w.text], [200, `echo ${method} /echo`], method);
    assert.equal(pod.seen.at(-1)!.body, `${method} body`, method);
  }
  const head = await send(api, 'HEAD', `${POD}/web/proxy/echo`);
  assert.deepEqual([head.status, head.text, pod.seen.at(-1)!.method], [200, '', 'HEAD']);
  // One connection in the pod per exchange, closed once it is over.
  assert.equal(pod.sockets.length, pod.seen.length);
  await until(() => pod.sockets.every((s) => s.destroyed), 'every connection in the pod closed');
});

test('services: a port named or numbered, the Endpoints address whose pod has it; the pod\'s 404 comes back as it is', async (t) => {
  const api = await startStreamApi(t);
  const pod = await startPod(t, { '/missing': (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('nope\n') });
  api.node.ports.set(8080, pod.port);
  await runWeb(api);
  const catalogue = (plural: string) => api.catalogue.get('', 'v1', plural)!;
  await api.registry.create(catalogue('services'), 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }, { dryRun: false });
  await api.registry.create(
    catalogue('endpoints'),
    'default',
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web' },
      subsets: [
        // A subset without the port, and an address whose pod has another IP: never chosen.
        { addresses: [{ ip: '10.88.0.9', targetRef: { kind: 'Pod', namespace: 'default', name: 'web' } }], ports: [{ name: 'http', port: 8080 }] },
        { addresses: [{ ip: POD_IP, targetRef: { kind: 'Pod', namespace: 'default', name: 'web' } }], ports: [{ name: 'other', port: 9090 }, { name: 'http', port: 8080 }] },
      ],
    },
    { dryRun: false },
  );
  for (let i = 0; i < 5; i++) {
    for (const id of ['web:http', 'web:80', 'http:web:80']) {
      const r = await send(api, 'GET', `${SERVICE}/${id}/proxy/echo?i=${i}`);
      assert.deepEqual([r.status, r.text], [200, `echo GET /echo?i=${i}`], id);
    }
  }
  const missing = await send(api, 'GET', `${SERVICE}/web:http/proxy/missing`);
  assert.deepEqual([missing.status, missing.text, missing.headers['content-type']], [404, 'nope\n', 'text/plain']);
  assert.ok(api.node.opened.every((o) => o.kind === 'portforward' && o.port === 8080 && o.pod.name === 'web' && o.pod.nodeName === 'pi-1'));

  // The service's errors, as upstream words them.
  const refusals: [string, StatusBody][] = [
    [`${SERVICE}/web:81/proxy/`, status(503, 'ServiceUnavailable', 'no service port 81 found for service "web"')],
    [`${SERVICE}/web/proxy/`, status(503, 'ServiceUnavailable', 'no endpoints available for service "web"')],
    [`${SERVICE}/https:web:nope/proxy/`, status(503, 'ServiceUnavailable', 'no endpoints available for service "https:web:nope"')],
    [`${SERVICE}/ftp:web:80/proxy/`, status(400, 'BadRequest', 'invalid service request "ftp:web:80"')],
    [`${SERVICE}/absent:80/proxy/`, { ...status(404, 'NotFound', 'services "absent" not found'), details: { name: 'absent', kind: 'services' } }],
    [`${SERVICE}/absent:http/proxy/`, { ...status(404, 'NotFound', 'endpoints "absent" not found'), details: { name: 'absent', kind: 'endpoints' } }],
  ];
  for (const [path, expected] of refusals) {
    const r = await send(api, 'GET', path);
    assert.deepEqual([r.status, parsed(r.text)], [expected.code, expected], path);
  }
  await api.registry.create(catalogue('endpoints'), 'default', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'empty' } }, { dryRun: false });
  const empty = await send(api, 'GET', `${SERVICE}/empty:http/proxy/`);
  assert.deepEqual(JSON.parse(empty.text), status(503, 'ServiceUnavailable', 'no endpoints available for service "empty"'));
});

test('pods: the refusals and unreachable ports, each as upstream answers it', async (t) => {
  const api = await startStreamApi(t);
  const pod = await startPod(t);
  api.node.ports.set(8080, pod.port);
  // 8081 maps to a port nothing listens on: the node's refusal.
  const closed = createHttpServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  api.node.ports.set(8081, (closed.address() as AddressInfo).port);
  closed.close();
  await runWeb(api);
  await runWeb(api, 'pending', null);
  const cases: [string, StatusBody][] = [
    [`${POD}/absent/proxy/`, { ...status(404, 'NotFound', 'pods "absent" not found'), details: { name: 'absent', kind: 'pods' } }],
    [`${POD}/a:b:c:d/proxy/`, status(400, 'BadRequest', 'invalid pod request "a:b:c:d"')],
    [`${POD}/ftp:web:80/proxy/`, status(400, 'BadRequest', 'invalid pod request "ftp:web:80"')],
    [`${POD}/pending/proxy/`, status(400, 'BadRequest', 'address not allowed')],
    [`${POD}/web:8081/proxy/`, status(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${POD_IP}:8081: connect: connection refused`)],
    [`${POD}/web:99999/proxy/`, status(503, 'ServiceUnavailable', 'error trying to reach service: dial tcp: address 99999: invalid port')],
    [`${POD}/web:0/proxy/`, status(503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${POD_IP}:0: connect: connection refused`)],
    [`${POD}/web:metrics/proxy/`, status(503, 'ServiceUnavailable', 'error trying to reach service: dial tcp: lookup tcp/metrics: unknown port')],
  ];
  for (const [path, expected] of cases) {
    const r = await send(api, 'GET', path);
    assert.deepEqual([r.status, parsed(r.text)], [expected.code, expected], path);
  }
  // No port named: the first container port (8080), reached through the named one as well.
  assert.equal((await send(api, 'GET', `${POD}/web/proxy/echo`)).text, 'echo GET /echo');
  assert.equal((await send(api, 'GET', `${POD}/web:http/proxy/echo`)).text, 'echo GET /echo');
  // A node identity has no proxy rights: RBAC's 403, before anything reaches the node.
  const opened = api.node.opened.length;
  const node = await send(api, 'GET', `${POD}/web/proxy/echo`, { as: api.certificates.node });
  assert.equal(node.status, 403);
  assert.match(JSON.parse(node.text).message, /^pods "web" is forbidden: User "system:node:pi-1" cannot get resource "pods\/proxy" in API group "" in the namespace "default"/);
  const service = await send(api, 'POST', `${SERVICE}/web/proxy/echo`, { as: api.certificates.node });
  assert.match(JSON.parse(service.text).message, /^services "web" is forbidden: User "system:node:pi-1" cannot create resource "services\/proxy"/);
  assert.equal(api.node.opened.length, opened);
});

test('a bare .../proxy is redirected to .../proxy/ with its query (GET and HEAD); the pod\'s redirects and HTML links are made to go through the proxy', async (t) => {
  const api = await startStreamApi(t);
  const page = [
    '<!DOCTYPE html><html><head><link rel="stylesheet" href="/static/app.css"><base href=/>',
    '<script src="http://10.88.0.5:8080/app.js?v=1"></script><script>var s = "<a href=\'/in-script\'>";</script></head>',
    '<body><a href="relative/page">r</a> <a HREF=\'//elsewhere.example/x\'>e</a> <img src="/img/logo.png" alt="/not-a-link">',
    '<!-- <a href="/commented"> --><form action="/submit/"><a href="/api/v1/namespaces/default/pods/web/proxy/already">x</a></body></html>',
  ].join('');
  const pod = await startPod(t, {
    '/moved': (_req, res) => res.writeHead(302, { location: 'http://10.88.0.5:8080/landing/?a=1#top' }).end(),
    '/away': (_req, res) => res.writeHead(302, { location: 'https://example.com/landing' }).end(),
    '/page.gz': (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip' }).end(gzipSync(page)),
    '/page': (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(page)) }).end(page),
  });
  api.node.ports.set(8080, pod.port);
  await runWeb(api);

  for (const method of ['GET', 'HEAD']) {
    const bare = await send(api, method, `${POD}/web/proxy?x=1`);
    assert.deepEqual([bare.status, bare.headers.location], [301, `${POD}/web/proxy/?x=1`], method);
  }
  assert.equal(pod.seen.length, 0, 'the redirect is the server\'s own');
  // POST to a bare .../proxy goes to the pod's "/".
  assert.equal((await send(api, 'POST', `${POD}/web/proxy`)).text, 'echo POST /');

  const moved = await send(api, 'GET', `${POD}/web/proxy/moved`);
  assert.deepEqual([moved.status, moved.headers.location], [302, `${POD}/web/proxy/landing/?a=1#top`]);
  assert.equal((await send(api, 'GET', `${POD}/web/proxy/away`)).headers.location, 'https://example.com/landing');

  const expected = [
    '<!DOCTYPE html><html><head><link rel="stylesheet" href="/api/v1/namespaces/default/pods/web/proxy/static/app.css"><base href=/api/v1/namespaces/default/pods/web/proxy/>',
    '<script src="/api/v1/namespaces/default/pods/web/proxy/app.js?v=1"></script><script>var s = "<a href=\'/in-script\'>";</script></head>',
    '<body><a href="relative/page">r</a> <a HREF=\'//elsewhere.example/x\'>e</a> <img src="/api/v1/namespaces/default/pods/web/proxy/img/logo.png" alt="/not-a-link">',
    '<!-- <a href="/commented"> --><form action="/api/v1/namespaces/default/pods/web/proxy/submit/"><a href="/api/v1/namespaces/default/pods/web/proxy/already">x</a></body></html>',
  ].join('');
  const html = await send(api, 'GET', `${POD}/web/proxy/page`);
  assert.equal(html.text, expected);
  assert.equal(html.headers['content-length'], String(Buffer.byteLength(expected)));
  const gz = await send(api, 'GET', `${POD}/web/proxy/page.gz`);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.body).toString(), expected);
});

test('bodies stream both ways, and a client that goes away closes the connection in the pod', async (t) => {
  const api = await startStreamApi(t);
  let sawFirst: () => void = () => undefined;
  const firstArrived = new Promise<void>((resolve) => (sawFirst = resolve));
  let sendSecond: () => void = () => undefined;
  const pod = await startPod(t, {
    '/upload': (req, res) => {
      req.once('data', () => sawFirst());
      let total = '';
      req.on('data', (c: Buffer) => (total += c.toString()));
      req.on('end', () => res.end(`got ${total}`));
    },
    '/download': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      sendSecond = () => res.end('second');
    },
    // Never answers.
    '/hang': () => undefined,
  });
  api.node.ports.set(8080, pod.port);
  await runWeb(api);
  const path = (p: string) => `${api.url}${POD}/web/proxy${p}`;
  const { cert, key } = api.certificates.admin;

  // The pod reads the first part before the client has sent the rest.
  // DELETE: a method whose body Node's client would not frame by itself; it goes on chunked.
  const upload = httpsRequest(path('/upload'), { method: 'DELETE', ca: api.caPem, cert, key, agent: false, headers: { 'transfer-encoding': 'chunked' } });
  const uploaded = new Promise<string>((resolve, reject) => {
    upload.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(text));
    });
    upload.on('error', reject);
  });
  upload.write('part-one;');
  await firstArrived;
  upload.end('part-two');
  assert.equal(await uploaded, 'got part-one;part-two');

  // The client reads the first part before the pod has written the rest.
  const download = httpsRequest(path('/download'), { ca: api.caPem, cert, key, agent: false });
  const downloaded = new Promise<string>((resolve) => {
    download.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
        if (text === 'first;') sendSecond();
      });
      res.on('end', () => resolve(text));
    });
  });
  download.end();
  assert.equal(await downloaded, 'first;second');

  // A pod that never answers is waited for; the client going away closes the pod's connection.
  const before = pod.sockets.length;
  const hang = httpsRequest(path('/hang'), { ca: api.caPem, cert, key, agent: false });
  hang.on('error', () => undefined);
  hang.end();
  const deadline = Date.now() + 10_000;
  while (pod.sockets.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const socket = pod.sockets.at(-1)!;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(socket.destroyed, false, 'still waiting for the pod');
  hang.destroy();
  await Promise.race([once(socket, 'close'), new Promise((_, reject) => setTimeout(() => reject(new Error('the pod\'s connection stayed open')), 5000))]);
});

test('a WebSocket through the proxy: the pod\'s 101, then messages both ways; the query goes as upstream 1.31 sends it (dropped); a refusal comes back as it is', async (t) => {
  const api = await startStreamApi(t);
  const wss = new WebSocketServer({ noServer: true });
  const pod = await startPod(t);
  const upgrades: { url: string; authorization?: string; forwardedFor?: string }[] = [];
  pod.server.on('upgrade', (req: IncomingMessage, socket, head) => {
    upgrades.push({ url: req.url!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), forwardedFor: req.headers['x-forwarded-for'] as string });
    if (req.url === '/refuse') return void socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nno ws\n');
    if (req.url === '/plain') return void socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m: Buffer) => ws.send(`echo:${m.toString()}`)));
  });
  api.node.ports.set(8080, pod.port);
  await runWeb(api);
  const { cert, key } = api.certificates.admin;
  const wsUrl = (p: string) => `${api.url.replace('https:', 'wss:')}${POD}/web/proxy${p}`;

  const ws = new WebSocket(wsUrl('/ws?token=1'), { ca: api.caPem, cert, key, headers: { authorization: 'Bearer not-for-the-pod' } });
  t.after(() => ws.terminate());
  await once(ws, 'open');
  ws.send('hello');
  const [reply] = (await once(ws, 'message')) as [Buffer];
  assert.equal(reply.toString(), 'echo:hello');
  ws.close();
  assert.deepEqual(upgrades[0], { url: '/ws', forwardedFor: '127.0.0.1' });

  const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const failing = new WebSocket(wsUrl('/refuse'), { ca: api.caPem, cert, key });
    failing.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    failing.on('error', reject);
  });
  assert.deepEqual(refused, { status: 403, body: 'no ws\n' });
  const plain = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const failing = new WebSocket(wsUrl('/plain'), { ca: api.caPem, cert, key });
    failing.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    failing.on('error', reject);
  });
  assert.equal(plain.status, 500);
  assert.deepEqual(JSON.parse(plain.body), status(500, '', 'invalid upgrade response: status code 200'));
});

test('https: TLS to the pod, its certificate unchecked', async (t) => {
  const api = await startStreamApi(t);
  const pod = await startPod(t, {}, true);
  api.node.ports.set(8443, pod.port);
  await runWeb(api);
  const r = await send(api, 'GET', `${POD}/https:web:8443/proxy/echo?tls=1`);
  assert.deepEqual([r.status, r.text], [200, 'echo GET /echo?tls=1']);
  // Plain HTTP to the TLS port: the pod closes the connection without an answer, which Go's transport reads as EOF.
  const plain = await send(api, 'GET', `${POD}/web:8443/proxy/echo`);
  assert.deepEqual(JSON.parse(plain.text), status(503, 'ServiceUnavailable', 'error trying to reach service: EOF'));
});

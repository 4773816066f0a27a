// `bench api`'s reference: the same requests answered by Node alone, run as
// a child process beside the bench, so the run shows how fast this machine
// was apart from bramble's own work. TLS is terminated as bramble's front
// door terminates it (node:tls asking for a client certificate, each
// connection handed to node:http); each request body is read and parsed as
// JSON; the answers are fixed bodies of the sizes bramble gave (one object,
// one page of a list). What it costs per request is the floor under
// bramble's on the machine of the moment.
//
// node dist/bench/reference-server.js PKI_DIR BODIES_JSON: serves on a free
// port of 127.0.0.1 and says so on stderr (reference-process.ts starts it).
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { REFERENCE_READY, type ReferenceBodies } from './reference-process.js';

const [pkiDir, bodiesFile] = process.argv.slice(2);
if (pkiDir === undefined || bodiesFile === undefined) throw new Error('usage: reference-server.js PKI_DIR BODIES_JSON');

const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8')) as ReferenceBodies;
const item = Buffer.from(bodies.item);
const list = Buffer.from(bodies.list);
const api = createHttpServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (chunks.length > 0) JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const body = req.method === 'GET' && req.url!.includes('?') ? list : item;
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
});
const pem = (name: string) => readFileSync(join(pkiDir, name));
const tls = createTlsServer(
  { key: pem('serving.key'), cert: pem('serving.crt'), ca: pem('ca.crt'), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] },
  (socket) => api.emit('connection', socket),
);
tls.listen(0, '127.0.0.1', () => process.stderr.write(`${REFERENCE_READY} ${(tls.address() as AddressInfo).port}\n`));
process.once('SIGTERM', () => process.exit(0));

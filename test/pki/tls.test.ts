// The certificates in real TLS: Node on both ends, then Go's TLS in real
// kubectl binaries (the oldest and newest supported) against a Node server.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { type ClusterPki, ensureClusterPki, writeKubeconfig } from '../../server/pki/index.js';
import { tempDir } from '../helpers/temp.js';
import { kubectl } from './pki-helpers.js';

/** What the server saw of the client: answered as JSON so the client side can assert on it. */
interface Seen {
  readonly authorized: boolean;
  readonly authorizationError?: string;
  readonly subject?: { CN?: string | string[]; O?: string | string[] };
}

/** An HTTPS server with the serving certificate that asks for, but does not require, a client certificate. */
async function startServer(t: TestContext, pki: ClusterPki): Promise<number> {
  const server = createServer(
    { key: pki.servingKeyPem, cert: pki.servingCertPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const seen: Seen = {
        authorized: socket.authorized,
        // A code string, or null when authorized, at run time (whatever @types/node says).
        authorizationError: socket.authorized ? undefined : String(socket.authorizationError),
        subject: peer.subject === undefined ? undefined : { CN: peer.subject.CN, O: peer.subject.O },
      };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(seen));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** GET https://127.0.0.1:PORT/ with Node's default server identity checks. */
function get(port: number, tls: { ca: string; cert?: string; key?: string }): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = request(`https://127.0.0.1:${port}/`, { ...tls, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(JSON.parse(body) as Seen));
    });
    req.on('error', reject).end();
  });
}

test('over TLS the client trusts the serving certificate for 127.0.0.1 and the server authorizes system:admin', async (t) => {
  const pki = await ensureClusterPki({ dir: await tempDir(t), sans: [] });
  const port = await startServer(t, pki);
  const seen = await get(port, { ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem });
  assert.deepEqual(seen, { authorized: true, subject: { CN: 'system:admin', O: 'system:masters' } });
});

test('over TLS a client certificate from issueClientCert is authorized; one from another CA is not', async (t) => {
  const pki = await ensureClusterPki({ dir: await tempDir(t), sans: [] });
  const port = await startServer(t, pki);
  const node = await pki.issueClientCert({ commonName: 'system:node:pi-1', organizations: ['system:nodes'] }, 365);
  assert.deepEqual(await get(port, { ca: pki.caCertPem, cert: node.certPem, key: node.keyPem }), {
    authorized: true,
    subject: { CN: 'system:node:pi-1', O: 'system:nodes' },
  });

  const stranger = await ensureClusterPki({ dir: await tempDir(t), sans: [] });
  const seen = await get(port, { ca: pki.caCertPem, cert: stranger.adminCertPem, key: stranger.adminKeyPem });
  assert.equal(seen.authorized, false);
  assert.equal(seen.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});

test('over TLS a client that trusts only another CA refuses the server', async (t) => {
  const pki = await ensureClusterPki({ dir: await tempDir(t), sans: [] });
  const stranger = await ensureClusterPki({ dir: await tempDir(t), sans: [] });
  const port = await startServer(t, pki);
  // The server sends the CA along with its certificate: a CA the client does not trust.
  await assert.rejects(get(port, { ca: stranger.caCertPem }), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
});

for (const version of ['1.27', '1.33']) {
  test(`kubectl ${version} (Go TLS) verifies the server and is authorized as system:admin through the kubeconfig`, async (t) => {
    const dir = await tempDir(t);
    const pki = await ensureClusterPki({ dir: join(dir, 'pki'), sans: [] });
    const port = await startServer(t, pki);
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    await writeKubeconfig(kubeconfig, {
      server: `https://127.0.0.1:${port}`,
      caCertPem: pki.caCertPem,
      clientCertPem: pki.adminCertPem,
      clientKeyPem: pki.adminKeyPem,
      mode: 0o600,
    });
    const out = await kubectl(version, ['--kubeconfig', kubeconfig, 'get', '--raw', '/'], dir);
    assert.deepEqual(JSON.parse(out), { authorized: true, subject: { CN: 'system:admin', O: 'system:masters' } });
  });
}

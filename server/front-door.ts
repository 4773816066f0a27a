// The server's one port (6443, as k3s): TLS is terminated here, asking for a
// client certificate without requiring one, and each connection goes where
// its ALPN offer points. gRPC clients (agents) offer only HTTP/2; kubectl and
// every other Kubernetes client offer HTTP/1.1 (or nothing), so preferring
// HTTP/1.1 sends them to the API and agents to the agent service.
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../common/log.js';

export interface FrontDoorOptions {
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly caPem: string };
  readonly bindAddress: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Serves HTTP/1.1 on connections handed to it. */
  readonly api: HttpServer;
  readonly agents: { injectConnection(connection: Duplex): void };
  readonly log: Logger;
}

export interface FrontDoor {
  readonly port: number;
  /** Stops accepting; the API and agent service close their own connections. */
  close(): Promise<void>;
}

export async function openFrontDoor(opts: FrontDoorOptions): Promise<FrontDoor> {
  const server: TlsServer = createServer(
    {
      key: opts.tls.keyPem,
      cert: opts.tls.certPem,
      ca: opts.tls.caPem,
      // kubectl sends a certificate only when asked; requests without one get 401 or a public path.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // Server preference order: HTTP/1.1 wins whenever the client offers it.
      ALPNProtocols: ['http/1.1', 'h2'],
    },
    (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') opts.agents.injectConnection(socket);
      else opts.api.emit('connection', socket);
    },
  );
  server.on('tlsClientError', (err, socket) => {
    opts.log.debug('TLS handshake failed', { peer: socket.remoteAddress, error: err.message });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bindAddress, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

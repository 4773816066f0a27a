// WebSocket upgrades with npm `ws`, the subprotocol chosen here rather than
// by ws: Kubernetes names one `SPDY/3.1+portforward.k8s.io`, which ws's
// header parser refuses ('/' is not a token character). The offer is read
// and taken off the request before ws sees it, and the choice is put back
// into ws's 101 response.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { errors } from '../api/status.js';

/** Largest message accepted from a client: kubectl and client-node send at most 32 KiB of stdin at a time. */
const MAX_MESSAGE = 1024 * 1024;

export class WebSocketUpgrades {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE, perMessageDeflate: false, clientTracking: false });
  private readonly chosen = new WeakMap<IncomingMessage, string>();

  constructor() {
    this.server.on('headers', (headers, req) => {
      const protocol = this.chosen.get(req);
      if (protocol !== undefined) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    });
  }

  /** The first protocol the client offers that `supported` has (upstream's rule: the client's order wins); throws a 400 when there is none. */
  negotiate(req: IncomingMessage, supported: readonly string[]): string {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
    const protocol = offered.find((p) => supported.includes(p));
    if (protocol === undefined) {
      throw errors.badRequest(`unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${supported.join(' ')}]`);
    }
    return protocol;
  }

  /**
   * Completes the handshake with the negotiated protocol (call negotiate
   * first to refuse a client before anything else is done for it).
   */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<WebSocket> {
    delete req.headers['sec-websocket-protocol'];
    this.chosen.set(req, protocol);
    return new Promise((resolve, reject) => {
      // ws answers a bad handshake itself and closes the socket without calling back.
      const failed = () => reject(new Error('the WebSocket handshake failed'));
      socket.once('close', failed);
      this.server.handleUpgrade(req, socket, head, (ws) => {
        socket.off('close', failed);
        resolve(ws);
      });
    });
  }
}

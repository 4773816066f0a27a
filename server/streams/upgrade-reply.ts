// Answers written straight on an upgrade request's socket (no
// ServerResponse exists for those): refusals before any upgrade, as a
// Status (errors of the API) or as plain text (what the node refused, as
// kubelet writes it), and the 101 of a SPDY upgrade.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, errors } from '../api/status.js';
import { NodeStreamError } from '../../common/pod-streams.js';

/** Refuses the upgrade with `err`'s answer and closes the connection; returns the ApiError-like code for the log. */
export function refuseUpgrade(socket: Duplex, err: unknown): number {
  let code: number;
  let type: string;
  let body: string;
  if (err instanceof NodeStreamError) {
    [code, type, body] = [err.code, 'text/plain; charset=utf-8', err.message];
  } else {
    const apiError = err instanceof ApiError ? err : errors.internal('the server hit an unexpected error; see its log');
    [code, type, body] = [apiError.code, 'application/json', JSON.stringify(apiError.toStatus())];
  }
  if (!socket.destroyed && socket.writable) {
    const head = `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    socket.end(head + body);
  } else socket.destroy();
  return code;
}

/** The 101 that switches the connection to SPDY/3.1 with the negotiated stream protocol. */
export function acceptSpdy(socket: Duplex, protocol: string): void {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
}

// A connection to a port of a pod for HTTP, through the pod's node: one
// port-forward stream of PodStreams (there is no pod network from the
// server) as a byte stream that Node's own HTTP client speaks over, in
// plain text or in TLS that does not check the pod's certificate, as
// upstream's proxy transport (InsecureSkipVerify: pods are reached by IP).
// Each connection carries one exchange; closing it ends the stream, and so
// the connection in the pod.
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { ERROR, type Frame, type PodRef, type PodStream, type PodStreams, STDIN, STDOUT } from '../../common/pod-streams.js';

/** Go's http.Transport gives a TLS handshake this long (utilnet.SetTransportDefaults). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface PodPort {
  readonly pod: PodRef;
  readonly port: number;
  readonly tls: boolean;
}

/** The node's own words when the connection in the pod failed (nothing listens on the port, say). */
export class PodConnectionError extends Error {
  override readonly name = 'PodConnectionError';
}

/**
 * Opens the stream and returns the connection. Rejects as PodStreams.open
 * does when the node cannot be asked; a port nothing listens on fails the
 * connection itself, with a PodConnectionError, as soon as the node knows.
 */
export async function connectToPod(podStreams: PodStreams, target: PodPort): Promise<Duplex> {
  const connection = podConnection(await podStreams.open({ kind: 'portforward', pod: target.pod, port: target.port }));
  return target.tls ? overTls(connection) : connection;
}

/**
 * A port-forward stream as bytes: what is written goes to the pod on STDIN
 * (ending it half-closes the connection), what the pod sends on STDOUT is
 * read, and the node's text on ERROR fails the connection when the stream
 * ends. Destroying it destroys the stream.
 */
export function podConnection(stream: PodStream): Duplex {
  let failure = '';
  const connection = new Duplex({
    allowHalfOpen: true,
    read: () => void stream.resume(),
    write: (data: Buffer, _encoding, done) => void stream.write({ channel: STDIN, data } satisfies Frame, done),
    final: (done) => void stream.write({ channel: STDIN, data: Buffer.alloc(0), end: true } satisfies Frame, () => done()),
    destroy: (err, done) => {
      stream.destroy();
      done(err);
    },
  });
  stream.on('data', (frame: Frame) => {
    if (frame.channel === ERROR) failure += frame.data.toString('utf8');
    else if (frame.channel === STDOUT && !connection.destroyed && !connection.push(frame.data)) stream.pause();
  });
  stream.on('end', () => (failure === '' ? connection.push(null) : connection.destroy(new PodConnectionError(failure.trim()))));
  stream.on('error', (err: Error) => connection.destroy(err));
  // Destroyed before its end (the node's stream broke): nothing more will come.
  stream.on('close', () => {
    if (!stream.readableEnded) connection.destroy();
  });
  return connection;
}

/** TLS over the connection, the pod's certificate unchecked and no server name sent (pods are reached by IP); the handshake has Go's 10 s. */
function overTls(connection: Duplex): Duplex {
  const socket = tlsConnect({ socket: connection, rejectUnauthorized: false });
  const timer = setTimeout(() => socket.destroy(new Error('net/http: TLS handshake timeout')), TLS_HANDSHAKE_TIMEOUT_MS);
  socket.once('secureConnect', () => clearTimeout(timer));
  socket.once('close', () => {
    clearTimeout(timer);
    connection.destroy();
  });
  return socket;
}

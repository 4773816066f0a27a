// Authentication by client certificate: one signed by the cluster CA, as the
// TLS layer checked it (user = CN, groups = every O).
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { UserInfo } from './user.js';

// A connection's certificate never changes: read it once per connection, not per request.
const users = new WeakMap<TLSSocket, UserInfo | undefined>();

/** The certificate's user, or undefined when there is no valid certificate. */
export function certificateUser(socket: TLSSocket): UserInfo | undefined {
  if (users.has(socket)) return users.get(socket);
  const user = readCertificate(socket);
  users.set(socket, user);
  return user;
}

function readCertificate(socket: TLSSocket): UserInfo | undefined {
  return socket.authorized ? certificateSubjectUser(socket.getPeerCertificate()) : undefined;
}

/** The user a verified certificate names: CN, and every O as a group. */
export function certificateSubjectUser(cert: PeerCertificate): UserInfo | undefined {
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined> | undefined;
  const cn = subject?.['CN'];
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (name === undefined || name === '') return undefined;
  const o = subject?.['O'];
  return { name, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
}

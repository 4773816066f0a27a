// Who is asking: a client certificate signed by the cluster CA, else a bearer
// token. As upstream's union authenticator, a valid certificate wins over a
// token, and a token that does not verify is a 401, never anonymous.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { certificateUser } from './client-certificate.js';
import { AUTHENTICATED_GROUP, type UserInfo } from './user.js';

export interface TokenAuthenticator {
  authenticateToken(token: string): Promise<UserInfo | undefined>;
}

export async function authenticate(req: IncomingMessage, tokens: TokenAuthenticator): Promise<UserInfo | undefined> {
  const user = certificateUser(req.socket as TLSSocket) ?? (await tokenUser(req.headers.authorization, tokens));
  return user === undefined ? undefined : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

/** Upstream's bearer-token parsing: "Bearer" in any case, one space, the token. */
async function tokenUser(header: string | undefined, tokens: TokenAuthenticator): Promise<UserInfo | undefined> {
  const [scheme, token] = (header ?? '').trim().split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || token === undefined || token === '') return undefined;
  return tokens.authenticateToken(token);
}

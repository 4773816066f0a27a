// Who is asking, and may they. Authentication: a client certificate signed by
// the cluster CA (user = CN, groups = every O), checked by the TLS layer.
// Authorization: system:masters may do anything; node identities arrive with
// the agent. RBAC objects are stored and served but not yet enforced.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ResourceRequest } from '../request-info.js';

export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
}

export function authenticate(req: IncomingMessage): UserInfo | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate().subject as unknown as Record<string, string | string[] | undefined> | undefined;
  const cn = subject?.['CN'];
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (name === undefined || name === '') return undefined;
  const o = subject?.['O'];
  const organizations = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name, groups: [...organizations, 'system:authenticated'] };
}

/** Paths anyone may read, as upstream's system:public-info-viewer allows. */
export function isPublicPath(path: string): boolean {
  return path === '/version' || path === '/healthz' || path === '/livez' || path === '/readyz';
}

/** Discovery, OpenAPI and health are for every authenticated user (system:discovery); resources for masters. */
export function authorize(user: UserInfo, request: ResourceRequest | undefined): boolean {
  return request === undefined || user.groups.includes('system:masters');
}

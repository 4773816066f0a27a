// The resource handler over a real registry behind a plain HTTP server, with
// the authorizer and the user of each request chosen by the test: for checks
// that depend on who asks (RBAC escalation, access reviews) without TLS,
// certificates or the server's own authorization of the request.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { createLogger } from '../../common/log.js';
import type { Authorizer } from '../../server/api/auth/authorizer.js';
import { ServiceAccountTokens } from '../../server/api/auth/service-account-tokens.js';
import type { UserInfo } from '../../server/api/auth/user.js';
import type { Catalogue } from '../../server/api/catalogue.js';
import { handleResource } from '../../server/api/http/resource-handler.js';
import { sendError } from '../../server/api/http/respond.js';
import type { Registry } from '../../server/api/registry/registry.js';
import { requestInfo } from '../../server/api/request-info.js';
import { apiRegistry } from './api-registry.js';

export interface HandlerApi {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  /** The service-account tokens the handler checks (a key of the test's own). */
  readonly tokens: ServiceAccountTokens;
  /** Sends as `user` (a JSON body, or none); the answer's status, JSON body and Warning headers' texts. */
  send(user: UserInfo, method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: Record<string, unknown>; warnings: string[] }>;
}

export async function handlerApi(t: TestContext, authorizer: Authorizer): Promise<HandlerApi> {
  const { registry, catalogue } = await apiRegistry(t);
  const log = createLogger({ level: 'error' });
  const signingKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const tokens = new ServiceAccountTokens({ signingKeyPem, registry, serviceAccounts: catalogue.get('', 'v1', 'serviceaccounts')!, pods: catalogue.get('', 'v1', 'pods')!, log });
  const users = new Map<string, UserInfo>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const info = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    const user = users.get(String(req.headers['x-test-user']));
    if (info.kind !== 'resource' || user === undefined) return void res.writeHead(400).end('{}');
    const ctx = { registry, catalogue, log, tokens, access: { user, authorizer } };
    handleResource(ctx, info, url.searchParams, req, res).catch((err: unknown) => sendError(res, err));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    registry,
    catalogue,
    tokens,
    send: async (user, method, path, body, contentType = 'application/json') => {
      users.set(user.name, user);
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { 'x-test-user': user.name, ...(body === undefined ? {} : { 'content-type': contentType }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, warnings: warningTexts(res.headers.get('warning')) };
    },
  };
}

/** The texts of Warning headers (`299 - "text"`, joined by fetch with ", "), as client-go reads them; their bytes are UTF-8. */
function warningTexts(header: string | null): string[] {
  if (header === null) return [];
  const utf8 = Buffer.from(header, 'latin1').toString('utf8');
  return [...utf8.matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
}

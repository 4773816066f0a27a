// The Kubernetes API over HTTPS: public paths, then authentication (client
// certificate or service-account token) and authorization, then discovery
// and resources through the registry.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../common/log.js';
import {
  authenticate,
  type Authorizer,
  CreatedName,
  discoveryAuthorizer,
  inOrder,
  isPublicPath,
  mastersAuthorizer,
  NodeAuthorizer,
  requireAccess,
  ServiceAccountTokens,
} from './auth/index.js';
import type { Catalogue } from './catalogue.js';
import { discover, versionInfo } from './discovery.js';
import { handleResource } from './http/resource-handler.js';
import { sendAnswer, sendError, sendJson } from './http/respond.js';
import { openapi } from './openapi/openapi.js';
import type { Registry } from './registry/registry.js';
import { requestInfo } from './request-info.js';
import { errors } from './status.js';

export interface ApiServerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  /** Served at /cacerts, where joining agents fetch it to check against their token's hash. */
  readonly caPem: string;
  /** PKCS#8 PEM of the key that signs and verifies service-account tokens. */
  readonly serviceAccountKeyPem: string;
  readonly logger: Logger;
}

export interface ApiServer {
  /** Serves the TLS connections the front door hands it. */
  readonly http: Server;
  close(): Promise<void>;
}

/** What every request needs besides the options: built once per server. */
interface Auth {
  readonly tokens: ServiceAccountTokens;
  readonly authorizer: Authorizer;
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const log = opts.logger.with({ component: 'api' });
  const serviceAccounts = opts.catalogue.get('', 'v1', 'serviceaccounts');
  if (serviceAccounts === undefined) throw new Error('the catalogue has no serviceaccounts');
  const auth: Auth = {
    tokens: new ServiceAccountTokens({ signingKeyPem: opts.serviceAccountKeyPem, registry: opts.registry, serviceAccounts, pods: opts.catalogue.get('', 'v1', 'pods')!, log }),
    // First decision wins: RBAC joins as one more authorizer.
    authorizer: inOrder([mastersAuthorizer, new NodeAuthorizer(opts.registry, opts.catalogue), discoveryAuthorizer]),
  };
  const server: Server = createServer(
    (req, res) => {
      const started = performance.now();
      handle(opts, auth, req, res).then(
        () => log.debug('request', { method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) }),
        (err: unknown) => {
          const apiError = sendError(res, err);
          if (apiError.code >= 500) log.error('request failed', { method: req.method, path: req.url?.split('?')[0], error: err });
          else log.debug('request refused', { method: req.method, path: req.url?.split('?')[0], status: apiError.code, reason: apiError.reason });
        },
      );
    },
  );
  // Watches are long-lived: no whole-request timeout, but slow headers are cut off.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 75_000;
  // It never listens itself (the front door hands it connections), but 'listening'
  // is what starts its connection tracking: the timeouts above and closeAllConnections.
  server.emit('listening');
  return {
    http: server,
    close: async () => {
      server.closeAllConnections();
      // Stops the tracking; it reports "not running", which is true and expected.
      server.close(() => undefined);
    },
  };
}

async function handle(opts: ApiServerOptions, auth: Auth, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  if (isPublicPath(path)) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(req.method ?? '');
    if (path === '/version') return sendJson(res, 200, versionInfo());
    if (path === '/cacerts') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(opts.caPem);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
    return;
  }
  const user = await authenticate(req, auth.tokens);
  if (user === undefined) throw errors.unauthorized();
  const info = requestInfo(req.method ?? 'GET', path, url.searchParams);
  if (info.kind === 'other') {
    const verb = req.method === 'HEAD' ? 'get' : (req.method ?? 'GET').toLowerCase();
    await requireAccess(auth.authorizer, user, { kind: 'path', verb, path });
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(req.method ?? '');
    const answer =
      discover(opts.catalogue, path, req.headers.accept, req.headers['if-none-match']) ??
      openapi(opts.catalogue.all(), path, url.searchParams, req.headers.accept);
    if (answer === undefined) throw errors.notFoundPath();
    return sendAnswer(res, answer);
  }
  const created = new CreatedName(req);
  await requireAccess(auth.authorizer, user, { ...info, createdName: () => created.read(), createdObject: () => created.document() });
  const context = { registry: opts.registry, catalogue: opts.catalogue, log: opts.logger, tokens: auth.tokens };
  return handleResource(context, info, url.searchParams, await created.request(), res);
}

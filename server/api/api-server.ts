// The Kubernetes API over HTTPS: authentication by client certificate, then
// public and discovery paths, then resources through the registry.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../common/log.js';
import type { Catalogue } from './catalogue.js';
import { discover, versionInfo } from './discovery.js';
import { authenticate, authorize, isPublicPath } from './http/auth.js';
import { handleResource } from './http/resource-handler.js';
import { sendAnswer, sendError, sendJson } from './http/respond.js';
import { openapi } from './openapi/openapi.js';
import type { Registry } from './registry/registry.js';
import { requestInfo } from './request-info.js';
import { errors } from './status.js';

export interface ApiServerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly caPem: string };
  readonly bindAddress: string;
  readonly port: number;
  readonly logger: Logger;
}

export interface ApiServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const log = opts.logger.with({ component: 'api' });
  const server: Server = createServer(
    {
      key: opts.tls.keyPem,
      cert: opts.tls.certPem,
      ca: opts.tls.caPem,
      // Ask for a client certificate (kubectl sends one only when asked) but let
      // requests without one through to answer 401 or serve public paths.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      const started = performance.now();
      handle(opts, req, res).then(
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bindAddress, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(opts: ApiServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  if (isPublicPath(path)) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(req.method ?? '');
    if (path === '/version') return sendJson(res, 200, versionInfo());
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
    return;
  }
  const user = authenticate(req);
  if (user === undefined) throw errors.unauthorized();
  const info = requestInfo(req.method ?? 'GET', path, url.searchParams);
  if (info.kind === 'other') {
    if (!authorize(user, undefined)) throw errors.forbidden(user.name, 'get', { group: '', plural: path });
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(req.method ?? '');
    const answer =
      discover(opts.catalogue, path, req.headers.accept, req.headers['if-none-match']) ??
      openapi(opts.catalogue.all(), path, url.searchParams, req.headers.accept);
    if (answer === undefined) throw errors.notFoundPath();
    return sendAnswer(res, answer);
  }
  if (!authorize(user, info)) {
    throw errors.forbidden(user.name, info.verb, { group: info.group, plural: info.resource, ...(info.subresource ? { subresource: info.subresource } : {}) }, info.namespace);
  }
  return handleResource({ registry: opts.registry, catalogue: opts.catalogue, log: opts.logger }, info, url.searchParams, req, res);
}

// The Kubernetes API over HTTPS: public paths, then authentication (client
// certificate or service-account token) and authorization, then discovery
// and resources through the registry, the pod streams and the proxy
// subresources through the nodes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../common/log.js';
import { NodeStreamError, type PodStreams } from '../../common/pod-streams.js';
import { StreamServer } from '../streams/stream-server.js';
import { refuseUpgrade } from '../streams/upgrade-reply.js';
import {
  authenticate,
  type Authorizer,
  CreatedName,
  inOrder,
  isPublicPath,
  mastersAuthorizer,
  NodeAuthorizer,
  RbacAuthorizer,
  requireAccess,
  ServiceAccountTokens,
} from './auth/index.js';
import type { SharedInformers } from '../controllers/shared-informers.js';
import type { MetricsApi } from '../metrics/metrics-api.js';
import { METRICS_GROUP } from '../metrics/metrics-objects.js';
import type { Catalogue } from './catalogue.js';
import { discover, versionInfo } from './discovery.js';
import { type HealthCheck, healthAnswer, healthCheckAnswer } from './http/health.js';
import { ApiProxy } from './http/proxy.js';
import { handleResource } from './http/resource-handler.js';
import { sendAnswer, sendError, sendJson } from './http/respond.js';
import { openapi } from './openapi/openapi.js';
import type { Registry } from './registry/registry.js';
import { requestInfo, type ResourceRequest } from './request-info.js';
import { errors } from './status.js';

export interface ApiServerOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  /** Served at /cacerts, where joining agents fetch it to check against their token's hash. */
  readonly caPem: string;
  /** PKCS#8 PEM of the key that signs and verifies service-account tokens. */
  readonly serviceAccountKeyPem: string;
  /** Where log, exec, attach and port-forward streams to a pod's node are opened (and the proxy subresources' connections). */
  readonly podStreams: PodStreams;
  /** The server's caches: RBAC reads its roles and bindings from them. */
  readonly informers: SharedInformers;
  /** Run by /healthz, /livez and /readyz besides ping (the store's, say). */
  readonly healthChecks?: readonly HealthCheck[];
  /** Serves metrics.k8s.io (kubectl top), from memory rather than the store. */
  readonly metrics?: MetricsApi;
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

/** The handlers of what goes on to a node: pod streams and the proxy subresources. */
interface NodeHandlers {
  readonly streams: StreamServer;
  readonly proxy: ApiProxy;
}

/** Subresources that act on the pod's processes: a WebSocket's GET needs `create` as well, as upstream's AuthorizePodWebsocketUpgradeCreatePermission. */
const CREATE_ON_UPGRADE = new Set(['exec', 'attach', 'portforward']);

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const log = opts.logger.with({ component: 'api' });
  const serviceAccounts = opts.catalogue.get('', 'v1', 'serviceaccounts');
  if (serviceAccounts === undefined) throw new Error('the catalogue has no serviceaccounts');
  const auth: Auth = {
    tokens: new ServiceAccountTokens({ signingKeyPem: opts.serviceAccountKeyPem, registry: opts.registry, serviceAccounts, pods: opts.catalogue.get('', 'v1', 'pods')!, log }),
    // First decision wins, as upstream's chain: the superuser group, nodes, then RBAC (which only ever allows;
    // discovery and self reviews come from the default policy's system:discovery and system:basic-user bindings).
    authorizer: inOrder([mastersAuthorizer, new NodeAuthorizer(opts.registry, opts.catalogue), new RbacAuthorizer(opts.informers)]),
  };
  const nodes: NodeHandlers = {
    streams: new StreamServer({ registry: opts.registry, catalogue: opts.catalogue, podStreams: opts.podStreams, log }),
    proxy: new ApiProxy({ registry: opts.registry, catalogue: opts.catalogue, podStreams: opts.podStreams, log }),
  };
  const server: Server = createServer(
    (req, res) => {
      const started = performance.now();
      handle(opts, auth, nodes, req, res).then(
        () => log.debug('request', { method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Math.round(performance.now() - started) }),
        (err: unknown) => {
          const apiError = sendError(res, err);
          if (apiError.code >= 500) log.error('request failed', { method: req.method, path: req.url?.split('?')[0], error: err });
          else log.debug('request refused', { method: req.method, path: req.url?.split('?')[0], status: apiError.code, reason: apiError.reason });
        },
      );
    },
  );
  // Upgraded connections (exec, attach, port-forward, proxied WebSockets) leave the server's tracking: closed here on close().
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', () => undefined);
    const path = req.url?.split('?')[0];
    upgrade(auth, nodes, req, socket, head).then(
      () => log.debug('upgrade', { method: req.method, path, protocol: req.headers.upgrade }),
      (err: unknown) => {
        const code = refuseUpgrade(socket, err);
        if (code >= 500 && !(err instanceof NodeStreamError)) log.error('upgrade failed', { method: req.method, path, error: err });
        else log.debug('upgrade refused', { method: req.method, path, status: code });
      },
    );
  });
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
      for (const socket of upgraded) socket.destroy();
      // Stops the tracking; it reports "not running", which is true and expected.
      server.close(() => undefined);
    },
  };
}

async function handle(opts: ApiServerOptions, auth: Auth, nodes: NodeHandlers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  if (isPublicPath(path)) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(req.method ?? '');
    if (path === '/version') return sendJson(res, 200, versionInfo());
    if (path === '/cacerts') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(opts.caPem);
      return;
    }
    // The other public paths: /healthz, /livez, /readyz.
    return sendAnswer(res, healthAnswer(path, url.searchParams, opts.healthChecks ?? []));
  }
  const user = await authenticate(req, auth.tokens);
  if (user === undefined) throw errors.unauthorized();
  // The path as sent: a proxy subresource's trailing slash is the pod's.
  const info = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
  if (info.kind === 'other') {
    const verb = req.method === 'HEAD' ? 'get' : (req.method ?? 'GET').toLowerCase();
    await requireAccess(auth.authorizer, user, { kind: 'path', verb, path });
    if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(req.method ?? '');
    const answer =
      healthCheckAnswer(path, opts.healthChecks ?? []) ??
      discover(opts.catalogue, path, req.headers.accept, req.headers['if-none-match']) ??
      openapi(opts.catalogue.all(), path, url.searchParams, req.headers.accept);
    if (answer === undefined) throw errors.notFoundPath();
    return sendAnswer(res, answer);
  }
  if (nodes.proxy.handles(info)) {
    // The body is the pod's: no authorizer reads it.
    await requireAccess(auth.authorizer, user, { ...info, createdName: async () => undefined });
    return nodes.proxy.serve(info, url, req, res);
  }
  const created = new CreatedName(req);
  await requireAccess(auth.authorizer, user, { ...info, createdName: () => created.read(), createdObject: () => created.document() });
  if (nodes.streams.handles(info)) return nodes.streams.serveRequest(info, url.searchParams, res);
  if (info.group === METRICS_GROUP && opts.metrics !== undefined) return sendAnswer(res, opts.metrics.answer(info, url.searchParams, req.headers.accept));
  const context = { registry: opts.registry, catalogue: opts.catalogue, log: opts.logger, tokens: auth.tokens, access: { user, authorizer: auth.authorizer } };
  return handleResource(context, info, url.searchParams, await created.request(), res);
}

/** An HTTP upgrade (exec, attach, port-forward, a proxied WebSocket): authenticated and authorized as any request, then handed to the stream server or the proxy. */
async function upgrade(auth: Auth, nodes: NodeHandlers, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const user = await authenticate(req, auth.tokens);
  if (user === undefined) throw errors.unauthorized();
  const info = requestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
  const { streams, proxy } = nodes;
  if (info.kind !== 'resource' || !(streams.handles(info) || proxy.handles(info))) {
    throw errors.badRequest(`${path} cannot be upgraded: only pods/exec, pods/attach, pods/portforward and the proxy subresources can`);
  }
  await requireAccess(auth.authorizer, user, { ...info, createdName: async () => undefined });
  if (proxy.handles(info)) return proxy.serveUpgrade(info, req, socket, head);
  if (info.verb !== 'create' && CREATE_ON_UPGRADE.has(info.subresource ?? '')) {
    const create: ResourceRequest = { ...info, verb: 'create' };
    await requireAccess(auth.authorizer, user, { ...create, createdName: async () => undefined });
  }
  await streams.serveUpgrade(info, url.searchParams, req, socket, head);
}

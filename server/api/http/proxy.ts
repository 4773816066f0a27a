// The proxy subresources, pods/proxy and services/proxy: an authorized
// request goes on to a port of a pod, through the pod's node (pod-http.ts:
// a port-forward stream of the agent's tunnel), and the pod's answer comes
// back, as upstream's UpgradeAwareHandler and Go's httputil.ReverseProxy
// forward them (apimachinery util/proxy): method, path (joined and
// cleaned), query and body as sent; hop-by-hop headers dropped both ways;
// X-Forwarded-For and X-Forwarded-Uri added; the client's Authorization
// and impersonation headers kept back; redirects and HTML links rewritten
// to go through the proxy (proxy-rewrite.ts); the pod's CORS headers
// dropped. There is no timeout, as upstream counts proxy among the
// long-running requests: a pod that never answers is waited for until the
// client goes, which closes the tunnel.
//
// An upgrade (a WebSocket) goes on as upstream's tryUpgrade sends it: every
// header as sent but the credentials, X-Forwarded-For added, and the path
// without the query (upstream 1.31 drops it). The pod's 101 comes back as
// it wrote it and bytes then flow both ways; its refusal (4xx, 5xx) comes
// back as it is; anything else is upstream's 500.
import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import type { Logger } from '../../../common/log.js';
import { NodeStreamError, type PodStreams } from '../../../common/pod-streams.js';
import { connectToPod, PodConnectionError } from '../../streams/pod-http.js';
import type { Catalogue } from '../catalogue.js';
import { quote } from '../kinds/field-errors.js';
import type { Registry } from '../registry/registry.js';
import type { ResourceRequest } from '../request-info.js';
import { ApiError, errors } from '../status.js';
import { podLocation, type ProxyLocation, type ProxyTypes, serviceLocation } from './proxy-location.js';
import { type LinkContext, rewriteHtml, rewriteUrl } from './proxy-rewrite.js';
import { escapePath, joinPath, joinPreservingTrailingSlash, unescapePath } from './proxy-url.js';

export interface ApiProxyOptions {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly podStreams: PodStreams;
  readonly log: Logger;
}

/** Connection-scoped headers, never passed on (Go's hopHeaders), besides those the Connection header names. */
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** The pod's CORS headers: the API server's own CORS rules apply, not the pod's (upstream's corsRemovingTransport). */
const CORS = new Set(['access-control-allow-credentials', 'access-control-allow-headers', 'access-control-allow-methods', 'access-control-allow-origin']);

/** Raw headers as pairs, names as the client or pod wrote them. */
type HeaderPairs = [name: string, value: string][];

export class ApiProxy {
  readonly #types: ProxyTypes;

  constructor(private readonly opts: ApiProxyOptions) {
    const type = (plural: string) => {
      const found = opts.catalogue.get('', 'v1', plural);
      if (found === undefined) throw new Error(`the catalogue has no ${plural}`);
      return found;
    };
    this.#types = { pods: type('pods'), services: type('services'), endpoints: type('endpoints') };
  }

  /** Whether this request is one of the proxy subresources. */
  handles(info: ResourceRequest): boolean {
    return info.group === '' && info.version === 'v1' && info.subresource === 'proxy' && (info.resource === 'pods' || info.resource === 'services');
  }

  /** A request without an upgrade: refusals and an unreachable pod throw a Status before anything is written. */
  async serve(info: ResourceRequest, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { location, path } = await this.#locate(info);
    const incoming = unescapePath(url.pathname) ?? url.pathname;
    const rawQuery = rawQueryOf(req);
    // Upstream's answer to a bare .../proxy, so that relative links in the page resolve under the proxy.
    if (path === '' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(301, { location: `${incoming}/${rawQuery === '' ? '' : `?${rawQuery}`}` }).end();
      return;
    }
    if (location.dialError !== undefined) throw unreachable(location, location.dialError);
    const links: LinkContext = { prefix: pathPrepend(incoming, path), backendHost: location.host, requestHost: req.headers.host ?? '' };
    const forwardedUri = `${joinPath(links.prefix, path)}${path.endsWith('/') ? '/' : ''}`;
    const connection = await connectToPod(this.opts.podStreams, location).catch((err: unknown) => {
      throw unreachable(location, err);
    });
    res.once('close', () => connection.destroy());
    const headers = headerObject([...requestHeaders(req), ['X-Forwarded-Uri', forwardedUri]]);
    await new Promise<void>((resolve, reject) => {
      let answered = false;
      const out = request({ method: req.method, path: `${escapePath(path) || '/'}${rawQuery === '' ? '' : `?${rawQuery}`}`, headers, createConnection: () => connection });
      // Go's transport sends no Connection header on a request it may keep the connection of.
      out.removeHeader('connection');
      out.on('error', (err) => (answered ? res.destroy() : reject(unreachable(location, err))));
      out.on('response', (answer) => {
        answered = true;
        this.#answer(req, answer, links, res).then(resolve, reject);
      });
      res.once('close', () => {
        if (res.writableFinished) return;
        out.destroy();
        resolve();
      });
      req.pipe(out);
    });
  }

  /** An upgrade request: refusals throw a Status before anything is written on `socket`. */
  async serveUpgrade(info: ResourceRequest, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { location, path } = await this.#locate(info);
    if (location.dialError !== undefined) throw dialFailed(location, location.dialError);
    const connection = await connectToPod(this.opts.podStreams, location).catch((err: unknown) => {
      throw dialFailed(location, err);
    });
    socket.once('close', () => connection.destroy());
    const headers = headerObject([...credentialsRemoved(pairs(req.rawHeaders)).filter(([name]) => name.toLowerCase() !== 'x-forwarded-for'), forwardedFor(req)]);
    await new Promise<void>((resolve, reject) => {
      let answered = false;
      const out = request({ method: req.method, path: escapePath(path) || '/', headers, createConnection: () => connection });
      out.on('error', (err) => (answered ? socket.destroy() : reject(dialFailed(location, err))));
      out.on('upgrade', (answer: IncomingMessage, pod: Duplex, podHead: Buffer) => {
        answered = true;
        socket.write(Buffer.concat([responseHead(answer, pairs(answer.rawHeaders)), podHead]));
        if (head.length > 0) pod.write(head);
        // Once either side is done, both are (as upstream's copy in each direction).
        const close = () => {
          socket.destroy();
          pod.destroy();
        };
        for (const side of [socket, pod]) side.once('close', close).once('end', close).on('error', close);
        socket.pipe(pod);
        pod.pipe(socket);
        resolve();
      });
      out.on('response', (answer) => {
        answered = true;
        const code = answer.statusCode!;
        if (code < 400) {
          answer.resume();
          connection.destroy();
          return reject(new ApiError(500, '', `invalid upgrade response: status code ${code}`));
        }
        // The pod's refusal, as it is, the connection closing after it.
        const kept = pairs(answer.rawHeaders).filter(([name]) => !['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(name.toLowerCase()));
        socket.write(responseHead(answer, [...kept, ['Connection', 'close']]));
        answer.pipe(socket);
        answer.once('end', () => connection.destroy());
        resolve();
      });
      out.end();
    });
  }

  /** The pod and port, and the path to ask it for, joined as upstream joins it. */
  async #locate(info: ResourceRequest): Promise<{ location: ProxyLocation; path: string }> {
    if (info.namespace === undefined || info.name === undefined) throw errors.notFoundPath();
    const proxied = unescapePath(info.proxyPath ?? '');
    if (proxied === undefined) throw errors.badRequest(`invalid URL escape in ${quote(info.proxyPath ?? '')}`);
    const id = unescapePath(info.name) ?? info.name;
    const locate = info.resource === 'pods' ? podLocation : serviceLocation;
    const location = await locate(this.opts.registry, this.#types, info.namespace, id);
    return { location, path: joinPreservingTrailingSlash(proxied) };
  }

  /** The pod's answer to the client: headers cleaned, a redirect or an HTML page's links rewritten, the body streamed. */
  async #answer(req: IncomingMessage, answer: IncomingMessage, links: LinkContext, res: ServerResponse): Promise<void> {
    const code = answer.statusCode!;
    const headers = withoutHopByHop(pairs(answer.rawHeaders)).filter(([name]) => !CORS.has(name.toLowerCase()));
    const location = headers.find(([name]) => name.toLowerCase() === 'location');
    const type = headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
    const hasBody = req.method !== 'HEAD' && code !== 204 && code !== 304;
    if (location !== undefined && location[1] !== '') {
      location[1] = rewriteUrl(location[1], links);
    } else if (hasBody && type.split(';')[0]!.trim() === 'text/html') {
      const encoding = headers.find(([name]) => name.toLowerCase() === 'content-encoding')?.[1] ?? '';
      const page = await readAll(answer);
      const body = rewrittenPage(page, encoding, links);
      const rest = headers.filter(([name]) => name.toLowerCase() !== 'content-length');
      res.writeHead(code, [...rest, ['Content-Length', String(body.length)]].flat());
      res.end(body);
      return;
    }
    res.writeHead(code, headers.flat());
    // The pod's connection broke before the end of its answer: so does the client's, as Go's proxy aborts it.
    answer.once('close', () => {
      if (!answer.complete) res.destroy();
    });
    answer.pipe(res);
  }
}

/** The page's links rewritten, in its own encoding (gzip, or Go's raw deflate); an encoding upstream does not read is left as it is. */
function rewrittenPage(page: Buffer, encoding: string, links: LinkContext): Buffer {
  const codecs: Record<string, [(b: Buffer) => Buffer, (b: Buffer) => Buffer]> = {
    '': [(b) => b, (b) => b],
    gzip: [gunzipSync, gzipSync],
    deflate: [inflateRawSync, (b) => deflateRawSync(b, { level: 9 })],
  };
  const codec = codecs[encoding];
  if (codec === undefined) return page;
  let html: Buffer;
  try {
    html = codec[0](page);
  } catch (err) {
    throw new ApiError(500, '', (err as Error).message);
  }
  // latin1: one character a byte, so bytes outside the links stay exactly as they were.
  return codec[1](Buffer.from(rewriteHtml(html.toString('latin1'), (url) => rewriteUrl(url, links)), 'latin1'));
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => {
      // Go's reader of the page fails so, and its proxy answers with that error.
      if (!stream.complete) reject(new ApiError(500, '', 'unexpected EOF'));
    });
  });
}

/** Headers for Node's client: repeated names as one with several values (as Go's Header holds them), in the order sent. */
function headerObject(headers: HeaderPairs): Record<string, string[]> {
  const byName = new Map<string, [string, string[]]>();
  for (const [name, value] of headers) {
    const entry = byName.get(name.toLowerCase());
    if (entry === undefined) byName.set(name.toLowerCase(), [name, [value]]);
    else entry[1].push(value);
  }
  return Object.fromEntries(byName.values());
}

function pairs(raw: readonly string[]): HeaderPairs {
  const out: HeaderPairs = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** What goes to the pod: the client's headers without hop-by-hop ones (but `Te: trailers`, as Go keeps it) or credentials, and X-Forwarded-For. */
function requestHeaders(req: IncomingMessage): HeaderPairs {
  const sent = pairs(req.rawHeaders);
  const trailers = sent.some(([name, value]) => name.toLowerCase() === 'te' && value.split(',').some((t) => t.trim().toLowerCase() === 'trailers'));
  const kept = withoutHopByHop(credentialsRemoved(sent)).filter(([name]) => !['x-forwarded-for', 'x-forwarded-uri'].includes(name.toLowerCase()));
  // A body of no stated length goes on chunked, whatever the method (Node's client frames only some methods' bodies by itself).
  const chunked = req.headers['transfer-encoding'] !== undefined && req.headers['content-length'] === undefined;
  return [...kept, ...(trailers ? [['Te', 'trailers'] as [string, string]] : []), ...(chunked ? [['Transfer-Encoding', 'chunked'] as [string, string]] : []), forwardedFor(req)];
}

/** Go's removeHopByHopHeaders: the names the Connection header lists, then the fixed ones. */
function withoutHopByHop(headers: HeaderPairs): HeaderPairs {
  const named = new Set(
    headers
      .filter(([name]) => name.toLowerCase() === 'connection')
      .flatMap(([, value]) => value.split(','))
      .map((token) => token.trim().toLowerCase()),
  );
  return headers.filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase()) && !named.has(name.toLowerCase()));
}

/** Upstream's authentication and impersonation filters take these off every request they accept: the pod never sees them. */
function credentialsRemoved(headers: HeaderPairs): HeaderPairs {
  return headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return lower !== 'authorization' && !lower.startsWith('impersonate-');
  });
}

/** X-Forwarded-For: what the client sent, then the client's address (Go writes it without IPv4's "::ffff:"). */
function forwardedFor(req: IncomingMessage): [string, string] {
  const client = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
  const prior = pairs(req.rawHeaders).filter(([name]) => name.toLowerCase() === 'x-forwarded-for');
  return ['X-Forwarded-For', [...prior.map(([, value]) => value), client].join(', ')];
}

/** The query as the client wrote it, byte for byte. */
function rawQueryOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
}

/** The part of the request's path before the pod's: upstream's PathPrepend (the request's path without the proxied path at its end). */
function pathPrepend(incoming: string, proxied: string): string {
  const suffix = incoming.endsWith('/') && !proxied.endsWith('/') ? `${proxied}/` : proxied;
  return suffix !== '' && incoming.endsWith(suffix) ? incoming.slice(0, -suffix.length) : incoming;
}

/** A status line and headers as an HTTP/1.1 response head. */
function responseHead(answer: IncomingMessage, headers: HeaderPairs): Buffer {
  const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage ?? ''}`, ...headers.map(([name, value]) => `${name}: ${value}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** What keeps the pod from being reached, in Go's words where Go would have dialed the pod itself. */
function why(location: ProxyLocation, err: unknown): string {
  if (typeof err === 'string') return err;
  // The node tried the port in the pod's network and was refused: upstream, dialing the pod's IP, says so this way.
  if (err instanceof PodConnectionError) return /connection refused/i.test(err.message) ? `dial tcp ${location.address}: connect: connection refused` : err.message;
  // The pod closed the connection without answering: Go's transport reads EOF.
  if ((err as NodeJS.ErrnoException).code === 'ECONNRESET' && (err as Error).message === 'socket hang up') return 'EOF';
  return err instanceof ApiError || err instanceof NodeStreamError || err instanceof Error ? err.message : String(err);
}

/** Upstream's proxy transport turns any failure to reach the pod into a 503 (apimachinery util/proxy Transport). */
function unreachable(location: ProxyLocation, err: unknown): ApiError {
  return errors.serviceUnavailable(`error trying to reach service: ${why(location, err)}`);
}

/** An upgrade's dial failure: upstream's "error dialing backend", an error with no Status of its own (500, no reason). */
function dialFailed(location: ProxyLocation, err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(500, '', `error dialing backend: ${why(location, err)}`);
}

// An httpGet probe as kubelet makes it (pkg/probe/http): a GET from the
// node to scheme://host:port/path (host: the pod's IP unless the probe
// names one), with the probe's headers, `User-Agent: kube-probe/1.NN` and
// `Accept: */*` unless the probe sets them, no proxy, no keep-alive, no
// compression, TLS unverified. Status 200–399 is success; redirects are
// followed only on the same host (at most 10), and a redirect elsewhere is
// a success with a warning. The body is read up to 10 KiB. The timeout
// covers the whole exchange, redirects included.
import type { Container, HTTPGetAction } from 'kubernetes-types/core/v1.js';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { KUBERNETES_VERSION } from '../../common/version.js';
import { resolveContainerPort } from './container-port.js';
import { dialError, joinHostPort } from '../../common/dial-errors.js';
import { MAX_OUTPUT_BYTES, type ProbeOutcome, ProbeRunError } from './probe-outcome.js';

export interface HttpProbeRequest {
  readonly url: URL;
  /** Canonical header name → values, in the order given. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The request an httpGet action makes (NewRequestForHTTPGetAction); throws when its port does not resolve. */
export function httpGetRequest(action: HTTPGetAction, container: Container, podIp: string): HttpProbeRequest {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase() || 'http';
  const port = resolveContainerPort(action.port, container);
  const path = action.path ?? '';
  const url = new URL(`${scheme}://${joinHostPort(action.host || podIp, port)}${path.startsWith('/') ? '' : '/'}${path}`);
  const headers = new Map<string, string[]>();
  for (const { name, value } of action.httpHeaders ?? []) {
    const key = canonicalHeaderKey(name);
    headers.set(key, [...(headers.get(key) ?? []), value]);
  }
  if (!headers.has('User-Agent')) headers.set('User-Agent', [`kube-probe/${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}`]);
  if (!headers.has('Accept')) headers.set('Accept', ['*/*']);
  // An Accept set to nothing asks for no Accept at all.
  else if (headers.get('Accept')![0] === '') headers.delete('Accept');
  return { url, headers };
}

export async function httpProbe(req: HttpProbeRequest, timeoutMs: number): Promise<ProbeOutcome> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    const first = req.url;
    let url = first;
    const customHost = req.headers.get('Host')?.[0];
    let host = customHost;
    for (let redirects = 0; ; redirects++) {
      let res: IncomingMessage;
      try {
        res = await get(url, req.headers, host, deadline.signal);
      } catch (err) {
        const why = deadline.signal.aborted ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' : requestError(url, err as NodeJS.ErrnoException);
        return { result: 'failure', output: `Get ${JSON.stringify(goUrl(url))}: ${why}` };
      }
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode ?? 0) && location !== undefined) {
        const next = new URL(location, url);
        // Elsewhere is not followed: this redirect is the answer.
        if (next.hostname === first.hostname) {
          res.destroy();
          // Go's client refuses the redirect that would follow ten requests.
          if (redirects + 1 >= MAX_REDIRECTS) return { result: 'failure', output: `Get ${JSON.stringify(goUrl(next))}: stopped after ${MAX_REDIRECTS} redirects` };
          // A Host of the probe's own goes along only with a relative Location, as Go's client does.
          host = customHost !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(location) ? customHost : undefined;
          url = next;
          continue;
        }
      }
      const body = await readAtMost(res, MAX_OUTPUT_BYTES, deadline.signal);
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 400) {
        return status >= 300 ? { result: 'warning', output: `Probe terminated redirects, Response body: ${body}` } : { result: 'success', output: body };
      }
      // Not the body: kubelet keeps it out of the message (kubernetes#99425).
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${status}` };
    }
  } finally {
    clearTimeout(timer);
  }
}

function get(url: URL, headers: ReadonlyMap<string, readonly string[]>, host: string | undefined, signal: AbortSignal): Promise<IncomingMessage> {
  const outgoing: OutgoingHttpHeaders = {};
  for (const [name, values] of headers) if (name !== 'Host') outgoing[name] = values.length === 1 ? values[0] : [...values];
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // Go sends the URL's host:port as Host, port included.
  outgoing['Host'] = host ?? joinHostPort(hostname, port);
  const options = { host: hostname, port, path: `${url.pathname}${url.search}`, method: 'GET', headers: outgoing, agent: false as const, signal };
  return new Promise((resolve, reject) => {
    const req =
      url.protocol === 'https:'
        ? httpsRequest({ ...options, rejectUnauthorized: false, ...(isIP(hostname) === 0 ? { servername: hostname } : {}) }, resolve)
        : httpRequest(options, resolve);
    req.once('error', reject);
    req.end();
  });
}

/** The body's first `limit` bytes; the rest is not read (the connection closes). */
async function readAtMost(res: IncomingMessage, limit: number, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break;
    }
  } catch (err) {
    // Go's prober answers a broken body with a failure and an error.
    const message = signal.aborted ? 'context deadline exceeded (Client.Timeout or context cancellation while reading body)' : (err as Error).message;
    throw new ProbeRunError(message, 'failure');
  } finally {
    res.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** A failed request as Go's client words it after `Get "URL": `. */
function requestError(url: URL, err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNRESET' && err.message === 'socket hang up') return 'EOF';
  if (err.syscall === 'connect' || err.syscall === 'getaddrinfo') {
    return dialError(joinHostPort(url.hostname.replace(/^\[(.*)\]$/, '$1'), Number(url.port) || (url.protocol === 'https:' ? 443 : 80)), err);
  }
  if (err.code === 'ECONNRESET') return 'read: connection reset by peer';
  return err.message;
}

/** url.URL's String(): the port stays even when it is the scheme's default. */
function goUrl(url: URL): string {
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return `${url.protocol}//${url.hostname}:${port}${url.pathname}${url.search}`;
}

/** textproto.CanonicalMIMEHeaderKey: "x-custom-header" → "X-Custom-Header"; a name with other characters stays as it is. */
function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

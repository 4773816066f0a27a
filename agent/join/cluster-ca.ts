// Before a node trusts the server, it fetches the cluster CA from /cacerts
// (no verification possible yet) and checks it against the hash in its join
// token: a server that is not the token's cluster, or a machine in the
// middle, is refused before the token is ever sent. The short token form
// has no hash: the CA is trusted on first use, with a warning.
import { request } from 'node:https';
import { caHashOf } from '../../common/join-token.js';
import type { Logger } from '../../common/log.js';

const TIMEOUT_MS = 10_000;
const MAX_BYTES = 64 * 1024;

export class JoinError extends Error {}

/** The cluster CA (PEM) of the server at `serverUrl`, checked against `caHash` when there is one. */
export async function fetchClusterCa(serverUrl: URL, caHash: string | undefined, log: Logger): Promise<string> {
  const caPem = await getCacerts(serverUrl);
  if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new JoinError(`${serverUrl.origin} is not a Bramble server: GET /cacerts did not answer with a certificate`);
  }
  const served = caHashOf(caPem);
  if (caHash === undefined) {
    log.warn('the join token has no CA hash: trusting the CA this server sent (trust on first use); use the K10… token from the server for a pinned CA', {
      server: serverUrl.origin,
      caHash: served,
    });
  } else if (served !== caHash) {
    throw new JoinError(
      `the CA of ${serverUrl.origin} (sha256 ${served.slice(0, 16)}…) is not the one in the join token (${caHash.slice(0, 16)}…): ` +
        'the token belongs to another cluster, or something between this machine and the server is intercepting the connection',
    );
  }
  return caPem;
}

function getCacerts(serverUrl: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    // Nothing to verify against yet: the hash check above is what trusts the answer.
    const req = request(new URL('/cacerts', serverUrl), { rejectUnauthorized: false, timeout: TIMEOUT_MS }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new JoinError(`${serverUrl.origin} is not a Bramble server: GET /cacerts answered ${res.statusCode ?? '?'}`));
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > MAX_BYTES) req.destroy(new JoinError(`${serverUrl.origin} is not a Bramble server: /cacerts is too large`));
      });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new JoinError(`${serverUrl.origin} did not answer within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof JoinError) reject(err);
      else if (err.code?.startsWith('ERR_SSL') || err.code === 'EPROTO') reject(new JoinError(`${serverUrl.origin} does not speak TLS as a Bramble server does (${err.code})`));
      else reject(new JoinError(`cannot reach ${serverUrl.origin}: ${err.message}`));
    });
    req.end();
  });
}

// A node's way in: reuse the credentials from an earlier join when they are
// for this node name and still valid; otherwise fetch and pin the cluster CA,
// send a certificate request with the join token, and keep what comes back.
import type { JoinRequest, JoinResponse } from '../../common/agent-protocol.js';
import { certificateFacts, newKeyAndRequest } from '../../common/certificate-request.js';
import { parseJoinToken } from '../../common/join-token.js';
import { nodeSubject } from '../../common/node-identity.js';
import type { Logger } from '../../common/log.js';
import { BRAMBLE_VERSION } from '../../common/version.js';
import { GrpcError } from '../grpc/status.js';
import { AgentServiceClient } from '../link/agent-client.js';
import { fetchClusterCa, JoinError } from './cluster-ca.js';
import { loadCredentials, type NodeCredentials, nodePassword, saveCredentials } from './credentials.js';

const JOIN_DEADLINE_MS = 20_000;

export interface JoinOptions {
  readonly serverUrl: URL;
  /** Needed only when the node has no valid credentials yet. */
  readonly token: string | undefined;
  readonly nodeName: string;
  readonly dir: string;
  readonly log: Logger;
  readonly now?: () => Date;
}

export { JoinError };

export async function ensureJoined(opts: JoinOptions): Promise<NodeCredentials> {
  const stored = await loadCredentials(opts.dir);
  const now = opts.now?.() ?? new Date();
  if (stored !== undefined) {
    const problem = unusable(stored, opts.nodeName, now);
    if (problem === undefined) return stored;
    if (opts.token === undefined) throw new JoinError(`the node's credentials in ${opts.dir} cannot be used (${problem}) and no token was given to join again: pass --token or --token-file`);
    opts.log.info('joining again', { reason: problem });
  } else if (opts.token === undefined) {
    throw new JoinError(`this node has not joined yet (no credentials in ${opts.dir}): pass --token or --token-file (on the server: DATA/server/token or 'bramble token create')`);
  }
  return join(opts, opts.token);
}

async function join(opts: JoinOptions, tokenText: string): Promise<NodeCredentials> {
  let token;
  try {
    token = parseJoinToken(tokenText);
  } catch (err) {
    throw new JoinError((err as Error).message);
  }
  const caPem = await fetchClusterCa(opts.serverUrl, token.caHash, opts.log);
  const { keyPem, csrPem } = await newKeyAndRequest(nodeSubject(opts.nodeName));
  const password = await nodePassword(opts.dir);
  const response = await callJoin(opts.serverUrl, caPem, `${token.id}.${token.secret}`, {
    agentVersion: BRAMBLE_VERSION,
    nodeName: opts.nodeName,
    csrPem,
    nodePassword: password.password,
  });
  if (response.caPem !== caPem) throw new JoinError('the server answered with a different CA than /cacerts served');
  const credentials = { caPem, certPem: response.certificatePem, keyPem };
  await saveCredentials(opts.dir, credentials, password.password);
  opts.log.info('joined the cluster', { node: opts.nodeName, server: opts.serverUrl.origin, serverVersion: response.serverVersion });
  return credentials;
}

async function callJoin(serverUrl: URL, caPem: string, token: string, request: JoinRequest): Promise<JoinResponse> {
  // The pinned CA, and the server's name checked against its certificate as for any TLS peer.
  const client = new AgentServiceClient(serverUrl, { ca: caPem });
  try {
    return await client.join(request, token, Date.now() + JOIN_DEADLINE_MS);
  } catch (err) {
    throw new JoinError(`the server refused to join this node: ${err instanceof GrpcError ? err.details : (err as Error).message}`);
  } finally {
    client.close();
  }
}

/** Why stored credentials cannot serve `nodeName` now, or undefined when they can. */
function unusable(stored: NodeCredentials, nodeName: string, now: Date): string | undefined {
  let facts;
  try {
    facts = certificateFacts(stored.certPem);
  } catch (err) {
    return `node.crt is damaged: ${(err as Error).message}`;
  }
  if (facts.notAfter <= now) return `the node certificate expired at ${facts.notAfter.toISOString()}`;
  if (facts.commonName !== nodeSubject(nodeName).commonName) return `they are for another node name than "${nodeName}"`;
  return undefined;
}

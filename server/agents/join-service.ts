// Join: a join token buys a node its certificate. Checks, in order, what the
// agent can fix: versions, token, node name, certificate request, and that
// no other machine holds the name. Nothing is written unless all pass.
import { BRAMBLE_VERSION } from '../../common/version.js';
import { type JoinRequest, type JoinResponse, versionSkewError } from '../../common/agent-protocol.js';
import { parseJoinToken } from '../../common/join-token.js';
import type { Logger } from '../../common/log.js';
import { checkName } from '../api/registry/names.js';
import type { ClusterPki } from '../pki/index.js';
import type { BootstrapTokens } from './bootstrap-tokens.js';
import { nodeSubject } from '../../common/node-identity.js';
import { NodeNameTaken, type NodePasswords } from './node-passwords.js';
import { refused } from './rpc-error.js';

/** Node certificates live a year; agents renew them over their stream well before. */
export const NODE_CERT_DAYS = 365;

export interface JoinServiceOptions {
  readonly tokens: BootstrapTokens;
  readonly pki: ClusterPki;
  readonly passwords: NodePasswords;
  readonly nodeExists: (name: string) => Promise<boolean>;
  readonly log: Logger;
}

export class JoinService {
  constructor(private readonly opts: JoinServiceOptions) {}

  /** `authorization`: the request's "Bearer ID.SECRET" metadata. */
  async join(request: JoinRequest, authorization: string | undefined): Promise<JoinResponse> {
    const skew = versionSkewError(BRAMBLE_VERSION, 'server', request.agentVersion, 'agent');
    if (skew !== undefined) throw refused.incompatible(skew);
    const tokenId = await this.checkToken(authorization);
    const name = request.nodeName;
    const nameErrors = checkName(name, 'subdomain', 'node name');
    if (nameErrors.length > 0) throw refused.invalid(`node name ${nameErrors[0]?.message ?? ''}`);
    if (request.nodePassword.length < 16) throw refused.invalid('the node password must be at least 16 characters');
    let certificatePem: string;
    try {
      certificatePem = await this.opts.pki.signClientRequest(request.csrPem, nodeSubject(name), NODE_CERT_DAYS);
    } catch (err) {
      throw refused.invalid(`certificate request refused: ${(err as Error).message}`);
    }
    try {
      await this.opts.passwords.claim(name, request.nodePassword, await this.opts.nodeExists(name));
    } catch (err) {
      if (err instanceof NodeNameTaken) throw refused.taken(err.message);
      throw err;
    }
    this.opts.log.info('node joined', { node: name, tokenId, agentVersion: request.agentVersion });
    return { serverVersion: BRAMBLE_VERSION, certificatePem, caPem: this.opts.pki.caCertPem };
  }

  private async checkToken(authorization: string | undefined): Promise<string> {
    const match = /^Bearer (.+)$/.exec(authorization ?? '');
    if (match?.[1] === undefined) throw refused.unauthenticated('no join token was sent');
    let token;
    try {
      token = parseJoinToken(match[1]);
    } catch (err) {
      throw refused.unauthenticated(`malformed join token: ${(err as Error).message}`);
    }
    const verdict = await this.opts.tokens.verify(token.id, token.secret);
    if (!verdict.ok) throw refused.unauthenticated(verdict.reason);
    return token.id;
  }
}

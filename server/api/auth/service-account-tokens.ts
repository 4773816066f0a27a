// Bearer tokens: service-account tokens signed with the cluster's
// service-account key, accepted while they verify and the ServiceAccount they
// name still exists with the same uid (deleting it ends its tokens), and the
// pod a token is bound to, if any, still exists with its uid.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Logger } from '../../../common/log.js';
import type { Registry } from '../registry/registry.js';
import type { ResourceType } from '../resources.js';
import { ApiError } from '../status.js';
import {
  checkServiceAccountToken,
  issueServiceAccountToken,
  SERVICE_ACCOUNT_ISSUER,
  type ServiceAccountRef,
  serviceAccountUserName,
  type TokenSpec,
} from './service-account-token.js';
import { SERVICE_ACCOUNTS_GROUP, type UserInfo } from './user.js';

/** What the API server accepts tokens for, and what a TokenRequest without audiences gets. */
export const API_AUDIENCES: readonly string[] = [SERVICE_ACCOUNT_ISSUER];

export interface ServiceAccountTokensOptions {
  /** PKCS#8 PEM of the ECDSA P-256 signing key. */
  readonly signingKeyPem: string;
  readonly registry: Registry;
  readonly serviceAccounts: ResourceType;
  readonly pods: ResourceType;
  readonly log: Logger;
}

export type TokenReviewResult =
  | {
      readonly ok: true;
      readonly user: { readonly username: string; readonly uid: string; readonly groups: readonly string[]; readonly extra: Readonly<Record<string, string[]>> };
      readonly audiences: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

export class ServiceAccountTokens {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor(private readonly opts: ServiceAccountTokensOptions) {
    this.privateKey = createPrivateKey(opts.signingKeyPem);
    this.publicKey = createPublicKey(this.privateKey);
  }

  issue(sa: ServiceAccountRef, spec: TokenSpec): string {
    return issueServiceAccountToken(this.privateKey, sa, spec);
  }

  /** The token's user, or undefined (→ 401) when it does not verify or its ServiceAccount is gone. */
  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const result = await this.review(token, API_AUDIENCES);
    return result.ok ? { name: result.user.username, uid: result.user.uid, groups: result.user.groups, extra: result.user.extra } : undefined;
  }

  /**
   * What a TokenReview says of the token for `audiences`: the user with its
   * uid and extra (the bound pod, the credential id) as upstream's
   * ServiceAccountInfo gives them, and the audiences it is good for; or why not.
   */
  async review(token: string, audiences: readonly string[]): Promise<TokenReviewResult> {
    const check = checkServiceAccountToken(token, this.publicKey, audiences, new Date());
    if (!check.ok) return this.refuse(check.reason);
    const { namespace, name, uid } = check.serviceAccount;
    let current;
    try {
      current = await this.opts.registry.get(this.opts.serviceAccounts, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return this.refuse('service account not found', namespace, name);
      throw err;
    }
    if (current.metadata.uid !== uid) return this.refuse('service account was deleted and re-created', namespace, name);
    if (current.metadata.deletionTimestamp !== undefined) return this.refuse('service account is being deleted', namespace, name);
    if (check.pod !== undefined) {
      const pod = await this.opts.registry.get(this.opts.pods, namespace, check.pod.name).catch((err: unknown) => {
        if (err instanceof ApiError && err.code === 404) return undefined;
        throw err;
      });
      if (pod === undefined || pod.metadata.uid !== check.pod.uid) return this.refuse('the pod the token is bound to is gone', namespace, name);
      const deletion = pod.metadata.deletionTimestamp;
      if (deletion !== undefined && Date.parse(deletion) < Date.now()) return this.refuse('the pod the token is bound to is being deleted', namespace, name);
    }
    const extra: Record<string, string[]> = {
      ...(check.pod === undefined ? {} : { 'authentication.kubernetes.io/pod-name': [check.pod.name], 'authentication.kubernetes.io/pod-uid': [check.pod.uid] }),
      ...(check.jti === undefined ? {} : { 'authentication.kubernetes.io/credential-id': [`JTI=${check.jti}`] }),
    };
    const user = { username: serviceAccountUserName(namespace, name), uid, groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`], extra };
    return { ok: true, user, audiences: check.audiences };
  }

  // Why, never the token: it is a credential for as long as it has not expired.
  private refuse(why: string, namespace?: string, serviceAccount?: string): TokenReviewResult {
    this.opts.log.debug('bearer token refused', { why, namespace, serviceAccount });
    return { ok: false, reason: why };
  }
}

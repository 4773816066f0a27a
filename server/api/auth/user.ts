// Who a request comes from, as the authenticators find it and the authorizers
// read it, with the user and group names upstream gives special meaning.
import { NODE_USER_PREFIX, NODES_GROUP } from '../../../common/node-identity.js';

export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
  /** A ServiceAccount token's: the account's uid, and the pod and credential it is bound to (what SelfSubjectReview shows). */
  readonly uid?: string;
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** Every authenticated user is in this group (upstream adds it after any authenticator). */
export const AUTHENTICATED_GROUP = 'system:authenticated';
/** May do anything: the admin kubeconfig's certificate carries it. */
export const MASTERS_GROUP = 'system:masters';
/** Node agents: user system:node:NAME in this group. */
export { NODE_USER_PREFIX, NODES_GROUP } from '../../../common/node-identity.js';
/** Service accounts: user system:serviceaccount:NS:NAME in this group and system:serviceaccounts:NS. */
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';

/** NAME for user system:node:NAME in group system:nodes (both, as upstream's NodeIdentifier requires). */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}

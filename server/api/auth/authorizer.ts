// Whether a user may do what a request asks. Authorizers are asked in order
// and the first that allows or denies decides, as upstream's union
// authorizer; with no decision the request is refused with every reason
// given.
import type { ResourceRequest } from '../request-info.js';
import { forbidden } from './forbidden.js';
import type { UserInfo } from './user.js';

export interface ResourceAttributes extends Omit<ResourceRequest, 'verb'> {
  /**
   * A request's verb, or one that only checks and access reviews ask about
   * (bind, escalate, impersonate, "*" for every verb): authorizers read any string.
   */
  readonly verb: string;
  /** The name of the object a create carries, read from its body (only authorizers that need it call this). */
  readonly createdName: () => Promise<string | undefined>;
  /** The whole body of a create, decoded (only authorizers that need it call this). */
  readonly createdObject?: () => Promise<unknown>;
}

/** Anything that is not a resource: discovery, OpenAPI, other paths. Verbs are get, post, put, … */
export interface PathAttributes {
  readonly kind: 'path';
  readonly verb: string;
  readonly path: string;
}

export type Attributes = ResourceAttributes | PathAttributes;

export interface Decision {
  readonly decision: 'allow' | 'deny' | 'no-opinion';
  /** For a refusal: appended to the 403 message, as upstream does. */
  readonly reason: string;
}

export interface Authorizer {
  authorize(user: UserInfo, attrs: Attributes): Promise<Decision>;
  /** Upstream's RulesFor: what the user may do in `namespace`, as far as this authorizer can list it; left out by those that list nothing. */
  rulesFor?(user: UserInfo, namespace: string): Promise<UserRules>;
}

/** authorization.k8s.io/v1 ResourceRule (kubernetes-types' lacks verbs and resources). */
export interface ResourceRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
}

export interface NonResourceRule {
  readonly verbs: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

/** What a user may do, as `kubectl auth can-i --list` shows it (SelfSubjectRulesReview's status). */
export interface UserRules {
  readonly resourceRules: readonly ResourceRule[];
  readonly nonResourceRules: readonly NonResourceRule[];
  /** Some of the user's permissions could not be listed (a node's, say). */
  readonly incomplete: boolean;
  /** Why some could not be resolved (a binding to a missing role). */
  readonly errors: readonly string[];
}

export const NO_RULES: UserRules = { resourceRules: [], nonResourceRules: [], incomplete: false, errors: [] };

export const ALLOW: Decision = { decision: 'allow', reason: '' };
export const NO_OPINION: Decision = { decision: 'no-opinion', reason: '' };

/** A question an authorizer is asked that no request body goes with (escalation checks, access reviews). */
export function askedAttributes(asked: Omit<ResourceAttributes, 'kind' | 'createdName' | 'createdObject'>): ResourceAttributes {
  return { ...asked, kind: 'resource', createdName: async () => undefined };
}

export function noOpinion(reason: string): Decision {
  return { decision: 'no-opinion', reason };
}

export function inOrder(authorizers: readonly Authorizer[]): Authorizer {
  return {
    authorize: async (user, attrs) => {
      const reasons: string[] = [];
      for (const authorizer of authorizers) {
        const result = await authorizer.authorize(user, attrs);
        if (result.decision !== 'no-opinion') return result;
        if (result.reason !== '') reasons.push(result.reason);
      }
      return noOpinion(reasons.join('\n'));
    },
    // Every authorizer's rules together, as upstream's union.
    rulesFor: async (user, namespace) => {
      const all = await Promise.all(authorizers.map((a) => a.rulesFor?.(user, namespace) ?? NO_RULES));
      return {
        resourceRules: all.flatMap((r) => r.resourceRules),
        nonResourceRules: all.flatMap((r) => r.nonResourceRules),
        incomplete: all.some((r) => r.incomplete),
        errors: all.flatMap((r) => r.errors),
      };
    },
  };
}

/** Resolves when `authorizer` allows the request; otherwise throws upstream's 403. */
export async function requireAccess(authorizer: Authorizer, user: UserInfo, attrs: Attributes): Promise<void> {
  const result = await authorizer.authorize(user, attrs);
  if (result.decision !== 'allow') throw forbidden(user.name, attrs, result.reason);
}

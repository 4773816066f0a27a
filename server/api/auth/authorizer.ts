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
}

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
  };
}

/** Resolves when `authorizer` allows the request; otherwise throws upstream's 403. */
export async function requireAccess(authorizer: Authorizer, user: UserInfo, attrs: Attributes): Promise<void> {
  const result = await authorizer.authorize(user, attrs);
  if (result.decision !== 'allow') throw forbidden(user.name, attrs, result.reason);
}

// Reviews that are created, answered and never stored, as upstream's
// pkg/registry/authorization and authentication selfsubjectreview:
// SelfSubjectAccessReview (`kubectl auth can-i`), SubjectAccessReview and
// LocalSubjectAccessReview (may another user?), answered by the server's own
// authorizer chain, SelfSubjectRulesReview (`kubectl auth can-i --list`), from
// the rules the chain can list, SelfSubjectReview (`kubectl auth whoami`) and
// TokenReview (is this bearer token good, and whose?).
import type { KubeObject } from '../objects.js';
import type { ResourceType } from '../resources.js';
import { invalid, invalidOmitted } from '../kinds/field-errors.js';
import { aggregate, errors, type StatusCause } from '../status.js';
import { askedAttributes, type Attributes, type Authorizer, NO_RULES } from './authorizer.js';
import { API_AUDIENCES, type ServiceAccountTokens } from './service-account-tokens.js';
import { AUTHENTICATED_GROUP, type UserInfo } from './user.js';

/** Who asks, and what the server would allow: what checks that depend on the request's user need. */
export interface RequestAccess {
  readonly user: UserInfo;
  readonly authorizer: Authorizer;
}

const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const AUTHENTICATION_GROUP = 'authentication.k8s.io';
const AUTHENTICATION_REVIEWS = new Set(['selfsubjectreviews', 'tokenreviews']);
const ACCESS_REVIEWS = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews', 'localsubjectaccessreviews']);

/** Whether `type` is a review: served by `answerReview`, create only. */
export function isReview(type: ResourceType): boolean {
  return (type.group === AUTHORIZATION_GROUP && ACCESS_REVIEWS.has(type.plural)) || (type.group === AUTHENTICATION_GROUP && AUTHENTICATION_REVIEWS.has(type.plural));
}

/** The review with its status filled in; a malformed one is a 400 or 422, as upstream's validation words it. */
export async function answerReview(access: RequestAccess, tokens: ServiceAccountTokens, type: ResourceType, namespace: string | undefined, review: KubeObject): Promise<KubeObject> {
  const typeMeta = { apiVersion: review.apiVersion, kind: review.kind, metadata: { ...review.metadata, creationTimestamp: null } };
  if (type.plural === 'tokenreviews') return { ...typeMeta, spec: review['spec'], status: await tokenStatus(tokens, review) } as unknown as KubeObject;
  if (type.plural === 'selfsubjectreviews') {
    const { user } = access;
    const extra = user.extra !== undefined && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {};
    const userInfo = { username: user.name, ...(user.uid === undefined ? {} : { uid: user.uid }), groups: user.groups, ...extra };
    return { ...typeMeta, status: { userInfo } } as unknown as KubeObject;
  }
  if (type.plural === 'selfsubjectrulesreviews') return { ...typeMeta, spec: review['spec'], status: await rulesStatus(access, review) } as unknown as KubeObject;
  const spec = specOf(review['spec']);
  const causes = [...attributeCauses(spec), ...kindCauses(type, namespace, review, spec)];
  if (causes.length > 0) throw errors.invalid(type, '', causes);
  const subject: UserInfo = type.plural === 'selfsubjectaccessreviews' ? access.user : { name: spec.user, groups: spec.groups };
  const decision = await access.authorizer.authorize(subject, attributesOf(spec));
  const status = {
    allowed: decision.decision === 'allow',
    ...(decision.decision === 'deny' ? { denied: true } : {}),
    ...(decision.reason === '' ? {} : { reason: decision.reason }),
  };
  return { ...typeMeta, spec: review['spec'], status } as unknown as KubeObject;
}

/**
 * TokenReview (what auth proxies such as kube-rbac-proxy ask): whether the
 * token authenticates for spec.audiences (the API's when none), and as whom,
 * with every authenticated user's group added, as upstream's.
 */
async function tokenStatus(tokens: ServiceAccountTokens, review: KubeObject): Promise<Record<string, unknown>> {
  const spec = objectOf(review['spec'], 'spec');
  const { token } = strings(spec, 'spec', ['token']);
  if (token === '') throw errors.badRequest('token is required for TokenReview in authentication');
  const audiences = spec['audiences'] ?? [];
  if (!Array.isArray(audiences) || !audiences.every((a) => typeof a === 'string')) throw errors.badRequest('spec.audiences must be a list of strings');
  const result = await tokens.review(token!, audiences.length === 0 ? API_AUDIENCES : audiences);
  if (!result.ok) return { authenticated: false, error: result.reason };
  const { user } = result;
  return {
    authenticated: true,
    user: { username: user.username, uid: user.uid, groups: [...user.groups, AUTHENTICATED_GROUP], ...(Object.keys(user.extra).length === 0 ? {} : { extra: user.extra }) },
    audiences: result.audiences,
  };
}

/** SelfSubjectRulesReview (`kubectl auth can-i --list`): every authorizer's rules for the requester in spec.namespace. */
async function rulesStatus(access: RequestAccess, review: KubeObject): Promise<Record<string, unknown>> {
  const { namespace } = strings(objectOf(review['spec'], 'spec'), 'spec', ['namespace']);
  if (namespace === '') throw errors.badRequest('no namespace on request');
  const rules = (await access.authorizer.rulesFor?.(access.user, namespace!)) ?? NO_RULES;
  return {
    resourceRules: rules.resourceRules,
    nonResourceRules: rules.nonResourceRules,
    incomplete: rules.incomplete,
    ...(rules.errors.length === 0 ? {} : { evaluationError: aggregate(rules.errors) }),
  };
}

interface ResourceAttributesSpec {
  readonly namespace: string;
  readonly verb: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

interface NonResourceAttributesSpec {
  readonly path: string;
  readonly verb: string;
}

interface ReviewSpec {
  readonly resourceAttributes?: ResourceAttributesSpec;
  readonly nonResourceAttributes?: NonResourceAttributesSpec;
  readonly user: string;
  readonly groups: readonly string[];
}

function specOf(value: unknown): ReviewSpec {
  const spec = objectOf(value, 'spec');
  const groups = spec['groups'] ?? [];
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) throw errors.badRequest('spec.groups must be a list of strings');
  const resource = spec['resourceAttributes'];
  const nonResource = spec['nonResourceAttributes'];
  return {
    ...(resource === undefined || resource === null
      ? {}
      : { resourceAttributes: strings(objectOf(resource, 'spec.resourceAttributes'), 'spec.resourceAttributes', ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name']) as unknown as ResourceAttributesSpec }),
    ...(nonResource === undefined || nonResource === null
      ? {}
      : { nonResourceAttributes: strings(objectOf(nonResource, 'spec.nonResourceAttributes'), 'spec.nonResourceAttributes', ['path', 'verb']) as unknown as NonResourceAttributesSpec }),
    user: strings(spec, 'spec', ['user'])['user']!,
    groups,
  };
}

/** Upstream's ValidateSelfSubjectAccessReviewSpec: exactly one of the two, values printed as Go's %#v prints them. */
function attributeCauses(spec: ReviewSpec): StatusCause[] {
  const nonResource = spec.nonResourceAttributes;
  if (spec.resourceAttributes !== undefined && nonResource !== undefined) {
    return [invalid('spec.nonResourceAttributes', `&authorization.NonResourceAttributes{Path:${JSON.stringify(nonResource.path)}, Verb:${JSON.stringify(nonResource.verb)}}`, 'cannot be specified in combination with resourceAttributes')];
  }
  if (spec.resourceAttributes === undefined && nonResource === undefined) {
    return [invalid('spec.resourceAttributes', '(*authorization.NonResourceAttributes)(nil)', 'exactly one of nonResourceAttributes or resourceAttributes must be specified')];
  }
  return [];
}

/** What SubjectAccessReview and LocalSubjectAccessReview add (ValidateSubjectAccessReview, ValidateLocalSubjectAccessReview). */
function kindCauses(type: ResourceType, namespace: string | undefined, review: KubeObject, spec: ReviewSpec): StatusCause[] {
  if (type.plural === 'selfsubjectaccessreviews') return [];
  const causes: StatusCause[] = [];
  if (spec.user === '' && spec.groups.length === 0) causes.push(invalid('spec.user', '""', 'at least one of user or group must be specified'));
  const { namespace: metaNamespace, ...meta } = review.metadata as Record<string, unknown>;
  const local = type.plural === 'localsubjectaccessreviews';
  const metaSet = Object.entries(local ? meta : { ...meta, namespace: metaNamespace }).some(([key, v]) => key !== 'managedFields' && !isEmpty(v));
  if (metaSet) causes.push(invalidOmitted('metadata', local ? 'must be empty except for namespace' : 'must be empty'));
  if (local) {
    if (typeof metaNamespace === 'string' && metaNamespace !== '' && metaNamespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (spec.resourceAttributes !== undefined && spec.resourceAttributes.namespace !== namespace) {
      causes.push(invalid('spec.resourceAttributes.namespace', JSON.stringify(spec.resourceAttributes.namespace), 'must match metadata.namespace'));
    }
    if (spec.nonResourceAttributes !== undefined) {
      const { path, verb } = spec.nonResourceAttributes;
      causes.push(invalid('spec.nonResourceAttributes', `&authorization.NonResourceAttributes{Path:${JSON.stringify(path)}, Verb:${JSON.stringify(verb)}}`, 'disallowed on this kind of request'));
    }
  }
  return causes;
}

/** The question the review asks, as the authorizers read requests. */
function attributesOf(spec: ReviewSpec): Attributes {
  const r = spec.resourceAttributes;
  if (r === undefined) return { kind: 'path', verb: spec.nonResourceAttributes!.verb, path: spec.nonResourceAttributes!.path };
  return askedAttributes({
    verb: r.verb,
    group: r.group,
    version: r.version,
    resource: r.resource,
    ...(r.namespace === '' ? {} : { namespace: r.namespace }),
    ...(r.name === '' ? {} : { name: r.name }),
    ...(r.subresource === '' ? {} : { subresource: r.subresource }),
  });
}

function objectOf(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw errors.badRequest(`${field} must be an object`);
  return value as Record<string, unknown>;
}

/** The named fields as strings, "" when absent; anything else is a 400. */
function strings(obj: Record<string, unknown>, field: string, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => {
      const v = obj[name] ?? '';
      if (typeof v !== 'string') throw errors.badRequest(`${field}.${name} must be a string`);
      return [name, v];
    }),
  );
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v).length === 0);
}

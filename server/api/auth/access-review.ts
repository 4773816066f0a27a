// Reviews that are created, answered and never stored, as upstream's
// pkg/registry/authorization and authentication selfsubjectreview:
// SelfSubjectAccessReview (`kubectl auth can-i`), SubjectAccessReview and
// LocalSubjectAccessReview (may another user?), answered by the server's own
// authorizer chain, and SelfSubjectReview (`kubectl auth whoami`).
import type { KubeObject } from '../objects.js';
import type { ResourceType } from '../resources.js';
import { errors, type StatusCause } from '../status.js';
import { askedAttributes, type Attributes, type Authorizer } from './authorizer.js';
import type { UserInfo } from './user.js';

/** Who asks, and what the server would allow: what checks that depend on the request's user need. */
export interface RequestAccess {
  readonly user: UserInfo;
  readonly authorizer: Authorizer;
}

const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const AUTHENTICATION_GROUP = 'authentication.k8s.io';
const ACCESS_REVIEWS = new Set(['selfsubjectaccessreviews', 'subjectaccessreviews', 'localsubjectaccessreviews']);

/** Whether `type` is a review: served by `answerReview`, create only. */
export function isReview(type: ResourceType): boolean {
  return (type.group === AUTHORIZATION_GROUP && ACCESS_REVIEWS.has(type.plural)) || (type.group === AUTHENTICATION_GROUP && type.plural === 'selfsubjectreviews');
}

/** The review with its status filled in; a malformed one is a 400 or 422, as upstream's validation words it. */
export async function answerReview(access: RequestAccess, type: ResourceType, namespace: string | undefined, review: KubeObject): Promise<KubeObject> {
  const typeMeta = { apiVersion: review.apiVersion, kind: review.kind, metadata: { ...review.metadata, creationTimestamp: null } };
  if (type.plural === 'selfsubjectreviews') {
    const { user } = access;
    return { ...typeMeta, status: { userInfo: { username: user.name, groups: user.groups } } } as unknown as KubeObject;
  }
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
  if (metaSet) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${local ? 'must be empty except for namespace' : 'must be empty'}`, field: 'metadata' });
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

function invalid(field: string, value: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${detail}`, field };
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

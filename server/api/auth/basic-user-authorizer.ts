// Every authenticated user may ask what it may do and who it is, as
// upstream's system:basic-user role grants it: create SelfSubjectAccessReviews,
// SelfSubjectRulesReviews and SelfSubjectReviews, which store nothing.
import { ALLOW, type Authorizer, NO_OPINION } from './authorizer.js';
import { AUTHENTICATED_GROUP } from './user.js';

const SELF_REVIEWS = new Set(['authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews', 'authentication.k8s.io/selfsubjectreviews']);

export const basicUserAuthorizer: Authorizer = {
  authorize: async (user, attrs) => {
    if (attrs.kind !== 'resource' || attrs.verb !== 'create' || attrs.subresource !== undefined || !user.groups.includes(AUTHENTICATED_GROUP)) return NO_OPINION;
    return SELF_REVIEWS.has(`${attrs.group}/${attrs.resource}`) ? ALLOW : NO_OPINION;
  },
};

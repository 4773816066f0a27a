// Authentication and authorization: what the API server and the resource
// handler import from here.
export { answerReview, isReview, type RequestAccess } from './access-review.js';
export { authenticate } from './authenticate.js';
export { certificateRequestCheck } from './certificate-admission.js';
export { type Authorizer, inOrder, requireAccess } from './authorizer.js';
export { CreatedName } from './created-name.js';
export { escalationCheck } from './rbac/escalation-check.js';
export { mastersAuthorizer } from './masters-authorizer.js';
export { NodeAuthorizer } from './node-authorizer.js';
export { isPublicPath } from './public-paths.js';
export { RbacAuthorizer } from './rbac/rbac-authorizer.js';
export { ServiceAccountTokens } from './service-account-tokens.js';
export { createTokenRequest } from './token-request.js';

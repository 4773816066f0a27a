// system:masters may do anything, as upstream's superuser group (no RBAC
// binding can take that away).
import { ALLOW, type Authorizer, NO_OPINION } from './authorizer.js';
import { MASTERS_GROUP } from './user.js';

export const mastersAuthorizer: Authorizer = {
  authorize: async (user) => (user.groups.includes(MASTERS_GROUP) ? ALLOW : NO_OPINION),
};

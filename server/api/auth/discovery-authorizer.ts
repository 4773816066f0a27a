// Discovery and OpenAPI for every authenticated user, as upstream's
// system:discovery role grants them: what the API has, never its objects.
import { ALLOW, type Authorizer, NO_OPINION } from './authorizer.js';
import { AUTHENTICATED_GROUP } from './user.js';

const PREFIXES = ['/api', '/apis', '/openapi'];

export const discoveryAuthorizer: Authorizer = {
  authorize: async (user, attrs) => {
    if (attrs.kind !== 'path' || attrs.verb !== 'get' || !user.groups.includes(AUTHENTICATED_GROUP)) return NO_OPINION;
    const { path } = attrs;
    return path === '/version' || PREFIXES.some((p) => path === p || path.startsWith(`${p}/`)) ? ALLOW : NO_OPINION;
  },
};

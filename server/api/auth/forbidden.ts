// The 403 as upstream words it (apiserver responsewriters.Forbidden and
// apierrors.NewForbidden): `pods "web" is forbidden: User "u" cannot get
// resource "pods/status" in API group "" in the namespace "default": reason`,
// and for other paths `forbidden: User "u" cannot get path "/metrics"`.
import { ApiError } from '../status.js';
import { namespaceOf } from '../request-info.js';
import type { Attributes } from './authorizer.js';

export function forbidden(user: string, attrs: Attributes, reason: string): ApiError {
  const why = reason === '' ? '' : `: ${reason}`;
  if (attrs.kind === 'path') return new ApiError(403, 'Forbidden', `forbidden: User "${user}" cannot ${attrs.verb} path "${attrs.path}"${why}`, {});
  const resource = attrs.subresource === undefined ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  const namespace = namespaceOf(attrs);
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const qualified = attrs.group === '' ? attrs.resource : `${attrs.resource}.${attrs.group}`;
  const subject = attrs.name === undefined ? qualified : `${qualified} "${attrs.name}"`;
  return new ApiError(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.group}" ${scope}${why}`,
    { ...(attrs.name === undefined ? {} : { name: attrs.name }), ...(attrs.group === '' ? {} : { group: attrs.group }), kind: attrs.resource },
  );
}

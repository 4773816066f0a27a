// What a request asks for, read from its method and path the way the
// apiserver's RequestInfoFactory reads them:
//   /api/v1/namespaces/{ns}/{resource}[/{name}[/{subresource}]]
//   /apis/{group}/{version}/{resource}[/{name}[/{subresource}]]
// Namespaces themselves are /api/v1/namespaces/{name}[/{subresource}].
// A proxy subresource takes a path of its own after it:
//   /api/v1/namespaces/{ns}/pods/{name}/proxy[/{path}]

/** '' is upstream's verb for a method it has no name for (OPTIONS), which only a proxy subresource takes. */
export type ApiVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | '';

export interface ResourceRequest {
  readonly kind: 'resource';
  readonly verb: ApiVerb;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  /**
   * For a proxy subresource: the path after it as upstream's connect handler
   * hands it on ("" for none, "/" for a bare trailing slash, else "/a/b",
   * keeping a trailing slash), its segments still percent-encoded.
   */
  readonly proxyPath?: string;
}

export interface OtherRequest {
  readonly kind: 'other';
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function requestInfo(method: string, path: string, query: URLSearchParams): ResourceRequest | OtherRequest {
  const parts = path.split('/').filter((p) => p !== '');
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(2);
  } else {
    return { kind: 'other' };
  }
  const [version, ...segments] = rest as [string, ...string[]];
  let namespace: string | undefined;
  // "namespaces/{ns}/{resource}…" scopes a request, unless it is the namespace itself (or its status/finalize).
  if (segments[0] === 'namespaces' && segments.length >= 3 && !NAMESPACE_SUBRESOURCES.has(segments[2]!)) {
    namespace = segments[1];
    segments.splice(0, 2);
  }
  const [resource, name, subresource, ...extra] = segments;
  if (resource === undefined) return { kind: 'other' };
  const proxied = subresource === PROXY;
  if (extra.length > 0 && !proxied) return { kind: 'other' };
  const verb = proxied ? proxyVerbOf(method) : verbOf(method, name !== undefined, query);
  if (verb === undefined) return { kind: 'other' };
  return {
    kind: 'resource',
    verb,
    group,
    version,
    resource,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
    ...(proxied ? { proxyPath: proxyPath(extra, path.endsWith('/')) } : {}),
  };
}

const PROXY = 'proxy';

/** Upstream's getRequestOptions: the parts joined, led by "/", and the request's trailing slash kept. */
function proxyPath(parts: readonly string[], trailingSlash: boolean): string {
  const joined = parts.length === 0 ? '' : `/${parts.join('/')}`;
  return trailingSlash && !joined.endsWith('/') ? `${joined}/` : joined;
}

const NO_QUERY = new URLSearchParams();

/** A proxied request's verb follows its method alone, as a named object's would (a `watch` query is the pod's, not a watch); OPTIONS has upstream's empty one. */
function proxyVerbOf(method: string): ApiVerb | undefined {
  return method === 'OPTIONS' ? '' : verbOf(method, true, NO_QUERY);
}

/** The namespace a request acts in, as upstream's RequestInfo gives it: a Namespace's own requests act in that namespace (what RBAC and the 403 read). */
export function namespaceOf(info: Pick<ResourceRequest, 'group' | 'resource' | 'namespace' | 'name'>): string | undefined {
  if (info.namespace !== undefined) return info.namespace;
  return info.group === '' && info.resource === 'namespaces' ? info.name : undefined;
}

/**
 * A boolean query parameter as upstream reads one: absent, "0" and "false" (any
 * case) are false; anything else, even "", is true (python sends "True").
 */
export function queryBool(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && value !== '0' && value.toLowerCase() !== 'false';
}

function verbOf(method: string, named: boolean, query: URLSearchParams): ApiVerb | undefined {
  const watching = queryBool(query, 'watch');
  switch (method) {
    case 'GET':
    case 'HEAD':
      return named ? (watching ? 'watch' : 'get') : watching ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

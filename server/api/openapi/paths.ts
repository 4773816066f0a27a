// The `paths` of an OpenAPI v3 group-version document: per resource type the
// operations its verbs allow, shaped as kube-apiserver publishes them. kubectl
// reads two things here: a PATCH operation whose x-kubernetes-group-version-kind
// names the kind and lists the `fieldValidation` (and `dryRun`) query
// parameters makes it trust the server's validation; and the PATCH request
// body's content types tell it whether strategic merge is possible.
import type { GroupVersionKind } from '../objects.js';
import type { ResourceType } from '../resources.js';
import { REF_PREFIX } from './schema.js';

interface Parameter {
  readonly name: string;
  readonly in: 'query' | 'path';
  readonly description: string;
  readonly required?: true;
  readonly schema: { readonly type: 'string' | 'boolean' | 'integer'; readonly uniqueItems: true };
}

export type Operation = Readonly<Record<string, unknown>>;
export type PathItem = Readonly<Record<string, Operation | readonly Parameter[]>>;

/** What the operations refer to: a kind's schema name, or undefined when the kind has none. */
export type SchemaNamer = (gvk: GroupVersionKind) => string | undefined;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

const param = (name: string, type: Parameter['schema']['type'], description: string): Parameter => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});
const pathParam = (name: string, description: string): Parameter => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });

const PRETTY = param('pretty', 'string', "If 'true', the output is pretty printed.");
const NAME = pathParam('name', 'name of the object');
const NAMESPACE = pathParam('namespace', 'object name and auth scope, such as for teams and projects');
const DRY_RUN = param('dryRun', 'string', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = param('fieldManager', 'string', 'A name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = param(
  'fieldValidation',
  'string',
  'How the server treats fields of the request object that its schema does not know: Ignore drops them silently, Warn (the default) drops them with a warning header each, Strict fails the request with a BadRequest error listing them.',
);
const FORCE = param('force', 'boolean', 'Force is going to "force" Apply requests: it re-acquires conflicting fields owned by other managers. Must be unset for non-apply patch requests.');
const WRITE = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
const LIST = [
  param('allowWatchBookmarks', 'boolean', 'Requests watch events of type BOOKMARK.'),
  param('continue', 'string', 'The continue token of a previous, limited list call.'),
  param('fieldSelector', 'string', 'A selector restricting the returned objects by their fields. Defaults to everything.'),
  param('labelSelector', 'string', 'A selector restricting the returned objects by their labels. Defaults to everything.'),
  param('limit', 'integer', 'The maximum number of objects to return; more come with the continue token.'),
  param('resourceVersion', 'string', 'Constrains which resource versions a request may be served from.'),
  param('resourceVersionMatch', 'string', 'How resourceVersion applies to list calls.'),
  param('sendInitialEvents', 'boolean', 'With watch=true: begin the stream with synthetic events for the current state, then a bookmark.'),
  param('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  param('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.'),
];
const DELETE = [
  DRY_RUN,
  param('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted; zero means delete immediately.'),
  param('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
  param('propagationPolicy', 'string', "Whether and how garbage collection is performed: 'Orphan', 'Background' or 'Foreground'."),
];

const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'];
const STRATEGIC = 'application/strategic-merge-patch+json';
/** Subresources that upgrade the connection or stream text rather than exchange objects. */
const CONNECT: ReadonlySet<string> = new Set(['attach', 'exec', 'portforward', 'proxy']);
/** The HTTP method of each verb a connect subresource takes. */
const CONNECT_METHODS: Readonly<Record<string, string>> = { get: 'get', create: 'post', update: 'put', patch: 'patch', delete: 'delete' };

/** Upstream's operation-name spelling of a group: "rbac.authorization.k8s.io" → "RbacAuthorization", "" → "Core". */
function groupWord(group: string): string {
  if (group === '') return 'Core';
  return group.replace(/\.k8s\.io$/, '').split(/[.-]/).map(capitalize).join('');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function json(schema: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  return { 'application/json': { schema } };
}

function refSchema(name: string): Readonly<Record<string, string>> {
  return { $ref: REF_PREFIX + name };
}

/**
 * Adds the operations of `r` to `paths`; returns the schema names they refer to.
 * `strategic`: whether PATCH accepts strategic merge (built-in kinds only, as upstream).
 */
export function addResourcePaths(paths: Record<string, PathItem>, r: ResourceType, schemaOf: SchemaNamer, strategic: boolean): Set<string> {
  const refs = new Set<string>();
  const use = (name: string | undefined): Readonly<Record<string, unknown>> => {
    if (name === undefined) return { type: 'string' };
    refs.add(name);
    return refSchema(name);
  };
  const prefix = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const scope = r.namespaced ? 'Namespaced' : '';
  const group = groupWord(r.group);
  const gvWords = `${group}${capitalize(r.version)}`;
  const idWords = `${gvWords}${scope}${r.kind}`;
  const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const tag = `${r.group === '' ? 'core' : group.charAt(0).toLowerCase() + group.slice(1)}_${r.version}`;
  const object = use(schemaOf(gvk));
  const list = use(schemaOf({ ...gvk, kind: r.listKind }));
  const status = use(`${META}Status`);
  const verbs = new Set<string>(r.verbs);

  const op = (action: string, id: string, description: string, extra: Readonly<Record<string, unknown>>, kind: GroupVersionKind = gvk): Operation => ({
    description,
    operationId: id,
    ...extra,
    tags: [tag],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': kind,
  });
  const body = (schema: Readonly<Record<string, unknown>>) => ({ content: { '*/*': { schema } }, required: true });
  const patchBody = () => {
    const schema = use(`${META}Patch`);
    const types = strategic ? [...PATCH_TYPES, STRATEGIC] : PATCH_TYPES;
    return { content: Object.fromEntries(types.map((t) => [t, { schema }])), required: true };
  };
  const ok = (schema: Readonly<Record<string, unknown>>, more: Readonly<Record<string, unknown>> = {}) => ({
    responses: { '200': { description: 'OK', content: json(schema) }, ...more, '401': { description: 'Unauthorized' } },
  });
  const created = (schema: Readonly<Record<string, unknown>>) => ({ '201': { description: 'Created', content: json(schema) } });
  const listOp = (id: string): Operation =>
    op('list', id, `list or watch objects of kind ${r.kind}`, {
      parameters: LIST,
      responses: { '200': { description: 'OK', content: { ...json(list), 'application/json;stream=watch': { schema: list } } }, '401': { description: 'Unauthorized' } },
    });

  const collection = `${prefix}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
  const item = `${collection}/{name}`;
  const scopeParams = r.namespaced ? [NAMESPACE, PRETTY] : [PRETTY];

  const collectionOps: Record<string, Operation | readonly Parameter[]> = {};
  if (verbs.has('list')) {
    collectionOps.get = listOp(`list${idWords}`);
  }
  if (verbs.has('create')) {
    collectionOps.post = op('post', `create${idWords}`, `create a ${r.kind}`, { parameters: WRITE, requestBody: body(object), ...ok(object, created(object)) });
  }
  if (verbs.has('deletecollection')) {
    collectionOps.delete = op('deletecollection', `deletecollection${idWords}`, `delete collection of ${r.kind}`, {
      parameters: [...DELETE, ...LIST],
      requestBody: { content: { '*/*': { schema: use(`${META}DeleteOptions`) } } },
      ...ok(status),
    });
  }
  if (Object.keys(collectionOps).length > 0) paths[collection] = { ...collectionOps, parameters: scopeParams };

  if (r.namespaced && verbs.has('list')) {
    paths[`${prefix}/${r.plural}`] = {
      get: listOp(`list${gvWords}${r.kind}ForAllNamespaces`),
      parameters: [PRETTY],
    };
  }

  const itemOps: Record<string, Operation | readonly Parameter[]> = {};
  if (verbs.has('get')) itemOps.get = op('get', `read${idWords}`, `read the specified ${r.kind}`, ok(object));
  if (verbs.has('update')) {
    itemOps.put = op('put', `replace${idWords}`, `replace the specified ${r.kind}`, { parameters: WRITE, requestBody: body(object), ...ok(object, created(object)) });
  }
  if (verbs.has('patch')) {
    itemOps.patch = op('patch', `patch${idWords}`, `partially update the specified ${r.kind}`, {
      parameters: [...WRITE, FORCE],
      requestBody: patchBody(),
      ...ok(object, created(object)),
    });
  }
  if (verbs.has('delete')) {
    itemOps.delete = op('delete', `delete${idWords}`, `delete a ${r.kind}`, {
      parameters: DELETE,
      requestBody: { content: { '*/*': { schema: use(`${META}DeleteOptions`) } } },
      ...ok(status, { '202': { description: 'Accepted', content: json(status) } }),
    });
  }
  if (Object.keys(itemOps).length > 0) paths[item] = { ...itemOps, parameters: [NAME, ...scopeParams] };

  for (const sub of r.subresources) {
    const subVerbs = new Set(sub.verbs);
    const words = `${idWords}${capitalize(sub.name)}`;
    const ops: Record<string, Operation | readonly Parameter[]> = {};
    if (CONNECT.has(sub.name)) {
      // Streams, not objects: upstream answers them with a bare string.
      const connect = (method: string, suffix = '') =>
        // Upstream names the method after the group and version: connectCoreV1GetNamespacedPodExec.
        op('connect', `connect${gvWords}${capitalize(method)}${scope}${r.kind}${capitalize(sub.name)}${suffix}`, `connect ${method.toUpperCase()} requests to ${sub.name} of ${r.kind}`, ok({ type: 'string' }), sub.kind);
      // A proxy forwards HEAD and OPTIONS too, which have no verb of their own.
      const methods = [...Object.entries(CONNECT_METHODS).filter(([verb]) => subVerbs.has(verb)).map(([, method]) => method), ...(sub.name === 'proxy' ? ['head', 'options'] : [])];
      for (const method of methods) ops[method] = connect(method);
      if (sub.name === 'proxy') {
        const withPath = Object.fromEntries(methods.map((method) => [method, connect(method, 'WithPath')]));
        paths[`${item}/proxy/{path}`] = { ...withPath, parameters: [NAME, ...scopeParams, pathParam('path', 'path to the resource')] };
      }
    } else {
      const schema = sub.name === 'log' ? { type: 'string' } : use(schemaOf(sub.kind));
      if (subVerbs.has('get')) ops.get = op('get', `read${words}`, `read ${sub.name} of the specified ${r.kind}`, ok(schema), sub.kind);
      if (subVerbs.has('create')) {
        ops.post = op('post', `create${words}`, `create ${sub.name} of a ${r.kind}`, { parameters: WRITE, requestBody: body(schema), ...ok(schema, created(schema)) }, sub.kind);
      }
      if (subVerbs.has('update')) {
        ops.put = op('put', `replace${words}`, `replace ${sub.name} of the specified ${r.kind}`, { parameters: WRITE, requestBody: body(schema), ...ok(schema, created(schema)) }, sub.kind);
      }
      if (subVerbs.has('patch')) {
        ops.patch = op('patch', `patch${words}`, `partially update ${sub.name} of the specified ${r.kind}`, {
          parameters: [...WRITE, FORCE],
          requestBody: patchBody(),
          ...ok(schema, created(schema)),
        }, sub.kind);
      }
    }
    if (Object.keys(ops).length > 0) paths[`${item}/${sub.name}`] = { ...ops, parameters: [NAME, ...scopeParams] };
  }
  return refs;
}

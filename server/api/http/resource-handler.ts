// Resource requests (/api/v1/…, /apis/g/v/…): query parameters and bodies in,
// registry calls, JSON or Table out, watches streamed as JSON lines.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../common/log.js';
import { answerReview, certificateRequestCheck, createTokenRequest, escalationCheck, isReview, type RequestAccess, type ServiceAccountTokens } from '../auth/index.js';
import type { Catalogue } from '../catalogue.js';
import { apiVersionOf, type KubeObject } from '../objects.js';
import { unknownFields } from '../openapi/field-validation.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError, supportsStrategicMerge } from '../patch/index.js';
import { parseResourceVersion, type Registry, type Selectors, type UpdateOptions, type WriteOptions } from '../registry/registry.js';
import { type ApiVerb, queryBool, type ResourceRequest } from '../request-info.js';
import type { ResourceType } from '../resources.js';
import { checkFieldSelector, parseFieldSelector, parseLabelSelector, SelectorError } from '../selectors.js';
import { ApiError, errors, type OptionsKind } from '../status.js';
import { type IncludeObject, toTable } from '../table/table.js';
import { decodeDocument, mediaType, readBody } from './body.js';
import { deleteOptionsOf } from './delete-options.js';
import { evictPod } from './eviction.js';
import { checkPatchOptions, fieldManagerOf, type ManagerOptions } from './field-manager.js';
import { type ResponseForm, responseForm } from './negotiate.js';
import { bindPod } from './pod-subresources.js';
import { booleanParam, dryRunOf, nonNegativeInt, optional } from './query-params.js';
import { sendBytes, sendJson } from './respond.js';
import { toScale, writeScale } from './scale.js';
import { addWarning } from './warnings.js';

/** The options kind whose dryRun a write's query carries (reads have none, and ignore it as upstream does). */
const OPTIONS_OF_VERB: Partial<Record<ApiVerb, OptionsKind>> = {
  create: 'CreateOptions',
  update: 'UpdateOptions',
  patch: 'PatchOptions',
  delete: 'DeleteOptions',
  deletecollection: 'DeleteOptions',
};

const DEFAULT_WATCH_TIMEOUT_S = 1800;

export interface ResourceContext {
  readonly registry: Registry;
  readonly catalogue: Catalogue;
  readonly log: Logger;
  readonly tokens: ServiceAccountTokens;
  /** The request's user and the server's authorizer: for RBAC escalation checks and access reviews. */
  readonly access: RequestAccess;
}

export async function handleResource(
  ctx: ResourceContext,
  info: ResourceRequest,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const type = ctx.catalogue.get(info.group, info.version, info.resource);
  if (type === undefined) throw errors.notFoundPath();
  const namespace = type.namespaced ? info.namespace : undefined;
  if (!type.namespaced && info.namespace !== undefined) throw errors.notFoundPath();
  if (type.namespaced && namespace === undefined && info.name !== undefined) throw errors.notFoundPath();
  const form = responseForm(req.headers.accept);
  if (form === undefined) throw errors.notAcceptable(req.headers.accept ?? '');
  const optionsOfVerb = OPTIONS_OF_VERB[info.verb];
  const dryRun = optionsOfVerb !== undefined && dryRunOf(query.getAll('dryRun'), optionsOfVerb);
  if (isReview(type)) {
    if (info.verb !== 'create' || info.subresource !== undefined || info.name !== undefined) throw errors.methodNotAllowed(req.method ?? '');
    const obj = await readObject(req, res, type, query);
    return sendJson(res, 201, await answerReview(ctx.access, ctx.tokens, type, namespace, obj));
  }
  // Writes of RBAC objects: nobody grants what they do not hold; CertificateSigningRequests: their requester and signer permissions.
  const check = escalationCheck({ ...ctx, ...ctx.access }, type, info) ?? certificateRequestCheck(ctx.access, type, info);
  const checked = check === undefined ? {} : { check };
  // The kind's warnings on a write, as upstream's strategies add them to the request's.
  const warn = (warning: string) => addWarning(res, warning);

  if (info.subresource !== undefined) {
    if (info.subresource === 'token' && type.subresources.some((s) => s.name === 'token')) {
      return createTokenRequest(ctx, type, namespace!, info.name!, info.verb, req, res);
    }
    if (!['status', 'scale', 'finalize', 'binding', 'eviction', 'approval'].includes(info.subresource) || !type.subresources.some((s) => s.name === info.subresource)) {
      throw errors.notFoundPath();
    }
    if (info.subresource === 'scale') return scale(ctx, type, namespace, info, query, req, res, { dryRun, warn });
    if (info.subresource === 'binding' || info.subresource === 'eviction') {
      if (info.verb !== 'create') throw errors.methodNotAllowed(req.method ?? '');
      const body = decodeDocument(await readBody(req), req.headers['content-type']);
      if (info.subresource === 'binding') await bindPod(ctx.registry, type, namespace!, info.name!, body, dryRun);
      else {
        const podDisruptionBudgets = ctx.catalogue.get('policy', 'v1', 'poddisruptionbudgets')!;
        const refused = await evictPod(ctx.registry, { pods: type, podDisruptionBudgets }, namespace!, info.name!, body, dryRun);
        if (refused !== undefined) return sendJson(res, refused.code, refused);
      }
      return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
  }
  const subresource = info.subresource === undefined ? {} : { subresource: info.subresource };
  const writes = info.verb === 'create' || info.verb === 'update' || info.verb === 'patch';
  const managerOptions = writes ? fieldManagerOf(query, req.headers['user-agent'], optionsOfVerb!) : undefined;
  const manager = managerOptions === undefined ? {} : { manager: { name: managerOptions.name, ...subresource } };

  switch (info.verb) {
    case 'get': {
      // JSON straight from the stored bytes; a Table needs the object.
      if (form.kind === 'json') return sendBytes(res, 200, await ctx.registry.getJson(type, namespace, info.name!));
      const obj = await ctx.registry.get(type, namespace, info.name!);
      return respondObjects(res, 200, type, form, query, [obj], obj);
    }
    case 'list': {
      const sel = selectors(type, query);
      const paging = {
        ...optional('limit', nonNegativeInt(query.get('limit'), 'limit')),
        ...optional('continue', query.get('continue') ?? undefined),
        ...optional('resourceVersion', query.get('resourceVersion') ?? undefined),
        ...optional('resourceVersionMatch', query.get('resourceVersionMatch') ?? undefined),
      };
      // Without selectors or a Table, nothing needs the objects themselves: send the stored bytes.
      if (form.kind === 'json' && sel.labelSelector === undefined && sel.fieldSelector === undefined) {
        return sendBytes(res, 200, await ctx.registry.listJson(type, namespace, paging));
      }
      const list = await ctx.registry.list(type, namespace, { ...sel, ...paging });
      if (form.kind === 'table') return respondObjects(res, 200, type, form, query, list.items, undefined, list.metadata);
      return sendJson(res, 200, list);
    }
    case 'watch':
      return streamWatch(ctx, type, namespace, info, query, form, req, res);
    case 'create': {
      if (info.name !== undefined) throw errors.methodNotAllowed('POST');
      const obj = await readObject(req, res, type, query);
      const created = await ctx.registry.create(type, namespace, obj, { dryRun, adoptInput: true, warn, ...checked, ...manager });
      return sendJson(res, 201, created);
    }
    case 'update': {
      const obj = await readObject(req, res, type, query);
      const updated = await ctx.registry.update(type, namespace, info.name!, obj, { dryRun, adoptInput: true, warn, ...subresource, ...checked, ...manager });
      return sendJson(res, 200, updated);
    }
    case 'patch':
      return patch(ctx, type, namespace, info.name!, query, req, res, managerOptions!, { dryRun, warn, ...subresource, ...checked, ...manager });
    case 'delete': {
      const options = deleteOptionsOf(await optionalDocument(req), query);
      const { object, pending } = await ctx.registry.delete(type, namespace, info.name!, { ...options, dryRun: dryRun || options.dryRun });
      // Upstream answers with the object for pods and for deletions still held by finalizers, else a Status;
      // 202 only for a held deletion asked with orphanDependents=false (a quirk it keeps for old clients).
      if (pending || type.plural === 'pods') return sendJson(res, pending && options.orphanDependents === false ? 202 : 200, object);
      return sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: info.name, ...(type.group === '' ? {} : { group: type.group }), kind: type.plural, uid: object.metadata.uid },
      });
    }
    case 'deletecollection': {
      const options = deleteOptionsOf(await optionalDocument(req), query);
      const deleted = await ctx.registry.deleteCollection(type, namespace, selectors(type, query), { ...options, dryRun: dryRun || options.dryRun });
      return sendJson(res, 200, deleted);
    }
  }
}

async function scale(
  ctx: ResourceContext,
  type: ResourceType,
  namespace: string | undefined,
  info: ResourceRequest,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  write: Pick<WriteOptions, 'dryRun' | 'warn'>,
): Promise<void> {
  const name = info.name!;
  const optionsKind = info.verb === 'update' || info.verb === 'patch' ? OPTIONS_OF_VERB[info.verb] : undefined;
  const writer = optionsKind === undefined ? undefined : fieldManagerOf(query, req.headers['user-agent'], optionsKind);
  const manager = { name: writer?.name ?? '', subresource: 'scale' };
  switch (info.verb) {
    case 'get':
      return sendJson(res, 200, toScale(await ctx.registry.get(type, namespace, name)));
    case 'update':
      return sendJson(res, 200, await writeScale(ctx.registry, type, namespace, name, { kind: 'replace', scale: decodeDocument(await readBody(req), req.headers['content-type']) }, { ...write, manager }));
    case 'patch': {
      const contentType = mediaType(req.headers['content-type']);
      if (contentType !== 'application/merge-patch+json' && contentType !== 'application/json-patch+json' && contentType !== 'application/strategic-merge-patch+json') {
        throw errors.unsupportedMediaType(contentType);
      }
      // A Scale has no lists, so a strategic merge patch of it is a merge patch.
      const patchDoc = decodeDocument(await readBody(req), 'application/json');
      return sendJson(res, 200, await writeScale(ctx.registry, type, namespace, name, { kind: 'patch', contentType, patch: patchDoc }, { ...write, manager }));
    }
    default:
      throw errors.methodNotAllowed(req.method ?? '');
  }
}

async function patch(
  ctx: ResourceContext,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  manager: ManagerOptions,
  opts: UpdateOptions,
): Promise<void> {
  const contentType = mediaType(req.headers['content-type']);
  const isApply = contentType === 'application/apply-patch+yaml';
  checkPatchOptions(query, manager, isApply);
  const body = await readBody(req);
  const patchDoc = decodeDocument(body, isApply ? 'application/yaml' : 'application/json');
  let apply: (current: KubeObject) => unknown;
  switch (contentType) {
    case 'application/json-patch+json':
      apply = (current) => applyJsonPatch(current, patchDoc);
      break;
    case 'application/merge-patch+json':
      apply = (current) => applyMergePatch(current, patchDoc);
      break;
    case 'application/strategic-merge-patch+json':
      if (!supportsStrategicMerge(type)) throw errors.unsupportedMediaType(contentType);
      apply = (current) => applyStrategicMergePatch(current, patchDoc, type);
      break;
    case 'application/apply-patch+yaml': {
      const config = checkedObject(patchDoc, type);
      fieldValidation(type, config, query, res);
      if (config.metadata.name !== undefined && config.metadata.name !== name) {
        throw errors.badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`);
      }
      const force = booleanParam(query.get('force'), 'force') ?? false;
      const { object, created } = await ctx.registry.apply(type, namespace, name, config, { ...opts, manager: opts.manager!, force });
      return sendJson(res, created ? 201 : 200, object);
    }
    default:
      throw errors.unsupportedMediaType(contentType);
  }
  const patched = await ctx.registry.patch(
    type,
    namespace,
    name,
    (current) => {
      let result: unknown;
      try {
        result = apply(current);
      } catch (err) {
        if (err instanceof PatchError) throw new ApiError(422, 'Invalid', err.message);
        throw err;
      }
      const obj = checkedObject(result, type);
      fieldValidation(type, obj, query, res);
      return obj;
    },
    opts,
  );
  return sendJson(res, 200, patched);
}

async function streamWatch(
  ctx: ResourceContext,
  type: ResourceType,
  namespace: string | undefined,
  info: ResourceRequest,
  query: URLSearchParams,
  form: ResponseForm,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (queryBool(query, 'sendInitialEvents')) {
    // Ignoring it would make client-go's reflector retry forever; refusing makes it fall back to list+watch.
    throw errors.invalid(type, '', [{ reason: 'FieldValueForbidden', message: 'Forbidden: sendInitialEvents is not supported', field: 'sendInitialEvents' }]);
  }
  // A watch of one object is a watch of its list, narrowed to its name (names hold no commas).
  const sel = selectors(type, query, info.name === undefined ? undefined : `metadata.name=${info.name}`);
  const resourceVersion = query.get('resourceVersion') ?? undefined;
  if (resourceVersion !== undefined && resourceVersion !== '') parseResourceVersion(resourceVersion);
  // 0 or absent: the server's own limit.
  const timeout = nonNegativeInt(query.get('timeoutSeconds'), 'timeoutSeconds') || DEFAULT_WATCH_TIMEOUT_S;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeout * 1000);
  req.socket.once('close', () => abort.abort());
  const includeObject = includeObjectOf(query);
  // Headers go out at once: clients (client-node, informers) wait for them before they wait for events.
  res.writeHead(200, { 'content-type': contentTypeOf(form), 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  let tableStarted = false;
  try {
    const events = ctx.registry.watch(type, namespace, {
      ...sel,
      ...optional('resourceVersion', resourceVersion),
      allowBookmarks: queryBool(query, 'allowWatchBookmarks'),
      signal: abort.signal,
    });
    for await (const event of events) {
      let object = event.object;
      if (form.kind === 'table' && (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')) {
        // Only the first Table of a watch carries the column definitions.
        const table = toTable(type, [object as KubeObject], { includeObject, now: new Date(), listMeta: {} });
        object = tableStarted ? { ...table, columnDefinitions: [] } : table;
        tableStarted = true;
      }
      if (!res.write(`${JSON.stringify({ type: event.type, object })}\n`)) await new Promise((r) => res.once('drain', r));
    }
  } catch (err) {
    if (!abort.signal.aborted) {
      const status = err instanceof ApiError ? err : errors.internal((err as Error).message);
      if (!(err instanceof ApiError)) ctx.log.error('watch failed', { resource: type.plural, error: err });
      res.write(`${JSON.stringify({ type: 'ERROR', object: status.toStatus() })}\n`);
    }
  } finally {
    clearTimeout(timer);
  }
  res.end();
}

function respondObjects(
  res: ServerResponse,
  status: number,
  type: ResourceType,
  form: ResponseForm,
  query: URLSearchParams,
  objects: readonly KubeObject[],
  single: KubeObject | undefined,
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
): void {
  if (form.kind === 'json') return sendJson(res, status, single ?? objects);
  const withType = objects.map((o) => ({ ...o, apiVersion: apiVersionOf(type.group, type.version), kind: type.kind }));
  const table = toTable(type, withType, { includeObject: includeObjectOf(query), now: new Date(), listMeta: listMeta ?? {} });
  return sendJson(res, status, { ...table, apiVersion: `meta.k8s.io/${form.version}` }, contentTypeOf(form));
}

function contentTypeOf(form: ResponseForm): string {
  return form.kind === 'table' ? `application/json;as=Table;v=${form.version};g=meta.k8s.io` : 'application/json';
}

function includeObjectOf(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/** Reads a create/update body: a single object of this type, checked against fieldValidation. */
async function readObject(req: IncomingMessage, res: ServerResponse, type: ResourceType, query: URLSearchParams): Promise<KubeObject> {
  const obj = checkedObject(decodeDocument(await readBody(req), req.headers['content-type']), type);
  fieldValidation(type, obj, query, res);
  return obj;
}

function checkedObject(value: unknown, type: ResourceType): KubeObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw errors.badRequest('the request body must be a JSON or YAML object');
  const obj = value as Partial<KubeObject>;
  const expected = apiVersionOf(type.group, type.version);
  if (obj.kind === undefined || obj.kind === '') throw errors.badRequest(`Object 'Kind' is missing in the request body`);
  if (obj.apiVersion === undefined || obj.apiVersion === '') throw errors.badRequest(`Object 'apiVersion' is missing in the request body`);
  if (obj.apiVersion !== expected) {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`);
  }
  if (obj.kind !== type.kind) throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${type.kind})`);
  if (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)) {
    if (obj.metadata !== undefined) throw errors.badRequest('metadata must be an object');
    obj.metadata = {};
  }
  return obj as KubeObject;
}

/** Strict → 400 for unknown fields; Warn (the default) → Warning headers on `res`; Ignore → nothing. */
function fieldValidation(type: ResourceType, obj: KubeObject, query: URLSearchParams, res: ServerResponse): void {
  const mode = query.get('fieldValidation') ?? 'Warn';
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw errors.badRequest(`fieldValidation parameter unsupported: ${mode}`);
  }
  if (mode === 'Ignore') return;
  const unknown = unknownFields(type, obj);
  if (mode === 'Strict' && unknown.length > 0) throw errors.badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  for (const f of unknown) addWarning(res, `unknown field "${f}"`);
}

function selectors(type: ResourceType, query: URLSearchParams, extraField?: string): Selectors {
  try {
    const label = query.get('labelSelector');
    const field = [query.get('fieldSelector'), extraField].filter((f) => f).join(',');
    const fieldSelector = field ? parseFieldSelector(field) : undefined;
    if (fieldSelector !== undefined) checkFieldSelector(fieldSelector, type.group, type.kind);
    return {
      ...(label ? { labelSelector: parseLabelSelector(label) } : {}),
      ...(fieldSelector !== undefined ? { fieldSelector } : {}),
    };
  } catch (err) {
    if (err instanceof SelectorError) throw errors.badRequest(err.message);
    throw err;
  }
}

/** The decoded body, or undefined when it is empty (a DELETE without DeleteOptions). */
async function optionalDocument(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  return body.length === 0 ? undefined : decodeDocument(body, req.headers['content-type']);
}
